"""When an enquiry (查件/咨询) becomes a complaint — plain values in, plain values out.

An enquiry counts in no 受理量, SLA, ruling or fine (issue 23); it becomes a complaint only when
it goes unresolved: open too long, a second contact about the waybill, or the customer's wish.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Reason(StrEnum):
    TIMEOUT = "timeout"
    SECOND_CONTACT = "second_contact"
    CUSTOMER_REQUEST = "customer_request"


def resolve_due(first_contact_at: datetime, hours: int) -> datetime:
    """When an open enquiry becomes a complaint (clock hours: a parcel lost over a weekend is
    lost all the same)."""
    return first_contact_at + timedelta(hours=hours)


def timed_out(*, is_open: bool, due: datetime, now: datetime) -> bool:
    return is_open and now >= due


def is_second_contact(*, last_contact_at: datetime, now: datetime, window_days: int) -> bool:
    """Another contact by the same customer about the same waybill within the window."""
    return now - last_contact_at <= timedelta(days=window_days)
