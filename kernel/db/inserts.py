"""INSERT new rows with the statement text built once per model, for the submission hot path.

Same rows, conversions and signals as save() (tests/complaints/test_inserts.py); `batch()` sends
them in one round trip. Plain models only: own table, no database defaults, auto-incremented key.
See docs/reliability.md, finding 18.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from functools import cache

from django.db import connections, models, router
from django.db.models import signals
from django_fsm import FSMField

from . import prepared


@cache
def _columns(model: type[models.Model]) -> tuple[models.Field, ...]:
    meta = model._meta
    if meta.parents or any(getattr(f, "generated", False) for f in meta.concrete_fields):
        raise TypeError(f"{meta.label}: inserts handles plain models only")
    if any(f.has_db_default() for f in meta.concrete_fields):
        raise TypeError(f"{meta.label}: inserts does not handle database defaults")
    return tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)


def _fields(model: type[models.Model], with_pk: bool) -> tuple[models.Field, ...]:
    return ((model._meta.pk,) if with_pk else ()) + _columns(model)


@cache
def _statement(
    model: type[models.Model], alias: str, rows: int, ignore_conflicts: bool, with_pk: bool = False
) -> str:
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = model._meta
    columns = _fields(model, with_pk)
    one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
        f"VALUES {', '.join([one_row] * rows)}"  # nosec B608  # model metadata and placeholders only
    )
    if ignore_conflicts:
        return sql + " ON CONFLICT DO NOTHING"
    if with_pk:
        return sql
    return sql + f" RETURNING {quote(meta.pk.column)}"


@cache
def next_id_sql(model: type[models.Model], alias: str = "default") -> str:
    """SQL taking the next primary key of `model` (PostgreSQL), to select beside other reads."""
    meta = model._meta
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [meta.db_table, meta.pk.column])
        (sequence,) = cursor.fetchone()
    if sequence is None:
        raise TypeError(f"{meta.label}: its primary key has no sequence")
    return f"nextval('{sequence}'::regclass)"


_local = threading.local()


@contextmanager
def batch(using: str = "default"):
    """Send the INSERTs made inside in one round trip when the block ends (PostgreSQL).

    Queued: `insert` of a row whose primary key was reserved (`next_id_sql`), and
    `insert_ignoring_conflicts`; an `insert` that needs its key back runs at once. Signals are
    sent once the rows are written, as outside a batch. Only inside a transaction: if the
    block raises, nothing queued is written and the caller's transaction is rolled back.
    Nothing inside may read the queued rows back.
    """
    connection = connections[using]
    if getattr(_local, "batch", None) is not None:
        yield  # already batching: the outer batch writes these rows too
        return
    if not connection.in_atomic_block:
        raise RuntimeError("inserts.batch() is for use inside a transaction")
    pending: list[tuple[str, list, list[models.Model]]] = []
    _local.batch = (using, pending)
    try:
        yield
    finally:
        _local.batch = None
    if not pending:
        return
    texts = [prepared.execute_text(connection, sql, params) for sql, params, _ in pending]
    with connection.cursor() as cursor:
        cursor.execute(
            prepared.SEPARATOR.join(text for text, _ in texts), [p for _, ps in texts for p in ps]
        )
    for _, _, objs in pending:
        for obj in objs:
            _written(obj, using)


# Field classes whose conversion leaves a value of exactly this type unchanged (Django's
# get_prep_value is str() / int() / bool() of it and the PostgreSQL adapters pass it through).
_PLAIN_TYPES: dict[type[models.Field], type] = {
    models.CharField: str,
    models.TextField: str,
    FSMField: str,
    models.BooleanField: bool,
    models.IntegerField: int,
    models.SmallIntegerField: int,
    models.BigIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveSmallIntegerField: int,
}


def _db_value(field: models.Field, obj: models.Model, connection):
    value = field.pre_save(obj, True)
    # Every field stores None as NULL, and a plain str / int / bool of a plain field as itself:
    # skipping the conversion chain for those is most of the work of a row.
    if value is None or type(value) is _PLAIN_TYPES.get(type(field)):
        return value
    return field.get_db_prep_save(value, connection)


def _pending(alias: str) -> list | None:
    """The open batch's queue for this database, if any."""
    current = getattr(_local, "batch", None)
    return current[1] if current is not None and current[0] == alias else None


def insert(obj: models.Model) -> models.Model:
    """INSERT one new instance, as `obj.save()` would for a new row; return it.

    A new instance may carry a reserved primary key (`next_id_sql`); inside `batch()` it is
    written when the batch ends.
    """
    model = type(obj)
    if not obj._state.adding:
        raise ValueError(f"{model._meta.label}: insert() is for new rows only")
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=None)
    reserved = obj.pk is not None
    params = [_db_value(f, obj, connection) for f in _fields(model, reserved)]
    pending = _pending(alias)
    if reserved and pending is not None:
        pending.append((_statement(model, alias, 1, False, True), params, [obj]))
        return obj
    with connection.cursor() as cursor:
        prepared.execute(cursor, _statement(model, alias, 1, False, reserved), params)
        if not reserved:
            obj.pk = cursor.fetchone()[0]
    _written(obj, alias)
    return obj


def _written(obj: models.Model, alias: str) -> None:
    """The state save() leaves a new row in, and its post_save signal."""
    model = type(obj)
    obj._state.adding = False
    obj._state.db = alias
    if hasattr(obj, "_update_initial_state"):  # django-fsm's ConcurrentTransitionMixin.save
        obj._update_initial_state()
    signals.post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=alias
    )


def insert_ignoring_conflicts(objs: list[models.Model]) -> None:
    """INSERT new instances of one model in one statement, skipping rows that conflict.

    As `bulk_create(objs, ignore_conflicts=True)`: no signals, primary keys stay unset.
    """
    if not objs:
        return
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if any(type(o) is not model for o in objs):
        model.objects.bulk_create(objs, ignore_conflicts=True)
        return
    columns = _columns(model)
    params = [_db_value(f, o, connection) for o in objs for f in columns]
    for obj in objs:  # as bulk_create leaves them (the rows are written in a moment, if batched)
        obj._state.adding = False
        obj._state.db = alias
    pending = _pending(alias)
    if pending is not None:
        pending.append((_statement(model, alias, len(objs), True), params, []))
        return
    with connection.cursor() as cursor:
        prepared.execute(cursor, _statement(model, alias, len(objs), True), params)
