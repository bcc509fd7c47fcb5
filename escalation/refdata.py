"""The small, rarely edited tables every submission reads, cached per process.

Phrase lists (urgent threats, contents, vague replies), SLA policies with their escalation
levels and the calendar exceptions used to be read on every submission: six queries of a dozen
or so. They are cached here and reloaded when they change: on PostgreSQL a statement trigger on
each of those tables (migration escalation 0003) sets `reference_data_version` to a new value
from a sequence in the same transaction as the change, and each use reads that one row — one
primary-key lookup instead of six queries. A change is seen by every worker as soon as it
commits; a rolled-back change leaves a version nobody will see again (sequences never go back),
so a cache filled inside that transaction is never taken for committed data. Other databases
(SQLite in development) load every time.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.db import connection
from django.db.models.expressions import RawSQL

from escalation.policies import PolicyBook

# Tables whose changes reload the cache (the migration puts the trigger on each).
TABLES = (
    "complaints_phrase",
    "escalation_slapolicy",
    "escalation_escalationlevel",
    "escalation_calendarexception",
    "escalation_calendaryear",
)


@dataclass(frozen=True)
class ReferenceData:
    phrases: dict[str, tuple[str, ...]]
    book: PolicyBook

    def active_phrases(self, kind: str) -> list[str]:
        return list(self.phrases.get(kind, ()))


_lock = threading.Lock()
_cached: tuple[int, ReferenceData] | None = None


def _load() -> ReferenceData:
    from complaints.models import Phrase

    phrases: dict[str, list[str]] = {}
    for kind, text in Phrase.objects.filter(is_active=True).values_list("kind", "text"):
        phrases.setdefault(kind, []).append(text)
    return ReferenceData(
        phrases={kind: tuple(texts) for kind, texts in phrases.items()},
        book=PolicyBook.load(),
    )


VERSION_SQL = "SELECT version FROM reference_data_version"


def version_column() -> RawSQL | None:
    """The version as a column of a page's own query, or None where there is no version.

    An uncorrelated subquery (evaluated once per statement): a page that reads it with its
    rows and passes it to current(version=…) saves current()'s round trip.
    """
    if connection.vendor != "postgresql":
        return None
    # A constant statement without parameters or input; the table has no model.
    return RawSQL(VERSION_SQL, ())  # nosec B611


def current(*, version: int | None = None) -> ReferenceData:
    """The committed reference data (or this transaction's own uncommitted changes).

    `version`: the version just read in another statement of this request (version_column).
    """
    global _cached
    if connection.vendor != "postgresql":
        return _load()
    if version is None:
        with connection.cursor() as cursor:
            cursor.execute(VERSION_SQL)
            (version,) = cursor.fetchone()
    cached = _cached
    if cached is not None and cached[0] == version:
        return cached[1]
    # The version is read before the data: data newer than its version only costs a reload.
    data = _load()
    with _lock:
        _cached = (version, data)
    return data
