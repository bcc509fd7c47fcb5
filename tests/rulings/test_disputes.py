"""The unit's dispute (申诉改判): within the window on the official calendar, decided by a
supervisor within an SLA that the sweep warns about; overturning reverses the charge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from complaints.figures import JUSTIFIED
from complaints.models import Complaint, ComplaintTransition
from escalation.models import SlaEvent
from escalation.records import records_sweep
from kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from kernel.models import Notification
from rulings import services as rulings
from rulings.models import Dispute, DisputeEvidence, LedgerEntry, Ruling
from rulings.scorecard import unit_scores
from tests.rulings.conftest import photo

pytestmark = pytest.mark.django_db
D = Decimal
# The ruling: Monday 2026-11-16 13:00 in Shanghai. Three working days: Tue, Wed, Thu.
RULED = datetime(2026, 11, 16, 5, 0, tzinfo=UTC)
WINDOW_CLOSES = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)  # Friday 00:00 = Thursday 24:00


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def ruled(answered, rule_it):
    complaint = answered()
    return rule_it(complaint, at=RULED)


def state():
    return (
        Dispute.objects.count(),
        DisputeEvidence.objects.count(),
        Ruling.objects.count(),
        LedgerEntry.objects.count(),
        ComplaintTransition.objects.count(),
    )


def test_the_window_is_three_working_days(ruled):
    assert ruled.dispute_until == WINDOW_CLOSES


def test_an_overturned_dispute_reverses_amount_points_and_the_kpis(ruled, erin, sam, east):
    complaint = ruled.complaint
    dispute = rulings.dispute_file(
        ruling=ruled,
        by=erin,
        reason="签收底单显示客户本人签收。",
        uploads=[photo()],
        now=RULED + timedelta(days=1),
    )
    assert dispute.status == "pending" and dispute.evidence.count() == 1
    # Two working days from Tuesday: Wednesday and Thursday.
    assert dispute.decision_due == datetime(2026, 11, 19, 16, 0, tzinfo=UTC)
    month = datetime(2026, 11, 1).date()
    [before] = unit_scores(month=month, by=sam, unit_id=east.pk)
    assert (before.justified, before.amount, before.points) == (1, D("50.00"), D("2.0"))

    decided = rulings.dispute_decide(
        dispute=dispute,
        by=sam,
        outcome="overturn",
        reason="底单属实，派送无责。",
        now=RULED + timedelta(days=2),
    )

    assert decided.status == "overturned" and decided.sla_next_check is None
    reversal = LedgerEntry.objects.get(kind="reversal")
    assert (reversal.count, reversal.amount, reversal.points) == (-1, D("-50.00"), D("-2.0"))
    [after] = unit_scores(month=month, by=sam, unit_id=east.pk)
    assert (after.justified, after.amount, after.points) == (0, D("0.00"), D("0.0"))
    assert (after.disputes_won, after.disputes_lost) == (1, 0)
    new = decided.new_ruling
    assert (new.verdict, new.no_fault_cause, new.source, new.supersedes) == (
        "not_at_fault",
        "not_established",
        "overturn",
        ruled,
    )
    assert not Complaint.objects.filter(JUSTIFIED, pk=complaint.pk).exists()
    assert list(complaint.transitions.values_list("transition", flat=True))[-4:] == [
        "ruling",
        "dispute_filed",
        "ruling",
        "dispute_overturned",
    ]


def test_an_upheld_dispute_keeps_the_charge(ruled, erin, sam, east):
    dispute = rulings.dispute_file(
        ruling=ruled, by=erin, reason="不服。", uploads=[photo()], now=RULED
    )
    rulings.dispute_decide(
        dispute=dispute,
        by=sam,
        outcome="uphold",
        reason="证据不足。",
        now=RULED + timedelta(hours=1),
    )
    assert LedgerEntry.objects.filter(unit=east).count() == 1
    before = state()
    with pytest.raises(Conflict):
        rulings.dispute_decide(dispute=dispute, by=sam, outcome="overturn", reason="再议。")
    assert state() == before


def test_a_dispute_after_the_window_is_refused_with_the_day_it_closed(ruled, erin):
    before = state()
    with pytest.raises(Conflict) as refused:
        rulings.dispute_file(
            ruling=ruled, by=erin, reason="迟到的申诉。", uploads=[photo()], now=WINDOW_CLOSES
        )
    assert refused.value.message == "申诉期已于11月19日 24:00截止，不能再申诉。"
    assert state() == before


def test_a_dispute_a_second_before_the_window_closes_is_taken(ruled, erin):
    rulings.dispute_file(
        ruling=ruled,
        by=erin,
        reason="最后一刻。",
        uploads=[photo()],
        now=WINDOW_CLOSES - timedelta(seconds=1),
    )
    assert Dispute.objects.count() == 1


@pytest.mark.parametrize(
    ("who", "error"), [("hank", NotFound), ("sam", NotAllowed), ("alice", NotAllowed)]
)
def test_only_the_unit_at_fault_may_dispute(who, error, ruled, request):
    before = state()
    with pytest.raises(error):
        rulings.dispute_file(
            ruling=ruled,
            by=request.getfixturevalue(who),
            reason="不服。",
            uploads=[photo()],
            now=RULED,
        )
    assert state() == before


def test_a_dispute_needs_a_reason_and_real_evidence(ruled, erin):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = state()
    for reason, uploads, field in (
        ("", [photo()], "reason"),
        ("不服。", [], "files"),
        ("不服。", [SimpleUploadedFile("a.jpg", b"<html>not an image</html>")], "files"),
    ):
        with pytest.raises(InvalidInput) as refused:
            rulings.dispute_file(ruling=ruled, by=erin, reason=reason, uploads=uploads, now=RULED)
        assert field in refused.value.field_errors
    assert state() == before


def test_one_dispute_per_ruling_and_no_new_ruling_while_it_waits(ruled, erin, rule_it, hub):
    rulings.dispute_file(ruling=ruled, by=erin, reason="不服。", uploads=[photo()], now=RULED)
    before = state()
    with pytest.raises(Conflict):
        rulings.dispute_file(ruling=ruled, by=erin, reason="再次。", uploads=[photo()], now=RULED)
    with pytest.raises(Conflict) as refused:
        rule_it(ruled.complaint, stage="hub", unit_id=hub.pk, at=RULED + timedelta(hours=1))
    assert "尚待裁决" in refused.value.message
    assert state() == before


def test_a_superseded_ruling_cannot_be_disputed(ruled, erin, rule_it, hub):
    rule_it(ruled.complaint, stage="hub", unit_id=hub.pk, at=RULED + timedelta(hours=1))
    before = state()
    with pytest.raises(Conflict):
        rulings.dispute_file(
            ruling=ruled,
            by=erin,
            reason="不服。",
            uploads=[photo()],
            now=RULED + timedelta(hours=2),
        )
    assert state() == before


def test_the_sweep_warns_and_then_records_the_missed_decision_once(ruled, erin, sam):
    filed = RULED + timedelta(hours=1)
    dispute = rulings.dispute_file(
        ruling=ruled, by=erin, reason="不服。", uploads=[photo()], now=filed
    )
    assert dispute.sla_next_check is not None and dispute.sla_next_check < dispute.decision_due

    records_sweep(now=dispute.sla_next_check)
    records_sweep(now=dispute.sla_next_check)  # a second sweep claims nothing again
    records_sweep(now=dispute.decision_due + timedelta(minutes=1))

    events = SlaEvent.objects.filter(timer="dispute_decision").order_by("fired_at")
    assert [(e.kind, e.record_id) for e in events] == [
        ("warning", dispute.pk),
        ("breach", dispute.pk),
    ]
    templates = set(Notification.objects.filter(user_id=sam.pk).values_list("template", flat=True))
    assert {"staff_dispute_warning", "staff_dispute_breach"} <= templates
    dispute.refresh_from_db()
    assert dispute.sla_next_check is None
