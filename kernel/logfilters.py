"""Logging filters for the production log."""

from __future__ import annotations

import logging


class ClientErrorsWithoutTraceback(logging.Filter):
    """Keep a refused request (4xx) to its one warning line.

    Django logs a PermissionDenied or a 404 raised in a view with its traceback: in the web log a
    branch clerk opening another unit's ticket then reads like a crash, and an operator scanning
    for "Traceback" finds refusals. A server error (5xx) keeps its traceback.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("django.") and getattr(record, "status_code", 500) < 500:
            record.exc_info = None
            record.exc_text = None
        return True
