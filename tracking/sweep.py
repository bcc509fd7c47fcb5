"""The 滞留 sweep: a parcel becomes stuck with no new scan, so the clock must look for it.

It reads only what can have changed: open complaints whose waybill is not signed and whose last
scan is older than the shortest configured 滞留 threshold (the partial index on the waybills'
unsigned last scans serves it), in batches, each complaint checked under its own row lock by
tracking.journey.evaluate — which records a flag once and does nothing when it stands already.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from complaints.models import OPEN_STATES, Complaint

from .journey import evaluate_waybills
from .models import Waybill

BATCH = 500


def sweep_stuck(*, now: datetime | None = None, limit: int = 20_000) -> int:
    """Check the complaints that may have become stuck; return how many were checked."""
    now = now or timezone.now()
    shortest = min(int(h) for h in settings.TRACKING["STUCK_HOURS"].values())
    quiet = Waybill.objects.filter(
        signed_at__isnull=True, last_event_at__lt=now - timedelta(hours=shortest)
    ).values("tracking_no")
    waybills = list(
        Complaint.objects.filter(status__in=OPEN_STATES, tracking_no__in=quiet)
        .order_by("tracking_no")
        .values_list("tracking_no", flat=True)
        .distinct()[:limit]
    )
    checked = 0
    for start in range(0, len(waybills), BATCH):
        checked += evaluate_waybills(waybills[start : start + BATCH], now=now)
    return checked
