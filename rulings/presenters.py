"""Rulings, disputes and ledger entries as the API answers them (and the pages reuse)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from . import charges, services
from .models import Dispute, LedgerEntry, Ruling


def _time(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _name(user) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _unit(unit) -> dict | None:
    return None if unit is None else {"id": unit.pk, "code": unit.code, "name": unit.name}


def with_current(rows):
    """Annotate `is_current`: no later ruling of the same complaint (one subquery per page)."""
    newer = Ruling.objects.filter(complaint_id=OuterRef("complaint_id")).filter(
        Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk"))
    )
    return rows.annotate(is_current=~Exists(newer))


def dispute_of(ruling: Ruling) -> Dispute | None:
    try:
        return ruling.dispute
    except Dispute.DoesNotExist:
        return None


def may_dispute(user, ruling: Ruling, *, now: datetime) -> bool:
    """What services.dispute_file will accept, from what the page already loaded."""
    return (
        getattr(ruling, "is_current", True)
        and dispute_of(ruling) is None
        and user.has_perm("rulings.file_dispute")
        and ruling.unit_id is not None
        and services.branch_unit_of(user) == ruling.unit_id
        and charges.may_dispute(verdict=ruling.verdict, closes_at=ruling.dispute_until, now=now)
    )


def ruling_json(ruling: Ruling, user, *, now: datetime | None = None) -> dict[str, Any]:
    now = now or timezone.now()
    dispute = dispute_of(ruling)
    assessment = None
    if ruling.is_fault and services.sees_amounts(user, ruling):
        assessment = {
            "amount": f"{ruling.amount:.2f}",
            "points": f"{ruling.points:.1f}",
            "steps": ruling.steps,
            "rule": ruling.rule.version_label if ruling.rule else None,
            "facts": {
                "category": ruling.facts.get("category", ""),
                "repeat": bool(ruling.facts.get("repeat")),
                "appealed": bool(ruling.facts.get("appealed")),
                "overdue": bool(ruling.facts.get("overdue")),
            },
        }
    return {
        "id": ruling.pk,
        "ticket_no": ruling.complaint.ticket_no,
        "verdict": ruling.verdict,
        "verdict_label": str(ruling.get_verdict_display()),
        "stage": ruling.stage or None,
        "unit": _unit(ruling.unit),
        "person": _name(ruling.person),
        "no_fault_cause": ruling.no_fault_cause or None,
        "reason": ruling.reason,
        "evidence": ruling.evidence,
        "source": ruling.source,
        "supersedes": ruling.supersedes_id,
        "by": _name(ruling.by),
        "at": _time(ruling.at),
        "is_current": bool(getattr(ruling, "is_current", True)),
        "dispute_until": _time(ruling.dispute_until),
        "may_dispute": bool(may_dispute(user, ruling, now=now)),
        "dispute": {"id": dispute.pk, "status": dispute.status} if dispute else None,
        "assessment": assessment,
    }


def dispute_json(dispute: Dispute, user) -> dict[str, Any]:
    return {
        "id": dispute.pk,
        "ruling": dispute.ruling_id,
        "ticket_no": dispute.complaint.ticket_no,
        "unit": _unit(dispute.unit),
        "status": dispute.status,
        "status_label": str(dispute.get_status_display()),
        "reason": dispute.reason,
        "filed_by": _name(dispute.filed_by),
        "filed_at": _time(dispute.filed_at),
        "decision_due": _time(dispute.decision_due),
        "decided_by": _name(dispute.decided_by),
        "decided_at": _time(dispute.decided_at),
        "decision_reason": dispute.decision_reason,
        "new_ruling": dispute.new_ruling_id,
        "evidence": [
            {
                "token": e.token,
                "name": e.original_name or f"{e.token}{e.extension}",
                "content_type": e.content_type,
                "size": e.size,
            }
            for e in dispute.evidence.all()
        ],
        "may_decide": dispute.status == "pending" and services.may_decide(user),
    }


def entry_json(entry: LedgerEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "at": _time(entry.at),
        "period": f"{entry.period:%Y-%m}",
        "kind": entry.kind,
        "unit": _unit(entry.unit),
        "person": _name(entry.person),
        "ticket_no": entry.complaint.ticket_no,
        "ruling": entry.ruling_id,
        "reverses": entry.reverses_id,
        "count": entry.count,
        "amount": f"{entry.amount:.2f}",
        "points": f"{entry.points:.1f}",
        "rule": entry.rule.version_label if entry.rule else None,
        "category": entry.category,
        "stage": entry.stage,
        "reason": entry.reason,
    }
