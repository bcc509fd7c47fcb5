"""Dates at the edges of the calendar answer 400 in the one error shape, never 500 (issue 19 §6).

Year 1 and year 9999 are valid ISO 8601, and an offset of +14:00 or -12:00 moves them past
the ends of Python's calendar once converted to UTC or Asia/Shanghai. Each entry point that
takes a date from a client is sent them: the public eligibility check, the staff list's filters,
the list's cursor (a base64 of a deadline and an id) and the POST search.
"""

from __future__ import annotations

import base64

import pytest

from tests.api.conftest import token_client

LIST = "/api/v1/complaints/"
ELIGIBILITY = "/api/v1/appeals/eligibility/"

EDGES = [
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "0001-01-01",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59.999999+14:00",
    "9999-12-31",
    "2026-11-16T10:00:00+14:00",  # a real offset (Kiribati), but an ordinary day: accepted
]
OUT_OF_RANGE = EDGES[:-1]


def cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize("value", EDGES)
@pytest.mark.parametrize("field", ["created_after", "created_before"])
def test_it_answers_list_filters_at_the_calendar_edges_without_a_500(alice, field, value):
    response = token_client(alice).get(LIST, {field: value})
    if value in OUT_OF_RANGE:
        assert response.status_code == 400, response.content
        body = response.json()["error"]
        assert body["code"] == "invalid" and field in body["fields"]
    else:
        assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "raw",
    [
        "d|0001-01-01T00:00:00+14:00|1",
        "d|9999-12-31T23:59:59-12:00|1",
        "d|9999-12-31T23:59:59.999999+14:00|1",
        "d|0001-01-01T00:00:00|1",  # no offset at all
    ],
)
def test_it_refuses_cursors_at_the_calendar_edges_with_400(alice, raw):
    response = token_client(alice).get(LIST, {"cursor": cursor(raw)})
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["cursor"]


@pytest.mark.parametrize("value", EDGES)
@pytest.mark.parametrize("field", ["complained_at", "company_answered_at", "dispute_date", "as_of"])
def test_it_answers_the_eligibility_check_at_the_calendar_edges_without_a_500(
    api, db, field, value
):
    body = {"standing": "sender", "complained_at": "2026-11-01T10:00:00+08:00", field: value}
    if field in ("dispute_date", "as_of"):
        body[field] = value[:10]
    response = api.post(ELIGIBILITY, body, format="json")
    if value in OUT_OF_RANGE:
        assert response.status_code == 400, response.content
        error = response.json()["error"]
        assert error["code"] == "invalid" and field in error["fields"]
    else:
        assert response.status_code in (200, 400), response.content
