"""Money that one person cannot move alone (issue 19 §1), through the API, the panel, the admin.

alice is an agent, bob branch staff of branch A, sam a supervisor, sue a second supervisor.
The default limits: ¥500 per complaint in total and per agent per day; an override above the
quote is a supervisor's; above 3 × the quote it is flagged. Each refusal is a valid request
that answers 403 with a Chinese message and leaves every table as it was.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from compensation import services
from compensation.models import Claim, ClaimEvent, ClaimStatus
from complaints.models import Role, StaffProfile
from kernel.errors import NotAllowed
from tests.compensation.conftest import loss_facts
from tests.complaints.helpers import bring_to
from tests.unchanged import nothing_changed

# Postal registered, uninsured, postage ¥100: the quote is the actual loss up to ¥300.
Q300 = {"freight": Decimal("100.00"), "actual_loss": Decimal("300.00")}


def claims_url(complaint, *rest) -> str:
    tail = "".join(f"{part}/" for part in rest)
    return f"/api/v1/complaints/{complaint.ticket_no}/claims/{tail}"


def pay_body(now) -> dict:
    return {"payment_reference": "BANK-0001", "paid_on": now.date().isoformat()}


def _staff(username: str, role: str, unit=None):
    user = get_user_model().objects.create_user(username=username, password="pw-for-tests-only")
    StaffProfile.objects.create(user=user, role=role, unit=unit)
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def sue(org):
    return _staff("sue", Role.SUPERVISOR, org["company"])


@pytest.fixture
def at_a(make_complaint, alice, bob, org, now):
    """at_a(n) → a fresh complaint dispatched to branch A (a different waybill each)."""

    def make(n: int = 0):
        complaint = make_complaint(
            tracking_no=f"SF70000000{n:02d}",
            phone=f"139000000{n:02d}",
            category="loss",
            service="postal_registered",
            freight="20.00",
        )
        return bring_to(
            "verifying", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now
        )

    return make


def _refused(client, url, body, *, words: str):
    with nothing_changed():
        response = client.post(url, body, format="json")
    assert response.status_code == 403, response.content
    error = response.json()["error"]
    assert words in error["message"], error["message"]
    return error


# --- the issue's own attack -----------------------------------------------------------------


def test_it_stops_one_agent_from_proposing_approving_and_paying_alone(api, at_a, alice, now):
    """The report: ¥500 override on a ¥60 quote, approved and paid by its proposer, 3 times."""
    complaint = at_a()
    agent = api(alice)
    body = {
        "service": "postal_registered",
        "incident": "loss",
        "freight": "20.00",
        "actual_loss": "500.00",
        "limit_clause_shown": True,
        "override_amount": "500.00",
        "override_reason": "客户要求全额赔偿",
    }
    claim = agent.post(claims_url(complaint), body, format="json").json()
    assert (claim["quoted_amount"], claim["amount"]) == ("60.00", "500.00")
    assert claim["needs_supervisor"] is True and claim["override_flagged"] is True
    assert claim["allowed_actions"] == {"approve": False, "reject": False, "pay": False}
    _refused(agent, claims_url(complaint, claim["id"], "approve"), {}, words="不能审批自己提出")
    assert Claim.objects.get().status == ClaimStatus.PROPOSED
    assert not Claim.objects.filter(status__in=["approved", "paid"]).exists()


@pytest.mark.parametrize("proposer", ["alice", "sam"])
def test_it_never_lets_the_proposer_approve(proposer, request, api, at_a, now):
    """An agent's ¥60 claim and a supervisor's: the proposer's right to approve does not count."""
    by = request.getfixturevalue(proposer)
    complaint = at_a()
    claim = services.claim_propose(complaint=complaint, by=by, facts=loss_facts(), now=now)
    _refused(
        api(by),
        claims_url(complaint, claim.pk, "approve"),
        {"note": "同意"},
        words="提出人与审批人须为不同的人",
    )
    with pytest.raises(NotAllowed):
        services.claim_approve(claim=claim, by=by, now=now)


def test_it_never_lets_the_proposer_record_the_payment(api, at_a, alice, sam, now):
    complaint = at_a()
    claim = services.claim_propose(complaint=complaint, by=alice, facts=loss_facts(), now=now)
    claim = services.claim_approve(claim=claim, by=sam, now=now)
    context = services.approval_context(alice, complaint, now=now)
    assert services.allowed_actions(alice, claim, context)["pay"] is False
    _refused(
        api(alice),
        claims_url(complaint, claim.pk, "pay"),
        pay_body(now),
        words="提出人与赔付登记人须为不同的人",
    )
    paid = api(sam).post(claims_url(complaint, claim.pk, "pay"), pay_body(now), format="json")
    assert paid.status_code == 200 and paid.json()["status"] == "paid"


@pytest.mark.parametrize(
    ("payer_not_approver", "payer", "status"),
    [
        pytest.param(False, "sam", 200, id="default-the-approver-may-pay"),
        pytest.param(True, "sam", 403, id="configured-the-approver-may-not"),
        pytest.param(True, "alice", 200, id="configured-a-third-person-pays"),
    ],
)
def test_it_keeps_the_approver_from_paying_when_configured(
    payer_not_approver, payer, status, request, settings, api, at_a, bob, sam, now
):
    settings.COMPENSATION = {**settings.COMPENSATION, "PAYER_NOT_APPROVER": payer_not_approver}
    complaint = at_a()
    claim = services.claim_propose(complaint=complaint, by=bob, facts=loss_facts(), now=now)
    services.claim_approve(claim=claim, by=sam, now=now)
    client = api(request.getfixturevalue(payer))
    url = claims_url(complaint, claim.pk, "pay")
    if status == 403:
        _refused(client, url, pay_body(now), words="审批人与赔付登记人须为不同的人")
    else:
        assert client.post(url, pay_body(now), format="json").status_code == 200


def test_it_lets_the_proposer_withdraw_their_own_claim(at_a, alice, now):
    """Rejecting moves no money: the proposer may take back a claim they may decide."""
    claim = services.claim_propose(complaint=at_a(), by=alice, facts=loss_facts(), now=now)
    claim = services.claim_reject(claim=claim, by=alice, reason="客户撤回索赔", now=now)
    assert claim.status == ClaimStatus.REJECTED


# --- the threshold adds up ------------------------------------------------------------------


def test_it_counts_the_threshold_on_the_complaints_total(api, at_a, alice, bob, sam, now):
    """¥300 approved and paid, then a second ¥300 claim: ¥600 in all is a supervisor's."""
    complaint = at_a()
    first = services.claim_propose(complaint=complaint, by=bob, facts=loss_facts(**Q300), now=now)
    first = services.claim_approve(claim=first, by=alice, now=now)
    services.claim_pay(claim=first, by=alice, payment_reference="P1", paid_on=now.date(), now=now)
    second = services.claim_propose(
        complaint=complaint, by=bob, facts=loss_facts(**Q300), now=now + timedelta(days=1)
    )
    later = now + timedelta(days=1)  # another day: alice's daily limit is not what stops her
    context = services.approval_context(alice, complaint, now=later)
    assert services.needs_supervisor(second, context)
    with pytest.raises(NotAllowed) as refused:
        services.claim_approve(claim=second, by=alice, now=later)
    assert "该工单累计批准金额将达¥600.00，超过审批限额¥500.00" in refused.value.message
    _refused(api(alice), claims_url(complaint, second.pk, "approve"), {}, words="累计批准金额")
    approved = services.claim_approve(claim=second, by=sam, now=later)
    assert approved.status == ClaimStatus.APPROVED
    event = approved.events.get(action="approve")
    assert event.details["complaint_total"] == "600.00"
    assert event.details["supervisor_reasons"] == ["complaint_total"]
    assert event.details["approver_role"] == "supervisor"


def test_it_frees_the_total_of_a_rejected_claim(at_a, alice, bob, sam, now):
    complaint = at_a()
    first = services.claim_propose(complaint=complaint, by=bob, facts=loss_facts(**Q300), now=now)
    services.claim_reject(claim=first, by=sam, reason="重复申请", now=now)
    second = services.claim_propose(complaint=complaint, by=bob, facts=loss_facts(**Q300), now=now)
    assert services.claim_approve(claim=second, by=alice, now=now).status == ClaimStatus.APPROVED


def test_it_limits_an_agents_approvals_per_day(api, at_a, alice, bob, sam, now):
    """¥300 on one complaint, then ¥300 on another the same day: over ¥500, a supervisor's."""
    first, second = at_a(1), at_a(2)
    claim = services.claim_propose(complaint=first, by=bob, facts=loss_facts(**Q300), now=now)
    claim = services.claim_approve(claim=claim, by=alice, now=now)
    services.claim_reject(claim=claim, by=sam, reason="客户放弃", now=now)  # still counted
    other = services.claim_propose(complaint=second, by=bob, facts=loss_facts(**Q300), now=now)
    assert services.approved_today(alice, now) == Decimal("300.00")
    context = services.approval_context(alice, second, now=now)
    assert services.allowed_actions(alice, other, context)["approve"] is False
    url = claims_url(second, other.pk, "approve")
    with time_machine.travel(now + timedelta(hours=2), tick=False):  # the same Shanghai day
        error = _refused(api(alice), url, {}, words="您今日累计批准金额将达¥600.00")
    assert "每日限额¥500.00" in error["message"]
    # The next day (Asia/Shanghai) the agent's count starts again.
    tomorrow = now + timedelta(days=1)
    assert services.claim_approve(claim=other, by=alice, now=tomorrow).status == "approved"


def test_it_reads_the_limits_from_settings(settings, at_a, alice, bob, now):
    settings.COMPENSATION = {**settings.COMPENSATION, "AGENT_DAILY_APPROVAL_LIMIT": "100"}
    first, second = at_a(1), at_a(2)
    claim = services.claim_propose(complaint=first, by=bob, facts=loss_facts(), now=now)  # ¥60
    services.claim_approve(claim=claim, by=alice, now=now)
    other = services.claim_propose(complaint=second, by=bob, facts=loss_facts(), now=now)
    with pytest.raises(NotAllowed):
        services.claim_approve(claim=other, by=alice, now=now)


# --- overrides ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "agent_may"),
    [
        pytest.param("60.01", False, id="a-fen-above-the-quote"),
        pytest.param("59.99", True, id="below-the-quote"),
        pytest.param("60.00", True, id="equal-to-the-quote"),
    ],
)
def test_it_sends_any_override_above_the_quote_to_a_supervisor(
    override, agent_may, api, at_a, alice, bob, sam, now
):
    complaint = at_a()
    body = {
        "service": "postal_registered",
        "incident": "loss",
        "freight": "20.00",
        "actual_loss": "500.00",
        "limit_clause_shown": True,
        "override_amount": override,
        "override_reason": "按客户发票",
    }
    claim = api(bob).post(claims_url(complaint), body, format="json").json()
    assert claim["needs_supervisor"] is (not agent_may)
    url = claims_url(complaint, claim["id"], "approve")
    if agent_may:
        assert api(alice).post(url, {}, format="json").status_code == 200
    else:
        _refused(api(alice), url, {}, words="高于规则计算金额¥60.00")
        assert api(sam).post(url, {}, format="json").status_code == 200


def test_it_requires_a_written_reason_for_an_override(api, at_a, bob):
    complaint = at_a()
    body = {
        "service": "postal_registered",
        "incident": "loss",
        "freight": "20.00",
        "actual_loss": "500.00",
        "override_amount": "100.00",
        "override_reason": "   ",
    }
    client = api(bob)
    with nothing_changed():
        response = client.post(claims_url(complaint), body, format="json")
    assert response.status_code == 400
    assert "override_reason" in response.json()["error"]["fields"]


def test_it_flags_an_override_above_three_times_the_quote_everywhere(api, at_a, bob, sam, now):
    complaint = at_a()
    flagged = services.claim_propose(
        complaint=complaint,
        by=bob,
        facts=loss_facts(),
        override=services.Override(amount=Decimal("180.01"), reason="客户称内有贵重物品"),
        now=now,
    )
    assert flagged.override_flagged is True
    event = flagged.events.get()
    assert event.details["override_flagged"] is True
    assert event.details["supervisor_reasons"] == ["override_above_quote"]
    body = api(sam).get(claims_url(complaint, flagged.pk)).json()
    assert body["override_flagged"] is True and body["events"][0]["override_flagged"] is True

    # The admin's list shows it and filters by it.
    sam.is_staff = True
    sam.save()
    admin = Client()
    admin.force_login(sam)
    page = admin.get("/admin/compensation/claim/", {"override_flagged__exact": "1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "超倍调整待复核" in html and f"/admin/compensation/claim/{flagged.pk}/change/" in html

    services.claim_reject(claim=flagged, by=sam, reason="无价值证明", now=now)
    at_three = services.claim_propose(
        complaint=complaint,
        by=bob,
        facts=loss_facts(),
        override=services.Override(amount=Decimal("180.00"), reason="客户提供发票"),
        now=now,
    )
    assert at_three.override_flagged is False


# --- who did what, and no way round it ------------------------------------------------------


def test_it_shows_who_proposed_approved_and_paid(api, at_a, alice, bob, sam, now):
    complaint = at_a()
    claim = services.claim_propose(complaint=complaint, by=bob, facts=loss_facts(), now=now)
    claim = services.claim_approve(claim=claim, by=sam, now=now)
    services.claim_pay(claim=claim, by=alice, payment_reference="P1", paid_on=now.date(), now=now)
    body = api(sam).get(claims_url(complaint, claim.pk)).json()
    assert (body["proposed_by"], body["approved_by"], body["paid_by"]) == ("bob", "sam", "alice")
    assert [(e["action"], e["actor"]) for e in body["events"]] == [
        ("propose", "bob"),
        ("approve", "sam"),
        ("pay", "alice"),
    ]
    pay = ClaimEvent.objects.get(claim=claim, action="pay")
    assert pay.details["proposed_by"] == bob.pk and pay.details["approved_by"] == sam.pk

    web = Client()
    web.force_login(sam)
    html = web.get(f"/compensation/complaints/{complaint.ticket_no}/claims/panel/").content.decode()
    assert "提出申请人：bob" in html and "批准人：sam" in html and "登记赔付人：alice" in html


def test_it_offers_no_way_round_it_in_the_admin(at_a, alice, sam, now):
    """Even a superuser cannot add, change or delete a claim in the admin."""
    sam.is_staff = sam.is_superuser = True
    sam.save()
    admin = Client()
    admin.force_login(sam)
    claim = services.claim_propose(complaint=at_a(), by=alice, facts=loss_facts(), now=now)
    change = f"/admin/compensation/claim/{claim.pk}/change/"
    assert 'name="_save"' not in admin.get(change).content.decode()
    with nothing_changed():
        assert admin.post(change, {"status": "approved", "amount": "5000"}).status_code == 403
        assert admin.post("/admin/compensation/claim/add/", {}).status_code == 403
        assert admin.post(f"/admin/compensation/claim/{claim.pk}/delete/", {}).status_code == 403
    # Through the services even a superuser is not their own approver.
    admin_claim = services.claim_reject(claim=claim, by=sam, reason="重复", now=now)
    own = services.claim_propose(complaint=admin_claim.complaint, by=sam, facts=loss_facts())
    with pytest.raises(NotAllowed):
        services.claim_approve(claim=own, by=sam, now=now)


# --- at the same moment ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_counts_an_agents_day_under_a_lock(org, alice, bob, make_complaint, now):
    """Two ¥300 approvals by one agent at once: only one fits under the ¥500 day."""
    claims = []
    for n in (1, 2):
        complaint = bring_to(
            "verifying",
            make_complaint(tracking_no=f"SF7100000{n}", phone=f"1390000001{n}", category="loss"),
            agent=alice,
            branch_user=bob,
            unit=org["a"],
            now=now,
        )
        claims.append(
            services.claim_propose(complaint=complaint, by=bob, facts=loss_facts(**Q300), now=now)
        )
    token, _ = Token.objects.get_or_create(user=alice)
    start = threading.Barrier(2)

    def approve(claim):
        def go():
            try:
                client = APIClient()
                client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
                start.wait()
                return client.post(claims_url(claim.complaint, claim.pk, "approve"), {}).status_code
            finally:
                connection.close()

        return go

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(lambda f: f(), [approve(c) for c in claims]))
    assert codes == [200, 403]
    assert ClaimEvent.objects.filter(action="approve").count() == 1
    assert Claim.objects.filter(status="approved").count() == 1
