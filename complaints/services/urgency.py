"""Raising a complaint to urgent (重大、紧急, seed 001 §(二)4; SPEC §3 "Urgent").

Applies the pure rules (complaints.rules.urgent_reasons) and clusters to a complaint. Urgency is
only ever raised automatically, always with an audit row.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q

from kernel import refdata

from .. import rules
from ..models import OPEN_STATES, Complaint, Phrase, Priority, Status
from .audit import record
from .authorization import SYSTEM
from .steps import _conf, save_complaint

# A complaint someone stands behind: entered by staff or a partner, or dispatched by an agent.
# An anonymous submission is only a claim until an agent has looked at it (issue 19 §2).
_VERIFIED = Q(created_by__isnull=False) | Q(dispatched_at__isnull=False)


def _is_verified(complaint: Complaint) -> bool:
    return complaint.created_by_id is not None or complaint.dispatched_at is not None


def _cluster_count(complaint: Complaint, *, now: datetime) -> int:
    """How many customers (distinct phones) complained of this unit and category lately.

    Only verified complaints count, on either side: two anonymous submissions cannot make a
    third customer's complaint urgent (deadlines 24 h → 2 h, supervisors paged) until an agent
    has dispatched them.
    """
    if not complaint.unit_id or not _is_verified(complaint):
        return 0
    since = now - timedelta(hours=_conf("CLUSTER_WINDOW_HOURS"))
    others = (
        Complaint.objects.filter(
            unit_id=complaint.unit_id,
            category=complaint.category,
            accepted_at__gte=since,
            accepted_at__lte=now,
        )
        .filter(_VERIFIED)
        .exclude(status__in=[Status.REJECTED, Status.WITHDRAWN])
    )
    if complaint.pk:
        others = others.exclude(pk=complaint.pk)
    # seed 001 §(二)4(7): several customers; one customer's repeats are a repeat, not a cluster.
    phones = others.exclude(phone=complaint.phone).values_list("phone", flat=True).distinct()
    return rules.distinct_customers(phones, complaint.phone)


def _urgent_reasons(
    complaint: Complaint,
    *,
    now: datetime,
    reference: refdata.ReferenceData | None = None,
    cluster_count: int | None = None,
) -> list[str]:
    reference = reference or refdata.current()  # the phrase lists, cached until edited
    return rules.urgent_reasons(
        text=f"{complaint.description}\n{complaint.demand_detail}",
        threat_words=reference["phrases"].get(Phrase.Kind.URGENT_THREAT, ()),
        contents_words=reference["phrases"].get(Phrase.Kind.URGENT_CONTENTS, ()),
        demand_words=reference["phrases"].get(Phrase.Kind.URGENT_DEMAND, ()),
        key_account=complaint.key_account,
        urgent_contents=complaint.urgent_contents,
        chase_count=complaint.chase_count,
        chase_limit=_conf("URGENT_ON_CHASE"),
        cluster_count=(
            _cluster_count(complaint, now=now) if cluster_count is None else cluster_count
        ),
        cluster_size=_conf("CLUSTER_SIZE"),
    )


def _apply_urgency(
    complaint: Complaint,
    *,
    now: datetime,
    reference: refdata.ReferenceData | None = None,
    cluster_count: int | None = None,
) -> bool:
    """Make the complaint urgent when a rule says so; return whether it became urgent now.

    Urgency is only ever raised automatically; lowering it takes an agent with a reason.
    `cluster_count`, when the caller has counted the complaint's cluster already.
    """
    reasons = _urgent_reasons(complaint, now=now, reference=reference, cluster_count=cluster_count)
    if complaint.is_external and "外部投诉" not in reasons:
        reasons.insert(0, "外部投诉")
    new = [r for r in reasons if r not in complaint.urgent_reasons]
    if not new:
        return False
    complaint.urgent_reasons = [*complaint.urgent_reasons, *new]
    was_urgent = complaint.priority == Priority.URGENT
    complaint.priority = Priority.URGENT
    return not was_urgent


def _audit_raised_priority(complaint: Complaint, *, now: datetime, **details: Any) -> None:
    """Record that the system made a complaint urgent, with the reasons it found."""
    record(
        complaint,
        SYSTEM,
        "set_priority",
        complaint.status,
        now=now,
        reason="；".join(complaint.urgent_reasons),
        priority=Priority.URGENT,
        **details,
    )


def _escalate_cluster(complaint: Complaint, *, now: datetime, cluster_count: int) -> None:
    """When this complaint completes a cluster, make the other open ones in it urgent too.

    Every member of the cluster (one unit, one category, one window ending now) has the same
    count, so the caller's count serves the siblings too.
    """
    if cluster_count < _conf("CLUSTER_SIZE"):
        return
    since = now - timedelta(hours=_conf("CLUSTER_WINDOW_HOURS"))
    siblings = (
        Complaint.objects.select_for_update()
        .filter(
            unit_id=complaint.unit_id,
            category=complaint.category,
            accepted_at__gte=since,
            accepted_at__lte=now,
            status__in=OPEN_STATES,
            priority=Priority.NORMAL,
        )
        .exclude(pk=complaint.pk)
        .order_by("pk")
    )
    for sibling in siblings:
        if _apply_urgency(sibling, now=now, cluster_count=cluster_count):
            save_complaint(sibling, now=now)
            _audit_raised_priority(sibling, now=now, cluster_with=complaint.ticket_no)
