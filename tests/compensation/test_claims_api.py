"""/api/v1/complaints/{ticket_no}/claims/…: list, propose, approve, reject, pay."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from rest_framework.test import APIClient

from compensation import services
from compensation.models import Claim, ClaimEvent
from complaints.models import ComplaintTransition, Role, StaffProfile
from tests.compensation.conftest import loss_facts
from tests.unchanged import nothing_changed

BODY = {
    "service": "postal_registered",
    "incident": "loss",
    "freight": "20.00",
    "actual_loss": "500.00",
    "limit_clause_shown": True,
}


def claims_url(complaint, *rest) -> str:
    tail = "".join(f"{part}/" for part in rest)
    return f"/api/v1/complaints/{complaint.ticket_no}/claims/{tail}"


def test_it_proposes_a_claim_with_the_engines_quote(api, complaint_at_a, bob):
    response = api(bob).post(claims_url(complaint_at_a), BODY, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "proposed" and data["status_label"] == "待审批"
    assert (data["amount"], data["quoted_amount"], data["currency"]) == ("60.00", "60.00", "CNY")
    assert data["steps"][0]["source"] == "邮政法第四十七条"
    assert data["needs_supervisor"] is False
    assert data["allowed_actions"] == {"approve": False, "reject": False, "pay": False}
    assert data["facts"]["actual_loss"] == "500.00"
    assert data["settle_due"].endswith("+08:00")
    assert [e["action"] for e in data["events"]] == ["propose"]


def test_it_walks_a_large_claim_through_supervisor_approval_and_payment(
    api, complaint_at_a, alice, bob, sam
):
    body = {**BODY, "override_amount": "1200", "override_reason": "承运人重大过失，按发票赔偿"}
    claim = api(bob).post(claims_url(complaint_at_a), body, format="json").json()
    assert claim["amount"] == "1200.00" and claim["needs_supervisor"] is True

    agent = api(alice)
    with nothing_changed():
        refused = agent.post(claims_url(complaint_at_a, claim["id"], "approve"), {}, format="json")
    assert refused.status_code == 403
    assert "质量监控主管" in refused.json()["error"]["message"]

    approved = api(sam).post(
        claims_url(complaint_at_a, claim["id"], "approve"), {"note": "同意"}, format="json"
    )
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert approved.json()["decided_by"] == "sam"

    paid = api(alice).post(
        claims_url(complaint_at_a, claim["id"], "pay"),
        {"payment_reference": "BANK-0001", "paid_on": "2026-11-16"},
        format="json",
    )
    assert paid.status_code == 200, paid.json()
    assert (paid.json()["status"], paid.json()["paid_on"]) == ("paid", "2026-11-16")

    listing = api(sam).get(claims_url(complaint_at_a)).json()["results"]
    assert [c["status"] for c in listing] == ["paid"]
    assert [e["action"] for e in listing[0]["events"]] == ["propose", "approve", "pay"]
    trail = ComplaintTransition.objects.filter(
        complaint=complaint_at_a, transition__startswith="claim_"
    )
    assert list(trail.values_list("transition", flat=True)) == [
        "claim_proposed",
        "claim_approved",
        "claim_paid",
    ]


def test_it_rejects_with_a_reason(api, complaint_at_a, bob, alice):
    claim = api(bob).post(claims_url(complaint_at_a), BODY, format="json").json()
    url = claims_url(complaint_at_a, claim["id"], "reject")
    missing = api(alice).post(url, {}, format="json")
    assert missing.status_code == 400 and "reason" in missing.json()["error"]["fields"]
    done = api(alice).post(url, {"reason": "已找回快件并妥投"}, format="json")
    assert done.status_code == 200
    assert done.json()["rejection_reason"] == "已找回快件并妥投"


def test_it_answers_a_second_claim_in_progress_with_409(api, complaint_at_a, bob):
    assert api(bob).post(claims_url(complaint_at_a), BODY, format="json").status_code == 201
    again = api(bob).post(claims_url(complaint_at_a), BODY, format="json")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param(
            {**BODY, "override_amount": "100"}, "override_reason", id="override-no-reason"
        ),
        pytest.param({**BODY, "override_reason": "x"}, "override_amount", id="reason-no-override"),
        pytest.param(
            {**BODY, "override_amount": "-5", "override_reason": "x"},
            "override_amount",
            id="negative-override",
        ),
        pytest.param({**BODY, "note": 12}, "note", id="note-not-text"),
        pytest.param({**BODY, "note": "x" * 2001}, "note", id="note-too-long"),
        pytest.param({**BODY, "freight": "-1"}, "freight", id="negative-freight"),
        pytest.param({**BODY, "policy": "nope"}, "policy", id="unknown-policy"),
        pytest.param({**BODY, "amount": "1"}, "amount", id="unknown-field"),
    ],
)
def test_it_refuses_a_bad_proposal_with_400(api, complaint_at_a, bob, body, field):
    response = api(bob).post(claims_url(complaint_at_a), body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"paid_on": "2026-11-16"}, "payment_reference", id="no-reference"),
        pytest.param({"payment_reference": "P"}, "paid_on", id="no-date"),
        pytest.param({"payment_reference": "P", "paid_on": "16/11/2026"}, "paid_on", id="bad-date"),
        pytest.param(
            {"payment_reference": "P", "paid_on": "2026-02-30"}, "paid_on", id="no-such-day"
        ),
        pytest.param({"payment_reference": "P", "paid_on": 20261116}, "paid_on", id="date-number"),
        pytest.param(
            {"payment_reference": ["P"], "paid_on": "2026-11-16"},
            "payment_reference",
            id="reference-list",
        ),
        pytest.param(
            {"payment_reference": "P", "paid_on": "2026-11-16", "x": 1}, "x", id="unknown"
        ),
    ],
)
def test_it_refuses_a_bad_payment_with_400(api, complaint_at_a, bob, sam, body, field, now):
    claim = services.claim_propose(complaint=complaint_at_a, by=bob, facts=loss_facts(), now=now)
    services.claim_approve(claim=claim, by=sam, now=now)
    response = api(sam).post(claims_url(complaint_at_a, claim.pk, "pay"), body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]


def test_it_scopes_branch_staff_to_their_unit(api, complaint_at_a, bob, carol, now):
    claim = services.claim_propose(complaint=complaint_at_a, by=bob, facts=loss_facts(), now=now)
    for method, url in (
        ("get", claims_url(complaint_at_a)),
        ("post", claims_url(complaint_at_a)),
        ("get", claims_url(complaint_at_a, claim.pk)),
        ("post", claims_url(complaint_at_a, claim.pk, "approve")),
    ):
        response = getattr(api(carol), method)(
            url, BODY if method == "post" else None, format="json"
        )
        assert response.status_code == 404, (url, response.content)
    assert api(bob).get(claims_url(complaint_at_a, claim.pk)).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/complaints/TS20990101000001/claims/",
        "/api/v1/complaints/TS%00X/claims/",
        "/api/v1/complaints/" + "A" * 300 + "/claims/",
        "/api/v1/complaints/{ticket}/claims/999999/",
        "/api/v1/complaints/{ticket}/claims/99999999999999999999999/",
        "/api/v1/complaints/{ticket}/claims/99999999999999999999999/approve/",
    ],
)
def test_it_answers_unknown_tickets_and_claims_with_404(api, complaint_at_a, sam, path):
    response = api(sam).get(path.format(ticket=complaint_at_a.ticket_no))
    if path.endswith("approve/"):
        response = api(sam).post(path.format(ticket=complaint_at_a.ticket_no), {}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_it_does_not_serve_another_complaints_claim(api, complaint_at_a, make_complaint, sam, now):
    claim = services.claim_propose(complaint=complaint_at_a, by=sam, facts=loss_facts(), now=now)
    other = make_complaint(tracking_no="ZT000000002", phone="13900000002")
    assert api(sam).get(claims_url(other, claim.pk)).status_code == 404


def test_it_is_for_staff_only(api, complaint_at_a, pat, nobody):
    assert api().get(claims_url(complaint_at_a)).status_code == 401
    assert api(pat).get(claims_url(complaint_at_a)).status_code == 403
    stranger = api(nobody)
    with nothing_changed():
        assert stranger.post(claims_url(complaint_at_a), BODY, format="json").status_code == 403


def test_it_lists_claims_in_constant_queries(
    api, complaint_at_a, sam, now, django_assert_max_num_queries
):
    for _ in range(3):
        claim = services.claim_propose(
            complaint=complaint_at_a, by=sam, facts=loss_facts(), now=now
        )
        services.claim_reject(claim=claim, by=sam, reason="重复申请", now=now)
    client = api(sam)
    client.get(claims_url(complaint_at_a))  # warm the token and permission caches
    # + 2 for the approval limits: the complaint's approved total, the user's approvals today.
    with django_assert_max_num_queries(10):
        response = client.get(claims_url(complaint_at_a))
    assert len(response.json()["results"]) == 3


def _staff(username: str, role: str, unit=None):
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-only")
    StaffProfile.objects.create(user=user, role=role, unit=unit)
    return get_user_model().objects.get(pk=user.pk)


@pytest.mark.django_db(transaction=True)
def test_it_lets_exactly_one_of_two_concurrent_approvals_win(org, alice, sam, make_complaint, now):
    sue = _staff("sue", Role.SUPERVISOR, org["company"])
    claim = services.claim_propose(
        complaint=make_complaint(), by=alice, facts=loss_facts(), now=now
    )
    start = threading.Barrier(2)
    ticket = claim.complaint.ticket_no

    def approve(user):
        def go():
            try:
                client = APIClient()
                client.force_authenticate(user)
                start.wait()
                return client.post(
                    f"/api/v1/complaints/{ticket}/claims/{claim.pk}/approve/", {}, format="json"
                ).status_code
            finally:
                connection.close()

        return go

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(lambda f: f(), [approve(sam), approve(sue)]))
    assert codes == [200, 409]
    assert ClaimEvent.objects.filter(claim=claim, action="approve").count() == 1
    assert ComplaintTransition.objects.filter(transition="claim_approved").count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_lets_one_of_an_approval_and_a_rejection_win(org, alice, sam, make_complaint, now):
    claim = services.claim_propose(
        complaint=make_complaint(), by=alice, facts=loss_facts(), now=now
    )
    start = threading.Barrier(2)

    def act(step):
        def go():
            try:
                copy = Claim.objects.get(pk=claim.pk)
                start.wait()
                if step == "approve":
                    return services.claim_approve(claim=copy, by=sam, now=now)
                return services.claim_reject(claim=copy, by=alice, reason="不予赔偿", now=now)
            except Exception as exc:
                return exc
            finally:
                connection.close()

        return go

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda f: f(), [act("approve"), act("reject")]))
    assert sorted(type(r).__name__ for r in results) == ["Claim", "Conflict"]
    assert ClaimEvent.objects.filter(claim=claim).exclude(action="propose").count() == 1
