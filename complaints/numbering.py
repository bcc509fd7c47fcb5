"""Ticket numbers: TS + the day (Asia/Shanghai) + that day's running number, e.g. TS20261128000123.

Each day has its own PostgreSQL sequence, because a counter row locked until commit capped the
whole system's submissions; the price is a gap after a rollback, and nothing needs the numbers
gapless. See docs/api.md, "What a submission costs" (change 1).
"""

from __future__ import annotations

from datetime import date

from django.db import connection

from .models import TicketSequence


def sequence_name(day: date) -> str:
    return f"complaints_ticket_{day:%Y%m%d}"


# The next number of the day given as the one parameter, as an expression a submission's
# opening statement selects beside its other reads (services.intake).
NEXT_NUMBER_SQL = "complaints_next_ticket_number(%s)"


def ticket_no(day: date, number: int) -> str:
    """TS + the day + the day's running number, e.g. TS20261128000123."""
    return f"TS{day:%Y%m%d}{number:06d}"


def next_number(day: date) -> int:
    """Take the next number of `day` (inside the caller's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {NEXT_NUMBER_SQL}", [day])
        (number,) = cursor.fetchone()
    return int(number)


def issued(days) -> dict[date, int]:
    """The last number given out on each of `days` (0 for a day without complaints)."""
    days = list(days)
    counts = dict(TicketSequence.objects.filter(day__in=days).values_list("day", "last"))
    with connection.cursor() as cursor:
        for day in days:
            cursor.execute("SELECT to_regclass(%s)", [sequence_name(day)])
            if cursor.fetchone()[0] is None:
                continue
            cursor.execute(f"SELECT last_value, is_called FROM {sequence_name(day)}")  # nosec B608  # a sequence name built from a date
            last_value, is_called = cursor.fetchone()
            used = last_value if is_called else last_value - 1
            counts[day] = max(counts.get(day, 0), used)
    return {day: counts.get(day, 0) for day in days}


def reserve(counts: dict[date, int]) -> None:
    """Record that numbers up to `counts[day]` are taken (a bulk load wrote its own numbers)."""
    TicketSequence.objects.bulk_create(
        [TicketSequence(day=d, last=n) for d, n in counts.items()],
        update_conflicts=True,
        unique_fields=["day"],
        update_fields=["last"],
    )
    with connection.cursor() as cursor:
        for day, last in counts.items():
            cursor.execute("SELECT to_regclass(%s)", [sequence_name(day)])
            if cursor.fetchone()[0] is not None and last > 0:
                cursor.execute(
                    "SELECT setval(%s, GREATEST(%s, (SELECT last_value FROM "
                    f"{sequence_name(day)})))",  # nosec B608  # the model's own table / a sequence name built from a date; values are parameters
                    [sequence_name(day), last],
                )
