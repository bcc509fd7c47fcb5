"""The monthly report: last calendar month, whole company, e-mailed with the Excel attached."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q
from django.utils import timezone

from complaints.models import Role

from . import exports, reports
from .periods import Period
from .rollup import local_day, rollup_refresh


def previous_month(today: date) -> Period:
    last = today.replace(day=1) - timedelta(days=1)
    return Period("month", last.replace(day=1), last)


def monthly_report_send(*, today: date | None = None) -> int:
    """Send the report for the month before `today`; return the number of recipients."""
    today = today or local_day(timezone.now())
    rollup_refresh()
    period = previous_month(today)
    sel = reports.selection(period=period, unit_id=None, category="")
    recipients = list(
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(staff__role=Role.SUPERVISOR) | Q(is_superuser=True))
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if not recipients:
        return 0
    lines = [f"{name}：{value}" for name, value in sel.filters()]
    lines.append("")
    for row in reports.kpi_rows(sel):
        value = row["value"]
        if value is None:
            text = "—"
        elif row["kind"] == "rate":
            text = f"{value * 100:.1f}%"
        else:
            text = str(value)
        lines.append(f"{row['label']}：{text}")
    message = EmailMessage(
        subject=f"投诉质量月报 {period.first:%Y年%m月}",
        body="\n".join(lines) + "\n\n详细数据见附件。",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
    )
    message.attach(
        exports.export_filename(sel, "xlsx"),
        exports.xlsx_report(sel),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    message.send()
    return len(recipients)
