"""Live lists for the supervisor: what needs action now, each row one click from its ticket.

Read straight from the complaints through the partial indexes on open complaints' deadlines,
so each list is an index range scan, not a sweep over history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.apps import apps
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from compensation.models import Claim, ClaimStatus
from complaints.models import OPEN_STATES, Complaint, Status

LIST_LIMIT = 20
# Counts stop here ("999+"): counting 50 000 overdue tickets exactly costs a heap visit each.
COUNT_CAP = 999


def capped_count(qs) -> int:
    """How many rows, counting at most COUNT_CAP + 1 (the page shows "999+")."""
    return qs.order_by().values("pk")[: COUNT_CAP + 1].count()


AT_RISK_WINDOW = timedelta(hours=4)
# 邮政业用户申诉处理办法 art. 9: unanswered after 7 days the customer may appeal to 12305; the
# list shows complaints within a day of that point (the SLA engine's statutory risk lead).
STATUTORY_RISK_LEAD = timedelta(days=1)


def _complaints(unit_keys):
    qs = Complaint.objects.all()
    if unit_keys is not None:
        qs = qs.filter(unit_id__in=unit_keys)
    return qs


def _row(c: Complaint, due: datetime | None, now: datetime) -> dict:
    return {
        "ticket_no": c.ticket_no,
        "url": reverse("web:ticket", args=[c.ticket_no]),
        "category": c.get_category_display(),
        "status": c.get_status_display(),
        "unit": c.unit.name if c.unit_id else "未下发",
        "priority": c.get_priority_display(),
        "due": due.isoformat() if due else None,
        "minutes_left": int((due - now).total_seconds() // 60) if due else None,
    }


def _complaint_list(qs, due_field: str, now: datetime) -> dict:
    fields = (
        "id",
        "ticket_no",
        "category",
        "status",
        "unit__name",
        "unit_id",
        "priority",
        due_field,
    )
    rows = list(qs.select_related("unit").only(*fields).order_by(due_field)[:LIST_LIMIT])
    return {
        "count": capped_count(qs),
        "rows": [_row(c, getattr(c, due_field), now) for c in rows],
    }


def appeal_deadlines(unit_keys, now: datetime) -> dict | None:
    """Open regulator appeals by their company deadline: the report (10 days, 2020 rules) while
    it is outstanding, the answer to a mediation proposal (3 working days) while in mediation.

    Returns None while the regulators app has no Appeal model (it was built on another branch;
    the page then says the list is not available). Each row links to the appeal's complaint.
    """
    try:
        appeal = apps.get_model("regulators", "Appeal")
    except LookupError:
        return None
    qs = appeal.objects.all()
    if unit_keys is not None:
        qs = qs.filter(complaint__unit_id__in=unit_keys)
    report = qs.filter(state__in=["received", "investigating"])
    mediation = qs.filter(state="mediation", mediation_answered_at__isnull=True)
    rows = []
    for part, due_field, label in (
        (report, "company_report_due", _("企业报告")),
        (mediation, "mediation_feedback_due", _("调解反馈")),
    ):
        for a in part.select_related("complaint", "complaint__unit").order_by(due_field)[
            :LIST_LIMIT
        ]:
            due = getattr(a, due_field)
            rows.append(
                {
                    **_row(a.complaint, due, now),
                    "case_no": a.case_no,
                    "step": str(label),
                }
            )
    rows.sort(key=lambda r: r["due"] or "")
    return {
        "count": min(capped_count(report) + capped_count(mediation), COUNT_CAP + 1),
        "rows": rows[:LIST_LIMIT],
    }


def live_lists(*, unit_keys, now: datetime) -> dict:
    """Breached now, at risk in the next 4 hours, 12305 risk, claims awaiting approval, appeals."""
    base = _complaints(unit_keys).filter(status__in=OPEN_STATES)
    breached = base.filter(next_deadline__lt=now)
    at_risk = base.filter(next_deadline__gte=now, next_deadline__lt=now + AT_RISK_WINDOW)
    statutory = _complaints(unit_keys).filter(
        status__in=[Status.ACCEPTED, Status.VERIFYING],
        statutory_due__lt=now + STATUTORY_RISK_LEAD,
    )
    claims_qs = Claim.objects.filter(status=ClaimStatus.PROPOSED)
    if unit_keys is not None:
        claims_qs = claims_qs.filter(complaint__unit_id__in=unit_keys)
    claims = list(
        claims_qs.select_related("complaint", "complaint__unit").order_by("proposed_at")[
            :LIST_LIMIT
        ]
    )
    return {
        "breached": _complaint_list(breached, "next_deadline", now),
        "at_risk": _complaint_list(at_risk, "next_deadline", now),
        "statutory_risk": _complaint_list(statutory, "statutory_due", now),
        "claims": {
            "count": capped_count(claims_qs),
            "rows": [
                {
                    "ticket_no": cl.complaint.ticket_no,
                    "url": reverse("web:ticket", args=[cl.complaint.ticket_no])
                    + f"#claim-panel-{cl.complaint_id}",
                    "amount": str(cl.amount),
                    "needs_review": cl.needs_review,
                    "unit": cl.complaint.unit.name if cl.complaint.unit_id else "未下发",
                    "proposed_at": cl.proposed_at.isoformat(),
                }
                for cl in claims
            ],
        },
        "appeals": appeal_deadlines(unit_keys, now),
    }
