"""Nothing a client sends may cause a 500: random JSON bodies against the compensation API."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compensation.inputs import FACT_FIELDS

FIELDS = [*FACT_FIELDS, "policy", "override_amount", "override_reason", "note", "bogus"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "express",
            "postal_registered",
            "loss",
            "delay",
            "partial_damage",
            "12.34",
            "-1",
            "1e9",
            "true",
            "false",
            "insured_amount_3x",
            "NaN",
            "0",
            "0.001",
            "\x00",
            "  ",
        ]
    ),
)
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=2),
    st.dictionaries(st.text(max_size=5), scalars, max_size=2),
)
bodies = st.dictionaries(st.sampled_from(FIELDS), values, max_size=len(FIELDS))


def _post(client, url, body):
    # Our own encoding: NaN and Infinity are what a careless client sends, so send them too.
    return client.generic("POST", url, json.dumps(body), content_type="application/json")


FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=bodies)
def test_it_answers_any_quote_body_with_200_or_400(api, alice, body):
    body.pop("override_amount", None), body.pop("override_reason", None), body.pop("note", None)
    response = _post(api(alice), "/api/v1/compensation/quote/", body)
    assert response.status_code in (200, 400), (body, response.content)
    if response.status_code == 400:
        assert response.json()["error"]["message"]


@FUZZ
@given(body=bodies)
def test_it_answers_any_proposal_body_without_a_server_error(api, complaint_at_a, bob, body):
    url = f"/api/v1/complaints/{complaint_at_a.ticket_no}/claims/"
    response = _post(api(bob), url, body)
    assert response.status_code in (201, 400, 409), (body, response.content)


@pytest.mark.parametrize(
    "body",
    [
        {"note": 1},
        {"note": {"a": 1}},
        {"payment_reference": {"x": 1}, "paid_on": ["2026-11-16"]},
        {"reason": None},
        {"reason": ["a"]},
    ],
)
def test_it_answers_odd_action_bodies_with_400(api, complaint_at_a, sam, body, now):
    from compensation import services
    from tests.compensation.conftest import loss_facts

    claim = services.claim_propose(complaint=complaint_at_a, by=sam, facts=loss_facts(), now=now)
    base = f"/api/v1/complaints/{complaint_at_a.ticket_no}/claims/{claim.pk}/"
    for action in ("approve", "reject", "pay"):
        response = api(sam).post(base + f"{action}/", body, format="json")
        assert response.status_code in (400, 409), (action, body, response.content)
