"""kernel.db.prepared: hot statements prepared once per database session, then run by name."""

from __future__ import annotations

import pytest
from django.db import ProgrammingError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kernel.db import prepared

SQL = "SELECT %s::int + %s::int"


def _run(sql=SQL, params=(1, 2)):
    with connection.cursor() as cursor:
        prepared.execute(cursor, sql, list(params))
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_it_prepares_a_statement_once_then_runs_it_by_name():
    with CaptureQueriesContext(connection) as queries:
        assert _run() == 3
        assert _run(params=(40, 2)) == 42
    sent = [q["sql"] for q in queries.captured_queries]
    assert sent[0].startswith("PREPARE hot_") and "$1::int + $2::int" in sent[0]
    name = sent[0].split()[1]
    assert [s.split("(")[0] for s in sent[1:]] == [f"EXECUTE {name}"] * 2
    assert prepared.statement_of(sent[1]) == SQL


@pytest.mark.django_db
def test_a_statement_prepared_in_a_rolled_back_transaction_stays_prepared():
    """PREPARE is not transactional: the name is still there after a rollback."""
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        _run("SELECT %s::int * 2", [4])
        1 / 0  # noqa: B018
    with CaptureQueriesContext(connection) as queries:
        assert _run("SELECT %s::int * 2", [5]) == 10
    assert [q["sql"][:8] for q in queries.captured_queries] == ["EXECUTE "]


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    assert _run("SELECT %s::int - 1", [3]) == 2
    connection.close()
    with CaptureQueriesContext(connection) as queries:
        assert _run("SELECT %s::int - 1", [10]) == 9
    assert [q["sql"][:8] for q in queries.captured_queries] == ["PREPARE ", "EXECUTE "]


@pytest.mark.django_db
def test_it_prepares_a_statement_again_after_so_many_runs(monkeypatch):
    """A plan made while a table was nearly empty must not outlive its growth for long."""
    monkeypatch.setattr(prepared, "REPREPARE_EVERY", 3)
    with CaptureQueriesContext(connection) as queries:
        assert [_run("SELECT %s::int * 3", [n]) for n in range(7)] == [0, 3, 6, 9, 12, 15, 18]
    sent = [q["sql"] for q in queries.captured_queries]
    assert [s.split(" ", 1)[0] for s in sent] == (["PREPARE"] + ["EXECUTE"] * 3) * 2 + [
        "PREPARE",
        "EXECUTE",
    ]
    names = [s.split()[1] for s in sent if s.startswith("PREPARE")]
    assert len(set(names)) == 3  # a new name each time, the previous one dropped with it
    assert sent[4].endswith(f"DEALLOCATE {names[0]}") and sent[8].endswith(f"DEALLOCATE {names[1]}")


@pytest.mark.django_db
def test_a_failed_preparation_leaves_nothing_in_doubt(monkeypatch):
    """A preparation that fails is simply made again, under a new name, the next time."""
    monkeypatch.setattr(prepared, "REPREPARE_EVERY", 1)  # prepare before every run
    sql = "SELECT count(*) + %s FROM prepared_probe"
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (n int)")
    assert _run(sql, [1]) == 1
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE prepared_probe")
    with pytest.raises(ProgrammingError), transaction.atomic():
        _run(sql, [1])  # PREPARE fails: no such table
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE prepared_probe (n int)")
    assert _run(sql, [2]) == 2


@pytest.mark.django_db
def test_it_can_be_switched_off_for_a_transaction_mode_pooler(settings):
    settings.DB_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as queries:
        assert _run("SELECT %s::int + 100", [1]) == 101
    assert [q["sql"] for q in queries.captured_queries] == ["SELECT 1::int + 100"]


def test_it_refuses_named_or_escaped_placeholders():
    with pytest.raises(ValueError):
        prepared.execute_text(connection, "SELECT %(a)s", {"a": 1})
    with pytest.raises(ValueError):
        prepared.execute_text(connection, "SELECT '100%%' || %s", ["x"])
