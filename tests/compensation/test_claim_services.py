"""The claim services called directly: what each step stores, who may take it, what is refused.

alice is an agent, bob branch staff of branch A, carol branch staff of branch B, sam a
supervisor. Every complaint here is a postal registered loss at branch A; with postage ¥P and a
loss of ¥L the quote is min(L, 3 × P) (邮政法 art. 47). The default limits: ¥500 per complaint,
¥500 per agent per day. Each refusal is a valid call by the wrong person, in the wrong state or
on the wrong unit, answered with its exact Chinese message and leaving every table as it was.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from compensation import services
from compensation.models import Claim, ClaimEvent, ClaimStatus
from complaints.models import Complaint, ComplaintTransition
from kernel.actors import CUSTOMER, SYSTEM
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tests.compensation.conftest import loss_facts
from tests.complaints.helpers import bring_to
from tests.unchanged import nothing_changed

# The clock stands still here; the services are given another instant (`now` + 1 h) unless a
# test checks that they fall back on the clock.
CLOCK = datetime(2026, 11, 16, 6, 0, tzinfo=UTC)  # 14:00 in Shanghai
BAD_INPUT = "提交的赔偿信息有误，请修改后重试。"


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(CLOCK, tick=False):
        yield


@pytest.fixture
def at_a(make_complaint, alice, bob, org, now):
    """at_a(n) → a fresh complaint of branch A in 核实 (a different waybill each)."""

    def make(n: int = 0):
        complaint = make_complaint(
            tracking_no=f"SF71000000{n:02d}",
            phone=f"139100000{n:02d}",
            category="loss",
            service="postal_registered",
            freight="20.00",
        )
        return bring_to(
            "verifying", complaint, agent=alice, branch_user=bob, unit=org["a"], now=now
        )

    return make


def _claim(complaint, by, now, *, postage="20.00", loss="500.00", override=None, at=None):
    """Propose a claim of min(loss, 3 × postage), or of `override` (a hand-set amount)."""
    return services.claim_propose(
        complaint=complaint,
        by=by,
        facts=loss_facts(freight=Decimal(postage), actual_loss=Decimal(loss)),
        override=services.Override(amount=Decimal(override), reason="客户提供发票")
        if override
        else None,
        now=at or now,
    )


def _complaint_row(claim, transition):
    return ComplaintTransition.objects.get(complaint_id=claim.complaint_id, transition=transition)


def _claim_details(claim, status):
    return {
        "claim_id": claim.pk,
        "claim_status": status,
        "amount": str(claim.amount),
        "currency": "CNY",
    }


# --- Approving: what is stored -----------------------------------------------------------


@pytest.mark.parametrize(
    ("approver", "claim_kwargs", "note", "amount", "details"),
    [
        pytest.param(
            "alice",
            {},
            "发票核实无误",
            Decimal("60.00"),
            {
                "override_flagged": False,
                "approver_role": "agent",
                "complaint_total": "60.00",
                "supervisor_reasons": [],
            },
            id="agent-within-her-limits",
        ),
        pytest.param(
            "sam",
            {},
            None,
            Decimal("60.00"),
            {
                "override_flagged": False,
                "approver_role": "supervisor",
                "complaint_total": "60.00",
                "supervisor_reasons": [],
            },
            id="supervisor-without-a-note",
        ),
        pytest.param(
            "sam",
            {"override": "800.00"},
            "  金额以发票为准  ",
            Decimal("800.00"),
            {
                "override_flagged": True,  # above 3 × the quote of ¥60
                "approver_role": "supervisor",
                "complaint_total": "800.00",
                "supervisor_reasons": ["override_above_quote", "complaint_total"],
            },
            id="supervisor-a-flagged-override",
        ),
    ],
)
def test_approving_stores_the_decision_and_audits_it(
    approver, claim_kwargs, note, amount, details, request, at_a, bob, now
):
    by = request.getfixturevalue(approver)
    claim = _claim(at_a(), bob, now, **claim_kwargs)
    later = now + timedelta(hours=1)
    kwargs = {} if note is None else {"note": note}
    returned = services.claim_approve(claim=claim, by=by, now=later, **kwargs)

    claim.refresh_from_db()
    assert returned.pk == claim.pk
    assert claim.status == ClaimStatus.APPROVED
    assert claim.amount == amount
    assert (claim.decided_by, claim.decided_at) == (by, later)
    assert claim.paid_by is None and claim.paid_at is None
    event = claim.events.get(action=ClaimEvent.Action.APPROVE)
    assert (event.at, event.actor, event.from_status, event.to_status, event.amount) == (
        later,
        by,
        "proposed",
        "approved",
        amount,
    )
    assert event.reason == (note or "").strip()
    assert event.details == {"proposed_by": bob.pk, **details}
    row = _complaint_row(claim, "claim_approved")
    assert (row.at, row.actor, row.reason, row.from_state, row.to_state) == (
        later,
        by,
        "",
        "verifying",
        "verifying",
    )
    assert row.details == _claim_details(claim, "approved")


@pytest.mark.parametrize(
    ("note", "stored"),
    [
        pytest.param("批" * 2000, "批" * 2000, id="2000-characters"),
        pytest.param(" 批 ", "批", id="trimmed"),
    ],
)
def test_an_approval_note_may_be_2000_characters_long(note, stored, at_a, bob, sam, now):
    claim = services.claim_approve(claim=_claim(at_a(), bob, now), by=sam, note=note, now=now)
    assert claim.events.get(action="approve").reason == stored


def test_approving_without_now_uses_the_clock(at_a, alice, bob, now):
    claim = services.claim_approve(claim=_claim(at_a(), bob, now), by=alice)
    claim.refresh_from_db()
    assert claim.decided_at == CLOCK
    assert claim.events.get(action="approve").at == CLOCK
    assert _complaint_row(claim, "claim_approved").at == CLOCK


# --- Rejecting: what is stored -----------------------------------------------------------


@pytest.mark.parametrize(
    ("rejector", "approve_first"),
    [
        pytest.param("sam", False, id="supervisor-rejects-a-proposal"),
        pytest.param("alice", False, id="agent-rejects-a-proposal"),
        # ¥300 approved: the complaint's total without this claim is ¥0, so the agent may.
        pytest.param("alice", True, id="agent-rejects-an-approved-claim"),
    ],
)
def test_rejecting_stores_the_decision_and_audits_it(
    rejector, approve_first, request, at_a, bob, sam, now
):
    by = request.getfixturevalue(rejector)
    claim = _claim(at_a(), bob, now, postage="100.00", loss="300.00")
    if approve_first:
        claim = services.claim_approve(claim=claim, by=sam, now=now)
    later = now + timedelta(hours=1)
    reason = "经核实已妥投本人签收"
    services.claim_reject(claim=claim, by=by, reason=f"  {reason} ", now=later)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED
    assert claim.amount == Decimal("300.00")
    assert (claim.decided_by, claim.decided_at, claim.rejection_reason) == (by, later, reason)
    assert claim.sla_next_check is None  # no timer runs on a rejected claim
    event = claim.events.get(action=ClaimEvent.Action.REJECT)
    from_status = "approved" if approve_first else "proposed"
    assert (event.at, event.actor, event.from_status, event.to_status, event.amount) == (
        later,
        by,
        from_status,
        "rejected",
        Decimal("300.00"),
    )
    assert (event.reason, event.details) == (reason, {})
    row = _complaint_row(claim, "claim_rejected")
    assert (row.at, row.actor, row.reason, row.from_state, row.to_state) == (
        later,
        by,
        reason,
        "verifying",
        "verifying",
    )
    assert row.details == _claim_details(claim, "rejected")


def test_rejecting_without_now_uses_the_clock(at_a, bob, sam, now):
    claim = services.claim_reject(claim=_claim(at_a(), bob, now), by=sam, reason="客户放弃索赔")
    claim.refresh_from_db()
    assert claim.decided_at == CLOCK
    assert claim.events.get(action="reject").at == CLOCK
    assert _complaint_row(claim, "claim_rejected").at == CLOCK


def test_a_rejection_reason_may_be_2000_characters_long(at_a, bob, sam, now):
    claim = services.claim_reject(claim=_claim(at_a(), bob, now), by=sam, reason="驳" * 2000)
    claim.refresh_from_db()
    assert claim.rejection_reason == "驳" * 2000


# --- Paying: what is stored --------------------------------------------------------------


def test_paying_stores_the_payment_and_audits_it(at_a, alice, bob, sam, now):
    paid_on = date(2026, 11, 16)  # today, the day the complaint was accepted
    claim = services.claim_approve(claim=_claim(at_a(), bob, now), by=sam, now=now)
    later = now + timedelta(hours=1)
    reference = "R" * 64
    services.claim_pay(
        claim=claim, by=alice, payment_reference=f" {reference} ", paid_on=paid_on, now=later
    )

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert claim.amount == Decimal("60.00")
    assert (claim.paid_by, claim.paid_at, claim.paid_on, claim.payment_reference) == (
        alice,
        later,
        paid_on,
        reference,
    )
    assert (claim.decided_by, claim.decided_at) == (sam, now)
    assert claim.sla_next_check is None  # a paid claim's timers stopped
    event = claim.events.get(action=ClaimEvent.Action.PAY)
    assert (event.at, event.actor, event.from_status, event.to_status, event.amount) == (
        later,
        alice,
        "approved",
        "paid",
        Decimal("60.00"),
    )
    assert event.reason == ""
    assert event.details == {
        "payment_reference": reference,
        "paid_on": paid_on.isoformat(),
        "proposed_by": bob.pk,
        "approved_by": sam.pk,
    }
    row = _complaint_row(claim, "claim_paid")
    assert (row.at, row.actor, row.reason, row.from_state, row.to_state) == (
        later,
        alice,
        "",
        "verifying",
        "verifying",
    )
    assert row.details == {
        **_claim_details(claim, "paid"),
        "payment_reference": reference,
        "paid_on": paid_on.isoformat(),
    }


def test_paying_without_now_uses_the_clock(at_a, alice, bob, sam, now):
    claim = services.claim_approve(claim=_claim(at_a(), bob, now), by=sam, now=now)
    services.claim_pay(claim=claim, by=alice, payment_reference="P-1", paid_on=CLOCK.date())
    claim.refresh_from_db()
    assert claim.paid_at == CLOCK
    assert claim.events.get(action="pay").at == CLOCK
    assert _complaint_row(claim, "claim_paid").at == CLOCK


@pytest.mark.parametrize(
    ("reference", "paid_on", "field_errors"),
    [
        pytest.param("P-1", None, {"paid_on": "请填写赔付日期"}, id="no-date"),
        pytest.param(
            "P-1",
            date(2026, 11, 17),
            {"paid_on": "赔付日期不能晚于今天"},
            id="tomorrow-in-shanghai",
        ),
        pytest.param(
            "P-1",
            date(2026, 11, 15),
            {"paid_on": "赔付日期不能早于投诉受理日期"},
            id="before-the-complaint",
        ),
        pytest.param(
            "  ", date(2026, 11, 16), {"payment_reference": "请填写支付凭证号"}, id="no-reference"
        ),
        pytest.param(
            "R" * 65,
            date(2026, 11, 16),
            {"payment_reference": "支付凭证号不能超过64个字"},
            id="65-characters",
        ),
        pytest.param(
            "",
            None,
            {"payment_reference": "请填写支付凭证号", "paid_on": "请填写赔付日期"},
            id="nothing",
        ),
    ],
)
def test_it_refuses_a_bad_payment_record(
    reference, paid_on, field_errors, at_a, alice, bob, sam, now
):
    claim = services.claim_approve(claim=_claim(at_a(), bob, now), by=sam, now=now)
    with nothing_changed(), pytest.raises(InvalidInput) as error:
        services.claim_pay(
            claim=claim, by=alice, payment_reference=reference, paid_on=paid_on, now=now
        )
    assert error.value.message == BAD_INPUT
    assert error.value.field_errors == field_errors


@pytest.mark.parametrize(
    ("step", "field_errors"),
    [
        pytest.param("approve", {"note": "审批意见不能超过2000个字"}, id="approval-note-2001"),
        pytest.param("reject", {"reason": "驳回原因不能超过2000个字"}, id="rejection-2001"),
        pytest.param("reject-blank", {"reason": "请填写驳回原因"}, id="rejection-blank"),
    ],
)
def test_it_refuses_a_bad_decision_text(step, field_errors, at_a, bob, sam, now):
    claim = _claim(at_a(), bob, now)
    call = {
        "approve": lambda: services.claim_approve(claim=claim, by=sam, note="批" * 2001, now=now),
        "reject": lambda: services.claim_reject(claim=claim, by=sam, reason="驳" * 2001, now=now),
        "reject-blank": lambda: services.claim_reject(claim=claim, by=sam, reason=" ", now=now),
    }[step]
    with nothing_changed(), pytest.raises(InvalidInput) as error:
        call()
    assert error.value.message == BAD_INPUT
    assert error.value.field_errors == field_errors


# --- Who may: refusals --------------------------------------------------------------------

OWN_PROPOSAL = "不能审批自己提出的赔偿申请：提出人与审批人须为不同的人。"
PAYING_OWN_PROPOSAL = "不能为自己提出的赔偿申请登记赔付：提出人与赔付登记人须为不同的人。"
PAYING_OWN_APPROVAL = "不能为自己批准的赔偿申请登记赔付：审批人与赔付登记人须为不同的人。"
NO_DECISION_RIGHT = "您没有权限审批赔偿申请。"
NO_CLAIM_RIGHT = "您没有权限办理此项赔偿操作。"


@pytest.mark.parametrize(
    ("proposer", "claim_kwargs", "actor", "step", "message"),
    [
        pytest.param("alice", {}, "alice", "approve", OWN_PROPOSAL, id="agent-own-proposal"),
        pytest.param("sam", {}, "sam", "approve", OWN_PROPOSAL, id="supervisor-own-proposal"),
        pytest.param("alice", {}, "bob", "approve", NO_DECISION_RIGHT, id="branch-approves"),
        pytest.param("alice", {}, "bob", "reject", NO_DECISION_RIGHT, id="branch-rejects"),
        pytest.param(
            "bob",
            {"postage": "200.00", "loss": "500.01"},
            "alice",
            "approve",
            "该工单累计批准金额将达¥500.01，超过审批限额¥500.00；"
            "您今日累计批准金额将达¥500.01，超过每日限额¥500.00，须由质量监控主管审批。",
            id="agent-above-the-threshold",
        ),
        pytest.param(
            "bob",
            {"postage": "200.00", "loss": "500.01"},
            "alice",
            "reject",
            "该工单累计批准金额将达¥500.01，超过审批限额¥500.00，须由质量监控主管审批。",
            id="agent-rejects-above-the-threshold",
        ),
        pytest.param(
            "bob",
            {"override": "100.00"},
            "alice",
            "approve",
            "调整金额¥100.00高于规则计算金额¥60.00，须由质量监控主管审批。",
            id="agent-override-above-the-quote",
        ),
    ],
)
def test_it_refuses_a_decision_to_whoever_may_not_take_it(
    proposer, claim_kwargs, actor, step, message, request, at_a, now
):
    claim = _claim(at_a(), request.getfixturevalue(proposer), now, **claim_kwargs)
    by = request.getfixturevalue(actor)
    with nothing_changed(), pytest.raises(NotAllowed) as error:
        if step == "approve":
            services.claim_approve(claim=claim, by=by, now=now)
        else:
            services.claim_reject(claim=claim, by=by, reason="不予赔偿", now=now)
    assert error.value.message == message
    assert error.value.field_errors == {}


def test_an_agent_is_refused_what_would_pass_the_complaints_total(at_a, alice, bob, sam, now):
    # ¥300 paid on the complaint already: ¥250 more would make ¥550 > ¥500.
    complaint = at_a()
    first = services.claim_approve(
        claim=_claim(complaint, bob, now, postage="100.00", loss="300.00"), by=sam, now=now
    )
    services.claim_pay(claim=first, by=alice, payment_reference="P-1", paid_on=now.date(), now=now)
    second = _claim(complaint, bob, now, postage="100.00", loss="250.00")
    with nothing_changed(), pytest.raises(NotAllowed) as error:
        services.claim_approve(claim=second, by=alice, now=now)
    assert error.value.message == (
        "该工单累计批准金额将达¥550.00，超过审批限额¥500.00，须由质量监控主管审批。"
    )
    # The supervisor may, and the audit row says what the complaint's total comes to.
    services.claim_approve(claim=second, by=sam, now=now)
    assert second.events.get(action="approve").details["complaint_total"] == "550.00"
    assert second.events.get(action="approve").details["supervisor_reasons"] == ["complaint_total"]


def test_an_agent_is_refused_what_would_pass_her_daily_limit(at_a, alice, bob, now):
    services.claim_approve(
        claim=_claim(at_a(1), bob, now, postage="100.00", loss="300.00"), by=alice, now=now
    )
    claim = _claim(at_a(2), bob, now, postage="100.00", loss="250.00")
    with nothing_changed(), pytest.raises(NotAllowed) as error:
        services.claim_approve(claim=claim, by=alice, now=now)
    assert error.value.message == (
        "您今日累计批准金额将达¥550.00，超过每日限额¥500.00，须由质量监控主管审批。"
    )
    # The next day (Shanghai) her count starts again.
    services.claim_approve(claim=claim, by=alice, now=now + timedelta(days=1))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


@pytest.mark.parametrize(
    ("proposer", "approver", "payer", "payer_not_approver", "message"),
    [
        pytest.param("alice", "sam", "alice", False, PAYING_OWN_PROPOSAL, id="own-proposal"),
        pytest.param("bob", "alice", "alice", True, PAYING_OWN_APPROVAL, id="own-approval"),
        pytest.param("alice", "sam", "bob", False, NO_CLAIM_RIGHT, id="branch-staff"),
    ],
)
def test_it_refuses_a_payment_to_whoever_may_not_record_it(
    proposer, approver, payer, payer_not_approver, message, request, at_a, settings, now
):
    settings.COMPENSATION = {**settings.COMPENSATION, "PAYER_NOT_APPROVER": payer_not_approver}
    claim = _claim(at_a(), request.getfixturevalue(proposer), now)
    claim = services.claim_approve(claim=claim, by=request.getfixturevalue(approver), now=now)
    with nothing_changed(), pytest.raises(NotAllowed) as error:
        services.claim_pay(
            claim=claim,
            by=request.getfixturevalue(payer),
            payment_reference="P-1",
            paid_on=now.date(),
            now=now,
        )
    assert error.value.message == message


def test_the_approver_may_record_the_payment_unless_configured_otherwise(at_a, alice, bob, now):
    claim = services.claim_approve(claim=_claim(at_a(), bob, now), by=alice, now=now)
    services.claim_pay(claim=claim, by=alice, payment_reference="P-1", paid_on=now.date(), now=now)
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by, claim.paid_by) == (ClaimStatus.PAID, alice, alice)


@pytest.mark.parametrize(
    "step",
    [
        # Invalid input too: another unit's claim is "not found" before anything is checked.
        pytest.param("approve", id="approve-with-a-too-long-note"),
        pytest.param("reject", id="reject-without-a-reason"),
        pytest.param("pay", id="pay"),
    ],
)
def test_another_units_staff_are_told_the_complaint_does_not_exist(
    step, at_a, bob, carol, sam, now
):
    claim = _claim(at_a(), bob, now)
    if step == "pay":
        claim = services.claim_approve(claim=claim, by=sam, now=now)
    call = {
        "approve": lambda: services.claim_approve(claim=claim, by=carol, note="批" * 2001, now=now),
        "reject": lambda: services.claim_reject(claim=claim, by=carol, reason="", now=now),
        "pay": lambda: services.claim_pay(
            claim=claim, by=carol, payment_reference="P-1", paid_on=now.date(), now=now
        ),
    }[step]
    with nothing_changed(), pytest.raises(NotFound) as error:
        call()
    assert error.value.message == "工单不存在。"


def test_the_right_is_checked_again_on_the_complaint_as_it_is_now(at_a, alice, bob, org, now):
    # bob read the claim while the complaint was his branch's; it has moved to branch B since.
    claim = _claim(at_a(), alice, now)
    Complaint.objects.filter(pk=claim.complaint_id).update(unit=org["b"])
    assert claim.complaint.unit == org["a"]  # what bob's page read
    with nothing_changed(), pytest.raises(NotFound) as error:
        services.claim_approve(claim=claim, by=bob, now=now)
    assert error.value.message == "工单不存在。"


def test_a_claim_gone_since_it_was_read_is_not_found(at_a, bob, sam, now):
    complaint = at_a()
    ghost = Claim(pk=2**62, complaint=complaint, status=ClaimStatus.PROPOSED)
    with nothing_changed(), pytest.raises(NotFound) as error:
        services.claim_approve(claim=ghost, by=sam, now=now)
    assert error.value.message == "赔偿申请不存在。"


@pytest.mark.parametrize(
    ("step", "status"),
    [
        pytest.param("approve", "已驳回", id="approve-a-claim-rejected-meanwhile"),
        pytest.param("reject", "已驳回", id="reject-a-claim-rejected-meanwhile"),
    ],
)
def test_a_claim_changed_since_it_was_read_is_a_conflict(step, status, at_a, alice, bob, sam, now):
    claim = _claim(at_a(), bob, now)
    services.claim_reject(claim=Claim.objects.get(pk=claim.pk), by=sam, reason="重复", now=now)
    assert claim.status == ClaimStatus.PROPOSED  # the copy the page read
    with nothing_changed(), pytest.raises(Conflict) as error:
        if step == "approve":
            services.claim_approve(claim=claim, by=alice, now=now)
        else:
            services.claim_reject(claim=claim, by=alice, reason="不予赔偿", now=now)
    assert error.value.message == (f"赔偿申请已被他人处理，当前状态为“{status}”，请刷新后再操作。")


# --- Reading claims -----------------------------------------------------------------------


def _restart_claim_ids():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('compensation_claim', 'id'), 1, false)"
        )


def test_claim_number_1_is_found(at_a, bob, now):
    _restart_claim_ids()
    claim = _claim(at_a(), bob, now)
    assert claim.pk == 1
    assert services.get_claim_for_staff(complaint=claim.complaint, claim_id=1, by=bob) == claim


@pytest.mark.parametrize(
    "claim_id",
    [
        pytest.param(0, id="zero"),
        pytest.param(-1, id="negative"),
        pytest.param(2**63 - 1, id="largest-bigint-no-such-claim"),
        pytest.param(2**63, id="beyond-bigint"),
        pytest.param(2**64, id="far-beyond-bigint"),
        pytest.param("other", id="another-complaints-claim"),
        pytest.param("missing", id="no-such-claim"),
    ],
)
def test_get_claim_answers_not_found(claim_id, at_a, bob, now):
    complaint = at_a(1)
    mine = _claim(complaint, bob, now)
    other = _claim(at_a(2), bob, now)
    claim_id = {"other": other.pk, "missing": other.pk + 1000}.get(claim_id, claim_id)
    with pytest.raises(NotFound) as error:
        services.get_claim_for_staff(complaint=complaint, claim_id=claim_id, by=bob)
    assert error.value.message == "赔偿申请不存在。"
    assert services.get_claim_for_staff(complaint=complaint, claim_id=mine.pk, by=bob) == mine


def test_claims_for_staff_lists_newest_first_in_constant_queries(
    at_a, alice, bob, sam, now, django_assert_num_queries
):
    complaint = at_a()
    # Proposed last but dated first (a claim entered late), then two at the same instant.
    first = _claim(complaint, bob, now, at=now + timedelta(hours=2))
    first = services.claim_approve(claim=first, by=sam, now=now + timedelta(hours=2))
    services.claim_pay(
        claim=first,
        by=alice,
        payment_reference="P-1",
        paid_on=now.date(),
        now=now + timedelta(hours=3),
    )
    second = _claim(complaint, bob, now)
    services.claim_reject(claim=second, by=sam, reason="重复申请", now=now)
    third = _claim(complaint, alice, now)

    with django_assert_num_queries(3):  # claims with their people, events, events' actors
        rows = list(services.claims_for_staff(complaint=complaint, by=bob))
        seen = [
            (
                c.pk,
                c.complaint.ticket_no,
                c.policy.code,
                c.proposed_by.username,
                c.decided_by and c.decided_by.username,
                c.paid_by and c.paid_by.username,
                [(e.action, e.actor.username) for e in c.events.all()],
            )
            for c in rows
        ]
    ticket, code = complaint.ticket_no, "insured_amount_3x"
    assert seen == [
        (
            first.pk,
            ticket,
            code,
            "bob",
            "sam",
            "alice",
            [("propose", "bob"), ("approve", "sam"), ("pay", "alice")],
        ),
        (third.pk, ticket, code, "alice", None, None, [("propose", "alice")]),
        (second.pk, ticket, code, "bob", "sam", None, [("propose", "bob"), ("reject", "sam")]),
    ]


@pytest.mark.parametrize(
    ("actor", "message"),
    [
        pytest.param(CUSTOMER, "请先登录。", id="customer"),
        pytest.param(SYSTEM, "请先登录。", id="system"),
        pytest.param(None, "请先登录。", id="nobody-logged-in"),
        pytest.param("inactive-alice", "请先登录。", id="inactive-agent"),
        pytest.param("pat", "您没有权限计算赔偿金额。", id="partner"),
        pytest.param("nobody", "您没有权限计算赔偿金额。", id="user-without-a-role"),
    ],
)
def test_require_quote_right_refuses(actor, message, request):
    if actor == "inactive-alice":
        actor = request.getfixturevalue("alice")
        actor.is_active = False
        actor.save()
    elif actor in ("pat", "nobody"):
        actor = request.getfixturevalue(actor)
    with pytest.raises(NotAllowed) as error:
        services.require_quote_right(actor)
    assert error.value.message == message


@pytest.mark.parametrize("persona", ["alice", "bob", "sam"])
def test_require_quote_right_lets_staff_who_may_propose(persona, request):
    assert services.require_quote_right(request.getfixturevalue(persona)) is None


# --- An agent's approvals of the day ------------------------------------------------------

SHANGHAI_DAY_START = datetime(2026, 11, 15, 16, 0, tzinfo=UTC)  # 16 Nov 00:00 in Shanghai


def test_approved_today_sums_the_users_own_approvals_of_the_shanghai_day(
    at_a, alice, bob, sam, now
):
    complaint = at_a()

    def approved_by_alice(loss: str, at: datetime):
        claim = _claim(complaint, bob, now, postage="100.00", loss=loss)
        claim = services.claim_approve(claim=claim, by=alice, now=at)
        services.claim_reject(claim=claim, by=sam, reason="客户放弃索赔", now=at)  # still counts

    approved_by_alice("1.00", SHANGHAI_DAY_START - timedelta(microseconds=1))  # yesterday
    approved_by_alice("2.00", SHANGHAI_DAY_START)  # today's first instant
    approved_by_alice("4.00", now)
    approved_by_alice("8.00", SHANGHAI_DAY_START + timedelta(days=1))  # tomorrow
    approved_by_alice("16.00", SHANGHAI_DAY_START + timedelta(days=1, hours=12))
    # Not hers or not approvals: her own proposal, sam's approval, her payment.
    other = _claim(complaint, alice, now, postage="100.00", loss="32.00")
    services.claim_approve(claim=other, by=sam, now=now)
    third = _claim(at_a(2), bob, now, postage="100.00", loss="64.00")
    third = services.claim_approve(claim=third, by=sam, now=now)
    services.claim_pay(claim=third, by=alice, payment_reference="P-1", paid_on=now.date(), now=now)

    assert services.approved_today(alice, now) == Decimal("6.00")
    assert services.approved_today(alice, SHANGHAI_DAY_START) == Decimal("6.00")
    assert services.approved_today(alice, SHANGHAI_DAY_START + timedelta(days=1)) == Decimal(
        "24.00"
    )
    assert services.approved_today(sam, now) == Decimal("96.00")
    assert services.approved_today(bob, now) == Decimal("0.00")


# ¥100 lost, postage ¥20: the statute's ¥60 is more than half the loss, so no review.
FACTS = loss_facts(actual_loss=Decimal("100.00"))


# --- Proposing: what is stored ------------------------------------------------------------


@pytest.mark.parametrize(
    ("proposer", "override", "note", "amount", "flagged", "reasons"),
    [
        pytest.param("bob", None, "客户来电索赔", Decimal("60.00"), False, [], id="the-quote"),
        pytest.param(
            "alice",
            services.Override(amount=Decimal("180.00"), reason="  客户提供发票  "),
            "",
            Decimal("180.00"),
            False,  # exactly 3 × the quote is not flagged
            ["override_above_quote"],
            id="override-at-3x-the-quote",
        ),
        pytest.param(
            "sam",
            services.Override(amount=Decimal("600.00"), reason="客户提供发票"),
            "附发票",
            Decimal("600.00"),
            True,
            ["override_above_quote", "complaint_total"],
            id="override-above-3x-and-the-threshold",
        ),
        pytest.param(
            "bob",
            services.Override(amount=Decimal("10.00"), reason="客户只要求运费"),
            "",
            Decimal("10.00"),
            False,
            [],
            id="override-below-the-quote",
        ),
    ],
)
def test_proposing_stores_the_claim_and_audits_it(
    proposer, override, note, amount, flagged, reasons, request, at_a, now
):
    by = request.getfixturevalue(proposer)
    complaint = at_a()
    later = now + timedelta(hours=1)
    claim = services.claim_propose(
        complaint=complaint, by=by, facts=FACTS, override=override, note=note, now=later
    )

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PROPOSED
    assert claim.facts() == FACTS
    assert (claim.quoted_amount, claim.amount) == (Decimal("60.00"), amount)
    assert claim.override_amount == (override and override.amount)
    assert claim.override_reason == (override.reason.strip() if override else "")
    assert claim.override_flagged is flagged
    assert (claim.basis, claim.needs_review, claim.review_reasons) == ("statute", False, [])
    assert claim.policy.code == "insured_amount_3x"
    assert claim.policy_snapshot == claim.policy.to_policy().to_dict()
    assert (claim.proposed_by, claim.proposed_at, claim.note) == (by, later, note)
    assert (claim.assess_due, claim.settle_due) == (None, later + timedelta(hours=72))
    assert claim.sla_next_check is not None  # the settlement timer runs
    assert claim.decided_by is None and claim.decided_at is None
    event = claim.events.get()
    assert (event.at, event.actor, event.action, event.from_status, event.to_status) == (
        later,
        by,
        "propose",
        "",
        "proposed",
    )
    assert (event.amount, event.reason) == (amount, claim.override_reason or note)
    assert event.details == {
        "quoted_amount": "60.00",
        "overridden": override is not None,
        "override_flagged": flagged,
        "policy": "insured_amount_3x",
        "needs_review": False,
        "needs_supervisor": bool(reasons),
        "supervisor_reasons": reasons,
    }
    row = _complaint_row(claim, "claim_proposed")
    assert (row.at, row.actor, row.reason, row.from_state, row.to_state) == (
        later,
        by,
        "",
        "verifying",
        "verifying",
    )
    assert row.details == {
        **_claim_details(claim, "proposed"),
        "quoted_amount": "60.00",
        "needs_supervisor": bool(reasons),
        "override_flagged": flagged,
    }


def test_proposing_without_now_uses_the_clock(at_a, bob):
    claim = services.claim_propose(complaint=at_a(), by=bob, facts=loss_facts())
    claim.refresh_from_db()
    assert claim.proposed_at == CLOCK
    assert claim.settle_due == CLOCK + timedelta(hours=72)
    assert claim.events.get().at == CLOCK
    assert _complaint_row(claim, "claim_proposed").at == CLOCK


def test_proposing_quotes_on_the_day_of_now(at_a, bob, now):
    # Posted on 12 Nov: a claim dated 10 Nov cannot know of it, whatever the clock says.
    facts = loss_facts(posted_on=date(2026, 11, 12))
    complaint = at_a()
    with nothing_changed(), pytest.raises(InvalidInput) as error:
        services.claim_propose(
            complaint=complaint, by=bob, facts=facts, now=datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
        )
    assert error.value.message == BAD_INPUT
    assert error.value.field_errors == {"posted_on": "交寄日期不能晚于今天"}


@pytest.mark.parametrize(
    ("override", "note", "field_errors"),
    [
        pytest.param(None, "说" * 2001, {"note": "申请说明不能超过2000个字"}, id="note-2001"),
        pytest.param(
            services.Override(amount=Decimal("100.00"), reason=" "),
            "",
            {"override_reason": "请填写调整理由"},
            id="override-without-reason",
        ),
        pytest.param(
            services.Override(amount=Decimal("100.00"), reason="因" * 2001),
            "",
            {"override_reason": "调整理由不能超过2000个字"},
            id="override-reason-2001",
        ),
        pytest.param(
            services.Override(amount=None, reason="客户提供发票"),
            "",
            {"override_amount": "请填写调整后的金额"},
            id="override-without-amount",
        ),
    ],
)
def test_it_refuses_a_bad_proposal(override, note, field_errors, at_a, bob, now):
    complaint = at_a()
    with nothing_changed(), pytest.raises(InvalidInput) as error:
        services.claim_propose(
            complaint=complaint, by=bob, facts=loss_facts(), override=override, note=note, now=now
        )
    assert error.value.message == BAD_INPUT
    assert error.value.field_errors == field_errors


def test_a_proposal_note_may_be_2000_characters_long(at_a, bob, now):
    claim = services.claim_propose(
        complaint=at_a(), by=bob, facts=loss_facts(), note="说" * 2000, now=now
    )
    assert claim.note == "说" * 2000


def test_it_refuses_a_second_claim_in_progress(at_a, bob, now):
    complaint = at_a()
    first = _claim(complaint, bob, now)
    with nothing_changed(), pytest.raises(Conflict) as error:
        _claim(complaint, bob, now)
    assert error.value.message == (
        f"该工单已有进行中的赔偿申请（#{first.pk}，待审批），请先办结后再提出新的申请。"
    )


def test_it_refuses_a_claim_on_a_closed_complaint(make_complaint, alice, bob, org, now):
    closed = bring_to(
        "closed", make_complaint(), agent=alice, branch_user=bob, unit=org["a"], now=now
    )
    with nothing_changed(), pytest.raises(Conflict) as error:
        _claim(closed, alice, now)
    assert error.value.message == f"工单已{closed.get_status_display()}，不能再提出赔偿申请。"


def test_it_refuses_an_inactive_policy(at_a, bob, now):
    policy = services.default_policy()
    policy.is_active = False
    complaint = at_a()
    with nothing_changed(), pytest.raises(InvalidInput) as error:
        services.claim_propose(
            complaint=complaint, by=bob, facts=loss_facts(), policy=policy, now=now
        )
    message = f"赔偿规则“{policy.code}”已停用。"
    assert (error.value.message, error.value.field_errors) == (message, {"policy": message})


@pytest.mark.parametrize("viewer", [None, CUSTOMER, SYSTEM, "inactive-sam"])
def test_no_buttons_for_whoever_is_not_an_active_staff_user(viewer, request, at_a, bob, now):
    claim = _claim(at_a(), bob, now)
    if viewer == "inactive-sam":
        viewer = request.getfixturevalue("sam")
        viewer.is_active = False
        viewer.save()
    context = services.approval_context(viewer, claim.complaint, now=now)
    assert context == services.ApprovalContext(Decimal("0.00"), Decimal("0.00"))
    assert services.allowed_actions(viewer, claim, context) == {
        "approve": False,
        "reject": False,
        "pay": False,
    }
