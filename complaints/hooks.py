"""The slots complaints announces and feature apps fill at startup (their AppConfig.ready).

complaints knows what it needs — a complaint's deadlines kept true, the clock a queue row
shows, the day its customer may appeal to 12305 — but not who knows the answer, so it never
imports a feature. Each slot has one provider and a default for when no app provides it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple


class Slot:
    """One capability with one provider; calling the slot calls the provider."""

    def __init__(self, name: str, default: Callable[..., Any]):
        self.name = name
        self._default = default
        self._provider: Callable[..., Any] | None = None

    def register(self, provider: Callable[..., Any]) -> None:
        if self._provider not in (None, provider):
            raise RuntimeError(f"slot {self.name} already has a provider")
        self._provider = provider

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return (self._provider or self._default)(*args, **kwargs)


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


# (complaint, *, now, reference=None) -> None: set the deadline columns from the SLA policy,
# inside the caller's transaction (escalation).
refresh_deadlines = Slot("refresh_deadlines", _nothing)

# (complaint, *, now, reference) -> complaints.web.clock_display.Clock | None: the nearest running
# timer of an open complaint and its colour under the complaint's policy (escalation).
nearest_clock = Slot("nearest_clock", _nothing)

# (complaint, *, today, calendar) -> an outlook with `eligible_from` (date | None) and `text`:
# when the customer may appeal to the postal regulator (regulators).
appeal_outlook = Slot("appeal_outlook", _nothing)

# (complaint_ids) -> {complaint_id: unit name}: the unit 智能分单 suggests for each of these
# complaints still to dispatch, read in one query for a whole list (tracking).
dispatch_suggestions = Slot("dispatch_suggestions", lambda complaint_ids: {})


# --- Timers that features run on records of their own -----------------------------------------


class RecordTimer(NamedTuple):
    """A timer on a feature's record, in calendar hours from `started_at` (a claim's 定损 48 h)."""

    name: str  # as the SLA event stores it, e.g. "claim_assessment"
    started_at: datetime
    due_at: datetime
    running: bool


@dataclass(frozen=True)
class TimedRecords:
    """A feature's records whose timers the SLA sweep runs beside the complaints' own.

    The model has a `complaint` foreign key and an indexed `sla_next_check`; the sweep warns at
    the complaint's policy's warning share and records a breach at the due time, exactly once,
    and tells the unit's head and the supervisors with the messages `<prefix>warning` and
    `<prefix>breach`.
    """

    model: type
    fields: tuple[str, ...]  # what the sweep loads of a record (its complaint's fields with __)
    running: dict[str, Any]  # a filter of the records whose timers may still run
    timers: Callable[[Any], tuple[RecordTimer, ...]]
    message: Callable[[Any], dict]  # what the record's messages quote, besides the timer
    message_prefix: str


# Registered by the features in their AppConfig.ready.
timed_records: list[TimedRecords] = []


def timed_records_of(model: type) -> TimedRecords:
    return next(source for source in timed_records if source.model is model)


# (record, *, now, reference=None) -> None: set the record's sla_next_check in memory from its
# timers, inside the caller's transaction (escalation).
refresh_record_timers = Slot("refresh_record_timers", _nothing)

# (record, *, now, reference) -> [{"timer", "due", "level"}]: the record's running timers with
# their colour under its complaint's policy (escalation).
record_timer_levels = Slot("record_timer_levels", lambda record, **kwargs: [])


# --- The print view of a complaint (issue 20 §5) ----------------------------------------------


class PrintSection(NamedTuple):
    """A feature's part of a complaint's print-out: a heading and a template with its context."""

    title: str
    template: str
    context: dict


# Each (complaint, *, user) -> PrintSection | None, in registration order: what a feature adds to
# the print-out (compensation: the claims and their decisions), or None when it has nothing or
# the user may not see it. One or two queries each: the print view's query count stays fixed.
print_sections: list[Callable[..., PrintSection | None]] = []


# --- The demo (seed_demo) ---------------------------------------------------------------------

# Called by seed_demo after the demo complaints exist, each with `stdout=` (the command's): a
# feature adds what the demo needs of its own (tracking: the demo TMS's waybills). Idempotent.
demo_seeders: list[Callable[..., Any]] = []
