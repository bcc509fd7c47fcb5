"""How a complaint's clock looks in a list: which timer is nearest, how much of it is used.

Pure display logic on loaded objects (no queries), so a queue page stays at a constant number
of SQL queries whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from escalation.clock import WorkCalendar, to_shanghai
from regulators.eligibility import eligible_from_date, format_chinese_date

# SPEC §4: a warning at a configurable share of each timer (default 80 %).
DEFAULT_WARNING_SHARE = 0.8
# Show the 12305 risk this many days before the customer may appeal (SPEC §4: "before it happens").
APPEAL_RISK_DAYS = 2

TIMER_LABELS = {
    "first_response": _("首次响应"),
    "resolution": _("处理完毕"),
    "statutory": _("7日法定答复"),
    "follow_up": _("回访"),
}

_CALENDAR: WorkCalendar | None = None


def work_calendar() -> WorkCalendar:
    """One calendar per process: it is immutable and the official schedule does not change."""
    global _CALENDAR
    if _CALENDAR is None:
        _CALENDAR = WorkCalendar()
    return _CALENDAR


def warning_share() -> float:
    return float(settings.COMPLAINTS.get("WARNING_SHARE", DEFAULT_WARNING_SHARE))


@dataclass(frozen=True)
class Clock:
    """The nearest running timer of an open complaint."""

    timer: str
    label: str
    start: datetime
    due: datetime
    share: float  # 0.0 at the start, 1.0 at the deadline, above 1.0 overdue.
    level: str  # "ok" (green), "warning" (amber), "breached" (red)

    @property
    def due_iso(self) -> str:
        return self.due.isoformat()

    @property
    def percent(self) -> int:
        return max(0, min(int(self.share * 100), 100))


def nearest_clock(complaint, *, now: datetime) -> Clock | None:
    """Return which timer next_deadline belongs to and how far it has run, or None."""
    due = complaint.next_deadline
    if due is None or not complaint.is_open:
        return None
    round_start = complaint.reopened_at or complaint.accepted_at
    candidates = [
        ("first_response", complaint.first_response_due, complaint.accepted_at),
        ("resolution", complaint.resolution_due, round_start),
        ("statutory", complaint.statutory_due, complaint.accepted_at),
        ("follow_up", complaint.follow_up_due, complaint.answered_at),
    ]
    timer, start = "resolution", round_start
    for name, candidate_due, candidate_start in candidates:
        if candidate_due == due and candidate_start is not None:
            timer, start = name, candidate_start
            break
    total = (due - start).total_seconds()
    # Calendar hours are the default clock (SPEC §4), so elapsed time is linear here; paused time
    # already moved resolution_due out.
    share = (now - start).total_seconds() / total if total > 0 else (1.0 if now >= due else 0.0)
    if now >= due:
        level = "breached"
    elif share >= warning_share():
        level = "warning"
    else:
        level = "ok"
    return Clock(timer, str(TIMER_LABELS[timer]), start, due, share, level)


@dataclass(frozen=True)
class AppealRisk:
    """When the customer may go to 12305 if the company has not answered (SPEC §4, §6)."""

    eligible_from: date
    text: str
    at_risk: bool  # Within APPEAL_RISK_DAYS of the date, or past it, still unanswered.
    passed: bool


def appeal_risk(complaint, *, now: datetime) -> AppealRisk | None:
    """Return the 12305 line for a complaint not yet answered, or None once answered or ended."""
    if complaint.first_answered_at is not None or not complaint.is_open:
        return None
    # 邮政业用户申诉处理办法 art. 9: unhandled after 7 days → the customer may appeal.
    day = eligible_from_date(complaint.accepted_at, calendar=work_calendar())
    today = to_shanghai(now).date()
    passed = today >= day
    at_risk = passed or day - today <= timedelta(days=APPEAL_RISK_DAYS)
    text = _("客户可于 %(date)s起向 12305 申诉") % {"date": format_chinese_date(day)}
    return AppealRisk(day, text, at_risk, passed)
