"""{% load deadlines %}{{ due|deadline }}: a deadline written the one way (kernel.clock).

For the messages (SMS, e-mail) every app queues, so they write "12月9日 24:00" as the pages do.
"""

from __future__ import annotations

from datetime import datetime

from django import template

from kernel.clock import deadline_text

register = template.Library()


@register.filter
def deadline(due: datetime | None) -> str:
    """Write a deadline: "12月9日 24:00" when it ends a day, else "12月9日 10:30"; — if none."""
    return "—" if due is None else deadline_text(due)
