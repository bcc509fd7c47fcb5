"""Keyset (cursor) pagination of the staff list, nearest deadline first.

Ordered by (next_deadline, id) with complaints without a running deadline (closed, rejected…)
last, by id. The cursor is the last row's position, so every page costs the same indexed range
scan however deep it is: at most two queries (the rows with a deadline, then the rest).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError

from complaints import search
from kernel import api_fields


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
        # A deadline we wrote is in UTC within the product's years; year 9999 at -12:00 is
        # not, and overflowed when the database converted it (issue 19 §6).
        if when is not None:
            when = when.astimezone(UTC)
            if not api_fields.in_range(when):
                raise ValueError("out of range")
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


# --- Ranked search results ----------------------------------------------------------------

# Ranked rows have no stable key to resume from, so the search cursor is a position. Deep
# pages of a ranked list are not worth their cost: past this many the term needs narrowing.
SEARCH_MAX_RESULTS = 500


def encode_search_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"s|{offset}".encode()).decode().rstrip("=")


def decode_search_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, offset = raw.split("|")
        offset = int(offset)
        if kind != "s" or not 0 <= offset < SEARCH_MAX_RESULTS:
            raise ValueError(raw)
        return offset
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError({"cursor": "分页游标无效，请从第一页重新开始。"}) from exc


def search_page(queryset: QuerySet, f: dict, *, now=None) -> tuple[list, str | None]:
    """One page of the search box's ranked results for `f["q"]` within `queryset`: one query.

    `queryset` is already scoped to the user and narrowed by the other filters of `f`.
    """
    terms = search.parse_terms(f["q"])
    offset = decode_search_cursor(f["cursor"]) if f.get("cursor") else 0
    size = min(f["page_size"], SEARCH_MAX_RESULTS - offset)
    rows, more = search.search_page(queryset, terms, offset=offset, size=size)
    more = more and offset + size < SEARCH_MAX_RESULTS
    return rows, encode_search_cursor(offset + size) if more else None
