"""Template helpers of the staff console: Chinese countdowns and badges."""

from __future__ import annotations

from datetime import datetime, timedelta

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

register = template.Library()


def duration_text(seconds: float) -> str:
    """Say a duration the Chinese way, coarsest two units: 2天3小时, 5小时12分, 8分."""
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d小时%(m)d分") % {"h": hours, "m": minutes}
    return _("%(m)d分") % {"m": minutes}


@register.simple_tag
def countdown(due: datetime | None, now: datetime) -> str:
    """剩余 5小时12分 before the deadline, 已超时 2小时 after it (the page's JS keeps it live)."""
    if due is None:
        return "—"
    left = (due - now).total_seconds()
    if left < 0:
        return _("已超时 %(t)s") % {"t": duration_text(left)}
    return _("剩余 %(t)s") % {"t": duration_text(left)}


@register.filter
def level_class(level: str | None) -> str:
    """Bootstrap colour of a clock level: green, amber at the warning share, red when breached."""
    return {"ok": "success", "warning": "warning", "breached": "danger"}.get(
        level or "", "secondary"
    )


@register.filter
def level_label(level: str | None) -> str:
    return {"ok": _("正常"), "warning": _("即将超时"), "breached": _("已超时")}.get(level or "", "")


@register.filter
def status_class(status: str) -> str:
    return {
        "accepted": "secondary",
        "verifying": "primary",
        "answered": "info",
        "follow_up": "info",
        "closed": "success",
        "rejected": "dark",
        "withdrawn": "dark",
    }.get(status, "secondary")


@register.filter
def deadline(due: datetime | None) -> str:
    """Show a deadline the Chinese way; one that ends a day reads "12月7日 24:00", not 8日 00:00.

    Day periods (the 7-day statutory answer, 民法典 art. 203) end at 24:00 of their last day, and
    people read "12月8日 00:00" as a day more than they have.
    """
    if due is None:
        return "—"
    local = timezone.localtime(due)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        day = local - timedelta(days=1)
        return f"{day.month}月{day.day}日 24:00"
    return f"{local.month}月{local.day}日 {local:%H:%M}"
