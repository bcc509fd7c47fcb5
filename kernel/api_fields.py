"""Date and time inputs of the API that stay inside the calendar the product works in.

A year-1 or year-9999 value fell off Python's calendar in date arithmetic (a 500, issue 19 §6),
so anything outside 2000–2099 is refused as invalid input.
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

EARLIEST_YEAR = 2000
LATEST_YEAR = 2099
OUT_OF_RANGE = _("日期须在2000年至2099年之间。")


def in_range(value: date | datetime) -> bool:
    """Tell whether a date (or a datetime, read in its own time zone) is within 2000–2099."""
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


class BoundedDateTimeField(serializers.DateTimeField):
    """An aware datetime within 2000–2099 in Asia/Shanghai; a naive one is read as local."""

    default_error_messages = {
        "invalid": _("日期时间格式有误，请使用 ISO 8601，例如 2026-11-16T10:00:00+08:00。"),
        "date": _("须为日期时间，而不是日期。"),
        "make_aware": _("该时刻在 %(timezone)s 时区不存在。"),
        "overflow": OUT_OF_RANGE,
        "out_of_range": OUT_OF_RANGE,
    }

    def to_internal_value(self, value):
        # A year outside the range is refused before any time-zone arithmetic can overflow.
        year = value[:4] if isinstance(value, str) else ""
        if year.isdigit() and not EARLIEST_YEAR <= int(year) <= LATEST_YEAR:
            self.fail("out_of_range")
        parsed = super().to_internal_value(value)  # converted to Asia/Shanghai ("overflow")
        if not in_range(parsed):
            self.fail("out_of_range")
        return parsed


class BoundedDateField(serializers.DateField):
    """A calendar date within 2000–2099."""

    default_error_messages = {
        "invalid": _("日期格式有误，请使用 YYYY-MM-DD，例如 2026-11-16。"),
        "datetime": _("须为日期，而不是日期时间。"),
        "out_of_range": OUT_OF_RANGE,
    }

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not in_range(parsed):
            self.fail("out_of_range")
        return parsed
