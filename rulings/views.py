"""Pages: the ruling panel on the ticket, the rulings board, the dispute form (a branch clerk's
phone with its camera), the supervisor's decision, and the monthly scorecards with drill-down
and export. Each calls the same services as the API; refusals come back on the page with the
service's message, never as a server error.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from complaints import services as complaint_services
from complaints.models import Complaint, Role, StaffProfile, Unit
from complaints.roles import role_of
from kernel.clock import deadline_text
from kernel.errors import DomainError, NotAllowed, NotFound

from . import presenters, scorecard, services
from .forms import DecisionForm, DisputeForm
from .inputs import parse_id, parse_month, parse_ruling
from .models import (
    Dispute,
    DisputeEvidence,
    DisputeStatus,
    NoFaultCause,
    Ruling,
    Stage,
    Verdict,
)

NO_FAULT_CHOICES = [c for c in NoFaultCause.choices if c[0] != NoFaultCause.NOT_ESTABLISHED]


def _complaint(request: HttpRequest, ticket_no: str) -> Complaint:
    try:
        return complaint_services.get_for_staff(ticket_no=ticket_no, by=request.user)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


def _guard(call, *args, **kwargs):
    """Run a read service; its refusals become 404 / 403 pages."""
    try:
        return call(*args, **kwargs)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc


# --- The ruling panel on the ticket page ------------------------------------------------------


def _panel(
    request: HttpRequest,
    complaint: Complaint,
    *,
    form: dict | None = None,
    errors: dict | None = None,
    message: str = "",
    error: str = "",
) -> HttpResponse:
    user = request.user
    _guard(services.rulings_for_complaint, complaint=complaint, by=user)
    rows = (
        presenters.with_current(Ruling.objects.visible_to(user))
        .filter(complaint=complaint)
        .select_related("unit", "person", "by", "rule", "dispute", "complaint")
        .order_by("-at", "-id")
    )
    now = timezone.now()
    rulings = list(rows)
    for ruling in rulings:
        ruling.dispute_row = presenters.dispute_of(ruling)
        ruling.sees_amounts = services.sees_amounts(user, ruling)
        ruling.can_dispute = presenters.may_dispute(user, ruling, now=now)
    current = rulings[0] if rulings else None
    can_rule = (
        services.may_rule(user)
        and complaint.first_answered_at is not None
        and complaint.status not in services.NOT_RULABLE
        and not (current and current.dispute_row and current.dispute_row.status == "pending")
    )
    entries = []
    if user.has_perm("rulings.view_ledgerentry"):
        entries = list(
            services.LedgerEntry.objects.visible_to(user)
            .filter(complaint=complaint)
            .select_related("unit", "person")
            .order_by("at", "id")
        )
    context: dict[str, Any] = {
        "complaint": complaint,
        "rulings": rulings,
        "current": current,
        "entries": entries,
        "can_rule": can_rule,
        "now": now,
        "message": message,
        "error": error,
        "errors": errors or {},
        "evidence_error": next(
            (errors[k] for k in ("evidence", "replies", "attachments") if k in (errors or {})), ""
        ),
    }
    if can_rule:
        replies = list(complaint.replies.select_related("unit").order_by("-at"))
        form = form or {
            "unit": str(complaint.unit_id or ""),
            "replies": [str(replies[0].pk)] if replies else [],
            "attachments": [],
        }
        context.update(
            {
                "form": form,
                "replies": replies,
                "attachments": list(complaint.attachments.order_by("uploaded_at")),
                "units": Unit.objects.filter(is_active=True).only("code", "name"),
                "persons": _persons(form.get("unit")),
                "verdicts": Verdict.choices,
                "stages": Stage.choices,
                "causes": NO_FAULT_CHOICES,
            }
        )
    return render(request, "rulings/_panel.html", context)


def _persons(unit_value) -> list:
    errors: dict = {}
    unit_id = parse_id(unit_value, "unit", errors, label="单位")
    if unit_id is None:
        return []
    return list(
        StaffProfile.objects.filter(unit_id=unit_id, user__is_active=True)
        .select_related("user")
        .order_by("user__username")[:200]
    )


@login_required
@require_GET
def panel(request: HttpRequest, ticket_no: str) -> HttpResponse:
    complaint = _complaint(request, ticket_no)
    try:
        return _panel(request, complaint)
    except PermissionDenied as exc:
        return render(request, "rulings/_denied.html", {"error": str(exc)}, status=403)


@login_required
@require_GET
def persons(request: HttpRequest) -> HttpResponse:
    """htmx: the staff of the chosen unit, as the person select's options."""
    if not services.may_rule(request.user):
        raise PermissionDenied(_("您没有权限判责。"))
    rows = _persons(request.GET.get("unit"))
    return render(request, "rulings/_person_options.html", {"persons": rows, "selected": ""})


@login_required
@require_POST
def record(request: HttpRequest, ticket_no: str) -> HttpResponse:
    complaint = _complaint(request, ticket_no)
    post = request.POST
    form = {
        "verdict": post.get("verdict", ""),
        "stage": post.get("stage", ""),
        "unit": post.get("unit", ""),
        "person": post.get("person", ""),
        "no_fault_cause": post.get("no_fault_cause", ""),
        "reason": post.get("reason", ""),
        "replies": post.getlist("replies"),
        "attachments": post.getlist("attachments"),
    }
    # A fault names no cause and a 无责 no unit: the form shows both, send only what applies.
    data = {k: v for k, v in post.items() if k in form or k == "current_ruling"}
    if data.get("verdict") == Verdict.NOT_AT_FAULT:
        data.update({"stage": "", "unit": "", "person": ""})
    elif data.get("verdict"):
        data["no_fault_cause"] = ""
    try:
        ruling = services.ruling_record(
            complaint=complaint,
            by=request.user,
            data=parse_ruling(data, getlist=post.getlist),
        )
    except DomainError as exc:
        fresh = Complaint.objects.get(pk=complaint.pk)
        return _panel(request, fresh, form=form, errors=exc.field_errors, error=exc.message)
    fresh = Complaint.objects.get(pk=complaint.pk)
    done = _("已判责：%(verdict)s。") % {"verdict": ruling.get_verdict_display()}
    if ruling.is_fault and ruling.unit:
        done += _("已记入%(unit)s考核台账：扣款 ¥%(amount)s，扣分 %(points)s。") % {
            "unit": ruling.unit.name,
            "amount": f"{ruling.amount:.2f}",
            "points": f"{ruling.points:.1f}",
        }
    return _panel(request, fresh, message=done)


# --- The board: rulings against a branch, disputes waiting for a decision ----------------------


@login_required
@require_GET
def board(request: HttpRequest) -> HttpResponse:
    user = request.user
    _guard(services.require_view, user)
    now = timezone.now()
    rows = (
        presenters.with_current(Ruling.objects.visible_to(user))
        .select_related("complaint", "unit", "person", "by", "dispute")
        .order_by("-at", "-id")
    )
    if role_of(user) == Role.BRANCH:
        rows = rows.filter(unit_id=services.branch_unit_of(user))
    rulings = list(rows[:50])
    for ruling in rulings:
        ruling.dispute_row = presenters.dispute_of(ruling)
        ruling.sees_amounts = services.sees_amounts(user, ruling)
        ruling.can_dispute = presenters.may_dispute(user, ruling, now=now)
    disputes = []
    if user.has_perm("rulings.view_dispute"):
        disputes = list(
            Dispute.objects.visible_to(user)
            .filter(status=DisputeStatus.PENDING)
            .select_related("complaint", "unit", "filed_by")
            .order_by("decision_due", "id")[:100]
        )
    return render(
        request,
        "rulings/board.html",
        {
            "nav": "rulings",
            "rulings": rulings,
            "disputes": disputes,
            "now": now,
            "may_decide": services.may_decide(user),
        },
    )


# --- The dispute form (the unit at fault, on a phone) -----------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dispute_form(request: HttpRequest, ruling_id: int) -> HttpResponse:
    ruling = _guard(services.get_ruling_for_staff, ruling_id=ruling_id, by=request.user)
    form = DisputeForm(request.POST or None, request.FILES or None)
    status = 200
    error = ""
    if request.method == "POST":
        try:
            dispute = services.dispute_file(
                ruling=ruling,
                by=request.user,
                reason=request.POST.get("reason", ""),
                uploads=request.FILES.getlist("files"),
            )
        except DomainError as exc:
            error = exc.message
            for field, text in exc.field_errors.items():
                form.add_error(field if field in form.fields else None, text)
            status = exc.status_code if exc.status_code != 404 else 400
        else:
            return redirect(reverse("rulings:dispute", args=[dispute.pk]) + "?filed=1")
    ruling = (
        presenters.with_current(Ruling.objects.filter(pk=ruling.pk))
        .select_related("complaint", "unit", "person", "by", "rule", "dispute")
        .get()
    )
    context = {
        "nav": "rulings",
        "ruling": ruling,
        "form": form,
        "error": error,
        "now": timezone.now(),
        "can_dispute": presenters.may_dispute(request.user, ruling, now=timezone.now()),
        "dispute": presenters.dispute_of(ruling),
        "sees_amounts": services.sees_amounts(request.user, ruling),
    }
    return render(request, "rulings/dispute_form.html", context, status=status)


# --- A dispute and the supervisor's decision --------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = _guard(services.get_dispute_for_staff, dispute_id=dispute_id, by=request.user)
    form = DecisionForm(request.POST or None)
    status, error, message = 200, "", ""
    if request.GET.get("filed"):
        message = _("申诉已提交，质量监控主管将在%(due)s前裁决。") % {
            "due": deadline_text(dispute.decision_due)  # issue 18 §13: "12月9日 24:00"
        }
    if request.method == "POST":
        try:
            services.dispute_decide(
                dispute=dispute,
                by=request.user,
                outcome=request.POST.get("outcome", ""),
                reason=request.POST.get("reason", ""),
            )
        except DomainError as exc:
            error = exc.message
            for field, text in exc.field_errors.items():
                form.add_error(field if field in form.fields else None, text)
            status = exc.status_code if exc.status_code != 404 else 400
        else:
            dispute = services.get_dispute_for_staff(dispute_id=dispute_id, by=request.user)
            message = (
                _("已改判无责，原考核已冲销。")
                if dispute.status == DisputeStatus.OVERTURNED
                else _("已维持原判。")
            )
            form = DecisionForm()
    ruling = dispute.ruling
    context = {
        "nav": "rulings",
        "dispute": dispute,
        "ruling": ruling,
        "form": form,
        "error": error,
        "message": message,
        "may_decide": dispute.status == DisputeStatus.PENDING and services.may_decide(request.user),
        "sees_amounts": services.sees_amounts(request.user, ruling),
    }
    return render(request, "rulings/dispute.html", context, status=status)


@login_required
@require_GET
def evidence_download(request: HttpRequest, dispute_id: int, token: str) -> HttpResponse:
    """Serve a dispute's evidence as a download with its detected type, never as a page."""
    dispute = _guard(services.get_dispute_for_staff, dispute_id=dispute_id, by=request.user)
    item = get_object_or_404(DisputeEvidence, dispute=dispute, token=token[:32])
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        # Named with the detected type's extension, whatever the clerk's file was called.
        filename=f"{PurePath(item.original_name).stem or item.token}{item.extension}",
        content_type=item.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Scorecards -------------------------------------------------------------------------------


def _month(request: HttpRequest):
    try:
        return parse_month(request.GET.get("month"), default=timezone.localdate()), ""
    except DomainError as exc:
        return timezone.localdate().replace(day=1), exc.message


def _require_scorecard(user) -> None:
    if not user.has_perm("rulings.view_scorecard"):
        raise PermissionDenied(_("您没有权限查看考核记分卡。"))


@login_required
@require_GET
def scorecard_page(request: HttpRequest) -> HttpResponse:
    _require_scorecard(request.user)
    month, error = _month(request)
    view = "person" if request.GET.get("view") == "person" else "unit"
    rows = (
        scorecard.person_scores(month=month, by=request.user)
        if view == "person"
        else scorecard.unit_scores(month=month, by=request.user)
    )
    totals = {
        "justified": sum(r.justified for r in rows),
        "amount": sum((r.amount for r in rows), scorecard.ZERO),
        "points": sum((r.points for r in rows), scorecard.Decimal("0.0")),
    }
    return render(
        request,
        "rulings/scorecard.html",
        {
            "nav": "scorecard",
            "month": month,
            "view": view,
            "rows": rows,
            "totals": totals,
            "error": error,
            "can_export": request.user.has_perm("rulings.export_scorecard"),
        },
    )


@login_required
@require_GET
def scorecard_entries(request: HttpRequest, kind: str, key: int) -> HttpResponse:
    """Drill-down: the month's ledger entries of one unit or person, with their complaints."""
    _require_scorecard(request.user)
    month, error = _month(request)
    if kind not in ("unit", "person") or not 0 < key < 2**63:
        raise Http404(_("没有这个单位或人员。"))
    filters = {"unit_id": key} if kind == "unit" else {"person_id": key}
    entries = list(scorecard.month_entries(month=month, by=request.user, **filters))
    own = services.branch_unit_of(request.user)
    if kind == "unit":
        found = Unit.objects.filter(pk=key).first()
        label, unit_id = (found.name, found.pk) if found else (None, None)
    else:
        person = StaffProfile.objects.select_related("user").filter(user_id=key).first()
        label = (person.user.get_full_name() or person.user.get_username()) if person else None
        unit_id = person.unit_id if person else None
    # A branch drills into its own unit and its own people only.
    if label is None or (own is not None and unit_id != own):
        raise Http404(_("没有这个单位或人员。"))
    return render(
        request,
        "rulings/scorecard_entries.html",
        {
            "nav": "scorecard",
            "month": month,
            "kind": kind,
            "key": key,
            "label": label,
            "entries": entries,
            "error": error,
        },
    )


@login_required
@require_GET
def scorecard_export(request: HttpRequest) -> HttpResponse:
    if not request.user.has_perm("rulings.export_scorecard"):
        raise PermissionDenied(_("您没有权限导出考核结算表。"))
    month, error = _month(request)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    body = scorecard.xlsx_month(month=month, by=request.user)
    response = HttpResponse(
        body,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="assessment-{month:%Y-%m}.xlsx"'
    return response
