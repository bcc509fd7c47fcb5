"""监管指标: the bureau's figures page, its Excel, the volume import and the volume API.

Thin: read the period and scope, call regulators.indicators / regulators.volumes, render.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from complaints.api.views import errors
from complaints.models import Unit
from kernel.errors import DomainError

from . import bureau, indicators, volumes
from .indicator_export import to_xlsx
from .models import Province, VolumeSource

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


class VolumeInSerializer(serializers.Serializer):
    """Documentation of one row (the service checks them, all or nothing)."""

    month = serializers.CharField(help_text="YYYY-MM")
    unit = serializers.CharField(
        required=False, help_text="单位编码（与省份二选一，均不填为全公司）"
    )
    province = serializers.CharField(required=False, help_text="省份代码（如 GD）或名称")
    parcels = serializers.IntegerField(min_value=0, help_text="当月业务量（件）")


class StoredSerializer(serializers.Serializer):
    stored = serializers.IntegerField()


class ParcelVolumeView(APIView):
    """POST one volume or a list: {"month": "2026-11", "unit": "B-EAST-1" | "province": "GD" |
    neither (the company), "parcels": 40000000}. All or nothing; a month and scope sent again
    replaces its figure."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="parcel_volume_upsert",
        summary="录入业务量（运营系统）",
        request=VolumeInSerializer(many=True),
        responses={200: StoredSerializer, **errors(400, 401, 403, 415, 429)},
    )
    def post(self, request):
        if not request.user.has_perm(volumes.PERMISSION):
            raise exceptions.PermissionDenied(_("只有质量监控主管可以录入业务量。"))
        data = request.data
        items = data if isinstance(data, list) else [data]
        if not all(isinstance(item, dict) for item in items):
            raise exceptions.ValidationError({"non_field_errors": _("请求体须为对象或对象数组。")})
        rows = volumes.check_rows(list(enumerate(items, start=1)))
        count = volumes.store(rows, user=request.user, source=VolumeSource.API)
        return Response({"stored": count}, status=200)
