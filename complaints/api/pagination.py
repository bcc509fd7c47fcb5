"""Keyset (cursor) pagination of the staff list, nearest deadline first.

Ordered by (next_deadline, id) with complaints without a running deadline (closed, rejected…)
last, by id. The cursor is the last row's position, so every page costs the same indexed range
scan however deep it is: at most two queries (the rows with a deadline, then the rest).
"""

from __future__ import annotations

import base64
from datetime import datetime

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError


def encode_cursor(complaint) -> str:
    if complaint.next_deadline is not None:
        raw = f"d|{complaint.next_deadline.isoformat()}|{complaint.pk}"
    else:
        raw = f"n||{complaint.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, datetime | None, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        phase, deadline, pk = raw.split("|")
        if phase not in ("d", "n"):
            raise ValueError(phase)
        when = datetime.fromisoformat(deadline) if phase == "d" else None
        if when is not None and when.tzinfo is None:
            raise ValueError("naive")
        pk = int(pk)
        if not 0 <= pk < 2**63:
            raise ValueError(pk)
        return phase, when, pk
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise ValidationError({"cursor": "分页游标无效，请从第一页重新开始。"}) from exc


def page(queryset: QuerySet, *, cursor: str | None, size: int) -> tuple[list, str | None]:
    """Return one page of rows and the cursor of the next page (None on the last page)."""
    phase, deadline, last_pk = decode_cursor(cursor) if cursor else ("d", None, 0)
    rows: list = []
    if phase == "d":
        with_deadline = queryset.filter(next_deadline__isnull=False)
        if deadline is not None:
            with_deadline = with_deadline.filter(next_deadline__gte=deadline).filter(
                Q(next_deadline__gt=deadline) | Q(pk__gt=last_pk)
            )
        rows = list(with_deadline.order_by("next_deadline", "pk")[: size + 1])
        last_pk = 0
    if len(rows) <= size:
        rest = queryset.filter(next_deadline__isnull=True, pk__gt=last_pk).order_by(
            "next_deadline", "pk"
        )
        rows += list(rest[: size + 1 - len(rows)])
    more = len(rows) > size
    rows = rows[:size]
    return rows, encode_cursor(rows[-1]) if more and rows else None
