"""Hostile requests to the API and the pages: always a clean 4xx in the one error shape, never
a 500, and filters that treat SQL and LIKE wildcards as plain text."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.api.conftest import SUBMISSION
from tests.security.world import World

SQL = [
    "' OR '1'='1",
    "'; DROP TABLE complaints_complaint; --",
    "1) UNION SELECT password FROM auth_user --",
    "%",
    "_",
    "%%%%",
    "SF%",
    "\\",
    "\x00",
    "13800000000' --",
    "é" * 300,
]


def _staff_api(world: World, role="supervisor"):
    return world.api_client(role)


def _assert_clean_4xx(response, *allowed):
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if allowed:
        assert response.status_code in allowed, response.status_code
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"]


@pytest.mark.parametrize(
    "param",
    ["status", "unit", "priority", "category", "tracking_no", "phone", "overdue",
     "created_after", "created_before", "page_size", "cursor"],
)  # fmt: skip
def test_it_treats_list_filters_as_data(world, param):
    for payload in SQL:
        response = _staff_api(world).get("/api/v1/complaints/", {param: payload})
        assert response.status_code in (200, 400), (payload, response.content[:300])
        if response.status_code == 200:
            # A wildcard or an injected OR matches nothing: the filters compare whole values.
            assert response.json()["results"] == [], payload


@pytest.mark.parametrize(
    "param",
    ["state", "province", "outcome", "overdue", "received_from", "received_to", "limit", "offset"],
)
def test_it_treats_appeal_filters_as_data(world, param):
    for payload in SQL:
        response = _staff_api(world).get("/api/v1/appeals/", {param: payload})
        assert response.status_code in (200, 400), (payload, response.content[:300])


def test_it_treats_search_terms_as_data(world):
    client = world.page_client("supervisor")
    for payload in SQL:
        response = client.get("/search/", {"q": payload})
        assert response.status_code == 200, payload
        # Neither complaint is found by a wildcard or an injected condition.
        assert world.ticket_no.encode() not in response.content, payload


def test_it_treats_the_earlier_complaints_lookup_as_data(world):
    client = world.page_client("agent")
    for payload in SQL:
        response = client.get("/console/earlier/", {"tracking_no": payload, "phone": payload})
        assert response.status_code == 200, payload
        assert world.ticket_no.encode() not in response.content, payload


@pytest.mark.parametrize("payload", ["' OR 1=1 --", "%", "2026-13", "9999-01", "../../etc"])
def test_it_refuses_bad_statistics_months(world, payload):
    response = _staff_api(world).get("/api/v1/appeals/statistics/", {"month": payload})
    _assert_clean_4xx(response, 400)
    page = world.page_client("supervisor").get("/regulators/statistics/", {"month": payload})
    assert page.status_code == 400


def _nested(depth: int) -> bytes:
    return b'{"description": ' + b"[" * depth + b"]" * depth + b"}"


BODIES = [
    pytest.param(b"{" * 100_000, "application/json", 400, id="unbalanced-braces"),
    pytest.param(_nested(100_000), "application/json", 400, id="nested-100k"),
    pytest.param(
        b'{"a":' * 5000 + b"1" + b"}" * 5000, "application/json", 400, id="nested-objects"
    ),
    pytest.param(b'{"description": "\xff\xfe\xfa"}', "application/json", 400, id="invalid-utf8"),
    pytest.param(b'{"description": "\\ud800"}', "application/json", 400, id="lone-surrogate"),
    pytest.param(b"\xef\xbb\xbf{}", "application/json", 400, id="bom"),
    pytest.param(b"[]", "application/json", 400, id="array"),
    pytest.param(b'"text"', "application/json", 400, id="string"),
    pytest.param(b"null", "application/json", 400, id="null"),
    pytest.param(b"1e999999", "application/json", 400, id="huge-number"),
    pytest.param(b"<complaint/>", "application/xml", 415, id="xml"),
    pytest.param(b"description=x", "text/plain", 415, id="text-plain"),
    pytest.param(b"{}", "application/json; charset=latin-1", 400, id="json-latin1"),
    pytest.param(b"{}", "multipart/form-data", 400, id="multipart-without-boundary"),
    pytest.param(b"--x\r\nbroken", "multipart/form-data; boundary=x", 400, id="broken-multipart"),
    pytest.param(
        b'{"a": "' + b"x" * (3 * 1024 * 1024) + b'"}', "application/json", 413, id="3mb-json"
    ),
]


@pytest.mark.parametrize(("body", "content_type", "status"), BODIES)
def test_it_answers_malformed_bodies_with_a_clean_4xx(world, body, content_type, status):
    api = world.api_client("agent")
    for path in (
        "/api/v1/complaints/",
        "/api/v1/appeals/eligibility/",
        "/api/v1/compensation/quote/",
        f"/api/v1/complaints/{world.ticket_no}/actions/contact/",
    ):
        response = api.generic("POST", path, body, content_type=content_type)
        _assert_clean_4xx(response)
        assert response.status_code == status, path


@pytest.mark.parametrize(
    "header",
    ["HTTP_X_ACCESS_CODE", "HTTP_AUTHORIZATION", "HTTP_IDEMPOTENCY_KEY", "HTTP_ACCEPT_LANGUAGE",
     "HTTP_X_FORWARDED_FOR", "HTTP_COOKIE", "HTTP_USER_AGENT"],
)  # fmt: skip
def test_it_answers_huge_or_odd_headers_with_4xx_or_success(world, api, header):
    """The web server caps a request's head (config/server.py: 64 KiB, 431 above it; see
    tests/reliability/test_web_server.py); below the cap nothing fails."""
    for value in ("A" * 8000, "\x00\x01", "é" * 100, "Token ' OR 1=1 --"):
        response = api.post("/api/v1/complaints/", SUBMISSION, format="json", **{header: value})
        assert response.status_code < 500, (header, value[:20], response.status_code)
        read = api.get(f"/api/v1/complaints/{world.ticket_no}/", **{header: value})
        assert read.status_code < 500


@pytest.mark.parametrize(
    "path",
    ["/tickets/%00/", "/tickets/..%2F..%2Fadmin/", "/tickets/" + "9" * 5000 + "/",
     "/console/done/' OR 1=1/", "/compensation/complaints/x/claims/99999999999999999999/approve/",
     "/api/v1/appeals/99999999999999999999/", "/api/v1/complaints/x/claims/99999999999999999999/"],
)  # fmt: skip
def test_it_answers_odd_paths_with_4xx(world, path):
    api = path.startswith("/api/")
    client = world.api_client("supervisor") if api else world.page_client("supervisor")
    response = client.get(path)
    assert 400 <= response.status_code < 500, (path, response.status_code)


def test_it_keeps_the_page_forms_safe_from_odd_input(world):
    client: Client = world.page_client("agent")
    response = client.post(
        "/console/",
        {
            "tracking_no": "' OR 1=1 --",
            "phone": "%",
            "complainant_name": "\x00",
            "description": "{" * 10000,
        },
    )
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["99999999999999999999999", "-1", "1e9", "%", "\x00", "' OR 1=1"])
@pytest.mark.parametrize("param", ["page", "size", "unit", "status", "category"])
def test_it_keeps_the_queue_pages_safe_from_odd_parameters(world, param, value):
    for path in ("/queue/", "/queue/rows/"):
        response = world.page_client("supervisor").get(path, {param: value})
        assert response.status_code in (200, 400), (path, response.status_code)
