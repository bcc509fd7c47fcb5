"""Template tags for pages about complaints: {% load appeals %}{% appeal_hint complaint %}."""

from django import template
from django.utils import timezone

from kernel import refdata
from regulators.hints import appeal_hint as _appeal_hint

register = template.Library()


@register.simple_tag
def appeal_hint(complaint) -> str:
    """客户可于 X 月 X 日起向 12305 申诉 — for the agent console, on every complaint."""
    # The supervisors' calendar as the SLA engine and the ticket panel see it (cached copy).
    calendar = refdata.current()["calendar"]
    return _appeal_hint(complaint, today=timezone.localdate(), calendar=calendar)
