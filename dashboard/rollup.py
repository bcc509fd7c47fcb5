"""The daily rollup: one SQL statement defines every column (rebuild, refresh, one day's rows).

Today is stored like every other day and recomputed by the beat, so the dashboard never
aggregates complaints while a supervisor waits. See docs/dashboard.md, "How it stays fast".
"""

from __future__ import annotations

import logging
import os
import threading
import time as time_module
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from compensation.models import ClaimEvent
from complaints.figures import NOT_COUNTED_STATUSES, SATISFIED_RATING
from complaints.models import Channel, Priority, Status
from escalation.schedule import EventKind, TimerName

from .models import HANDLING_BUCKETS, DailyRollup, DirtyMark, MonthlyRollup, RollupState

Action = ClaimEvent.Action


def _q(choice: str) -> str:
    """A choice of a model as an SQL literal: the rollup names statuses and kinds through the
    models' own choices, so a renamed value changes the SQL with it instead of zeroing a KPI."""
    if not choice.isidentifier():  # the choices are plain identifiers: nothing to escape
        raise ValueError(choice)
    return f"'{choice}'"


log = logging.getLogger(__name__)

TZ = ZoneInfo(settings.TIME_ZONE)
TZ_NAME = settings.TIME_ZONE

# Every column of DailyRollup that the SQL fills, in order (apart from day, unit_key, category).
COHORT_COLUMNS = (
    "received",
    "rejected",
    "withdrawn",
    "handled",
    "urgent",
    "fr_decided",
    "fr_on_time",
    "res_decided",
    "res_on_time",
    "fu_decided",
    "fu_on_time",
    "justified_yes",
    "sat_base",
    "sat_yes",
    "reply_judged",
    "reply_valid",
    "repeats",
    "escalated",
    "appealed",
    "closed_cohort",
    "handling_seconds",
    "handling_hist",
    "by_hour",
)
ACTIVITY_COLUMNS = (
    "closed",
    "breaches",
    "claims_proposed",
    "claims_proposed_amount",
    "claims_approved",
    "claims_approved_amount",
    "claims_paid",
    "claims_paid_amount",
)
VALUE_COLUMNS = COHORT_COLUMNS + ACTIVITY_COLUMNS

# A rating of SATISFIED_RATING (4) or 5 counts as satisfied (complaints.figures).


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment, TZ).date()


def day_start(day: date) -> datetime:
    """The UTC instant at which the Asia/Shanghai day begins."""
    return datetime.combine(day, time.min, tzinfo=TZ)


def _hist_sql() -> str:
    # Bucket i holds handling times ≤ HANDLING_BUCKETS[i] hours (and above the previous bound);
    # the last one everything longer.
    parts = []
    lower = None
    for upper in HANDLING_BUCKETS:
        cond = f"c.handling_h <= {upper}" + (f" AND c.handling_h > {lower}" if lower else "")
        parts.append(f"count(*) FILTER (WHERE c.is_closed AND {cond})")
        lower = upper
    parts.append(f"count(*) FILTER (WHERE c.is_closed AND c.handling_h > {lower})")
    return "ARRAY[" + ", ".join(parts) + "]::integer[]"


def _hour_sql() -> str:
    return (
        "ARRAY["
        + ", ".join(f"count(*) FILTER (WHERE c.hour = {h})" for h in range(24))
        + "]::integer[]"
    )


# The definition of every KPI's numerator and denominator. `handled` is complaints.figures'
# 有效投诉: not rejected (不予受理, including merged duplicates) nor withdrawn (撤诉) — they never
# reach an answer, so they are left out of every rate but counted as received. A timer is
# "decided" once it stopped or the SLA engine recorded its breach; it is on time when it stopped
# no later than its deadline (pauses already moved the resolution deadline) and no breach was
# ever recorded for it, in any round (a reopened complaint is on time only if every round was).
_SQL = f"""
WITH base AS (
    SELECT c.id,
           (c.accepted_at AT TIME ZONE '{TZ_NAME}')::date AS day,
           COALESCE(c.unit_id, 0) AS unit_key,
           c.category,
           c.status,
           c.status NOT IN ({", ".join(_q(s) for s in NOT_COUNTED_STATUSES)}) AS handled,
           c.status = {_q(Status.CLOSED)} AS is_closed,
           EXTRACT(hour FROM c.accepted_at AT TIME ZONE '{TZ_NAME}')::int AS hour,
           EXTRACT(epoch FROM c.closed_at - c.accepted_at) AS handling_s,
           EXTRACT(epoch FROM c.closed_at - c.accepted_at) / 3600.0 AS handling_h,
           c.priority, c.justified, c.satisfied, c.rating, c.reopened_at, c.repeat_of_id,
           c.is_escalated, c.is_external, c.channel,
           c.first_response_at, c.first_response_due, c.answered_at, c.resolution_due,
           c.follow_up_at, c.follow_up_due
      FROM complaints_complaint c
     WHERE c.accepted_at >= %(start)s AND c.accepted_at < %(end)s
),
cohort AS (
    SELECT c.day, c.unit_key, c.category,
           count(*) AS received,
           count(*) FILTER (WHERE c.status = {_q(Status.REJECTED)}) AS rejected,
           count(*) FILTER (WHERE c.status = {_q(Status.WITHDRAWN)}) AS withdrawn,
           count(*) FILTER (WHERE c.handled) AS handled,
           count(*) FILTER (WHERE c.priority = {_q(Priority.URGENT)}) AS urgent,
           count(*) FILTER (WHERE c.handled
               AND (c.first_response_at IS NOT NULL OR COALESCE(b.fr, false))) AS fr_decided,
           count(*) FILTER (WHERE c.handled AND c.first_response_at IS NOT NULL
               AND NOT COALESCE(b.fr, false)
               AND (c.first_response_due IS NULL OR c.first_response_at <= c.first_response_due)
           ) AS fr_on_time,
           count(*) FILTER (WHERE c.handled
               AND (c.answered_at IS NOT NULL OR COALESCE(b.res, false))) AS res_decided,
           count(*) FILTER (WHERE c.handled AND c.answered_at IS NOT NULL
               AND NOT COALESCE(b.res, false)
               AND (c.resolution_due IS NULL OR c.answered_at <= c.resolution_due)
           ) AS res_on_time,
           count(*) FILTER (WHERE c.handled
               AND (c.is_closed OR COALESCE(b.fu, false))) AS fu_decided,
           count(*) FILTER (WHERE c.is_closed AND NOT COALESCE(b.fu, false)
               AND (c.follow_up_due IS NULL OR c.follow_up_at IS NULL
                    OR c.follow_up_at <= c.follow_up_due)
           ) AS fu_on_time,
           count(*) FILTER (WHERE c.handled AND c.justified) AS justified_yes,
           count(*) FILTER (WHERE c.handled
               AND (c.rating IS NOT NULL OR c.satisfied IS NOT NULL)) AS sat_base,
           count(*) FILTER (WHERE c.handled AND (c.rating >= {SATISFIED_RATING}
               OR (c.rating IS NULL AND c.satisfied))) AS sat_yes,
           count(*) FILTER (WHERE c.handled
               AND (c.is_closed OR c.reopened_at IS NOT NULL)) AS reply_judged,
           count(*) FILTER (WHERE c.is_closed AND c.reopened_at IS NULL) AS reply_valid,
           count(*) FILTER (WHERE c.repeat_of_id IS NOT NULL) AS repeats,
           count(*) FILTER (WHERE c.is_escalated) AS escalated,
           count(*) FILTER (WHERE c.channel = {_q(Channel.REGULATOR)} OR c.is_external)
               AS appealed,
           count(*) FILTER (WHERE c.is_closed) AS closed_cohort,
           COALESCE(sum(c.handling_s) FILTER (WHERE c.is_closed), 0)::bigint AS handling_seconds,
           {_hist_sql()} AS handling_hist,
           {_hour_sql()} AS by_hour
      FROM base c
      -- One index-only probe per complaint: which of its timers the SLA engine saw breached.
      LEFT JOIN LATERAL (
          SELECT bool_or(e.timer = {_q(TimerName.FIRST_RESPONSE)}) AS fr,
                 bool_or(e.timer = {_q(TimerName.RESOLUTION)}) AS res,
                 bool_or(e.timer = {_q(TimerName.FOLLOW_UP)}) AS fu
            FROM escalation_slaevent e
           WHERE e.complaint_id = c.id AND e.kind = {_q(EventKind.BREACH)}
      ) AS b ON true
     GROUP BY 1, 2, 3
),
closed AS (
    SELECT (c.closed_at AT TIME ZONE '{TZ_NAME}')::date AS day, COALESCE(c.unit_id, 0) AS unit_key,
           c.category, count(*) AS closed
      FROM complaints_complaint c
     WHERE c.closed_at >= %(start)s AND c.closed_at < %(end)s
     GROUP BY 1, 2, 3
),
breaches AS (
    -- Dated when the deadline passed, not when the sweep noticed (a paused worker must not pile
    -- a day's breaches onto the day it came back); attributed to the unit responsible then.
    SELECT (e.due_at AT TIME ZONE '{TZ_NAME}')::date AS day, COALESCE(e.unit_id, 0) AS unit_key,
           c.category, count(*) AS breaches
      FROM escalation_slaevent e JOIN complaints_complaint c ON c.id = e.complaint_id
     WHERE e.kind = {_q(EventKind.BREACH)} AND e.due_at >= %(start)s AND e.due_at < %(end)s
     GROUP BY 1, 2, 3
),
claims AS (
    SELECT (ev.at AT TIME ZONE '{TZ_NAME}')::date AS day, COALESCE(c.unit_id, 0) AS unit_key,
           c.category,
           count(*) FILTER (WHERE ev.action = {_q(Action.PROPOSE)}) AS claims_proposed,
           COALESCE(sum(ev.amount) FILTER (WHERE ev.action = {_q(Action.PROPOSE)}), 0)
               AS claims_proposed_amount,
           count(*) FILTER (WHERE ev.action = {_q(Action.APPROVE)}) AS claims_approved,
           COALESCE(sum(ev.amount) FILTER (WHERE ev.action = {_q(Action.APPROVE)}), 0)
               AS claims_approved_amount,
           count(*) FILTER (WHERE ev.action = {_q(Action.PAY)}) AS claims_paid,
           COALESCE(sum(ev.amount) FILTER (WHERE ev.action = {_q(Action.PAY)}), 0)
               AS claims_paid_amount
      FROM compensation_claimevent ev
      JOIN compensation_claim cl ON cl.id = ev.claim_id
      JOIN complaints_complaint c ON c.id = cl.complaint_id
     WHERE ev.at >= %(start)s AND ev.at < %(end)s
     GROUP BY 1, 2, 3
),
keys AS (
    SELECT day, unit_key, category FROM cohort
    UNION SELECT day, unit_key, category FROM closed
    UNION SELECT day, unit_key, category FROM breaches
    UNION SELECT day, unit_key, category FROM claims
)
SELECT k.day, k.unit_key, k.category,
       {", ".join(f"COALESCE(co.{col}, 0) AS {col}" for col in COHORT_COLUMNS[:-2])},
       COALESCE(co.handling_hist, array_fill(0, ARRAY[{len(HANDLING_BUCKETS) + 1}]))
           AS handling_hist,
       COALESCE(co.by_hour, array_fill(0, ARRAY[24])) AS by_hour,
       COALESCE(cl.closed, 0) AS closed, COALESCE(br.breaches, 0) AS breaches,
       {", ".join(f"COALESCE(cm.{col}, 0) AS {col}" for col in ACTIVITY_COLUMNS[2:])}
  FROM keys k
  LEFT JOIN cohort co USING (day, unit_key, category)
  LEFT JOIN closed cl USING (day, unit_key, category)
  LEFT JOIN breaches br USING (day, unit_key, category)
  LEFT JOIN claims cm USING (day, unit_key, category)
"""  # nosec B608  # SQL from constant fragments; values are parameters

ROW_COLUMNS = ("day", "unit_key", "category", *VALUE_COLUMNS)
_INSERT = (
    f"INSERT INTO {DailyRollup._meta.db_table} ({', '.join(ROW_COLUMNS)}) "
    f"SELECT * FROM ({_SQL}) AS computed"  # nosec B608  # SQL from constant fragments; values are parameters
)


def rows_sql() -> str:
    """The SELECT producing rollup rows for days in [%(start)s, %(end)s) (UTC instants)."""
    return _SQL


def _bounds(first: date, last: date) -> dict:
    return {"start": day_start(first), "end": day_start(last + timedelta(days=1))}


# The monthly table: the daily rows of each month summed; the heat map spread by weekday.
MONTHLY_VALUE_COLUMNS = tuple(c for c in VALUE_COLUMNS if c not in ("handling_hist", "by_hour"))
_MONTHLY_INSERT = f"""
INSERT INTO {MonthlyRollup._meta.db_table}
  (month, unit_key, category, {", ".join(MONTHLY_VALUE_COLUMNS)}, handling_hist, by_dow_hour)
SELECT date_trunc('month', day)::date, unit_key, category,
       {", ".join(f"sum({c})" for c in MONTHLY_VALUE_COLUMNS)},
       ARRAY[{", ".join(f"sum(handling_hist[{i}])" for i in range(1, len(HANDLING_BUCKETS) + 2))}]
           ::integer[],
       ARRAY[{
    ", ".join(
        f"COALESCE(sum(by_hour[{h}]) FILTER (WHERE EXTRACT(isodow FROM day) = {d}), 0)"
        for d in range(1, 8)
        for h in range(1, 25)
    )
}]::integer[]
  FROM {DailyRollup._meta.db_table}
 WHERE day >= %(first)s AND day < %(end)s
 GROUP BY 1, 2, 3
"""  # nosec B608  # SQL from constant fragments; values are parameters


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def recompute_months(first: date, last: date) -> None:
    """Rebuild the monthly rows of the months containing first..last from the daily rows."""
    start, end = month_start(first), next_month(last)
    with transaction.atomic(), connection.cursor() as cursor:
        MonthlyRollup.objects.filter(month__gte=start, month__lt=end).delete()
        cursor.execute(_MONTHLY_INSERT, {"first": start, "end": end})


def recompute_days(first: date, last: date, *, months: bool = True) -> int:
    """Replace the stored rows of the days first..last (inclusive), and their months' rows."""
    with transaction.atomic(), connection.cursor() as cursor:
        DailyRollup.objects.filter(day__gte=first, day__lte=last).delete()
        cursor.execute(_INSERT, _bounds(first, last))
        written = cursor.rowcount
        if months:
            recompute_months(first, last)
        return written


def rollup_rebuild(*, progress=None) -> int:
    """Recompute the whole table from the complaints, a month of days per statement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(accepted_at), max(GREATEST(accepted_at, closed_at)) "
            "FROM complaints_complaint"
        )
        lo, hi = cursor.fetchone()
    started = timezone.now()
    with transaction.atomic():
        DailyRollup.objects.all().delete()
        MonthlyRollup.objects.all().delete()
        DirtyMark.objects.all().delete()
        state = _locked_state()
        _advance_watermark(state)
        state.refreshed_at = started
        state.save(update_fields=["refreshed_at"])
    if lo is None:
        return 0
    first, last = local_day(lo), max(local_day(hi), local_day(timezone.now()))
    # Whole months per statement, so each month's row is built once from complete days.
    total, day = 0, month_start(first)
    while day <= last:
        end = min(next_month(day) - timedelta(days=1), last)
        total += recompute_days(day, end)
        if progress:
            progress(day, end, total)
        day = end + timedelta(days=1)
    return total


def day_rows(day: date) -> tuple[str, dict]:
    """SQL and parameters computing one day's rows without storing them."""
    return _SQL, _bounds(day, day)


# --- Incremental maintenance --------------------------------------------------------------


def _writer_slot() -> int:
    """This process and thread's slot of the dirty marks (DirtyMark)."""
    return hash((os.getpid(), threading.get_ident())) % DirtyMark.SLOTS


def mark_dirty(days) -> None:
    """Remember days whose rows must be recomputed (an upsert per day: cheap, idempotent).

    Each process and thread writes its own slot of the day (DirtyMark), so concurrent
    submissions do not wait for each other's commit on one row.
    """
    days = sorted(set(days))
    if not days:
        return
    slot = _writer_slot()
    if connection.vendor == "postgresql":
        # Written out: on every change of every complaint, the ORM's upsert compilation cost
        # more than the statement (docs/api.md, Benchmark).
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {DirtyMark._meta.db_table} (day, slot, marked_at) "
                "SELECT unnest(%s::date[]), %s, now() "
                "ON CONFLICT (day, slot) DO UPDATE SET marked_at = EXCLUDED.marked_at",  # nosec B608  # the model's table; values are parameters
                [days, slot],
            )
        return
    DirtyMark.objects.bulk_create(
        [DirtyMark(day=d, slot=slot) for d in days],
        update_conflicts=True,
        unique_fields=["day", "slot"],
        update_fields=["marked_at"],
    )


def on_complaint_changed(sender, *, complaint, event, **kwargs) -> None:
    """Mark the days a change touches, but today: the complaint's acceptance day (its cohort).

    A reopen clears the closing time of a recent day (within the reopen window), so it marks
    those days too; older days never change by a reopen. Today itself is left out: every run
    of the refresher marks it (_days_since), so the changes of today's complaints — nearly
    all of them, every submission among them — cost no statement here.
    """
    now = timezone.now()
    today = local_day(now)
    days = {local_day(complaint.accepted_at), today}
    if event == "reopen":
        window = settings.COMPLAINTS["REOPEN_WINDOW_DAYS"] + 1
        days.update(today - timedelta(days=i) for i in range(window + 1))
    previous_end = (kwargs.get("details") or {}).get("previous_end")
    if event == "reinstate" and previous_end:  # an appeal brought back one that had ended
        days.add(local_day(datetime.fromisoformat(previous_end)))
    days.discard(today)
    mark_dirty(days)


# A change is marked by the run after its commit. Today's changes are not marked by their
# transactions, so each run marks the days from the previous run's start to now, reaching back
# this much further for a transaction that was still open then (begun before midnight,
# committed after the previous run had begun).
OPEN_TRANSACTION_MARGIN = timedelta(minutes=10)


def _day_range(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _days_since(previous_start: datetime | None, now: datetime) -> list[date]:
    """The days a run marks itself: today, and every day since the previous run began."""
    return _day_range(local_day((previous_start or now) - OPEN_TRANSACTION_MARGIN), local_day(now))


def _locked_state() -> RollupState:
    """The refresher's one state row, locked until the caller's transaction ends."""
    state, _ = RollupState.objects.select_for_update().get_or_create(id=1)
    return state


def _advance_watermark(state: RollupState) -> list[date]:
    """Days touched by SLA events fired since the last look: their cohort and deadline day."""
    from escalation.models import SlaEvent

    rows = list(
        SlaEvent.objects.filter(id__gt=state.last_sla_event_id)
        .order_by()
        .values_list("id", "due_at", "complaint__accepted_at")
    )
    if not rows:
        return []
    state.last_sla_event_id = max(r[0] for r in rows)
    state.save(update_fields=["last_sla_event_id"])
    days = set()
    for _, due, accepted in rows:
        days.add(local_day(due))
        days.add(local_day(accepted))
    return sorted(days)


# One refresher at a time (a session advisory lock): a second worker's run simply returns.
REFRESH_LOCK = 0x0D5B0A2D

# A day whose recompute is slow rests before the next one, so that keeping it fresh takes at
# most 1/REST_FACTOR of the database's time: today's recompute reads every complaint of the
# day (docs/reliability.md, finding 14). Recomputes under MIN_RESTING_SECONDS never rest (every
# ordinary day: they are done at the next run); a rest is capped at MAX_REST_SECONDS.
REST_FACTOR = 20
MIN_RESTING_SECONDS = 1.0
MAX_REST_SECONDS = 600.0
RESTING_KEY = "dashboard:rollup:resting"


def _clock() -> float:
    return time_module.time()


def _resting_days() -> dict[str, float]:
    """Days (ISO) still resting, with when each may be recomputed again (cache; empty if down)."""
    from django.core.cache import cache

    now = _clock()
    return {day: until for day, until in (cache.get(RESTING_KEY) or {}).items() if until > now}


def _rest(days: list[date], seconds: float, resting: dict[str, float]) -> None:
    if seconds < MIN_RESTING_SECONDS:
        return
    from django.core.cache import cache

    until = _clock() + min(REST_FACTOR * seconds, MAX_REST_SECONDS)
    resting.update({day.isoformat(): until for day in days})
    cache.set(RESTING_KEY, resting, timeout=int(MAX_REST_SECONDS) + 60)


def rollup_refresh(*, max_days: int = 120) -> int:
    """Recompute the dirty days (at most max_days per run); return how many were done.

    Days are claimed by deleting their marks in a short transaction, then recomputed, so a
    service marking a day (inside its own transaction) never waits for a recompute. A change
    committed after the claim marks the day again and the next run picks it up; a failed
    recompute puts its days back. A day whose recompute was slow keeps its marks until its
    rest is over (REST_FACTOR).
    """
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [REFRESH_LOCK])
        if not cursor.fetchone()[0]:
            return 0
    started = timezone.now()
    try:
        with transaction.atomic():
            state = _locked_state()
            previous_start = state.refreshed_at
            new_days = _advance_watermark(state)
        mark_dirty(new_days + _days_since(previous_start, started))
        done: list[date] = []
        resting = _resting_days()
        skipped = [date.fromisoformat(day) for day in resting]
        while len(done) < max_days:
            # Each day at most once per run: a day marked again while it is being recomputed
            # (by a change, or by the next run) waits for the next run; re-claiming it at once
            # kept the refresher recomputing the busiest day back to back (a quarter-second
            # statement, hundreds of times a minute at 400 submissions/s).
            with transaction.atomic(), connection.cursor() as cursor:
                table = DirtyMark._meta.db_table
                cursor.execute(
                    f"DELETE FROM {table} WHERE day IN (SELECT DISTINCT day FROM {table} "
                    "WHERE NOT (day = ANY(%s::date[])) ORDER BY day LIMIT 31) RETURNING day",  # nosec B608  # SQL from constant fragments
                    [done + skipped],
                )
                claimed = sorted({row[0] for row in cursor.fetchall()})
            if not claimed:
                break
            try:
                # Contiguous runs of days go in one statement.
                for first, last in _runs(claimed):
                    began = _clock()
                    recompute_days(first, last)
                    _rest(_day_range(first, last), _clock() - began, resting)
            except Exception:
                mark_dirty(claimed)
                raise
            done += claimed
        # The data reflects what was committed when this run began.
        RollupState.objects.filter(id=1).update(refreshed_at=started)
        return len(done)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [REFRESH_LOCK])


def _runs(days: list[date]) -> list[tuple[date, date]]:
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs
