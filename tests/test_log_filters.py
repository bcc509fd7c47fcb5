"""The production log: a refused request is one line, a server error keeps its traceback."""

from __future__ import annotations

import logging
import sys

import pytest

from kernel.logfilters import ClientErrorsWithoutTraceback


def _record(status: int) -> logging.LogRecord:
    try:
        raise PermissionError("refused")
    except PermissionError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "m", (), exc_info)
    record.status_code = status
    return record


@pytest.mark.parametrize(("status", "keeps_traceback"), [(403, False), (404, False), (500, True)])
def test_a_refusal_is_logged_without_its_traceback(status, keeps_traceback):
    record = _record(status)
    assert ClientErrorsWithoutTraceback().filter(record) is True
    text = logging.Formatter().format(record)
    assert ("Traceback" in text) is keeps_traceback


def test_the_filter_is_on_the_console_handler(settings):
    handler = settings.LOGGING["handlers"]["console"]
    assert "client_errors" in handler["filters"]
