"""Server-side prepared statements for the submission hot path (PostgreSQL).

psycopg2 sends every statement as text with its values written in, so PostgreSQL parses,
analyses and plans a submission's opening read and its INSERTs afresh each time — for the
complaint's 40-column INSERT that was more than the INSERT itself. A statement run through
`execute` is prepared once per database session (`PREPARE`, its own round trip, the first time
a connection runs it) and then run by name (`EXECUTE name(values…)`): only the values are
parsed.

Prepared statements belong to the session, not to a transaction (one prepared in a transaction
that rolls back stays), and die with the connection: the names prepared are remembered per
connection object, and a reconnect starts afresh. A connection pooler in transaction mode hands
sessions around, so it cannot be used with this: set DB_PREPARED_STATEMENTS=false then.

A prepared statement keeps the plan PostgreSQL chose for it, and a plan chosen while a table
was nearly empty (a sequential scan) stays one as the table grows, until the next ANALYZE —
up to a minute of autovacuum's sleep. `make soak` met it: starting on an empty database at 400
submissions/s, the repeat lookup scanned ever more rows and PostgreSQL's CPU tripled in the
first minute. So a statement is prepared afresh every REPREPARE_EVERY runs in a session: one
extra round trip per thousand, and no plan older than that.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache

from django.conf import settings

_PLACEHOLDER = re.compile(r"%s")

# Runs of one statement in one session before it is prepared (planned) again.
REPREPARE_EVERY = 1000


@cache
def _prepared_form(sql: str) -> tuple[str, str, int]:
    """(name, PREPARE text, number of parameters) of a statement with %s placeholders."""
    if "%%" in sql or "%(" in sql:
        raise ValueError("prepared statements take positional %s placeholders only")
    name = "hot_" + hashlib.blake2s(sql.encode(), digest_size=8).hexdigest()
    _statements[name] = sql
    count = 0

    def number(_match) -> str:
        nonlocal count
        count += 1
        return f"${count}"

    return name, f"PREPARE {name} AS {_PLACEHOLDER.sub(number, sql)}", count


def _runs(connection) -> dict[str, int]:
    """The statements prepared in this connection's current database session, with how many
    times each has run since it was prepared."""
    raw = connection.connection
    state = getattr(connection, "_prepared_statements", None)
    if state is None or state[0] is not raw:  # a new session: nothing prepared in it yet
        state = (raw, {})
        connection._prepared_statements = state
    return state[1]


def enabled(connection) -> bool:
    return connection.vendor == "postgresql" and getattr(settings, "DB_PREPARED_STATEMENTS", True)


def execute(cursor, sql: str, params) -> None:
    """Run `sql` (positional %s placeholders) with `params`, prepared once per session."""
    connection = cursor.db
    if not enabled(connection):
        cursor.execute(sql, params)
        return
    cursor.execute(*execute_text(connection, sql, params))


def execute_text(connection, sql: str, params) -> tuple[str, list]:
    """The EXECUTE text and values for `sql` (preparing it first in this session if need be),
    for a caller that sends several statements in one query (complaints.inserts.batch);
    `sql` itself where prepared statements are off."""
    if not enabled(connection):
        return sql, list(params)
    name, prepare, count = _prepared_form(sql)
    if len(params) != count:
        raise ValueError(f"{count} placeholders, {len(params)} values")
    connection.ensure_connection()
    runs = _runs(connection)
    done = runs.get(name)
    if done is None or done >= REPREPARE_EVERY:
        with connection.cursor() as cursor:
            # Its own round trip: had it gone with the EXECUTE and that failed, whether the
            # name exists would be unknown.
            cursor.execute(prepare if done is None else f"DEALLOCATE {name};\n{prepare}")
        done = 0
    runs[name] = done + 1
    if not count:
        return f"EXECUTE {name}", []
    return f"EXECUTE {name}({', '.join(['%s'] * count)})", list(params)


def statement_of(execute_line: str) -> str | None:
    """The SQL an `EXECUTE name(…)` line runs, if prepared by this process (tests, logs)."""
    match = re.match(r"EXECUTE (hot_[0-9a-f]+)", execute_line)
    return _statements.get(match.group(1)) if match else None


def readable(sent: str) -> str:
    """What was sent, each `EXECUTE name(…)` in it replaced by the SQL it runs."""
    return ";\n".join(statement_of(part) or part for part in sent.split(";\n"))


_statements: dict[str, str] = {}  # name → SQL, of every statement seen by this process
