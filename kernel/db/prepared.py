"""Server-side prepared statements for the submission hot path (PostgreSQL).

Prepared once per session, re-prepared every REPREPARE_EVERY runs so no plan made on a nearly
empty table outlives its growth; set DB_PREPARED_STATEMENTS=false behind a transaction-mode
pooler. See docs/reliability.md, findings 19 and 20.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from functools import cache

from django.conf import settings

_PLACEHOLDER = re.compile(r"%s")

# Runs of one statement in one session before it is prepared (planned) again.
REPREPARE_EVERY = 1000

_generations = itertools.count(1)  # suffixes of the prepared names, unique in this process


@cache
def _prepared_form(sql: str) -> tuple[str, str, int]:
    """(name, body with $n placeholders, number of parameters) of a statement with %s ones."""
    if "%%" in sql or "%(" in sql:
        raise ValueError("prepared statements take positional %s placeholders only")
    name = "hot_" + hashlib.blake2s(sql.encode(), digest_size=8).hexdigest()
    _statements[name] = sql
    count = 0

    def number(_match) -> str:
        nonlocal count
        count += 1
        return f"${count}"

    return name, _PLACEHOLDER.sub(number, sql), count


def _prepared(connection) -> dict[str, tuple[str, int]]:
    """The statements prepared in this connection's current database session: for each, the
    name it is prepared under and how many times it has run since."""
    raw = connection.connection
    state = getattr(connection, "_prepared_statements", None)
    if state is None or state[0] is not raw:  # a new session: nothing prepared in it yet
        state = (raw, {})
        connection._prepared_statements = state
    return state[1]


# Between the statements of one query that sends several (kernel.db.inserts.batch).
SEPARATOR = ";\n"


def execute(cursor, sql: str, params) -> None:
    """Run `sql` (positional %s placeholders) with `params`, prepared once per session."""
    cursor.execute(*execute_text(cursor.db, sql, params))


def execute_text(connection, sql: str, params) -> tuple[str, list]:
    """The EXECUTE text and values for `sql` (preparing it first in this session if need be),
    for a caller that sends several statements in one query (kernel.db.inserts.batch);
    `sql` itself where prepared statements are off."""
    if not settings.DB_PREPARED_STATEMENTS:
        return sql, list(params)
    statement, body, count = _prepared_form(sql)
    if len(params) != count:
        raise ValueError(f"{count} placeholders, {len(params)} values")
    connection.ensure_connection()
    prepared = _prepared(connection)
    current = prepared.get(statement)
    if current is None or current[1] >= REPREPARE_EVERY:
        name = f"{statement}_{next(_generations)}"
        text = f"PREPARE {name} AS {body}"
        if current is not None:
            text += f";\nDEALLOCATE {current[0]}"
        with connection.cursor() as cursor:
            # Its own round trip, not with the EXECUTE: if that failed, whether the name had
            # been prepared would be unknown.
            cursor.execute(text)
        current = (name, 0)
    name, runs = current
    prepared[statement] = (name, runs + 1)
    if not count:
        return f"EXECUTE {name}", []
    return f"EXECUTE {name}({', '.join(['%s'] * count)})", list(params)


def statement_of(execute_line: str) -> str | None:
    """The SQL an `EXECUTE name(…)` line runs, if prepared by this process (tests, logs)."""
    match = re.match(r"EXECUTE (hot_[0-9a-f]+)", execute_line)
    return _statements.get(match.group(1)) if match else None


def readable(sent: str) -> str:
    """What was sent, each `EXECUTE name(…)` in it replaced by the SQL it runs."""
    return SEPARATOR.join(statement_of(part) or part for part in sent.split(SEPARATOR))


_statements: dict[str, str] = {}  # name → SQL, of every statement seen by this process
