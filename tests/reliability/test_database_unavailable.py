"""A lost database connection is a 503 with Retry-After (API shape or Chinese page), never 500.

`make faults` restarts a real PostgreSQL under load; these tests pin the mapping itself, and the
reconnect after a server-side disconnect on the real test database.
"""

from __future__ import annotations

import json
import time

import pytest
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.test import RequestFactory

from complaints.models import Complaint
from kernel import availability

from .conftest import SUBMISSION

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "error",
    [
        OperationalError("server closed the connection unexpectedly"),
        OperationalError("terminating connection due to administrator command"),
        InterfaceError("connection already closed"),
    ],
)
def test_it_answers_a_submission_with_503_and_retry_after_when_the_database_is_gone(
    api, monkeypatch, error
):
    def lost(**kwargs):
        raise error

    monkeypatch.setattr("complaints.services.complaint_create", lost)
    response = api.post("/api/v1/complaints/", SUBMISSION, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == str(availability.RETRY_AFTER_SECONDS)
    assert response.json() == {
        "error": {
            "code": "unavailable",
            "message": "服务暂时不可用（数据库连接中断），请稍后重试。",
        }
    }
    assert not Complaint.objects.exists()


def test_it_answers_a_staff_list_with_503_when_the_token_lookup_loses_the_database(
    api, alice, monkeypatch
):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=alice)

    def lost(key):
        raise OperationalError("could not connect to server: Connection refused")

    # The token is not cached yet: authentication reads the database (its one statement).
    monkeypatch.setattr("complaints.api.authentication.load", lost)
    response = api.get("/api/v1/complaints/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert response["Retry-After"]


def test_it_shows_people_a_chinese_503_page_when_a_console_view_loses_the_database():
    request = RequestFactory().get("/queue/")
    middleware = availability.DatabaseUnavailableMiddleware(lambda r: None)
    response = middleware.process_exception(request, OperationalError("connection refused"))
    assert response.status_code == 503
    assert response["Retry-After"] == str(availability.RETRY_AFTER_SECONDS)
    assert "系统暂时不可用" in response.content.decode()


def test_it_leaves_other_errors_to_the_ordinary_500_handling():
    request = RequestFactory().get("/queue/")
    middleware = availability.DatabaseUnavailableMiddleware(lambda r: None)
    assert middleware.process_exception(request, ValueError("a bug")) is None


@pytest.mark.parametrize(
    ("error", "status"),
    [(OperationalError("connection refused"), 503), (KeyError("a bug"), 500)],
)
def test_it_maps_a_database_outage_outside_views_to_503_and_anything_else_to_500(error, status):
    """handler500 sees errors raised in middleware (e.g. reading the session)."""
    request = RequestFactory().get("/api/v1/complaints/")
    try:
        raise error
    except Exception:
        response = availability.server_error(request)
    assert response.status_code == status
    if status == 503:
        assert response["Retry-After"]
        assert json.loads(response.content)["error"]["code"] == "unavailable"


@pytest.mark.django_db(transaction=True)
def test_it_reconnects_after_the_server_dropped_a_kept_connection(django_db_blocker):
    """CONN_HEALTH_CHECKS: a connection PostgreSQL terminated (a restart) is replaced at the
    next request's start instead of failing that request."""
    import psycopg2
    from django.conf import settings

    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    db = settings.DATABASES["default"]
    other = psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=db["USER"],
        host=db["HOST"],
        port=db["PORT"],
        password=db.get("PASSWORD") or None,
    )
    other.autocommit = True
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()
    time.sleep(0.2)  # the backend ends asynchronously: its goodbye reaches the socket shortly
    close_old_connections()  # what Django does when a request starts
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()
    assert new_pid != pid


def test_it_routes_uncaught_errors_through_the_availability_handler():
    from django.urls import get_resolver

    assert get_resolver().resolve_error_handler(500) is availability.server_error


def test_it_documents_503_with_retry_after_on_every_operation(api):
    schema = json.loads(api.get("/api/schema/?format=json").content)
    operations = [op for methods in schema["paths"].values() for op in methods.values()]
    assert operations
    assert all("503" in op["responses"] for op in operations if isinstance(op, dict))


@pytest.mark.django_db(transaction=True)
def test_the_health_check_costs_no_round_trip():
    """An idle connection is checked by polling its socket, not by a SELECT 1 per request."""
    connection.ensure_connection()
    raw = connection.connection

    class NoQueries:
        def __getattr__(self, name):
            if name == "cursor":
                raise AssertionError("the health check sent a query")
            return getattr(raw, name)

    connection.connection = NoQueries()
    try:
        assert connection.is_usable()
    finally:
        connection.connection = raw
