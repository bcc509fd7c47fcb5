"""The journey on the staff pages: htmx fragments beside intake and on the ticket page.

Both read only what is stored, so a TMS that is down or slow never slows a page: when the
journey is not here yet the fragment says 轨迹暂未获取, owes a pull (a worker asks the TMS) and
asks for itself again a few seconds later, a bounded number of times.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaints import services
from complaints.models import Complaint, Status
from complaints.rules import normalize_tracking_no
from kernel.errors import DomainError, NotFound

from . import journey, journey_rules, pull
from .models import JourneyFact, PullJob, RoutingDecision, Waybill

INTAKE_SCANS = 6  # the latest scans shown beside intake (all of them on the ticket)
POLLS = 10  # how many times a fragment asks again for a journey not here yet
POLL_SECONDS = 3


def _poll(request) -> int:
    try:
        return max(0, min(int(request.GET.get("poll", 0)), POLLS))
    except ValueError:
        return 0


def _pull_state(waybill: str, row: Waybill | None, *, now, reason: str, owe: bool) -> dict:
    """Whether a pull is under way; owe one when the last is older than PULL_FRESH_SECONDS."""
    fresh = timedelta(seconds=int(settings.TRACKING["PULL_FRESH_SECONDS"]))
    if owe and (row is None or row.last_pulled_at is None or now - row.last_pulled_at > fresh):
        pull.request_pull(waybill, reason=reason, now=now)
    latest = PullJob.objects.filter(waybill=waybill).order_by("-created_at", "-id").first()
    return {
        "pending": latest is not None
        and latest.status in (PullJob.Status.PENDING, PullJob.Status.RUNNING),
        "failed": latest is not None and latest.status == PullJob.Status.FAILED,
        "retrying": latest is not None and latest.attempts > 0 and bool(latest.last_error),
        "unknown": row is not None and row.unknown_to_tms,
    }


def _scan_rows(scans: list[journey_rules.Scan], facts: list[journey_rules.Fact]) -> list[dict]:
    """The scans newest first, each marked when a fact rests on it."""
    resting = {}
    for fact in facts:
        for scan in fact.scans:
            resting.setdefault(scan.key, []).append(fact.kind)
    return [
        {"scan": s, "facts": resting.get(s.key, []), "other": s.type == journey_rules.OTHER}
        for s in reversed(scans)
    ]


def _fact_rows(facts: list[journey_rules.Fact]) -> list[dict]:
    return [
        {"fact": f, "text": journey.fact_text(f), "flag": f.kind in journey_rules.FLAGS}
        for f in facts
    ]


@login_required
@require_GET
def intake_journey(request):
    """htmx beside intake: the waybill's latest scans as soon as the number is typed."""
    if not request.user.has_perm("complaints.add_complaint"):
        raise PermissionDenied(_("您没有权限访问此页面。"))
    raw = (request.GET.get("tracking_no") or "").replace("\x00", "")[:100]
    waybill = normalize_tracking_no(raw)
    context: dict = {"waybill": waybill, "poll": _poll(request)}
    if len(waybill) < 6 or len(waybill) > 40 or not waybill.isascii() or not waybill.isalnum():
        return render(request, "tracking/_intake_journey.html", context)
    now = timezone.now()
    row = Waybill.objects.filter(pk=waybill).first()
    scans = journey.scans_of(waybill)
    facts = journey_rules.journey_facts(
        scans,
        now=now,
        facts=journey_rules.JourneyFacts(
            stuck_hours=journey.stuck_hours("express"),
            promised_at=row.promised_at if row else None,
        ),
    )
    context.update(
        asked=True,
        scans=_scan_rows(scans, facts)[:INTAKE_SCANS],
        count=len(scans),
        facts=_fact_rows([f for f in facts if f.kind in journey_rules.FLAGS]),
        holder=next((f for f in facts if f.kind == journey_rules.LAST_HOLDER), None),
        state=_pull_state(
            waybill, row, now=now, reason=PullJob.Reason.LOOKUP, owe=context["poll"] == 0
        ),
        poll_seconds=POLL_SECONDS,
        polls=POLLS,
    )
    return render(request, "tracking/_intake_journey.html", context)


def _complaint(request, ticket_no: str) -> Complaint:
    try:
        return services.get_for_staff(ticket_no=ticket_no, by=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        raise PermissionDenied(exc.message) from exc


def _milestones(complaint: Complaint) -> list[dict]:
    """The complaint's own moments, to merge into the scans' timeline."""
    marks = [
        (complaint.accepted_at, _("客户投诉受理（%(no)s）") % {"no": complaint.ticket_no}),
        (
            complaint.dispatched_at,
            _("下发至 %(unit)s") % {"unit": complaint.unit.name if complaint.unit else "—"},
        ),
        (complaint.first_answered_at, _("网点答复")),
        (complaint.closed_at, _("投诉闭环")),
    ]
    return [{"at": at, "text": text} for at, text in marks if at is not None]


def _panel_context(request, complaint: Complaint, *, alert=None) -> dict:
    now = timezone.now()
    row = Waybill.objects.filter(pk=complaint.tracking_no).first()
    scans = journey.scans_of(complaint.tracking_no)
    facts = journey.current_facts(complaint, scans, row, now=now)
    timeline: list[dict] = [
        {"at": r["scan"].at, "kind": "scan", **r} for r in _scan_rows(scans, facts)
    ]
    timeline += [{"kind": "complaint", **m} for m in _milestones(complaint)]
    timeline.sort(key=lambda e: e["at"], reverse=True)
    decisions = list(
        RoutingDecision.objects.filter(complaint=complaint)
        .select_related("unit", "resolved_by")
        .order_by("-decided_at", "-id")[:5]
    )
    suggestion = next(
        (d for d in decisions if d.outcome == RoutingDecision.Outcome.SUGGESTED), None
    )
    return {
        "complaint": complaint,
        "waybill_row": row,
        "timeline": timeline,
        "count": len(scans),
        "facts": _fact_rows(facts),
        "kept_facts": JourneyFact.objects.filter(complaint=complaint, active=True),
        "decision": decisions[0] if decisions else None,
        "suggestion": suggestion,
        "suggestion_reason": journey.route_reason(suggestion) if suggestion else "",
        "may_dispatch": request.user.has_perm("complaints.dispatch_complaint")
        and complaint.status == Status.ACCEPTED,
        "state": _pull_state(
            complaint.tracking_no, row, now=now, reason=PullJob.Reason.MANUAL, owe=False
        ),
        "poll": _poll(request),
        "polls": POLLS,
        "poll_seconds": POLL_SECONDS,
        "alert": alert,
    }


@login_required
@require_GET
def ticket_journey(request, ticket_no: str):
    """htmx on the ticket page: the journey as a vertical timeline with the complaint's moments."""
    complaint = _complaint(request, ticket_no)
    return render(request, "tracking/_journey_panel.html", _panel_context(request, complaint))


@login_required
@require_POST
def ticket_refresh(request, ticket_no: str):
    """Ask the TMS again now (a worker does it); the panel polls until the answer is stored."""
    complaint = _complaint(request, ticket_no)
    pull.request_pull(complaint.tracking_no, reason=PullJob.Reason.MANUAL)
    context = _panel_context(request, complaint, alert=("info", _("已请求重新获取轨迹。")))
    return render(request, "tracking/_journey_panel.html", context)


@login_required
@require_POST
def suggestion(request, decision_id: int, choice: str):
    """The agent accepts 智能分单's suggestion (one click) or dismisses it."""
    decision = RoutingDecision.objects.select_related("complaint").filter(pk=decision_id).first()
    if decision is None or choice not in ("accept", "dismiss"):
        raise Http404(_("分单建议不存在。"))
    complaint = _complaint(request, decision.complaint.ticket_no)
    try:
        if choice == "accept":
            journey.suggestion_accept(decision_id=decision_id, by=request.user)
            alert = ("success", _("已按建议下发。"))
        else:
            journey.suggestion_dismiss(decision_id=decision_id, by=request.user)
            alert = ("secondary", _("已不采纳该建议，请手动下发。"))
    except DomainError as exc:
        alert = ("danger", exc.message)
    complaint.refresh_from_db()
    response = render(
        request, "tracking/_journey_panel.html", _panel_context(request, complaint, alert=alert)
    )
    if alert[0] == "success":
        # The ticket's own panel (state, actions) changed too: reload the page.
        response = HttpResponse(status=204, headers={"HX-Refresh": "true"})
    return response
