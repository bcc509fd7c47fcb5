"""The complaint's audit trail: one append-only row per change, and the signal listeners hear.

Every write to a complaint — its own services and the features' (a claim decided, an appeal
registered, a ruling recorded) — ends with `record`, inside the writer's transaction, so the
trail always matches the complaint and listeners (SMS, webhooks, timers) hear of each change once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kernel import refdata
from kernel.actors import CUSTOMER, SYSTEM, Actor
from kernel.db import inserts

from ..models import ActorKind, Complaint, ComplaintTransition, Role
from ..signals import complaint_changed


def actor_fields(by: Actor) -> tuple[Any, str]:
    """The audit row's `actor` (a user, or None) and `actor_kind` for whoever acts."""
    if by == CUSTOMER:
        return None, ActorKind.CUSTOMER
    if by == SYSTEM:
        return None, ActorKind.SYSTEM
    profile = getattr(by, "staff", None)
    if profile and profile.role == Role.PARTNER:
        return by, ActorKind.PARTNER
    return by, ActorKind.STAFF


def record(
    complaint: Complaint,
    by: Actor,
    transition: str,
    from_state: str,
    *,
    now: datetime,
    reason: str = "",
    pk: int | None = None,
    reference: refdata.ReferenceData | None = None,
    **details: Any,
) -> ComplaintTransition:
    """Write the audit row of `transition` (from `from_state` to the complaint's state now).

    `pk` is one reserved by a caller that batches its writes (complaint_create); `reference`
    is the reference data the caller already read, handed to the listeners.
    """
    actor, kind = actor_fields(by)
    row = ComplaintTransition(
        pk=pk,
        complaint=complaint,
        at=now,
        actor=actor,
        actor_kind=kind,
        transition=transition,
        from_state=from_state,
        to_state=complaint.status,
        reason=reason,
        details=details,
    )
    inserts.insert(row)  # the statement built once (kernel/db/inserts.py)
    complaint_changed.send(
        sender=Complaint,
        complaint=complaint,
        event=transition,
        actor=actor,
        details=details,
        audit=row,
        reference=reference,
    )
    return row
