"""INSERT new rows with the statement text built once per model, for the submission hot path.

Django compiles an INSERT from scratch on every save(): it quotes every column and walks every
value through the expression machinery, which was a quarter of a submission's CPU
(docs/api.md, Benchmark). A submission's complaint, its audit row and its queued messages are
inserted through here instead: the same columns, the same value conversions (each field's
`pre_save` and `get_db_prep_save`), the same pre_save / post_save signals and the same state
afterwards (primary key set, `_state.adding` false); only the statement text is built once
per model and row count. tests/complaints/test_inserts.py checks the stored rows are identical
to the ORM's.

Only for plain models: concrete fields of their own table (no multi-table inheritance), no
database defaults or generated columns, an auto-incremented primary key.
"""

from __future__ import annotations

from functools import cache

from django.db import connections, models, router
from django.db.models import signals
from django_fsm import FSMField


@cache
def _columns(model: type[models.Model]) -> tuple[models.Field, ...]:
    meta = model._meta
    if meta.parents or any(getattr(f, "generated", False) for f in meta.concrete_fields):
        raise TypeError(f"{meta.label}: inserts handles plain models only")
    if any(f.has_db_default() for f in meta.concrete_fields):
        raise TypeError(f"{meta.label}: inserts does not handle database defaults")
    return tuple(f for f in meta.local_concrete_fields if f is not meta.auto_field)


@cache
def _statement(model: type[models.Model], alias: str, rows: int, ignore_conflicts: bool) -> str:
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = model._meta
    columns = _columns(model)
    one_row = "(" + ", ".join(["%s"] * len(columns)) + ")"
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in columns)}) "
        f"VALUES {', '.join([one_row] * rows)}"  # nosec B608  # model metadata and placeholders only
    )
    if ignore_conflicts:
        return sql + " ON CONFLICT DO NOTHING"
    return sql + f" RETURNING {quote(meta.pk.column)}"


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


def insert(obj: models.Model) -> models.Model:
    """INSERT one new instance, as `obj.save()` would for a new row; return it."""
    model = type(obj)
    if obj.pk is not None:
        raise ValueError(f"{model._meta.label}: insert() is for new rows only")
    alias = router.db_for_write(model, instance=obj)
    connection = connections[alias]
    if connection.vendor != "postgresql":  # RETURNING spelled differently: let Django do it
        obj.save(force_insert=True, using=alias)
        return obj
    signals.pre_save.send(sender=model, instance=obj, raw=False, using=alias, update_fields=None)
    params = [_db_value(f, obj, connection) for f in _columns(model)]
    with connection.cursor() as cursor:
        cursor.execute(_statement(model, alias, 1, False), params)
        obj.pk = cursor.fetchone()[0]
    obj._state.adding = False
    obj._state.db = alias
    if hasattr(obj, "_update_initial_state"):  # django-fsm's ConcurrentTransitionMixin.save
        obj._update_initial_state()
    signals.post_save.send(
        sender=model, instance=obj, created=True, update_fields=None, raw=False, using=alias
    )
    return obj


def insert_ignoring_conflicts(objs: list[models.Model]) -> None:
    """INSERT new instances of one model in one statement, skipping rows that conflict.

    As `bulk_create(objs, ignore_conflicts=True)`: no signals, primary keys stay unset.
    """
    if not objs:
        return
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql" or any(type(o) is not model for o in objs):
        model.objects.bulk_create(objs, ignore_conflicts=True)
        return
    columns = _columns(model)
    params = [_db_value(f, o, connection) for o in objs for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(_statement(model, alias, len(objs), True), params)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = alias
