"""What an SLA policy means for one complaint: its deadlines and the events they raise.

Pure Python (no Django import), so it reads next to SPEC §4: `compute_deadlines` turns the
complaint's facts and its policy into due times; `scheduled_events` lists the warnings,
breaches, escalations and the 12305 risk of the timers still running; `next_check` is when a
sweep must look at the complaint again.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple

from kernel.clock import (
    SHANGHAI,
    ClockType,
    WorkCalendar,
    day_period_end,
    deadline,
    extend_by_pauses,
    point_in_timer,
)


class TimerName(StrEnum):
    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    FOLLOW_UP = "follow_up"
    STATUTORY = "statutory"
    # Compensation claims (seed 003): damage assessed within 48 h, loss settled within 72 h.
    CLAIM_ASSESSMENT = "claim_assessment"
    CLAIM_SETTLEMENT = "claim_settlement"
    # A dispute of a fault ruling (rulings/, issue 22): decided within M working days.
    DISPUTE_DECISION = "dispute_decision"


class EventKind(StrEnum):
    WARNING = "warning"
    BREACH = "breach"
    ESCALATION = "escalation"
    STATUTORY_RISK = "statutory_risk"


class Notify(StrEnum):
    UNIT_HEAD = "unit_head"
    SUPERVISORS = "supervisors"


@dataclass(frozen=True)
class EscalationStep:
    """Escalate a breach still open `delay` after it happened, to `notify`."""

    level: int
    delay: timedelta
    notify: Notify


@dataclass(frozen=True)
class Policy:
    """Targets of one SLA policy. Hours are counted on `clock_type` (working days: 24 h = 1 day)."""

    first_response: timedelta
    resolution: timedelta
    follow_up: timedelta
    statutory_days: int = 7
    clock_type: ClockType = ClockType.CALENDAR_HOURS
    warning_share: float = 0.8
    escalation: tuple[EscalationStep, ...] = ()
    hours_by_weekday: Mapping[int, tuple[time, time]] | None = field(default=None, hash=False)
    closed_on_rest_days: bool = True
    # 邮政业用户申诉处理办法 art. 9: after 7 days unanswered the customer may appeal to 12305;
    # the risk is raised this long before the statutory deadline.
    statutory_risk_lead: timedelta = timedelta(days=1)
    key: str = ""


def _steps() -> tuple[EscalationStep, ...]:
    return (
        EscalationStep(1, timedelta(hours=2), Notify.UNIT_HEAD),
        EscalationStep(2, timedelta(hours=24), Notify.SUPERVISORS),
    )


# SPEC §4: normal 24 h / 72 h / follow-up 24 h; urgent and external 2 h / 12 h / 2 h (seed 001
# asks external complaints to be followed up within 2 h); statutory answer 7 days
# (快递暂行条例 art. 33 as summarised in SPEC §4). Used when no policy row matches.
DEFAULT_NORMAL = Policy(
    timedelta(hours=24), timedelta(hours=72), timedelta(hours=24), escalation=_steps(), key="normal"
)
DEFAULT_URGENT = Policy(
    timedelta(hours=2),
    timedelta(hours=12),
    timedelta(hours=2),
    escalation=(
        EscalationStep(1, timedelta(minutes=30), Notify.UNIT_HEAD),
        EscalationStep(2, timedelta(hours=2), Notify.SUPERVISORS),
    ),
    key="urgent",
)


@dataclass(frozen=True)
class ComplaintFacts:
    """What the timers of a complaint depend on (UTC-aware datetimes)."""

    accepted_at: datetime
    is_open: bool
    status: str
    reopened_at: datetime | None = None
    first_response_at: datetime | None = None
    first_answered_at: datetime | None = None
    answered_at: datetime | None = None
    paused_at: datetime | None = None
    paused_seconds: int = 0
    # Pause intervals of the current round, needed only on business-hours / working-day clocks.
    pauses: tuple[tuple[datetime, datetime | None], ...] = ()
    # When it became urgent (or external); None or acceptance: urgent from the start.
    urgent_since: datetime | None = None


class Timer(NamedTuple):
    # NamedTuples, not dataclasses: a sweep builds a dozen of these per complaint.
    name: TimerName
    started_at: datetime
    due_at: datetime
    amount: timedelta
    running: bool
    # A timer on its own clock whatever the policy says (claim timers run in calendar hours).
    clock_type: ClockType | None = None


@dataclass(frozen=True)
class Deadlines:
    first_response_due: datetime
    resolution_due: datetime
    follow_up_due: datetime | None
    statutory_due: datetime
    next_deadline: datetime | None
    timers: tuple[Timer, ...]


class ScheduledEvent(NamedTuple):
    """One event of a timer run, identified by (timer, kind, level, timer_started_at)."""

    timer: TimerName
    kind: EventKind
    level: int
    timer_started_at: datetime
    due_at: datetime
    fire_at: datetime
    notify: Notify | None = None


def _utc(moment: datetime) -> datetime:
    # Database datetimes already are UTC: skip the conversion (millions of calls in a sweep).
    return moment if moment.tzinfo is UTC else moment.astimezone(UTC)


def _amount(policy: Policy, span: timedelta) -> float:
    """The policy amount in the clock's unit: hours, or days on the working-day clock."""
    hours = span.total_seconds() / 3600
    return hours / 24 if policy.clock_type == ClockType.WORKING_DAYS else hours


def _due(start: datetime, span: timedelta, policy: Policy, calendar: WorkCalendar) -> datetime:
    if policy.clock_type == ClockType.CALENDAR_HOURS:
        return _utc(start) + span  # every hour counts: plain UTC arithmetic
    return _utc(
        deadline(
            start,
            _amount(policy, span),
            policy.clock_type,
            calendar=calendar,
            hours_by_weekday=policy.hours_by_weekday,
            closed_on_rest_days=policy.closed_on_rest_days,
        )
    )


def compute_deadlines(
    facts: ComplaintFacts,
    policy: Policy,
    calendar: WorkCalendar,
    *,
    earlier_policy: Policy | None = None,
) -> Deadlines:
    """Return the due times of a complaint's timers under `policy` (SPEC §4).

    First response: from acceptance until a contact that reached the customer or a reply.
    Resolution: from the start of the current round (acceptance, or the latest reopen) until
    the reply, pushed out by the time paused in the round and not running while paused.
    Follow-up: from the reply until the follow-up is recorded. Statutory answer: 7 days from
    acceptance until the first reply (start day not counted, rolls past rest days). A complaint
    an appeal brought back unanswered runs first response and statutory answer from then.

    A complaint that became urgent after acceptance (`facts.urgent_since`; `earlier_policy` the
    normal policy it ran on until then): each deadline is the earlier of the one it had and the
    moment it became urgent plus the urgent target — never an urgent target counted from
    acceptance (it would become urgent already breached), never later than before.
    """
    since = facts.urgent_since
    if earlier_policy is None or since is None or since <= facts.accepted_at:
        return _compute_deadlines(facts, policy, calendar)
    before = _compute_deadlines(facts, earlier_policy, calendar)
    after = _compute_deadlines(facts, policy, calendar, not_before=since)
    # Issue 18 / seed 001 §(二)4: urgent handling speeds a complaint up from the moment it
    # turns urgent; a deadline it already had and is earlier stays (and so do its breaches).
    timers = tuple(
        min(old, new, key=lambda timer: timer.due_at)
        for old, new in zip(before.timers, after.timers, strict=True)
    )
    due = {timer.name: timer.due_at for timer in timers}
    running = [timer.due_at for timer in timers if timer.running]
    return Deadlines(
        first_response_due=due[TimerName.FIRST_RESPONSE],
        resolution_due=due[TimerName.RESOLUTION],
        follow_up_due=due.get(TimerName.FOLLOW_UP),
        statutory_due=due[TimerName.STATUTORY],
        next_deadline=min(running) if running else None,
        timers=timers,
    )


def _compute_deadlines(
    facts: ComplaintFacts,
    policy: Policy,
    calendar: WorkCalendar,
    *,
    not_before: datetime | None = None,
) -> Deadlines:
    """The deadlines under one policy; with `not_before`, no timer counts from earlier."""

    def start(moment: datetime) -> datetime:
        return moment if not_before is None or moment >= not_before else not_before

    # A round starts at acceptance or the latest reopening. First response and the statutory
    # answer only ever run again in a later round for a complaint an appeal brought back
    # unanswered (complaints.services.complaint_reinstate_for_appeal): they count from then.
    round_start = start(facts.reopened_at or facts.accepted_at)
    first_response_due = _due(round_start, policy.first_response, policy, calendar)
    resolution_due = _due(round_start, policy.resolution, policy, calendar)
    if policy.clock_type == ClockType.CALENDAR_HOURS:
        resolution_due += timedelta(seconds=facts.paused_seconds)
    elif facts.pauses:
        resolution_due = _utc(
            extend_by_pauses(
                resolution_due,
                [p for p in facts.pauses if p[1] is not None],
                now=resolution_due,
                clock_type=policy.clock_type,
                calendar=calendar,
                hours_by_weekday=policy.hours_by_weekday,
                closed_on_rest_days=policy.closed_on_rest_days,
            )
        )
    # 快递暂行条例 / 民法典 arts. 201, 203: a day period, on the official calendar.
    statutory_start = facts.reopened_at or facts.accepted_at
    statutory_due = _statutory_due(
        statutory_start.astimezone(SHANGHAI).date(), policy.statutory_days, calendar
    )
    follow_up_due = (
        _due(start(facts.answered_at), policy.follow_up, policy, calendar)
        if facts.answered_at
        else None
    )

    timers = [
        Timer(
            TimerName.FIRST_RESPONSE,
            _utc(round_start),
            first_response_due,
            policy.first_response,
            facts.is_open and facts.first_response_at is None,
        ),
        Timer(
            TimerName.RESOLUTION,
            _utc(round_start),
            resolution_due,
            policy.resolution,
            facts.is_open and facts.answered_at is None and facts.paused_at is None,
        ),
        Timer(
            TimerName.STATUTORY,
            _utc(statutory_start),
            statutory_due,
            timedelta(days=policy.statutory_days),
            facts.is_open and facts.first_answered_at is None,
        ),
    ]
    if facts.answered_at and follow_up_due:
        timers.append(
            Timer(
                TimerName.FOLLOW_UP,
                _utc(start(facts.answered_at)),
                follow_up_due,
                policy.follow_up,
                facts.is_open and facts.status in ("answered", "follow_up"),
            )
        )
    running = [t.due_at for t in timers if t.running]
    return Deadlines(
        first_response_due=first_response_due,
        resolution_due=resolution_due,
        follow_up_due=follow_up_due,
        statutory_due=statutory_due,
        next_deadline=min(running) if running else None,
        timers=tuple(timers),
    )


@functools.lru_cache(maxsize=4096)
def _statutory_due(accepted_day: date, days: int, calendar: WorkCalendar) -> datetime:
    """The day period depends only on the local day of acceptance: a sweep asks per complaint."""
    return _utc(day_period_end(accepted_day, days, calendar=calendar))


def scheduled_events(
    deadlines: Deadlines, policy: Policy, calendar: WorkCalendar
) -> list[ScheduledEvent]:
    """Return every event of the running timers, past or future, in firing order.

    Each timer warns at the policy's share, breaches at its due time and escalates level by
    level after the breach. The statutory timer warns as the 12305 risk instead: a day before
    the customer may appeal to the regulator (SPEC §4, §6).
    """
    events: list[ScheduledEvent] = []
    for timer in deadlines.timers:
        if not timer.running:
            continue

        def event(
            kind: EventKind,
            fire_at: datetime,
            level: int = 0,
            notify: Notify | None = None,
            t: Timer = timer,
        ) -> ScheduledEvent:
            return ScheduledEvent(
                t.name, kind, level, t.started_at, t.due_at, _utc(fire_at), notify
            )

        warn_at = warning_at(timer, policy, calendar)
        if timer.name == TimerName.STATUTORY:
            events.append(event(EventKind.STATUTORY_RISK, warn_at))
        else:
            events.append(event(EventKind.WARNING, warn_at))
        events.append(event(EventKind.BREACH, timer.due_at))
        for step in policy.escalation:
            events.append(
                event(EventKind.ESCALATION, timer.due_at + step.delay, step.level, step.notify)
            )
    events.sort(key=lambda e: (e.fire_at, _KIND_ORDER[e.kind], e.level))
    return events


def warning_at(timer: Timer, policy: Policy, calendar: WorkCalendar) -> datetime:
    """When a timer turns amber: the moment the sweep warns, and the queue colours the row.

    The policy's warning share of the timer's counted time on its clock (80 % of 24 h calendar
    hours = 19.2 h; on business hours the point falls inside opening hours), pushed out by any
    time paused before it like the deadline itself, never after the deadline. The statutory
    timer has no share: it turns at the 12305 risk, a day before the customer may appeal.
    This is the one definition: the sweep (scheduled_events) and the console both call it.
    """
    if timer.name == TimerName.STATUTORY:
        return timer.due_at - policy.statutory_risk_lead
    clock_type = timer.clock_type or policy.clock_type
    if clock_type == ClockType.CALENDAR_HOURS:
        # Straight-line clock: plain UTC arithmetic (a sweep does this for every complaint).
        warn_at = timer.started_at + timer.amount * policy.warning_share
        natural_due = timer.started_at + timer.amount
    else:
        warn_at = _utc(
            point_in_timer(
                timer.started_at,
                _amount(policy, timer.amount),
                policy.warning_share,
                clock_type,
                calendar=calendar,
                hours_by_weekday=policy.hours_by_weekday,
                closed_on_rest_days=policy.closed_on_rest_days,
            )
        )
        natural_due = _due(timer.started_at, timer.amount, policy, calendar)
    # Time paused before the warning pushes it out like the deadline itself.
    if timer.due_at > natural_due:
        warn_at += timer.due_at - natural_due
    return _utc(warn_at) if warn_at < timer.due_at else timer.due_at


def timer_level(timer: Timer, policy: Policy, calendar: WorkCalendar, *, now: datetime) -> str:
    """Return "ok" (green), "warning" (amber, from warning_at) or "breached" (red, from due)."""
    if now >= timer.due_at:
        return "breached"
    if now >= warning_at(timer, policy, calendar):
        return "warning"
    return "ok"


_KIND_ORDER = {
    EventKind.STATUTORY_RISK: 0,
    EventKind.WARNING: 1,
    EventKind.BREACH: 2,
    EventKind.ESCALATION: 3,
}


def next_check(events: list[ScheduledEvent], *, now: datetime) -> datetime | None:
    """When a sweep must look at the complaint next: None when nothing is scheduled.

    An event already due may not have fired yet (a policy change, a new priority), so the
    complaint is looked at now; the sweep's unique claim drops what did fire before.
    """
    if not events:
        return None
    return max(min(e.fire_at for e in events), _utc(now)) if events else None


def next_after(events: list[ScheduledEvent], *, now: datetime) -> datetime | None:
    """The first event strictly after `now`, once everything up to `now` has been claimed."""
    later = [e.fire_at for e in events if e.fire_at > now]
    return min(later) if later else None


# --- Timers features run on records of their own (escalation.records) ----------------------


def record_events(
    timers: tuple[Timer, ...], policy: Policy, calendar: WorkCalendar
) -> list[ScheduledEvent]:
    """The warning (at the policy's share) and the breach of each running timer of a record.

    A record (a compensation claim) has no escalation ladder of its own: its warning and breach
    already go to the unit head and the supervisors, who are the ladder's top.
    """
    events = []
    for timer in timers:
        if not timer.running:
            continue
        start, due = timer.started_at, timer.due_at
        events.append(
            ScheduledEvent(
                timer.name, EventKind.WARNING, 0, start, due, warning_at(timer, policy, calendar)
            )
        )
        events.append(ScheduledEvent(timer.name, EventKind.BREACH, 0, start, due, due))
    events.sort(key=lambda e: (e.fire_at, _KIND_ORDER[e.kind]))
    return events
