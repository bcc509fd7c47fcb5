"""Supervisor pages: open appeals by nearest deadline, registering a forwarded appeal, the
monthly statistics download, and 监管指标 (the bureau's figures, their Excel, the volume import).
Thin: read the input, call a service (regulators.indicators / regulators.volumes), render."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, F, When
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.exceptions import ValidationError

from complaints.models import Unit
from kernel.clock import deadline_text
from kernel.errors import DomainError

from . import bureau, indicators, services, volumes
from .api import parse_month, statistics_response
from .forms import AppealForm
from .indicator_export import to_xlsx
from .models import Appeal, AppealState, Province


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


# --- 监管指标 ---------------------------------------------------------------------------

VIEW_PERMISSION = "regulators.export_regulator_statistics"


def default_period() -> bureau.Period:
    """The month usually looked at: the previous one (the bureau publishes it mid-month)."""
    last = timezone.localdate().replace(day=1) - timedelta(days=1)
    return bureau.Period(bureau.MONTH, last.year, last.month)


def _read(request) -> tuple[bureau.Period, indicators.Scope]:
    raw = request.GET.get("period", "")
    period = bureau.parse_period(raw) if raw else default_period()
    return period, indicators.parse_scope(request.GET.get("scope"))


def _scopes() -> list[tuple[str, str]]:
    units = Unit.objects.exclude(kind=Unit.Kind.BRANCH).order_by("code").values_list("pk", "name")
    return (
        [(indicators.COMPANY, _("全公司"))]
        + [(f"unit:{pk}", name) for pk, name in units]
        + [(f"province:{code}", str(label)) for code, label in Province.choices]
    )


def _chart_data(rep: indicators.Report) -> dict:
    def num(v):
        return None if v is None else float(v)

    return {
        "months": rep.trend.months,
        "appealRate": [num(v) for v in rep.trend.appeal_rate],
        "effectiveRate": [num(v) for v in rep.trend.effective_rate],
        "types": [t.label for t in rep.types],
        "typeAppeals": [t.appeals for t in rep.types],
        "typeEffective": [t.effective for t in rep.types],
        "labels": {
            "appealRate": _("申诉率"),
            "effectiveRate": _("有效申诉率"),
            "appeals": _("申诉件数"),
            "effective": _("有效申诉件数"),
        },
    }


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def indicators_page(request):
    try:
        period, scope = _read(request)
    except bureau.PeriodError as exc:
        period, scope = default_period(), indicators.parse_scope(None)
        error, status = str(exc), 400
    else:
        error, status = "", 200
    rep = indicators.report(period, scope, timezone.now())
    context = {
        "nav": "indicators",
        "rep": rep,
        "period": period,
        "scope": scope,
        "scopes": _scopes(),
        "error": error,
        "chart": _chart_data(rep),
        "can_import": request.user.has_perm(volumes.PERMISSION),
        "query": f"period={period.key}&scope={scope.key}",
    }
    return render(request, "regulators/indicators.html", context, status=status)


@login_required
@permission_required(VIEW_PERMISSION, raise_exception=True)
def indicators_xlsx(request):
    try:
        period, scope = _read(request)
    except bureau.PeriodError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    rep = indicators.report(period, scope, timezone.now())
    response = HttpResponse(
        to_xlsx(rep),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"regulator-indicators-{period.key}-{scope.key.replace(':', '-')}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@permission_required(volumes.PERMISSION, raise_exception=True)
@require_POST
def volume_import(request):
    """Import a CSV/Excel of volumes; a bad row is reported by line and nothing is stored."""
    upload = request.FILES.get("file")
    period = request.POST.get("period", "")
    url = reverse("regulators:indicators")
    # Back to the period looked at (only a well-formed one: nothing else goes into the URL).
    try:
        target = redirect(f"{url}?period={bureau.parse_period(period).key}" if period else url)
    except bureau.PeriodError:
        target = redirect(url)
    if upload is None:
        messages.error(request, _("请选择要导入的文件。"))
        return target
    try:
        count = volumes.import_file(upload.name, upload.read(), user=request.user)
    except DomainError as exc:
        details = "；".join(f"{k}：{v}" for k, v in list(exc.field_errors.items())[:20])
        messages.error(request, f"{exc.message} {details}".strip())
    else:
        messages.success(request, _("已导入 %(n)d 条业务量。") % {"n": count})
    return target
