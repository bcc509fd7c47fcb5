"""How a complaint's clock looks in a list: which timer is nearest, and its colour.

Display logic on loaded objects, so a queue page stays at a constant number of SQL queries
whatever its size. The colour is the SLA engine's own: the complaint's policy (warning share,
clock type) through escalation.schedule.timer_level, the function whose warning point the
sweep fires its warning at — a row turns amber exactly when the warning notice is due. The
policies are the submissions' own cached copy (escalation.refdata): reloaded as soon as a policy
or the calendar changes (a database trigger bumps a version), so a page pays one primary-key
lookup for them, and colours a row by exactly the policy the sweep uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from escalation import refdata
from escalation.policies import PolicyBook
from escalation.schedule import Policy, Timer, TimerName, timer_level
from kernel.clock import ClockType, share_used, to_shanghai
from regulators.hints import appeal_outlook

# Show the 12305 risk this many days before the customer may appeal (SPEC §4: "before it happens").
APPEAL_RISK_DAYS = 2

TIMER_LABELS = {
    "first_response": _("首次响应"),
    "resolution": _("处理完毕"),
    "statutory": _("7日法定答复"),
    "follow_up": _("回访"),
}

LEVEL_LABELS = {"ok": _("正常"), "warning": _("即将超时"), "breached": _("已超时")}


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
    def css(self) -> str:
        """Bootstrap colour: green, amber at the warning share, red when breached."""
        return {"ok": "text-bg-success", "warning": "text-bg-warning"}.get(
            self.level, "text-bg-danger"
        )

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level])

    @property
    def percent(self) -> int:
        return max(0, min(int(self.share * 100), 100))


def _amount(policy: Policy, timer: str) -> timedelta:
    if timer == "statutory":
        return timedelta(days=policy.statutory_days)
    return getattr(policy, timer)


def nearest_clock(complaint, *, now: datetime, book: PolicyBook | None = None) -> Clock | None:
    """Return which timer next_deadline belongs to, how far it has run and its colour, or None.

    Green until the timer's warning point, amber from it, red from the deadline — under the
    complaint's own SLA policy (escalation.schedule.timer_level, as the sweep).
    """
    due = complaint.next_deadline
    if due is None or not complaint.is_open:
        return None
    book = book or refdata.current().book
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
    policy = book.policy_of(complaint)
    running = Timer(TimerName(timer), start, due, _amount(policy, timer), True)
    level = timer_level(running, policy, book.calendar, now=now)
    if policy.clock_type == ClockType.CALENDAR_HOURS or timer == "statutory":
        total = (due - start).total_seconds()
        share = (now - start).total_seconds() / total if total > 0 else float(now >= due)
    else:
        share = share_used(
            start,
            due,
            now,
            policy.clock_type,
            calendar=book.calendar,
            hours_by_weekday=policy.hours_by_weekday,
            closed_on_rest_days=policy.closed_on_rest_days,
        )
    return Clock(timer, str(TIMER_LABELS[timer]), start, due, share, level)


@dataclass(frozen=True)
class AppealRisk:
    """When the customer may go to 12305 if the company has not answered (SPEC §4, §6)."""

    eligible_from: date
    text: str
    at_risk: bool  # Within APPEAL_RISK_DAYS of the date, or past it, still unanswered.
    passed: bool


def appeal_risk(complaint, *, now: datetime, book: PolicyBook | None = None) -> AppealRisk | None:
    """Return the 12305 line for a complaint not yet answered, or None once answered or ended.

    The date and the words are regulators.hints' (the one wrapper of the eligibility rules);
    this adds the SLA view: how close the company is to letting it happen.
    """
    if complaint.first_answered_at is not None or not complaint.is_open:
        return None
    # The supervisors' calendar (local exceptions, filled-in years), as the SLA engine's.
    calendar = (book or refdata.current().book).calendar
    today = to_shanghai(now).date()
    outlook = appeal_outlook(complaint, today=today, calendar=calendar)
    day = outlook.eligible_from
    if day is None:  # not reachable for an unanswered complaint; nothing to warn about
        return None
    passed = today >= day
    at_risk = passed or day - today <= timedelta(days=APPEAL_RISK_DAYS)
    return AppealRisk(day, outlook.text, at_risk, passed)


@dataclass(frozen=True)
class QueueRow:
    """One queue row, with every text and class worked out in Python.

    A queue page renders up to 200 of these every 30 s per open browser; building the strings
    here keeps the template a plain loop (Django's template engine costs per tag and filter).
    """

    ticket_no: str
    url: str
    status: str
    status_label: str
    category_label: str
    unit_name: str
    tracking_no: str
    masked_phone: str
    paused: bool
    clock: Clock | None
    countdown: str
    due_text: str
    badges: tuple[tuple[str, str, str], ...]  # (css class, text, title)
    appeal: AppealRisk | None
    appeal_text: str


def queue_row(
    complaint,
    *,
    now: datetime,
    url_template: str,
    countdown_text,
    status_labels,
    category_labels,
    book: PolicyBook,
):
    """Build the display row of one open complaint (no queries: `book` is loaded once)."""
    from django.utils.formats import date_format
    from django.utils.timezone import localtime

    clock = nearest_clock(complaint, now=now, book=book)
    badges = []
    if complaint.priority == "urgent":
        badges.append(("text-bg-danger", str(_("紧急")), "；".join(complaint.urgent_reasons)))
    if complaint.is_repeat:
        text = (
            _("重复%(n)s") % {"n": complaint.repeat_count} if complaint.repeat_count else _("重复")
        )
        badges.append(("text-bg-warning", str(text), ""))
    if complaint.chase_count:
        badges.append(("text-bg-info", str(_("催%(n)s次") % {"n": complaint.chase_count}), ""))
    if complaint.is_escalated:
        badges.append(("text-bg-dark", str(_("升级")), ""))
    if complaint.is_external:
        badges.append(("text-bg-secondary", str(_("外部")), ""))
    appeal = appeal_risk(complaint, now=now, book=book)
    appeal_text = ""
    if appeal is not None:
        appeal_text = (
            str(_("已可申诉"))
            if appeal.passed
            else f"{appeal.eligible_from.month}月{appeal.eligible_from.day}日" + str(_("起可申诉"))
        )
    return QueueRow(
        ticket_no=complaint.ticket_no,
        url=url_template.replace("__TICKET__", complaint.ticket_no),
        status=complaint.status,
        status_label=status_labels[complaint.status],
        category_label=category_labels.get(complaint.category, complaint.category),
        unit_name=complaint.unit.name if complaint.unit_id else "—",
        tracking_no=complaint.tracking_no,
        masked_phone=complaint.masked_phone,
        paused=complaint.paused_at is not None,
        clock=clock,
        countdown=countdown_text(clock.due, now) if clock else "",
        due_text=date_format(localtime(clock.due), "n月j日 H:i") if clock else "",
        badges=tuple(badges),
        appeal=appeal,
        appeal_text=appeal_text,
    )
