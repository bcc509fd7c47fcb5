"""Table-driven tests of rulings.charges: the charge of a ruling and the dispute window."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from kernel.clock import WorkCalendar
from rulings.charges import (
    Line,
    RuleVersion,
    RulingFacts,
    Stage,
    Verdict,
    assess,
    decision_due_at,
    dispute_closes_at,
    is_justified,
    may_dispute,
)

D = Decimal
RULE = RuleVersion(
    version="V1",
    lines=(
        Line(Stage.DELIVERY, D("50"), D("2")),
        Line(Stage.DELIVERY, D("200"), D("5"), category="loss"),
        Line(Stage.HUB, D("80"), D("3")),
    ),
    partial_share=D("0.50"),
    repeat_multiplier=D("1.50"),
    appeal_multiplier=D("2.00"),
    overdue_multiplier=D("1.20"),
    amount_cap=D("300"),
    points_cap=D("8"),
)


def facts(verdict="at_fault", stage="delivery", category="delay", **flags):
    return RulingFacts(Verdict(verdict), category, Stage(stage) if stage else None, **flags)


@pytest.mark.parametrize(
    ("case", "given", "amount", "points"),
    [
        ("有责: the stage's line for any category", facts(), "50.00", "2.0"),
        ("有责: the category's own line wins", facts(category="loss"), "200.00", "5.0"),
        ("部分有责: the partial share", facts("partly"), "25.00", "1.0"),
        ("无责: nothing", facts("not_at_fault", stage=None), "0.00", "0.0"),
        ("no line for the stage: ¥0, still a fault", facts(stage="pickup"), "0.00", "0.0"),
        ("二次投诉 × 1.5", facts(repeat=True), "75.00", "3.0"),
        ("监管申诉 × 2", facts(appealed=True), "100.00", "4.0"),
        ("逾期答复 × 1.2", facts(overdue=True), "60.00", "2.4"),
        ("all three × 3.6", facts(repeat=True, appealed=True, overdue=True), "180.00", "7.2"),
        ("部分有责 then multipliers", facts("partly", repeat=True), "37.50", "1.5"),
        ("caps per complaint", facts(category="loss", repeat=True, appealed=True), "300.00", "8.0"),
    ],
)
def test_the_charge_of_a_ruling(case, given, amount, points):
    result = assess(given, RULE)
    assert (result.amount, result.points) == (D(amount), D(points)), case
    if result.steps:
        assert (result.steps[-1].amount, result.steps[-1].points) == (result.amount, result.points)


def test_no_fault_writes_no_entry_and_a_fault_always_does():
    assert not assess(facts("not_at_fault", stage=None), RULE).charges
    assert assess(facts(stage="pickup"), RULE).charges


@pytest.mark.parametrize(
    ("verdict", "justified"), [("at_fault", True), ("partly", True), ("not_at_fault", False)]
)
def test_justified_follows_the_verdict(verdict, justified):
    assert is_justified(verdict) is justified


CAL = WorkCalendar()


@pytest.mark.parametrize(
    ("case", "ruled_at", "closes_at"),
    [
        # Monday 13:00 → Tue, Wed, Thu → Thursday 24:00.
        (
            "a plain week",
            datetime(2026, 11, 16, 5, 0, tzinfo=UTC),
            datetime(2026, 11, 19, 16, 0, tzinfo=UTC),
        ),
        # Friday → Mon, Tue, Wed: the weekend does not count.
        (
            "over a weekend",
            datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
            datetime(2026, 11, 25, 16, 0, tzinfo=UTC),
        ),
        # Friday 2024-09-27 → Sunday 29th (调休 working day), Monday 30th, then the National Day
        # holiday (1–7 October) → Tuesday 8 October 24:00.
        (
            "National Day 2024 with its 调休",
            datetime(2024, 9, 27, 2, 0, tzinfo=UTC),
            datetime(2024, 10, 8, 16, 0, tzinfo=UTC),
        ),
    ],
)
def test_the_dispute_window_counts_working_days_of_the_official_calendar(case, ruled_at, closes_at):
    assert dispute_closes_at(ruled_at, RULE, CAL) == closes_at, case


def test_the_decision_window_counts_from_the_dispute():
    filed = datetime(2026, 11, 17, 2, 0, tzinfo=UTC)  # Tuesday
    assert decision_due_at(filed, RULE, CAL) == datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("verdict", "now", "allowed"),
    [
        ("at_fault", datetime(2026, 11, 19, 15, 59, 59, tzinfo=UTC), True),
        ("at_fault", datetime(2026, 11, 19, 16, 0, tzinfo=UTC), False),  # 24:00 is late
        ("partly", datetime(2026, 11, 17, tzinfo=UTC), True),
        ("not_at_fault", datetime(2026, 11, 17, tzinfo=UTC), False),
    ],
)
def test_may_dispute(verdict, now, allowed):
    closes = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)
    assert may_dispute(verdict=verdict, closes_at=closes, now=now) is allowed
