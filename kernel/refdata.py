"""The small, rarely edited tables every request reads, cached per process until they change.

Apps register loaders in AppConfig.ready; a statement trigger on each table (migrations
escalation 0004 and 0008) bumps `reference_data_version` in the changing transaction, so a use
costs one primary-key lookup. See docs/api.md, "What a submission costs" (change 2).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

VERSION_SQL = "SELECT version FROM reference_data_version"

_loaders: list[Callable[[], dict[str, Any]]] = []
_lock = threading.Lock()
_cached: tuple[int, ReferenceData] | None = None


def register(loader: Callable[[], dict[str, Any]]) -> None:
    """Call `loader` whenever the reference data is (re)loaded; it returns parts by name.

    Loaders run in the order registered (INSTALLED_APPS): a later part replaces an earlier one
    of the same name.
    """
    _loaders.append(loader)


class ReferenceData:
    """The loaded parts, by name: `reference["phrases"]`, `reference["sla"]`…"""

    def __init__(self, parts: dict[str, Any]):
        self._parts = parts

    def __getitem__(self, part: str) -> Any:
        return self._parts[part]


def _load() -> ReferenceData:
    parts: dict[str, Any] = {}
    for load in _loaders:
        parts.update(load())
    return ReferenceData(parts)


def version_column() -> RawSQL | None:
    """The version as a column of a page's own query, or None where there is no version.

    An uncorrelated subquery (evaluated once per statement): a page that reads it with its
    rows and passes it to current(version=…) saves current()'s round trip.
    """
    # A constant statement without parameters or input; the table has no model.
    return RawSQL(VERSION_SQL, ())  # nosec B611


def current(*, version: int | None = None) -> ReferenceData:
    """The committed reference data (or this transaction's own uncommitted changes).

    `version`: the version just read in another statement of this request (version_column).
    """
    global _cached
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
