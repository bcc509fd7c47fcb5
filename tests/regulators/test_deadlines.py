"""Pure deadline rules of forwarded appeals (SPEC §6), table-driven with their sources.

Dates are in 2026, whose official calendar has National Day 1–7 October and make-up working
days (调休) on Sunday 20 September and Saturday 10 October.
"""

from datetime import timedelta

import pytest

from kernel.clock import WorkCalendar
from regulators.appeal_deadlines import (
    ReminderStage,
    company_report_due,
    mediation_feedback_due,
    regulator_reply_due,
    reminder_stage,
)
from tests.regulators.conftest import sh

OFFICIAL = WorkCalendar()


@pytest.mark.parametrize(
    ("received", "days", "due"),
    [
        # 2020 rules: 10 days; 民法典 art. 201: the day of receipt is not counted.
        pytest.param(sh(2026, 11, 16, 9), 10, sh(2026, 11, 27, 0), id="2020-10-days-ends-thu-2400"),
        pytest.param(sh(2026, 11, 16, 23, 59), 10, sh(2026, 11, 27, 0), id="late-evening-same-day"),
        # 民法典 art. 203: the 10th day (4 Oct) is in the National Day holiday → 8 Oct.
        pytest.param(sh(2026, 9, 24), 10, sh(2026, 10, 9, 0), id="art203-national-day-roll-over"),
        # Older rules: 15 days; 9 Oct is a working Friday.
        pytest.param(sh(2026, 9, 24), 15, sh(2026, 10, 10, 0), id="legacy-15-days"),
        # The 10th day is the 调休 Saturday 10 Oct: a working day, no roll-over.
        pytest.param(sh(2026, 9, 30), 10, sh(2026, 10, 11, 0), id="art203-make-up-saturday-counts"),
    ],
)
def test_it_counts_the_company_report_period(received, days, due):
    assert company_report_due(received, days=days, calendar=OFFICIAL) == due


@pytest.mark.parametrize(
    ("proposed", "due"),
    [
        # An ordinary week: Mon → Tue, Wed, Thu → 24:00 Thursday.
        pytest.param(sh(2026, 11, 16, 15), sh(2026, 11, 20, 0), id="plain-week"),
        # Friday: the weekend does not count → Mon, Tue, Wed.
        pytest.param(sh(2026, 11, 20, 15), sh(2026, 11, 26, 0), id="over-a-weekend"),
        # Before National Day: 1–7 Oct do not count; 8, 9 and the 调休 Saturday 10 Oct do.
        pytest.param(sh(2026, 9, 30, 15), sh(2026, 10, 11, 0), id="holiday-in-the-period"),
    ],
)
def test_it_counts_mediation_feedback_in_working_days(proposed, due):
    assert mediation_feedback_due(proposed, calendar=OFFICIAL) == due


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # 邮政法 art. 65: 30 days; 16 Dec 2026 is a Wednesday.
        pytest.param(sh(2026, 11, 16, 9), sh(2026, 12, 17, 0), id="art65-30-days"),
        # The 30th day, 24 Oct 2026, is a Saturday → Monday 26 Oct.
        pytest.param(sh(2026, 9, 24), sh(2026, 10, 27, 0), id="art65-weekend-roll-over"),
    ],
)
def test_it_counts_the_regulators_own_reply_period(received, due):
    assert regulator_reply_due(received, calendar=OFFICIAL) == due


@pytest.mark.parametrize(
    ("before_due", "stage"),
    [
        (timedelta(days=3), None),
        (timedelta(days=2), ReminderStage.DUE_SOON),
        (timedelta(seconds=1), ReminderStage.DUE_SOON),
        (timedelta(0), ReminderStage.OVERDUE),
        (-timedelta(days=5), ReminderStage.OVERDUE),
    ],
)
def test_it_picks_the_reminder_stage(before_due, stage):
    due = sh(2026, 11, 27, 0)
    assert reminder_stage(due, now=due - before_due, lead=timedelta(days=2)) == stage


def test_it_refuses_naive_datetimes():
    with pytest.raises(ValueError):
        company_report_due(sh(2026, 11, 16).replace(tzinfo=None), days=10, calendar=OFFICIAL)
