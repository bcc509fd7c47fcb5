"""Deadlines of an appeal forwarded by the postal regulator (SPEC §6). No Django import.

Every function takes aware datetimes and returns the first instant after the period (24:00
Asia/Shanghai of its last day), as kernel.clock does; callers store it in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from kernel.clock import WorkCalendar, add_working_days, day_period_end

# 2020 rules (secondary source): the company reports how it handled a forwarded appeal within
# 10 days of receiving it; the older rules (2014 办法) gave 15 days. Configurable per appeal.
COMPANY_REPORT_DAYS_2020 = 10
COMPANY_REPORT_DAYS_LEGACY = 15
# Secondary source: the company answers a mediation proposal within 3 working days.
MEDIATION_FEEDBACK_WORKING_DAYS = 3
# 邮政法 art. 65: the postal administration answers the user within 30 days of the appeal.
REGULATOR_REPLY_DAYS = 30
# Appeal records are kept at least 3 years (SPEC §6).
RETENTION_YEARS = 3


class DeadlineKind(StrEnum):
    COMPANY_REPORT = "company_report"
    MEDIATION_FEEDBACK = "mediation_feedback"
    REGULATOR_REPLY = "regulator_reply"


class ReminderStage(StrEnum):
    DUE_SOON = "due_soon"  # Inside the lead time before the deadline.
    OVERDUE = "overdue"  # The deadline has passed and the step is still open.


def company_report_due(
    received_at: datetime, *, days: int, calendar: WorkCalendar, roll_over: bool = True
) -> datetime:
    """Return when the company's report on a forwarded appeal is due.

    `days` is 10 under the 2020 rules and 15 under the older ones. Counted as a statutory day
    period: the day of receipt is not counted, the period ends at 24:00 of the last day, and a
    last day that is a rest day rolls over to the next working day.
    """
    # 民法典 arts. 201 and 203 count the days; the 10 (or 15) days come from the appeal rules.
    return day_period_end(received_at, days, calendar=calendar, roll_over=roll_over)


def mediation_feedback_due(proposed_at: datetime, *, calendar: WorkCalendar) -> datetime:
    """Return when the company must answer a mediation proposal: 3 working days later.

    The day the proposal is recorded does not count; weekends and public holidays do not count,
    调休 make-up days do: a proposal on the Friday before National Day runs into mid-October.
    """
    # Secondary source (SPEC §6): mediation proposals are answered within 3 working days.
    return add_working_days(proposed_at, MEDIATION_FEEDBACK_WORKING_DAYS, calendar=calendar)


def regulator_reply_due(regulator_received: date | datetime, *, calendar: WorkCalendar) -> datetime:
    """Return when the regulator must have answered the user: 30 days after it got the appeal.

    Counted from the regulator's own receipt of the appeal, not the company's receipt of the
    forwarded case (which comes later). Shown to the company so it knows when the user hears.
    """
    # 邮政法 art. 65 / 申诉处理办法 art. 4: "自接到申诉之日起30日内" — the regulator's receipt;
    # 民法典 arts. 201/203 count the days.
    return day_period_end(regulator_received, REGULATOR_REPLY_DAYS, calendar=calendar)


@dataclass(frozen=True)
class ReminderLeads:
    """How long before each deadline the "due soon" reminder goes out."""

    company_report: timedelta = timedelta(days=2)
    mediation_feedback: timedelta = timedelta(days=1)
    regulator_reply: timedelta = timedelta(days=3)

    def for_kind(self, kind: DeadlineKind) -> timedelta:
        lead: timedelta = getattr(self, DeadlineKind(kind).value)
        return lead


def reminder_stage(due: datetime, *, now: datetime, lead: timedelta) -> ReminderStage | None:
    """Return which reminder a deadline calls for at `now`, or None when it is still far."""
    if now >= due:
        return ReminderStage.OVERDUE
    if now >= due - lead:
        return ReminderStage.DUE_SOON
    return None
