"""Who of a unit's staff gets a complaint by automatic assignment (issue 20 §2).

Pure: plain values in, plain values out. The product owner's rule: round-robin among the staff
on duty, skipping those at their cap of open complaints, least-loaded first; when everyone is
at the cap (or nobody is on duty) the complaint stays unassigned and the unit head is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class StaffLoad:
    """One staff member of the unit as the choice sees them."""

    user_id: int
    on_duty: bool
    open_load: int  # their open complaints at this unit
    # When the newest of those came to the unit (None: they hold none). Ties of load go to
    # whoever got work least recently, which turns least-loaded-first into a round-robin.
    last_assigned_at: datetime | None = None


class NoOneReason(StrEnum):
    NOBODY_ON_DUTY = "nobody_on_duty"
    ALL_AT_CAP = "all_at_cap"


@dataclass(frozen=True)
class Choice:
    user_id: int | None
    reason: NoOneReason | None = None  # why nobody, when user_id is None


def choose_handler(staff: list[StaffLoad], *, cap: int) -> Choice:
    """The staff member on duty and below `cap` with the fewest open complaints.

    Ties: whoever holds no open complaint, or whose newest one came earliest, then the lowest
    id (stable, so the same inputs always pick the same person). A cap of 0 assigns nobody.
    """
    on_duty = [s for s in staff if s.on_duty]
    if not on_duty:
        return Choice(None, NoOneReason.NOBODY_ON_DUTY)
    below_cap = [s for s in on_duty if s.open_load < cap]
    if not below_cap:
        return Choice(None, NoOneReason.ALL_AT_CAP)
    best = min(
        below_cap,
        key=lambda s: (
            s.open_load,
            s.last_assigned_at is not None,
            s.last_assigned_at.timestamp() if s.last_assigned_at else 0.0,
            s.user_id,
        ),
    )
    return Choice(best.user_id)
