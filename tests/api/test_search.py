"""POST /api/v1/complaints/search/ with `q` (issue 20 §4): the search box over the API —
ranked, role-scoped, masked, cursor-paged, with the list's other filters."""

from __future__ import annotations

import pytest

from complaints import services
from tests.unchanged import nothing_changed

from .conftest import token_client

URL = "/api/v1/complaints/search/"


@pytest.fixture
def world(make_complaint, alice, org):
    def at(unit, **fields):
        complaint = make_complaint(**fields)
        services.complaint_dispatch(complaint=complaint, unit=org[unit], by=alice)
        return complaint

    return {
        "damaged": at(
            "a",
            tracking_no="YT0000000201",
            phone="13900000056",
            complainant_name="测试客户甲",
            description="外包装破损，里面的杯子碎了，要求赔偿。",
            category="damage",
        ),
        "late": at(
            "a",
            tracking_no="YT0000000202",
            phone="13900000078",
            complainant_name="测试客户乙",
            description="快件延误三天，物流信息不更新。",
        ),
        "other_unit": at(
            "b",
            tracking_no="YT0000000203",
            phone="13900000056",
            complainant_name="测试客户甲",
            description="外包装破损，要求赔偿。",
            category="damage",
        ),
    }


def _found(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [row["ticket_no"] for row in response.json()["results"]]


def test_a_partial_phone_finds_the_complaint_masked(bob, world):
    response = token_client(bob).post(URL, {"q": "0056"}, format="json")
    assert _found(response) == [world["damaged"].ticket_no]
    row = response.json()["results"][0]
    assert row["phone"] == "139****0056" and row["complainant_name"] == "测****"
    assert "13900000056" not in response.content.decode()


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("测试客户乙", ["late"]),
        ("延误 物流", ["late"]),
        ("破损 延误", []),
        ("0202", ["late"]),
    ],
)
def test_names_words_and_numbers_are_searched_in_the_units_complaints(bob, world, term, expected):
    found = _found(token_client(bob).post(URL, {"q": term}, format="json"))
    assert found == [world[name].ticket_no for name in expected]


def test_a_branch_never_finds_another_units_complaint(bob, carol, world):
    theirs = world["other_unit"]
    for term in (theirs.ticket_no, theirs.tracking_no, "0203", "测试客户甲", "破损 赔偿"):
        response = token_client(bob).post(URL, {"q": term}, format="json")
        assert theirs.ticket_no not in _found(response), term
    found = _found(token_client(carol).post(URL, {"q": "破损 赔偿"}, format="json"))
    assert found == [theirs.ticket_no]


def test_the_search_combines_with_the_lists_filters(sam, world):
    client = token_client(sam)
    found = _found(client.post(URL, {"q": "测试客户甲", "unit": "B"}, format="json"))
    assert found == [world["other_unit"].ticket_no]
    assert _found(client.post(URL, {"q": "测试客户甲", "category": "delay"}, format="json")) == []


def test_the_best_match_comes_first(sam, make_complaint):
    text_only = make_complaint(tracking_no="RK0000000001", description="尾号4321的客户来电。")
    phone_end = make_complaint(tracking_no="RK0000000002", phone="13900004321")
    exact = make_complaint(tracking_no="4321", phone="13900000009")
    found = _found(token_client(sam).post(URL, {"q": "4321"}, format="json"))
    assert found == [exact.ticket_no, phone_end.ticket_no, text_only.ticket_no]


def test_pages_follow_the_cursor_to_the_end(sam, make_complaint):
    made = {
        make_complaint(tracking_no=f"CU{i:010d}", description="外包装破损").ticket_no
        for i in range(7)
    }
    client = token_client(sam)
    seen, cursor, pages = [], None, 0
    while True:
        body = {"q": "破损", "page_size": 3, **({"cursor": cursor} if cursor else {})}
        page = client.post(URL, body, format="json").json()
        seen += [row["ticket_no"] for row in page["results"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and len(seen) == 7 and set(seen) == made


@pytest.mark.parametrize("term", ["件", "12", "ab"])
def test_a_term_too_short_is_refused_in_the_error_shape(bob, world, term):
    client = token_client(bob)
    with nothing_changed():
        response = client.post(URL, {"q": term}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "至少4位连续的号码" in error["fields"]["q"]
    assert "results" not in response.json()


@pytest.mark.parametrize("cursor", ["bm90LWEtY3Vyc29y", "cXwxMA", "c3w5OTk5"])
def test_a_forged_cursor_is_refused(sam, world, cursor):
    response = token_client(sam).post(URL, {"q": "破损", "cursor": cursor}, format="json")
    assert response.status_code == 400
    assert "cursor" in response.json()["error"]["fields"]


def test_a_partner_may_not_search_and_learns_nothing(pat, world):
    client = token_client(pat)
    with nothing_changed():
        response = client.post(URL, {"q": "测试客户甲"}, format="json")
    assert response.status_code == 403
    assert world["damaged"].ticket_no not in response.content.decode()


def test_wildcards_are_data(sam, world):
    for term in ("%%%%", "____", "破%赔", "' OR 1=1 --"):
        response = token_client(sam).post(URL, {"q": term}, format="json")
        assert response.status_code in (200, 400), term
        if response.status_code == 200:
            assert response.json()["results"] == [], term
