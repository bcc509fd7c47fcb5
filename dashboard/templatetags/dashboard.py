"""Formatting of dashboard figures: rates as percentages, money with cents, changes signed."""

from __future__ import annotations

from django import template
from django.http import QueryDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

register = template.Library()

PERIOD_LABELS = {
    "today": gettext_lazy("今日"),
    "7d": gettext_lazy("近7天"),
    "30d": gettext_lazy("近30天"),
    "month": gettext_lazy("按月"),
    "custom": gettext_lazy("自定义"),
}


@register.simple_tag
def period_label(kind: str) -> str:
    return str(PERIOD_LABELS.get(kind, kind))


@register.simple_tag
def kpi_value(value, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "rate":
        return f"{value * 100:.1f}%"
    if kind == "money":
        return f"¥{value:,.2f}"
    if kind == "hours":
        return f"{value:.1f}"
    return f"{value:,}"


@register.simple_tag
def kpi_change(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "rate":
        return f"{value * 100:+.1f}个百分点"
    if kind == "money":
        return f"{value:+,.2f}"
    if kind == "hours":
        return f"{value:+.1f}"
    return f"{value:+,}"


@register.simple_tag
def change_class(row: dict) -> str:
    change = row.get("change")
    if not change:
        return "text-muted"
    good = (change > 0) == row["higher_is_better"]
    return "text-success" if good else "text-danger"


@register.simple_tag
def query_with(query: str, **changes) -> str:
    """The current query string with some parameters replaced (empty value: removed)."""
    q = QueryDict(query, mutable=True)
    for key, value in changes.items():
        q.pop(key, None)
        if value not in ("", None):
            q[key] = str(value)
    return q.urlencode()


@register.simple_tag
def minutes_text(minutes) -> str:
    """Time left ("3小时20分"), or how long ago it passed ("已超 2天4小时")."""
    if minutes is None:
        return "—"
    m = abs(minutes)
    text = (
        f"{m // (24 * 60)}天{(m % (24 * 60)) // 60}小时"
        if m >= 24 * 60
        else f"{m // 60}小时{m % 60}分"
    )
    return text if minutes >= 0 else _("已超 %(t)s") % {"t": text}
