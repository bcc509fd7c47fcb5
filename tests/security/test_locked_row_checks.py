"""Authorization on the locked row (issue 19 §8): real transactions racing on PostgreSQL.

A request reads the complaint, checks the caller's right on what it read, then waits for the
row lock while someone else changes the complaint. What it read is stale by then: the caller's
scope (their unit) and the complaint's state and unit are checked again on the locked row.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from complaints import services
from complaints.attachments import attachment_add
from complaints.models import Attachment, Complaint, ComplaintTransition, Note, Reply, Unit
from kernel.errors import Conflict, NotFound
from tests.conftest import GOOD_REPLY, new_complaint
from tests.evidence_files import image
from tests.unchanged import nothing_changed

pytestmark = pytest.mark.django_db(transaction=True)

REPLY_API = {
    "facts": GOOD_REPLY.basic_facts,
    "process": GOOD_REPLY.handling,
    "result": GOOD_REPLY.result,
    "customer_accepts": True,
    "facts_confirmed": True,
    "our_fault": True,
}


def _verifying_at_a(org, alice, now) -> Complaint:
    complaint, _ = services.complaint_create(data=new_complaint(), by=alice, now=now)
    return services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)


def _token_client(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _until_someone_waits_for_a_lock(timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.01)
    return False


def test_it_refuses_a_reply_from_a_branch_the_ticket_was_reassigned_away_from(org, alice, bob, now):
    """bob's request read the ticket at branch A; it was reassigned to B before he replied."""
    complaint = _verifying_at_a(org, alice, now)
    stale = Complaint.objects.get(pk=complaint.pk)  # what bob's request read and checked
    services.complaint_reassign(
        complaint=complaint, unit=org["b"], by=alice, reason="地址属网点乙", now=now
    )
    with nothing_changed():
        with pytest.raises(NotFound):
            services.complaint_reply(complaint=stale, by=bob, reply=GOOD_REPLY, now=now)
        with pytest.raises(NotFound):
            services.complaint_add_note(complaint=stale, by=bob, text="已联系客户", now=now)
        with pytest.raises(NotFound):
            services.complaint_log_contact(
                complaint=stale, by=bob, method="phone", summary="已联系客户", now=now
            )
        with pytest.raises(NotFound):
            services.complaint_pause(complaint=stale, by=bob, reason="等客户补充照片", now=now)
    assert not Reply.objects.exists() and not Note.objects.exists()


def test_it_refuses_evidence_from_a_branch_the_ticket_was_reassigned_away_from(
    org, alice, bob, now
):
    """bob's upload read the ticket at branch A; it was reassigned to B while it uploaded."""
    complaint = _verifying_at_a(org, alice, now)
    stale = Complaint.objects.get(pk=complaint.pk)
    services.complaint_reassign(
        complaint=complaint, unit=org["b"], by=alice, reason="地址属网点乙", now=now
    )
    upload = SimpleUploadedFile("现场.png", image("PNG"), content_type="image/png")
    with nothing_changed(), pytest.raises(NotFound):
        attachment_add(complaint=stale, by=bob, upload=upload, now=now)
    assert not Attachment.objects.exists()


def test_it_checks_the_scope_of_a_request_that_waited_for_the_lock(org, alice, bob, now):
    """The API: bob's reply waits for the lock of a reassignment in progress, then is refused."""
    complaint = _verifying_at_a(org, alice, now)
    bob_client = _token_client(bob)
    reassigning, results = threading.Event(), {}

    def reassign():
        try:
            with transaction.atomic():
                services.complaint_reassign(
                    complaint=Complaint.objects.get(pk=complaint.pk),
                    unit=org["b"],
                    by=alice,
                    reason="地址属网点乙",
                    now=now,
                )
                reassigning.set()
                # Commit only once bob's request waits for this row: it has read and checked
                # the complaint at branch A by then (a barrier, not a sleep).
                results["waited"] = _until_someone_waits_for_a_lock()
        finally:
            connection.close()

    def reply():
        try:
            assert reassigning.wait(5)
            url = f"/api/v1/complaints/{complaint.ticket_no}/actions/reply/"
            results["reply"] = bob_client.post(url, REPLY_API, format="json").status_code
        finally:
            connection.close()

    # bob's read happens before the reassignment commits: the thread reads, then waits.
    with ThreadPoolExecutor(2) as pool:
        done = [pool.submit(reassign), pool.submit(reply)]
        for future in done:
            future.result(timeout=30)
    assert results == {"waited": True, "reply": 404}
    complaint.refresh_from_db()
    assert complaint.status == "verifying" and complaint.unit == org["b"]
    assert not Reply.objects.exists()
    assert not ComplaintTransition.objects.filter(transition="reply").exists()


def test_it_lets_one_of_three_concurrent_reassignments_win(org, alice, sam, now):
    """Three people reassign the same ticket at once: one 200, two 409 (not last-writer-wins)."""
    complaint = _verifying_at_a(org, alice, now)
    Unit.objects.create(code="C2", name="网点丙", kind=Unit.Kind.BRANCH, parent=org["region"])
    clients = {"alice": _token_client(alice), "sam": _token_client(sam)}
    start = threading.Barrier(3)
    url = f"/api/v1/complaints/{complaint.ticket_no}/actions/reassign/"

    def reassign(who, unit):
        def go():
            try:
                start.wait()
                body = {"unit": unit, "reason": f"改派至{unit}"}
                return clients[who].post(url, body, format="json").status_code
            finally:
                connection.close()

        return go

    calls = [reassign("alice", "B"), reassign("sam", "C2"), reassign("sam", "B")]
    with ThreadPoolExecutor(3) as pool:
        codes = sorted(pool.map(lambda f: f(), calls))
    assert codes == [200, 409, 409]
    rows = ComplaintTransition.objects.filter(complaint=complaint, transition="reassign")
    assert rows.count() == 1
    complaint.refresh_from_db()
    assert complaint.unit.code == rows.get().details["unit"]


def test_it_answers_a_stale_reassignment_with_a_conflict(org, alice, sam, now):
    complaint = _verifying_at_a(org, alice, now)
    stale = Complaint.objects.get(pk=complaint.pk)
    services.complaint_reassign(
        complaint=complaint, unit=org["b"], by=sam, reason="地址属网点乙", now=now
    )
    third = Unit.objects.create(code="C3", name="网点丁", kind=Unit.Kind.BRANCH)
    with nothing_changed(), pytest.raises(Conflict) as refused:
        services.complaint_reassign(
            complaint=stale, unit=third, by=alice, reason="地址属网点丁", now=now
        )
    assert "改派" in refused.value.message
