"""Claim timers (pure): when a claim must be assessed or settled.

Seed 003 (a carrier's service standard, secondary source): damage → 定损 within 48 hours;
loss → 赔付 within 72 hours. Both run in calendar hours from the claim, like the hotline's own
timers (SPEC §4). A delay past the policy's deemed-lost threshold is handled as a loss
(SPEC §5), so its claim runs on the loss timer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .amounts import Incident

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


# The claim states in which each timer still runs. Seed 003: damage is assessed (定损) within
# 48 h and a loss settled (赔付) within 72 h of the claim. Assessment ends with the decision on
# the amount — approved or rejected — because a proposal is only the branch's view of the
# amount; settlement ends when the money is paid, or the claim is rejected.
ASSESSMENT, SETTLEMENT = "claim_assessment", "claim_settlement"
TIMER_STATES = {
    ASSESSMENT: frozenset({"proposed"}),
    SETTLEMENT: frozenset({"proposed", "approved"}),
}


def claim_timers(
    *,
    status: str,
    proposed_at: datetime,
    assess_due: datetime | None,
    settle_due: datetime | None,
) -> tuple[tuple[str, datetime, datetime, bool], ...]:
    """The claim's timers as (name, started at, due at, still running), from the claim (seed 003).

    The SLA sweep gives each running one a warning at the complaint's policy's warning share and
    a breach at its due time.
    """
    return tuple(
        (name, proposed_at, due, status in TIMER_STATES[name])
        for name, due in ((ASSESSMENT, assess_due), (SETTLEMENT, settle_due))
        if due is not None
    )
