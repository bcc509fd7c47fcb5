"""When the database or the cache is down: a clean 503 with Retry-After, never a 500.

A retrying client should just retry, and nothing is half-stored. Three layers catch it because
the errors surface in different places: the API's exception handler, the console's middleware
and handler500. See docs/reliability.md, finding 1.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.defaults import server_error as django_server_error

log = logging.getLogger("kernel.availability")

# Connection refused, server closed the connection, terminating due to administrator command
# (psycopg2's AdminShutdown is an OperationalError), connection already closed.
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5
API_MESSAGE = "服务暂时不可用（数据库连接中断），请稍后重试。"


def is_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, UNAVAILABLE_ERRORS)


def unavailable_response(request) -> HttpResponse:
    """503 + Retry-After: JSON in the API's error shape under /api/, a Chinese page elsewhere."""
    from kernel.api_errors import error_body

    if request.path.startswith("/api/"):
        response = JsonResponse(
            error_body("unavailable", API_MESSAGE),
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        try:
            body = loader.render_to_string("503.html", request=None)
        except Exception:  # the page itself must never fail
            body = "服务暂时不可用，请稍后重试。"
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def log_unavailable(request, exc: BaseException) -> None:
    # One line, no traceback: an outage produces thousands of these.
    log.warning("database unavailable: %s %s: %s", request.method, request.path, exc)


class DatabaseUnavailableMiddleware:
    """Turn a lost database connection in a view into 503 + Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_unavailable(exception):
            log_unavailable(request, exception)
            return unavailable_response(request)
        return None


def server_error(request, *args, **kwargs):
    """handler500: a database outage outside a view is still a 503, not a 500."""
    exc = sys.exc_info()[1]
    if is_unavailable(exc):
        return unavailable_response(request)
    return django_server_error(request, *args, **kwargs)
