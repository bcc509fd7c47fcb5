"""The two API endpoints: the public eligibility check and the supervisors' appeals."""

from __future__ import annotations

import io

import pytest
import time_machine
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token

from regulators import services
from tests.regulators.conftest import sh
from tests.unchanged import nothing_changed

ELIGIBILITY = "/api/v1/appeals/eligibility/"
APPEALS = "/api/v1/appeals/"

# A sender who complained on Friday 2024-05-10 at 10:00 and has had no answer.
BASE = {
    "complained_at": "2024-05-10T10:00:00+08:00",
    "company_answered_at": None,
    "satisfied": None,
    "has_clear_request": True,
    "appealed_before": False,
    "new_respondent_or_reason": False,
    "in_legal_process": False,
    "standing": "sender",
    "dispute_date": "2024-05-08",
    "as_of": "2024-05-20",
    "rule_set": "2020",
}


def row(case_id, changes, codes, eligible_from):
    return pytest.param({**BASE, **changes}, codes, eligible_from, id=case_id)


@pytest.mark.parametrize(
    ("body", "codes", "eligible_from"),
    [
        # 邮政业用户申诉处理办法 art. 9: 7 days unanswered; 民法典 art. 201: start day not counted.
        row("art9-6th-day", {"as_of": "2024-05-16"}, ["waiting_period"], "2024-05-18"),
        row("art9-7th-day", {"as_of": "2024-05-17"}, ["waiting_period"], "2024-05-18"),
        row("art9-8th-day", {"as_of": "2024-05-18"}, [], "2024-05-18"),
        # 民法典 art. 203: the 7th day (1 Oct 2024) is in National Day → period ends 8 Oct.
        row(
            "art203-holiday-end-still-waiting",
            {"complained_at": "2024-09-24T10:00:00+08:00", "as_of": "2024-10-08"},
            ["waiting_period"],
            "2024-10-09",
        ),
        row(
            "art203-holiday-end-eligible",
            {"complained_at": "2024-09-24T10:00:00+08:00", "as_of": "2024-10-09"},
            [],
            "2024-10-09",
        ),
        row(
            "art203-roll-over-switched-off",
            {
                "complained_at": "2024-09-24T10:00:00+08:00",
                "as_of": "2024-10-02",
                "roll_over": False,
            },
            [],
            "2024-10-02",
        ),
        row(
            "art9-answer-rejected",
            {
                "company_answered_at": "2024-05-12T14:00:00+08:00",
                "satisfied": False,
                "as_of": "2024-05-12",
            },
            [],
            "2024-05-12",
        ),
        row("art9-no-prior-complaint", {"complained_at": None}, ["no_prior_complaint"], None),
        row("art9-in-court", {"in_legal_process": True}, ["in_legal_process"], None),
        row("art9-unauthorised", {"standing": "unauthorized"}, ["no_standing"], None),
        # 2014 办法: direct party and one year from the dispute.
        row(
            "2014-unauthorised-is-no-direct-party",
            {"standing": "unauthorized", "rule_set": "2014"},
            ["no_standing", "not_direct_party"],
            None,
        ),
        row(
            "2014-over-one-year",
            {"rule_set": "2014", "dispute_date": "2023-05-08", "as_of": "2024-05-20"},
            ["time_barred"],
            None,
        ),
        row(
            "2020-no-one-year-limit",
            {"rule_set": "2020", "dispute_date": "2023-05-08", "as_of": "2024-05-20"},
            [],
            "2024-05-18",
        ),
        row(
            "2014-needs-dispute-date",
            {"rule_set": "2014", "dispute_date": None},
            ["dispute_date_missing"],
            None,
        ),
    ],
)
def test_it_answers_the_eligibility_table(api, db, body, codes, eligible_from):
    response = api.post(ELIGIBILITY, body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert [r["code"] for r in data["reasons"]] == codes
    assert data["eligible"] is (codes == [])
    assert data["eligible_from"] == eligible_from
    assert all(r["message"] for r in data["reasons"])


def test_it_tells_the_customer_from_when(api, db):
    response = api.post(ELIGIBILITY, {**BASE, "as_of": "2024-05-16"}, format="json")
    assert response.json()["summary"] == "客户可于2024年5月18日起向12305申诉。"


def test_it_defaults_as_of_to_today_in_shanghai(api, db):
    with time_machine.travel(sh(2024, 5, 18, 0, 30), tick=False):  # 17 May 16:30 UTC
        body = {k: v for k, v in BASE.items() if k != "as_of"}
        assert api.post(ELIGIBILITY, body, format="json").json()["eligible"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BASE, "standing": "cousin"}, "standing"),
        ({**BASE, "rule_set": "1999"}, "rule_set"),
        ({**BASE, "complained_at": "yesterday"}, "complained_at"),
        ({**BASE, "complained_at": "9999-12-31T23:59:59+08:00"}, "complained_at"),
        ({**BASE, "as_of": "0001-01-01"}, "as_of"),
        ({**BASE, "company_answered_at": "2024-05-01T10:00:00+08:00"}, "company_answered_at"),
        ({**BASE, "satisfied": "maybe"}, "satisfied"),
        ({k: v for k, v in BASE.items() if k != "standing"}, "standing"),
        ({**BASE, "has_clear_request": {}}, "has_clear_request"),
        ({**BASE, "as_of": []}, "as_of"),
        ({**BASE, "standing": ["sender"]}, "standing"),
        ({**BASE, "complained_at": 1715306400}, "complained_at"),
    ],
)
def test_it_explains_bad_input_in_the_one_error_shape(api, db, body, field):
    response = api.post(ELIGIBILITY, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        ("[1, 2]", "application/json"),
        ("{not json", "application/json"),
        ("x", "text/plain"),
        ("null", "application/json"),
    ],
)
def test_it_never_fails_on_garbage(api, db, payload, content_type):
    response = api.post(ELIGIBILITY, payload, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert "error" in response.json()


def test_it_rate_limits_per_client_address(api, db, settings):
    settings.REGULATORS = {**settings.REGULATORS, "ELIGIBILITY_RATE": "3/min"}
    for _ in range(3):
        assert (
            api.post(ELIGIBILITY, BASE, format="json", REMOTE_ADDR="127.0.0.9").status_code == 200
        )
    # A forged X-Forwarded-For does not buy a new allowance.
    blocked = api.post(
        ELIGIBILITY, BASE, format="json", REMOTE_ADDR="127.0.0.9", HTTP_X_FORWARDED_FOR="10.1.1.1"
    )
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert blocked.json()["error"]["code"] == "throttled"
    assert "频繁" in blocked.json()["error"]["message"]
    # Another client is not affected.
    assert api.post(ELIGIBILITY, BASE, format="json", REMOTE_ADDR="127.0.0.10").status_code == 200


def test_it_is_public_even_with_a_bad_token(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert api.post(ELIGIBILITY, BASE, format="json").status_code == 200


# --- /api/v1/appeals/ ---------------------------------------------------------------------


REGISTRATION = {
    "case_no": "SG2026110001",
    "received_at": "2026-11-16T09:00:00+08:00",
    # Issue 18: the regulator's own receipt is a field of the registration (邮政法 art. 65).
    "regulator_received_on": "2026-11-16",
    "province": "GD",
    "appellant_name": "测试客户",
    "appellant_phone": "13800000000",
    "facts": "快件超时未送达，向企业投诉7日未获处理。",
    "request": "要求尽快投递并赔偿运费。",
    "tracking_no": "SF1234567890",
    "category": "delay",
    "party": "recipient",
}


@pytest.fixture
def supervisor_api(api, sam):
    token = Token.objects.create(user=sam)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api


def test_it_registers_an_appeal_with_its_deadlines(supervisor_api, make_complaint, now):
    complaint = make_complaint(tracking_no="SF1234567890")
    with time_machine.travel(now, tick=False):
        response = supervisor_api.post(APPEALS, REGISTRATION, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "received" and body["state_label"] == "已接收"
    assert body["complaint"]["ticket_no"] == complaint.ticket_no
    assert body["complaint"]["is_external"] and body["complaint"]["priority"] == "urgent"
    assert body["company_report_due"] == "2026-11-27T00:00:00+08:00"
    assert body["mediation_feedback_due"] is None
    assert body["regulator_reply_due"] == "2026-12-17T00:00:00+08:00"
    assert body["appellant_phone"] == "138****0000"
    assert [e["action"] for e in body["events"]] == ["register"]


def test_it_walks_an_appeal_through_its_states(supervisor_api, now):
    with time_machine.travel(now, tick=False):
        pk = supervisor_api.post(APPEALS, REGISTRATION, format="json").json()["id"]
        base = f"{APPEALS}{pk}/"
        assert (
            supervisor_api.post(f"{base}investigate/", {"note": "核实中"}, format="json").json()[
                "state"
            ]
            == "investigating"
        )
        drafted = supervisor_api.post(f"{base}report/draft/").json()
        assert drafted["report"]["sections"][0]["title"] == "一、被申诉企业"
        edited = supervisor_api.put(
            f"{base}report/", {"sections": {"rectification": "开展专项培训。"}}, format="json"
        ).json()
        assert edited["report"]["sections"][5]["text"] == "开展专项培训。"
        docx = supervisor_api.get(f"{base}report.docx")
        assert docx.status_code == 200
        assert "开展专项培训。" in [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]
        sent = supervisor_api.post(f"{base}report/send/", {"via": "监管申诉系统"}, format="json")
        assert sent.json()["state"] == "reported" and sent.json()["report_sent_at"]
    with time_machine.travel(sh(2026, 11, 20, 15), tick=False):  # a Friday
        mediation = supervisor_api.post(
            f"{base}mediation/", {"proposal": "退还运费"}, format="json"
        )
    assert mediation.json()["mediation_feedback_due"] == "2026-11-26T00:00:00+08:00"
    answered = supervisor_api.post(f"{base}mediation/answer/", {"answer": "同意"}, format="json")
    assert answered.json()["mediation_answered_at"]
    closed = supervisor_api.post(
        f"{base}close/", {"outcome": "mediated", "reason": "和解"}, format="json"
    )
    assert closed.json()["state"] == "closed" and closed.json()["outcome_label"] == "调解成功"
    again = supervisor_api.post(f"{base}close/", {"outcome": "withdrawn"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


@pytest.mark.parametrize(
    ("action", "method", "body"),
    [
        ("investigate/", "post", {"note": ["x"]}),
        ("report/", "put", {"sections": ["x"]}),
        ("report/", "put", {"sections": {"result": ["x"]}}),
        ("report/", "put", [1, 2]),
        ("report/send/", "post", {"via": ""}),
        ("mediation/", "post", {"proposal": "x", "proposed_at": "soon"}),
        ("mediation/", "post", {"proposal": "x", "proposed_at": "1999-01-01T00:00:00Z"}),
        ("mediation/answer/", "post", {"answer": "x"}),  # no proposal yet: 409
        ("close/", "post", {"outcome": {"a": 1}}),
        ("close/", "post", {"outcome": "mediated"}),  # not reported yet: 409
    ],
)
def test_it_answers_bad_actions_clearly(supervisor_api, register, action, method, body):
    appeal = register()
    response = getattr(supervisor_api, method)(
        f"{APPEALS}{appeal.pk}/{action}", body, format="json"
    )
    assert response.status_code in (400, 409), response.content
    assert response.json()["error"]["message"]
    assert supervisor_api.get(f"{APPEALS}999999/").status_code == 404


def test_it_filters_the_list(supervisor_api, register, sam, now):
    a = register(case_no="SG-A", tracking_no="T1", received_at=sh(2026, 11, 2, 9))
    register(case_no="SG-B", tracking_no="T2", received_at=sh(2026, 11, 14, 9), province="ZJ")
    c = register(case_no="SG-C", tracking_no="T3", received_at=sh(2026, 11, 15, 9))
    services.appeal_send_report(appeal=c, by=sam, via="系统", now=now)

    def cases(query):
        with time_machine.travel(now, tick=False):
            response = supervisor_api.get(APPEALS, query)
        assert response.status_code == 200, response.json()
        return [item["case_no"] for item in response.json()["results"]]

    assert cases({}) == ["SG-C", "SG-B", "SG-A"]
    assert cases({"state": "reported"}) == ["SG-C"]
    assert cases({"province": "ZJ"}) == ["SG-B"]
    # SG-A was due by 24:00 on 12 Nov and has no report.
    assert cases({"overdue": "true"}) == ["SG-A"] and a.company_report_due < now
    assert cases({"overdue": "false"}) == ["SG-C", "SG-B"]
    assert cases({"received_from": "2026-11-14", "received_to": "2026-11-14"}) == ["SG-B"]
    assert cases({"limit": 1, "offset": 1}) == ["SG-B"]
    for bad in ({"state": "lost"}, {"overdue": "perhaps"}, {"received_from": "14/11/2026"}):
        assert supervisor_api.get(APPEALS, bad).status_code == 400


def test_it_answers_the_list_in_constant_queries(
    supervisor_api, register, django_assert_max_num_queries
):
    for i in range(5):
        register(case_no=f"SG-Q{i}", tracking_no=f"Q{i}")
    with django_assert_max_num_queries(6):
        assert len(supervisor_api.get(APPEALS).json()["results"]) == 5


def test_it_is_for_supervisors_only(api, alice, bob, make_complaint):
    assert api.get(APPEALS).status_code == 401
    for user in (alice, bob):
        api.force_authenticate(user)
        assert api.get(APPEALS).status_code == 403
        with nothing_changed():  # no appeal, no complaint, no reminder, no message
            response = api.post(APPEALS, REGISTRATION, format="json")
        assert response.status_code == 403 and response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    "changes",
    [
        {"received_at": "tomorrow"},
        {"received_at": "0001-01-01T00:00:00Z"},
        {"province": "Atlantis"},
        {"appellant_phone": "not a phone"},
        {"case_no": "x" * 100},
        {"report_days": 9999},
        {"facts": ""},
        {"ticket_no": "TS00000000000000"},
        {"received_at": {}},
        {"province": ["GD"]},
        {"report_days": "ten"},
        {"facts": None},
    ],
)
def test_it_refuses_bad_registrations_without_storing_anything(supervisor_api, now, changes):
    from regulators.models import Appeal

    with time_machine.travel(now, tick=False):
        response = supervisor_api.post(APPEALS, {**REGISTRATION, **changes}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["error"]["fields"]
    assert not Appeal.objects.exists()


def test_it_downloads_the_monthly_statistics(supervisor_api, api, alice, register):
    register()
    response = supervisor_api.get(
        "/api/v1/appeals/statistics/", {"month": "2026-11", "export": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('regulator-statistics-2026-11.xlsx"')
    assert (
        supervisor_api.get("/api/v1/appeals/statistics/", {"month": "2026-13"}).status_code == 400
    )
    api.credentials()
    api.force_authenticate(alice)
    assert api.get("/api/v1/appeals/statistics/", {"month": "2026-11"}).status_code == 403


def test_it_shows_the_supervisor_page_and_downloads_csv(client, sam, alice, register):
    register()
    client.force_login(sam)
    page = client.get("/regulators/appeals/")
    assert page.status_code == 200 and "SG2026110001" in page.content.decode()
    csv_file = client.get("/regulators/statistics/", {"month": "2026-11", "format": "csv"})
    assert csv_file.status_code == 200 and "监管统计报表" in csv_file.content.decode("utf-8-sig")
    client.force_login(alice)
    assert client.get("/regulators/appeals/").status_code == 403


# --- Whatever a client sends, the answer is 200 or a clear 4xx, never a 500 -----------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
    | st.sampled_from(
        ["2024-05-10T10:00:00+08:00", "2024-05-18", "9999-12-31", "0001-01-01T00:00:00Z", "2014"]
    ),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=5,
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    changes=st.dictionaries(st.sampled_from([*sorted(BASE), "roll_over"]), JSON_VALUES, max_size=4)
)
def test_it_never_answers_an_eligibility_question_with_a_500(api, db, changes):
    from django.core.cache import cache

    cache.clear()  # stay under the rate limit: this test is about input, not throttling
    response = api.post(ELIGIBILITY, {**BASE, **changes}, format="json")
    assert response.status_code in (200, 400), (changes, response.content)
    body = response.json()
    assert ("eligible" in body) if response.status_code == 200 else body["error"]["message"]


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(changes=st.dictionaries(st.sampled_from(sorted(REGISTRATION)), JSON_VALUES, max_size=3))
def test_it_never_answers_a_registration_with_a_500(supervisor_api, now, changes):
    with time_machine.travel(now, tick=False):
        response = supervisor_api.post(APPEALS, {**REGISTRATION, **changes}, format="json")
    assert response.status_code in (201, 400, 409), (changes, response.content)
