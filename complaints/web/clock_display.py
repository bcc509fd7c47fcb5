"""How a complaint's clock looks in a list: which timer is nearest, and its colour.

Display logic on loaded objects, so a queue page stays at a constant number of SQL queries
whatever its size. The colour and the 12305 date come from the apps that know them, through
complaints.hooks (escalation: the SLA policy; regulators: the appeal rules), fed with the
cached reference data (kernel.refdata) a page reads once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from complaints import hooks
from kernel import refdata
from kernel.clock import deadline_text, to_shanghai

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


def nearest_clock(complaint, *, now: datetime, reference=None) -> Clock | None:
    """Return which timer next_deadline belongs to, how far it has run and its colour, or None.

    Green until the timer's warning point, amber from it, red from the deadline — under the
    complaint's own SLA policy, as the sweep sees it (complaints.hooks.nearest_clock).
    """
    if complaint.next_deadline is None or not complaint.is_open:
        return None
    return hooks.nearest_clock(complaint, now=now, reference=reference or refdata.current())


@dataclass(frozen=True)
class AppealRisk:
    """When the customer may go to 12305 if the company has not answered (SPEC §4, §6)."""

    eligible_from: date
    text: str
    at_risk: bool  # Within APPEAL_RISK_DAYS of the date, or past it, still unanswered.
    passed: bool


def appeal_risk(complaint, *, now: datetime, reference=None) -> AppealRisk | None:
    """Return the 12305 line for a complaint not yet answered, or None once answered or ended.

    The date and the words are the appeal rules' (complaints.hooks.appeal_outlook); this adds
    the SLA view: how close the company is to letting it happen.
    """
    if complaint.first_answered_at is not None or not complaint.is_open:
        return None
    # The supervisors' calendar (local exceptions, filled-in years), as the SLA engine's.
    calendar = (reference or refdata.current())["calendar"]
    today = to_shanghai(now).date()
    outlook = hooks.appeal_outlook(complaint, today=today, calendar=calendar)
    day = outlook.eligible_from if outlook is not None else None
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
    handler_name: str = ""  # the 处理人, when the rows were read with their handler


def _handler_name(complaint) -> str:
    # Only from a handler read with the row (select_related): never a query per row.
    handler = complaint._state.fields_cache.get("handler") if complaint.handler_id else None
    return (handler.get_full_name() or handler.get_username()) if handler else ""


def queue_row(
    complaint,
    *,
    now: datetime,
    url_template: str,
    countdown_text,
    status_labels,
    category_labels,
    reference: refdata.ReferenceData,
):
    """Build the display row of one open complaint (no queries: `reference` is loaded once)."""
    clock = nearest_clock(complaint, now=now, reference=reference)
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
    appeal = appeal_risk(complaint, now=now, reference=reference)
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
        due_text=deadline_text(clock.due) if clock else "",
        badges=tuple(badges),
        appeal=appeal,
        appeal_text=appeal_text,
        handler_name=_handler_name(complaint),
    )
