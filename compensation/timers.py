"""Claim timers (pure): when a claim must be assessed or settled.

Seed 003 (a carrier's service standard, secondary source): damage → 定损 within 48 hours;
loss → 赔付 within 72 hours. Both run in calendar hours from the claim, like the hotline's own
timers (SPEC §4). A delay past the policy's deemed-lost threshold is handled as a loss
(SPEC §5), so its claim runs on the loss timer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .rules import Incident

DAMAGE = frozenset({Incident.TOTAL_DAMAGE, Incident.PARTIAL_DAMAGE, Incident.SHORT})


def claim_due_times(
    *,
    incident: Incident | str,
    delay_days: int,
    deemed_lost_after_days: int,
    claimed_at: datetime,
    loss_settle_hours: int = 72,
    damage_assess_hours: int = 48,
) -> tuple[datetime | None, datetime | None]:
    """Return (assess_due, settle_due); None for a timer that does not apply.

    Loss (or a delay deemed a loss) → settle_due; damage or short contents → assess_due;
    a plain delay (a fee refund) runs no claim timer.
    """
    incident = Incident(incident)
    if incident == Incident.DELAY and delay_days > deemed_lost_after_days:
        incident = Incident.LOSS
    if incident == Incident.LOSS:
        return None, claimed_at + timedelta(hours=loss_settle_hours)
    if incident in DAMAGE:
        return claimed_at + timedelta(hours=damage_assess_hours), None
    return None, None
