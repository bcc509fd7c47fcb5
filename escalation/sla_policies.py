"""SLA policies and the working-day calendar as loaded from the database.

A `PolicyBook` is read once (three small queries) and answers "which policy applies to this
complaint" in memory, so a sweep of thousands of complaints does not query per complaint.
Sweeps and recomputes load() their own; pages and single writes use the per-process copy in
kernel.refdata (`refdata.current()["sla"]`), reloaded as soon as a policy changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from escalation.schedule import (
    DEFAULT_NORMAL,
    DEFAULT_URGENT,
    EscalationStep,
    Notify,
    Policy,
)
from kernel.clock import ClockType, WorkCalendar


def policy_from_row(row) -> Policy:
    """Turn an SlaPolicy row (with its levels prefetched) into the pure Policy."""
    hours = None
    if row.clock_type == ClockType.BUSINESS_HOURS:
        hours = {int(d) - 1: (row.opens_at, row.closes_at) for d in row.business_weekdays}
    return Policy(
        first_response=timedelta(hours=float(row.first_response_hours)),
        resolution=timedelta(hours=float(row.resolution_hours)),
        follow_up=timedelta(hours=float(row.follow_up_hours)),
        statutory_days=row.statutory_days,
        clock_type=ClockType(row.clock_type),
        warning_share=float(row.warning_share),
        escalation=tuple(
            EscalationStep(level.level, level.delay, Notify(level.notify))
            for level in sorted(row.levels.all(), key=lambda lv: lv.level)
        ),
        hours_by_weekday=hours,
        closed_on_rest_days=row.closed_on_rest_days,
        key=row.name,
    )


def effective_priority(*, priority: str, is_external: bool) -> str:
    """External complaints (via the regulator or another authority) run on urgent targets.

    SPEC §4: "urgent and external 2 h / 12 h / 2 h"; seed 001 asks for a 2 h follow-up.
    """
    return "urgent" if priority == "urgent" or is_external else "normal"


@dataclass
class PolicyBook:
    """The active policies, by (priority, channel); '' is the policy for any channel."""

    policies: dict[tuple[str, str], Policy] = field(default_factory=dict)
    calendar: WorkCalendar = field(default_factory=WorkCalendar)

    def policy_for(self, *, priority: str, channel: str, is_external: bool) -> Policy:
        """The most specific active policy: this priority and channel, then this priority."""
        prio = effective_priority(priority=priority, is_external=is_external)
        found = self.policies.get((prio, channel)) or self.policies.get((prio, ""))
        if found is not None:
            return found
        return DEFAULT_URGENT if prio == "urgent" else DEFAULT_NORMAL

    def policy_of(self, complaint) -> Policy:
        return self.policy_for(
            priority=complaint.priority,
            channel=complaint.channel,
            is_external=complaint.is_external,
        )

    def policy_before_urgent(self, complaint) -> Policy | None:
        """The normal policy a complaint ran on before it became urgent, None if it always was.

        Its deadlines stay in force where they are earlier than the urgent targets counted from
        the moment it became urgent (escalation.schedule.compute_deadlines, issue 18).
        """
        since = getattr(complaint, "urgent_since", None)
        if since is None or since <= complaint.accepted_at:
            return None
        if effective_priority(priority=complaint.priority, is_external=complaint.is_external) != (
            "urgent"
        ):
            return None
        return self.policy_for(priority="normal", channel=complaint.channel, is_external=False)

    @classmethod
    def load(cls) -> PolicyBook:
        from escalation.models import SlaPolicy

        rows = SlaPolicy.objects.filter(is_active=True).prefetch_related("levels")
        return cls(
            policies={(row.priority, row.channel): policy_from_row(row) for row in rows},
            calendar=load_calendar(),
        )


def load_calendar() -> WorkCalendar:
    """The official calendar plus the exceptions and filled years supervisors entered."""
    from escalation.models import CalendarException, CalendarYear

    return WorkCalendar(
        exceptions=dict(CalendarException.objects.values_list("day", "is_working_day")),
        filled_years=frozenset(CalendarYear.objects.values_list("year", flat=True)),
    )


def calendar_gaps(*, today: date, horizon_days: int = 60) -> tuple[int, ...]:
    """Years that deadlines can reach but nobody has a holiday schedule for.

    Deadlines of complaints accepted today reach at most a few weeks ahead (7-day statutory
    answer rolled past a holiday week), and the latest open deadline may lie further; both
    count. chinesecalendar knows up to 2026, so from December 2026 on, 2027 shows until a
    supervisor enters its schedule and marks the year filled.
    """
    from django.db.models import Max

    from complaints.models import Complaint

    latest = Complaint.objects.open().aggregate(latest=Max("next_deadline"))["latest"]
    end = today + timedelta(days=horizon_days)
    if latest is not None and latest.date() > end:
        end = latest.date()
    return load_calendar().unknown_years(today, end)
