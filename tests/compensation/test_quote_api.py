"""POST /api/v1/compensation/quote/ (issue 6): the examples, the shape, and every 400."""

from __future__ import annotations

import pytest

from compensation.models import CompensationPolicy

URL = "/api/v1/compensation/quote/"

REGISTERED = {"service": "postal_registered", "incident": "loss", "freight": "20.00"}


@pytest.mark.parametrize(
    ("body", "amount", "source"),
    [
        pytest.param(
            {**REGISTERED, "insured": True, "insured_amount": "1000"},
            "1000.00",
            "邮政法第四十七条",
            id="邮政法47-insured-1000-lost-pays-1000",
        ),
        pytest.param(
            {
                **REGISTERED,
                "incident": "partial_damage",
                "insured": True,
                "insured_amount": "1000",
                "full_value": "2000",
                "actual_loss": "500",
                "limit_clause_shown": True,
            },
            "250.00",
            "邮政法第四十七条",
            id="邮政法47-insured-1000-of-2000-damage-500-pays-250",
        ),
        pytest.param(
            {
                **REGISTERED,
                "incident": "partial_damage",
                "insured": True,
                "insured_amount": "1000",
                "full_value": "2000",
                "actual_loss": "500",
            },
            "500.00",
            "邮政法第四十七条第二款",
            id="邮政法47.2-clause-not-shown-sets-the-proportion-aside-pays-500",
        ),
        pytest.param(
            {**REGISTERED, "actual_loss": "500", "limit_clause_shown": True},
            "60.00",
            "邮政法第四十七条",
            id="邮政法47-uninsured-postage-20-loss-500-pays-60",
        ),
        pytest.param(
            {
                **REGISTERED,
                "actual_loss": "500",
                "limit_clause_shown": True,
                "carrier_gross_negligence": True,
            },
            "500.00",
            "邮政法第四十七条第二款",
            id="邮政法47.2-gross-negligence-pays-actual-loss-500",
        ),
        pytest.param(
            {
                "service": "express",
                "incident": "delay",
                "delay_days": 2,
                "freight": 18,
                "addon_fees": 3,
            },
            "18.00",
            "快递服务行业标准及承运人服务条款（二级来源，非法律条文）",
            id="delay-refunds-the-service-fee-not-addons",
        ),
    ],
)
def test_it_quotes_the_issue_examples(api, alice, body, amount, source):
    response = api(alice).post(URL, body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["amount"] == amount
    assert data["currency"] == "CNY"
    assert data["steps"][-1]["amount"] == amount
    assert any(step["source"] == source for step in data["steps"]), data["steps"]
    assert set(data["steps"][0]) == {"rule", "source", "amount"}
    assert isinstance(data["needs_review"], bool)
    assert isinstance(data["review_reasons"], list)
    assert data["policy"]["code"] == "insured_amount_3x"  # the company default


def test_it_flags_over_declared_value_for_review(api, alice):
    body = {**REGISTERED, "insured": True, "insured_amount": "3000", "full_value": "1000"}
    data = api(alice).post(URL, body, format="json").json()
    assert data["amount"] == "3000.00"
    assert data["needs_review"] is True
    assert any("超额保价" in reason for reason in data["review_reasons"])


def test_it_uses_the_named_policy(api, sam):
    body = {
        "service": "express",
        "incident": "loss",
        "freight": "10",
        "actual_loss": "800",
        "limit_clause_shown": True,
    }
    by_default = api(sam).post(URL, body, format="json").json()
    assert by_default["amount"] == "30.00"  # 3 × freight
    seven = api(sam).post(URL, {**body, "policy": "proven_value_7x"}, format="json").json()
    assert seven["amount"] == "70.00"
    assert seven["policy"] == {
        "code": "proven_value_7x",
        "name": "实际价值不超过保价额 + 未保价7倍运费",
    }


def test_it_follows_a_change_of_the_company_default(api, sam):
    CompensationPolicy.objects.filter(is_default=True).update(is_default=False)
    CompensationPolicy.objects.filter(code="proven_value_no_cap").update(is_default=True)
    body = {
        "service": "express",
        "incident": "loss",
        "freight": "10",
        "actual_loss": "800",
        "limit_clause_shown": True,
    }
    assert api(sam).post(URL, body, format="json").json()["amount"] == "800.00"


def test_it_accepts_form_encoded_strings(api, alice):
    body = {**REGISTERED, "actual_loss": "500", "limit_clause_shown": "true", "insured": "false"}
    response = api(alice).post(URL, body)
    assert response.status_code == 200
    assert response.json()["amount"] == "60.00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({**REGISTERED, "freight": "-1"}, "freight", id="negative-freight"),
        pytest.param({**REGISTERED, "actual_loss": "-0.01"}, "actual_loss", id="negative-loss"),
        pytest.param({**REGISTERED, "actual_loss": "1.005"}, "actual_loss", id="three-places"),
        pytest.param({**REGISTERED, "actual_loss": "abc"}, "actual_loss", id="not-a-number"),
        pytest.param({**REGISTERED, "actual_loss": "NaN"}, "actual_loss", id="nan"),
        pytest.param({**REGISTERED, "actual_loss": "Infinity"}, "actual_loss", id="infinity"),
        pytest.param({**REGISTERED, "actual_loss": "1e12"}, "actual_loss", id="absurd-amount"),
        pytest.param({**REGISTERED, "actual_loss": True}, "actual_loss", id="boolean-amount"),
        pytest.param({**REGISTERED, "actual_loss": [1]}, "actual_loss", id="list-amount"),
        pytest.param({**REGISTERED, "freight": None}, "freight", id="missing-freight"),
        pytest.param({"incident": "loss", "freight": "1"}, "service", id="missing-service"),
        pytest.param({**REGISTERED, "service": "pigeon"}, "service", id="unknown-service"),
        pytest.param({**REGISTERED, "service": ["express"]}, "service", id="list-service"),
        pytest.param({**REGISTERED, "incident": "theft"}, "incident", id="unknown-incident"),
        pytest.param({**REGISTERED, "insured": "maybe"}, "insured", id="bad-boolean"),
        pytest.param({**REGISTERED, "delay_days": 1.5}, "delay_days", id="fractional-days"),
        pytest.param({**REGISTERED, "delay_days": -2}, "delay_days", id="negative-days"),
        pytest.param({**REGISTERED, "delay_days": 10**6}, "delay_days", id="absurd-days"),
        pytest.param({**REGISTERED, "incident": "delay"}, "delay_days", id="delay-without-days"),
        pytest.param(
            {**REGISTERED, "incident": "partial_damage", "full_value": "100", "actual_loss": "200"},
            "actual_loss",
            id="partial-damage-larger-than-the-value",
        ),
        pytest.param(
            {**REGISTERED, "insured": True}, "insured_amount", id="insured-without-amount"
        ),
        pytest.param(
            {**REGISTERED, "insured_amount": "100"}, "insured_amount", id="amount-without-insurance"
        ),
        pytest.param(
            {**REGISTERED, "service": "postal_ordinary", "insured": True, "insured_amount": "5"},
            "insured",
            id="ordinary-mail-cannot-be-insured",
        ),
        pytest.param({**REGISTERED, "policy": "no-such-policy"}, "policy", id="unknown-policy"),
        pytest.param({**REGISTERED, "policy": "bad code\x00"}, "policy", id="garbage-policy"),
        pytest.param({**REGISTERED, "policy": 7}, "policy", id="numeric-policy"),
        pytest.param({**REGISTERED, "insured_ammount": "1"}, "insured_ammount", id="typo-field"),
    ],
)
def test_it_answers_bad_facts_with_400_naming_the_field(api, alice, body, field):
    response = api(alice).post(URL, body, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert error["message"]


def test_it_refuses_an_inactive_policy(api, alice):
    CompensationPolicy.objects.filter(code="proven_value_5x").update(is_active=False)
    response = api(alice).post(URL, {**REGISTERED, "policy": "proven_value_5x"}, format="json")
    assert response.status_code == 400
    assert "policy" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        pytest.param(b"{not json", "application/json", id="malformed-json"),
        pytest.param(b"[1, 2]", "application/json", id="array-body"),
        pytest.param(b'"text"', "application/json", id="string-body"),
        pytest.param(b'{"freight": 1e999}', "application/json", id="overflowing-number"),
        pytest.param(b"\xff\xfe", "application/json", id="not-utf8"),
    ],
)
def test_it_never_fails_on_a_malformed_body(api, alice, raw, content_type):
    response = api(alice).generic("POST", URL, raw, content_type=content_type)
    assert response.status_code == 400
    assert "error" in response.json()


def test_it_is_for_staff_only(api, pat, nobody):
    assert api().post(URL, REGISTERED, format="json").status_code == 401
    assert api(pat).post(URL, REGISTERED, format="json").status_code == 403
    assert api(nobody).post(URL, REGISTERED, format="json").status_code == 403


def test_it_lets_branch_staff_and_supervisors_quote(api, bob, sam):
    for user in (bob, sam):
        assert api(user).post(URL, REGISTERED, format="json").status_code == 200


def test_it_only_answers_post(api, alice):
    assert api(alice).get(URL).status_code == 405
