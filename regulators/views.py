"""Supervisor pages: open appeals by nearest deadline, registering a forwarded appeal, and the
monthly statistics download. Thin: the registration calls the API's service."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, F, When
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from kernel.clock import deadline_text
from kernel.errors import DomainError

from . import services
from .api import parse_month, statistics_response
from .forms import AppealForm
from .models import Appeal, AppealState


def _level(appeal: Appeal, now) -> str:
    """The queue's colours for the company's next deadline: red past it, amber from when its
    reminder goes out (REGULATORS["LEAD_HOURS"]), green before."""
    due = appeal.next_due
    if due is None:
        return "none"
    if due <= now:
        return "breached"
    step = "mediation_feedback" if appeal.state == AppealState.MEDIATION else "company_report"
    lead = timedelta(hours=settings.REGULATORS["LEAD_HOURS"][step])
    return "warning" if due - now <= lead else "ok"


@login_required
@permission_required("regulators.view_appeal", raise_exception=True)
def appeals_page(request):
    now = timezone.now()
    # The step the company owes next: the report, else the mediation feedback, else nothing.
    next_due = Case(
        When(
            state__in=[AppealState.RECEIVED, AppealState.INVESTIGATING],
            then=F("company_report_due"),
        ),
        When(
            state=AppealState.MEDIATION,
            mediation_answered_at__isnull=True,
            then=F("mediation_feedback_due"),
        ),
        default=None,
    )
    appeals = list(
        Appeal.objects.open()
        .select_related("complaint")
        .annotate(next_due=next_due)
        .order_by(F("next_due").asc(nulls_last=True), "regulator_reply_due")[:200]
    )
    for appeal in appeals:
        appeal.level = _level(appeal, now)
    last_month = timezone.localdate().replace(day=1) - timedelta(days=1)
    return render(
        request,
        "regulators/appeals.html",
        {
            "appeals": appeals,
            "now": now,
            "default_month": f"{last_month:%Y-%m}",
            "nav": "appeals",
        },
    )


@login_required
@permission_required("regulators.register_appeal", raise_exception=True)
def appeal_register_page(request):
    """登记转办申诉: the form of the regulator liaison; the API's service validates and audits."""
    # Usually registered the day the forwarding notice arrives: now, to be corrected if not.
    received = timezone.localtime().replace(second=0, microsecond=0)
    form = AppealForm(
        initial={"ticket_no": request.GET.get("ticket_no", "")[:24], "received_at": received}
    )
    status = 200
    if request.method == "POST":
        form = AppealForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            documents = data.pop("documents")
            try:
                appeal = services.appeal_register_with_documents(
                    data=services.NewAppeal(**data), documents=documents, by=request.user
                )
            except DomainError as exc:
                form.add_service_error(exc)
                status = exc.status_code
            else:
                messages.success(
                    request,
                    _("已登记申诉 %(case)s，关联工单 %(ticket)s；企业报告时限 %(due)s。")
                    % {
                        "case": appeal.case_no,
                        "ticket": appeal.complaint.ticket_no,
                        "due": deadline_text(appeal.company_report_due),
                    },
                )
                return redirect("regulators:appeals")
    return render(
        request, "regulators/appeal_form.html", {"form": form, "nav": "appeals"}, status=status
    )


@login_required
@permission_required("regulators.export_regulator_statistics", raise_exception=True)
def statistics_download(request):
    fmt = request.GET.get("format", "xlsx")
    try:
        year, month = parse_month(request.GET.get("month"))
    except ValidationError:
        return render(
            request,
            "regulators/appeals.html",
            {"appeals": [], "error": "月份格式须为 YYYY-MM。"},
            status=400,
        )
    return statistics_response(year, month, "csv" if fmt == "csv" else "xlsx")
