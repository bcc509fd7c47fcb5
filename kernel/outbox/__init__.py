"""The notification outbox: messages queued in the writer's transaction, delivered with retries.

Apps write `kernel.models.Notification` rows where the cause is written, then call
`delivery.kick_delivery` on commit; a Celery worker delivers them (delivery.py) through the
backends (backends.py). What a message is about and how staff are reached belong to the apps,
which register them here in their AppConfig.ready.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

SubjectLoader = Callable[[Iterable[int]], dict[int, Any]]
PhoneLoader = Callable[[Iterable[int]], dict[int, str]]
ContextAddition = Callable[[dict], dict]

_subjects: SubjectLoader = lambda ids: {}  # noqa: E731
_staff_phones: PhoneLoader = lambda ids: {}  # noqa: E731
_context_additions: list[ContextAddition] = []


def register_subjects(loader: SubjectLoader) -> None:
    """How to load what messages are about, by `complaint_id` (complaints: the complaint).

    The subject is the templates' `complaint`, and its `phone` is where "customer" SMS go.
    """
    global _subjects
    _subjects = loader


def register_staff_phones(loader: PhoneLoader) -> None:
    """How to find staff members' mobile numbers by user id (complaints: the staff profile)."""
    global _staff_phones
    _staff_phones = loader


def register_context(addition: ContextAddition) -> None:
    """Add to every message's template context, from its stored context (e.g. a timer's label)."""
    _context_additions.append(addition)


def subjects(ids: Iterable[int]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    return _subjects(wanted) if wanted else {}


def staff_phones(user_ids: Iterable[int]) -> dict[int, str]:
    wanted = {i for i in user_ids if i is not None}
    return _staff_phones(wanted) if wanted else {}


def context_additions(context: dict) -> dict:
    added: dict = {}
    for addition in _context_additions:
        added.update(addition(context))
    return added
