"""The slots complaints announces and feature apps fill at startup (their AppConfig.ready).

complaints knows what it needs — a complaint's deadlines kept true, the clock a queue row
shows, the day its customer may appeal to 12305 — but not who knows the answer, so it never
imports a feature. Each slot has one provider and a default for when no app provides it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Slot:
    """One capability with one provider; calling the slot calls the provider."""

    def __init__(self, name: str, default: Callable[..., Any]):
        self.name = name
        self._default = default
        self._provider: Callable[..., Any] | None = None

    def register(self, provider: Callable[..., Any]) -> None:
        if self._provider not in (None, provider):
            raise RuntimeError(f"slot {self.name} already has a provider")
        self._provider = provider

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return (self._provider or self._default)(*args, **kwargs)


def _nothing(*args: Any, **kwargs: Any) -> None:
    return None


# (complaint, *, now, reference=None) -> None: set the deadline columns from the SLA policy,
# inside the caller's transaction (escalation).
refresh_deadlines = Slot("refresh_deadlines", _nothing)

# (complaint, *, now, reference) -> complaints.web.deadlines.Clock | None: the nearest running
# timer of an open complaint and its colour under the complaint's policy (escalation).
nearest_clock = Slot("nearest_clock", _nothing)

# (complaint, *, today, calendar) -> an outlook with `eligible_from` (date | None) and `text`:
# when the customer may appeal to the postal regulator (regulators).
appeal_outlook = Slot("appeal_outlook", _nothing)
