"""Lock, transition, save: the steps every write service on a state machine shares.

Complaints, claims and appeals each lock their row, run a django-fsm transition in memory and
save; the second of two people acting at once must get a Conflict, never a silent overwrite.
The words of each refusal stay with the app that owns the record (its `_()` literals); the
domain's own checks on the locked row (scope, unchanged state) stay there too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from kernel.errors import Conflict, NotFound

M = TypeVar("M", bound=models.Model)


def now_or(now: datetime | None) -> datetime:
    """The caller's clock (tests, batches that share one instant), else the current time."""
    return now or timezone.now()


def lock(rows: models.QuerySet[M], pk: Any, *, not_found: str, of: tuple[str, ...] = ()) -> M:
    """SELECT … FOR UPDATE the row `pk` of `rows`; NotFound(`not_found`) when it is gone."""
    try:
        return rows.select_for_update(of=of).get(pk=pk)
    except ObjectDoesNotExist as exc:  # the model's DoesNotExist
        raise NotFound(not_found) from exc


def run_transition(
    obj: models.Model,
    name: str,
    *,
    refused: str,
    labels: Mapping[str, object],
    field: str = "status",
) -> str:
    """Run the FSM transition `name` in memory; return the state it left.

    When the FSM refuses, Conflict(`refused`), a message with `%(status)s` (or `%(state)s`)
    for the current state's label and `%(action)s` for `labels[name]`.
    """
    method = getattr(obj, name)
    current = getattr(obj, field)
    if not can_proceed(method):
        display = getattr(obj, f"get_{field}_display")()
        raise Conflict(
            refused % {"status": display, "state": display, "action": labels.get(name, name)}
        )
    method()
    return str(current)


def save(obj: models.Model, *, conflict: str) -> None:
    """Save; a path that did not lock the row and lost the race gets Conflict(`conflict`)."""
    try:
        obj.save()
    except ConcurrentTransition as exc:
        raise Conflict(conflict) from exc
