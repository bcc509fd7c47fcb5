"""Recording a ruling (判责): the ledger entry it writes, its multipliers, 有理由投诉, refusals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from complaints import attachments, services
from complaints.figures import JUSTIFIED
from complaints.models import Complaint, ComplaintTransition
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unavailable
from rulings import services as rulings
from rulings.models import AssessmentRule, LedgerEntry, Ruling
from tests.conftest import GOOD_REPLY
from tests.rulings.conftest import photo, ruling_input

pytestmark = pytest.mark.django_db
D = Decimal


def ledger(unit):
    rows = LedgerEntry.objects.filter(unit=unit)
    return (
        sum(r.count for r in rows),
        sum((r.amount for r in rows), D("0")),
        sum((r.points for r in rows), D("0")),
    )


def snapshot():
    """What a refusal must leave unchanged."""
    return (
        Ruling.objects.count(),
        LedgerEntry.objects.count(),
        ComplaintTransition.objects.count(),
        list(Complaint.objects.order_by("pk").values_list("pk", "justified")),
    )


def test_it_writes_the_configured_amount_to_the_units_ledger(answered, rule_it, east, now):
    complaint = answered()
    ruling = rule_it(complaint)

    entry = LedgerEntry.objects.get()
    assert (entry.unit, entry.kind, entry.count) == (east, "charge", 1)
    assert (entry.amount, entry.points) == (D("50.00"), D("2.0"))
    assert (entry.stage, entry.category, entry.rule_id) == ("delivery", "delay", ruling.rule_id)
    assert entry.period == now.date().replace(day=1)
    assert ruling.steps == [
        {
            "rule": "2026年考核规则（2026-01-01起）：派送环节有责（各类别）",
            "amount": "50.00",
            "points": "2.0",
        }
    ]
    complaint.refresh_from_db()
    assert complaint.justified is True
    audit = complaint.transitions.get(transition="ruling")
    assert audit.details["ruling_id"] == ruling.pk and audit.details["unit"] == "B-EAST-1"


def test_it_uses_the_line_of_the_category_before_the_general_one(answered, rule_it, east):
    rule_it(answered(category="loss"))
    assert ledger(east) == (1, D("200.00"), D("5.0"))


@pytest.mark.parametrize(
    ("case", "verdict", "fields", "amount", "points"),
    [
        ("有责 at 派送", "at_fault", {}, "50.00", "2.0"),
        ("部分有责 × 0.5", "partly", {}, "25.00", "1.0"),
        ("repeat × 1.5 (二次投诉)", "at_fault", {"repeat": True}, "75.00", "3.0"),
        ("appeal × 2 (外部投诉)", "at_fault", {"channel": "regulator"}, "100.00", "4.0"),
        (
            "repeat and appeal × 3, capped at 8 points",
            "at_fault",
            {"repeat": True, "channel": "regulator"},
            "150.00",
            "6.0",
        ),
        ("missed deadline × 1.2", "at_fault", {"late": True}, "60.00", "2.4"),
    ],
)
def test_it_applies_the_multipliers(
    case, verdict, fields, amount, points, answered, rule_it, east, make_complaint, now
):
    if fields.pop("repeat", False):
        make_complaint(tracking_no="SF1234567890")  # the earlier complaint on the same waybill
    late = fields.pop("late", False)
    at = now - timedelta(days=10) if late else now
    complaint = answered(at=at, **fields) if not late else _answered_late(answered, at)
    rule_it(complaint, verdict=verdict)
    assert ledger(east) == (1, D(amount), D(points)), case


def _answered_late(answered, at):
    """A complaint answered 9 days after acceptance: past the 72 h target and the 7-day answer."""
    complaint = answered(at=at)
    Complaint.objects.filter(pk=complaint.pk).update(answered_at=at + timedelta(days=9))
    complaint.refresh_from_db()
    return complaint


def test_it_caps_a_complaint_at_the_versions_caps(answered, rule_it, east, make_complaint, now):
    make_complaint(tracking_no="SF1234567890")
    complaint = answered(category="loss", channel="regulator")
    ruling = rule_it(complaint)
    # 200 × 1.5 × 2 = 600 → capped at 300; 5 × 1.5 × 2 = 15 → capped at 8.
    assert ledger(east) == (1, D("300.00"), D("8.0"))
    assert [s["rule"] for s in ruling.steps][-2:] == [
        "单宗投诉扣款上限 300.00",
        "单宗投诉扣分上限 8.0",
    ]


def test_it_names_the_person_at_fault_on_the_entry(answered, rule_it, eddie):
    rule_it(answered(), person_id=eddie.pk)
    assert LedgerEntry.objects.get().person == eddie


def test_a_no_fault_ruling_writes_nothing_and_the_complaint_is_not_justified(answered, rule_it):
    complaint = answered()
    assert complaint.justified is True  # the reply's first view
    ruling = rule_it(
        complaint, verdict="not_at_fault", stage="", unit_id=None, no_fault_cause="customer"
    )
    assert ruling.dispute_until is None
    assert not LedgerEntry.objects.exists()
    complaint.refresh_from_db()
    assert complaint.justified is False


def test_a_new_ruling_reverses_the_previous_charge(answered, rule_it, east, hub, now):
    complaint = answered()
    first = rule_it(complaint)
    second = rule_it(complaint, stage="hub", unit_id=hub.pk, at=now + timedelta(hours=5))
    assert second.supersedes == first
    assert ledger(east) == (0, D("0.00"), D("0.0"))
    assert ledger(hub) == (1, D("80.00"), D("3.0"))
    reversal = LedgerEntry.objects.get(kind="reversal")
    assert reversal.reverses.ruling == first and reversal.ruling == second
    assert list(Ruling.objects.current().values_list("pk", flat=True)) == [second.pk]


def test_the_justified_figure_follows_the_ruling(answered, rule_it):
    complaint = answered()
    rule_it(complaint, verdict="not_at_fault", stage="", unit_id=None, no_fault_cause="third_party")
    assert not Complaint.objects.filter(JUSTIFIED, pk=complaint.pk).exists()
    rule_it(complaint, verdict="partly")
    assert Complaint.objects.filter(JUSTIFIED, pk=complaint.pk).exists()


def test_after_a_ruling_nothing_else_sets_justified(answered, rule_it, alice, erin, now):
    complaint = answered()
    rule_it(complaint, verdict="not_at_fault", stage="", unit_id=None, no_fault_cause="customer")
    with pytest.raises(Conflict):
        services.complaint_set_justified(
            complaint=complaint,
            by=alice,
            facts_confirmed=True,
            our_fault=True,
            obstructed=False,
            reason="客服认为属实",
        )
    # The customer is not satisfied: a second round, and the unit's reply says "our fault".
    complaint = services.complaint_record_follow_up(
        complaint=complaint,
        by=alice,
        outcome="unsatisfied",
        customer_words="还是不满意",
        now=now + timedelta(hours=6),
    )
    services.complaint_reply(
        complaint=complaint, by=erin, reply=GOOD_REPLY, now=now + timedelta(hours=7)
    )
    complaint.refresh_from_db()
    assert complaint.justified is False


@pytest.mark.parametrize(
    ("case", "fields", "field"),
    [
        ("no verdict", {"verdict": ""}, "verdict"),
        ("fault without stage", {"stage": ""}, "stage"),
        ("fault without unit", {"unit_id": None}, "unit"),
        ("no reason", {"reason": "  "}, "reason"),
        ("no evidence", {"reply_ids": ()}, "evidence"),
        ("a reply of another complaint", {"reply_ids": (999999,)}, "replies"),
        (
            "no-fault without cause",
            {"verdict": "not_at_fault", "stage": "", "unit_id": None},
            "no_fault_cause",
        ),
        (
            "no-fault naming a unit",
            {"verdict": "not_at_fault", "no_fault_cause": "customer", "stage": ""},
            "unit",
        ),
    ],
)
def test_it_refuses_incomplete_rulings(case, fields, field, answered, sam, now):
    complaint = answered()
    before = snapshot()
    with pytest.raises(InvalidInput) as refused:
        rulings.ruling_record(
            complaint=complaint,
            by=sam,
            data=ruling_input(complaint, **fields),
            now=now + timedelta(hours=3),
        )
    assert field in refused.value.field_errors, case
    assert snapshot() == before


def test_it_refuses_a_person_of_another_unit(answered, sam, hank, now):
    complaint = answered()
    before = snapshot()
    with pytest.raises(InvalidInput) as refused:
        rulings.ruling_record(
            complaint=complaint, by=sam, data=ruling_input(complaint, person_id=hank.pk), now=now
        )
    assert refused.value.field_errors == {"person": "责任人须为责任单位的在职员工。"}
    assert snapshot() == before


def test_it_refuses_before_the_reply(
    make_complaint, alice, east, sam, now, rule, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    complaint = services.complaint_dispatch(
        complaint=make_complaint(), unit=east, by=alice, now=now
    )
    evidence = attachments.attachment_add(complaint=complaint, by=alice, upload=photo(), now=now)
    complaint.refresh_from_db()
    before = snapshot()
    with pytest.raises(Conflict) as refused:
        rulings.ruling_record(
            complaint=complaint,
            by=sam,
            data=ruling_input(complaint, reply_ids=(), attachment_tokens=(evidence.token,)),
            now=now,
        )
    assert "答复后才能判责" in refused.value.message
    assert snapshot() == before


def test_it_refuses_the_same_ruling_again(answered, rule_it):
    complaint = answered()
    rule_it(complaint)
    before = snapshot()
    with pytest.raises(Conflict):
        rule_it(complaint)
    assert snapshot() == before


def test_it_refuses_a_ruling_on_a_stale_page(answered, rule_it, hub):
    complaint = answered()
    rule_it(complaint)
    before = snapshot()
    with pytest.raises(Conflict):
        rule_it(complaint, stage="hub", unit_id=hub.pk, seen_ruling_id=None, check_seen=True)
    assert snapshot() == before


@pytest.mark.parametrize(("who", "error"), [("erin", NotAllowed), ("carol", NotFound)])
def test_branch_staff_cannot_rule(who, error, answered, request, now):
    complaint = answered()
    user = request.getfixturevalue(who)
    before = snapshot()
    with pytest.raises(error):
        rulings.ruling_record(complaint=complaint, by=user, data=ruling_input(complaint), now=now)
    assert snapshot() == before


def test_an_agent_may_rule(answered, alice, east):
    complaint = answered()
    rulings.ruling_record(complaint=complaint, by=alice, data=ruling_input(complaint))
    assert ledger(east)[0] == 1


def test_it_refuses_a_fault_when_no_rule_version_applies(answered, rule_it, rule):
    # The complaint is accepted on 2026-11-16; the only versions start in 2030 or ended in 2025.
    AssessmentRule.objects.filter(pk=rule.pk).update(valid_from="2030-01-01")
    complaint = answered()
    before = snapshot()
    with pytest.raises(Unavailable) as refused:
        rule_it(complaint)
    assert refused.value.message.startswith("没有适用于2026-11-16的考核规则")
    assert snapshot() == before
