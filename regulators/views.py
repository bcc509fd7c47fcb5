"""Supervisor pages: open appeals by nearest deadline, and the monthly statistics download."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Case, F, When
from django.shortcuts import render
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from .api import parse_month, statistics_response
from .models import Appeal, AppealState


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
    appeals = (
        Appeal.objects.open()
        .select_related("complaint")
        .annotate(next_due=next_due)
        .order_by(F("next_due").asc(nulls_last=True), "regulator_reply_due")[:200]
    )
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
