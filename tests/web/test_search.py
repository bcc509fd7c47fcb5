"""The staff search page (issue 20 §4): one box for numbers in full or in part, names and
words; ranked, scoped to what the user may see, masked, paged by POST."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import services
from complaints.models import Complaint
from complaints.search import parse_terms, search
from tests.unchanged import nothing_changed

URL = reverse("web:search")


def _tickets(response) -> list[str]:
    """The ticket numbers of the result rows, in the order shown."""
    html = response.content.decode()
    return re.findall(r'<tr class="search-row"><td><a href="/tickets/([^/]+)/"', html)


@pytest.fixture
def world(make_complaint, alice, org):
    """Complaints at branch A and one at branch B that shares every searchable trait."""

    def at(unit, **fields):
        complaint = make_complaint(**fields)
        services.complaint_dispatch(complaint=complaint, unit=org[unit], by=alice)
        return complaint

    return {
        "damaged": at(
            "a",
            tracking_no="YT0000000101",
            phone="13900000012",
            complainant_name="测试客户甲",
            description="外包装破损，里面的杯子碎了，要求赔偿。",
            category="damage",
        ),
        "late": at(
            "a",
            tracking_no="YT0000000102",
            phone="13900000034",
            complainant_name="测试客户乙",
            description="快件延误三天，物流信息不更新。",
        ),
        "other_unit": at(
            "b",
            tracking_no="YT0000000103",
            phone="13900000012",
            complainant_name="测试客户甲",
            description="外包装破损，要求赔偿。",
            category="damage",
        ),
    }


def test_the_last_four_digits_of_a_phone_find_its_complaints(client_as, bob, world):
    response = client_as(bob).post(URL, {"q": "0012"})
    assert response.status_code == 200
    assert _tickets(response) == [world["damaged"].ticket_no]


def test_a_customer_name_finds_its_complaints(client_as, bob, world):
    response = client_as(bob).post(URL, {"q": "测试客户乙"})
    assert _tickets(response) == [world["late"].ticket_no]


def test_every_word_must_be_in_the_complaint(client_as, sam, world):
    client = client_as(sam)
    both = _tickets(client.post(URL, {"q": "破损 赔偿"}))
    assert sorted(both) == sorted([world["damaged"].ticket_no, world["other_unit"].ticket_no])
    assert _tickets(client.post(URL, {"q": "破损 延误"})) == []
    assert _tickets(client.post(URL, {"q": "延误 物流"})) == [world["late"].ticket_no]


def test_a_partial_waybill_or_ticket_number_finds_it(client_as, bob, world):
    client = client_as(bob)
    assert _tickets(client.post(URL, {"q": "0102"})) == [world["late"].ticket_no]
    part = world["damaged"].ticket_no[-6:]
    assert world["damaged"].ticket_no in _tickets(client.post(URL, {"q": part}))


def test_a_branch_never_finds_another_units_complaint(client_as, bob, carol, world):
    theirs = world["other_unit"]
    for term in (theirs.tracking_no, "0103", "测试客户甲", "破损 赔偿", "13900000012"):
        response = client_as(bob).post(URL, {"q": term, "page": "1"})
        assert theirs.ticket_no not in response.content.decode(), term
    assert _tickets(client_as(carol).post(URL, {"q": "破损 赔偿"})) == [theirs.ticket_no]


def test_results_are_ranked_phone_ending_before_number_part_before_text(
    client_as, sam, make_complaint
):
    text = make_complaint(
        tracking_no="ZT0000000001", phone="13900000001", description="客户留言提到尾号5678。"
    )
    middle = make_complaint(tracking_no="ZT0000000002", phone="13956780002")
    waybill = make_complaint(tracking_no="ZT5678000003", phone="13900000003")
    ending = make_complaint(tracking_no="ZT0000000004", phone="13900005678")
    exact = make_complaint(tracking_no="5678", phone="13900000005")
    ranked = _tickets(client_as(sam).post(URL, {"q": "5678"}))
    assert ranked[0] == exact.ticket_no  # the whole term is its waybill number
    assert ranked[1] == ending.ticket_no  # the phone ends with it
    assert set(ranked[2:4]) == {waybill.ticket_no, middle.ticket_no}  # inside a number
    assert ranked[4] == text.ticket_no  # only in the text


def test_an_exact_name_ranks_before_a_name_that_contains_it(client_as, sam, make_complaint, now):
    longer = make_complaint(complainant_name="测试客户丙丙", phone="13900000021")
    exact = make_complaint(complainant_name="测试客户丙", phone="13900000022", at=now)
    assert _tickets(client_as(sam).post(URL, {"q": "测试客户丙"})) == [
        exact.ticket_no,
        longer.ticket_no,
    ]


def test_customers_are_masked(client_as, bob, world):
    page = client_as(bob).post(URL, {"q": "0012"}).content.decode()
    assert "139****0012" in page and "13900000012" not in page
    assert "测****" in page and "测试客户甲" not in page


def test_pages_are_posted_and_cost_the_same_queries(client_as, sam, make_complaint):
    made = [
        make_complaint(tracking_no=f"PG{i:010d}", phone=f"139000009{i:02d}", description="破损")
        for i in range(25)
    ]
    client = client_as(sam)
    client.post(URL, {"q": "破损"})  # the session and the user are read once
    with CaptureQueriesContext(connection) as first:
        one = client.post(URL, {"q": "破损"})
    with CaptureQueriesContext(connection) as second:
        two = client.post(URL, {"q": "破损", "page": "2"})
    assert len(_tickets(one)) == 20 and len(_tickets(two)) == 5
    assert sorted(_tickets(one) + _tickets(two)) == sorted(c.ticket_no for c in made)
    assert 'name="page" value="2"' in one.content.decode()
    assert len(first) == len(second)
    with CaptureQueriesContext(connection) as few:
        client.post(URL, {"q": made[0].tracking_no[-6:]})
    assert len(few) == len(first)


@pytest.mark.parametrize("term", ["件", "12", "   "])
def test_a_term_too_short_to_search_is_explained_and_changes_nothing(client_as, bob, world, term):
    client = client_as(bob)
    with nothing_changed():
        response = client.post(URL, {"q": term})
    assert response.status_code == 200
    if term.strip():
        assert "至少4位连续的号码" in response.content.decode()
    assert _tickets(response) == []


@pytest.mark.parametrize("term", ["0012", "13900000012", "139 0000"])
def test_digits_in_a_url_are_not_searched_nor_shown_back(client_as, bob, world, term):
    response = client_as(bob).get(URL, {"q": term}, follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert 'name="q" value=""' in response.content.decode()  # the term is not shown back
    assert _tickets(response) == []


def test_a_ticket_number_in_a_link_opens_the_ticket(client_as, bob, world):
    response = client_as(bob).get(URL, {"q": world["damaged"].ticket_no})
    assert response.url == reverse("web:ticket", args=[world["damaged"].ticket_no])


def test_a_partner_may_not_search(client_as, pat, world):
    client = client_as(pat)
    with nothing_changed():
        response = client.post(URL, {"q": "测试客户甲"})
    assert response.status_code == 403
    assert world["damaged"].ticket_no not in response.content.decode()


@pytest.mark.parametrize(
    ("term", "index"),
    [
        ("1234", "complaint_phone_trgm"),
        ("YT000012", "complaint_tracking_trgm"),
        ("破损 赔偿", "complaint_text_trgm"),
    ],
)
def test_the_trigram_indexes_answer_the_search(db, term, index):
    """The doubled-text expression of the query is the indexed one (else a full scan)."""
    sql, params = search(Complaint.objects.all(), parse_terms(term)).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
