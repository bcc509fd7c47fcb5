"""The journey beside intake and on the ticket page (htmx fragments), and in the API."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client

from complaints import services
from tests.conftest import new_complaint
from tests.unchanged import snapshot
from tracking import journey, pull
from tracking.models import PullJob, RoutingDecision, RoutingRule
from tracking.seeding import ensure_default_rules

from .conftest import hours, journey_events

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-only"


@pytest.fixture(autouse=True)
def _clock(now):
    with time_machine.travel(now, tick=True):
        yield


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_intake_shows_the_scans_as_soon_as_the_number_is_typed(tms, alice, now):
    tms.add("SF2001", journey_events("SF2001", now - hours(40), plot="signed_without_delivery"))
    client = _client(alice)
    first = client.get("/tracking/lookup/", {"tracking_no": "sf-2001"})
    assert "轨迹暂未获取" in first.content.decode()  # not pulled yet: a pull is owed
    assert 'hx-trigger="load delay:3s"' in first.content.decode()  # and the fragment asks again
    assert PullJob.objects.filter(waybill="SF2001", reason="lookup").exists()
    pull.run_due()
    page = client.get("/tracking/lookup/", {"tracking_no": "SF2001", "poll": "1"}).content.decode()
    assert "疑似虚假签收" in page and "签收前没有该网点的派件扫描" in page
    assert "最后经手" in page and "网点甲" in page
    assert PullJob.objects.filter(waybill="SF2001").count() == 1  # fresh: no second pull


@pytest.mark.parametrize("typed", ["", "SF1", "<script>", "\x00" * 8])
def test_intake_lookup_of_no_waybill_says_nothing_and_owes_nothing(alice, typed):
    response = _client(alice).get("/tracking/lookup/", {"tracking_no": typed})
    assert response.status_code == 200
    assert not PullJob.objects.exists()


def test_branch_staff_do_not_use_the_intake_lookup(bob):
    assert _client(bob).get("/tracking/lookup/", {"tracking_no": "SF2002X"}).status_code == 403


def test_the_ticket_shows_the_journey_merged_with_the_complaints_moments(
    tms, make_complaint, now, alice
):
    ensure_default_rules(RoutingRule)
    tms.add("SF2101", journey_events("SF2101", now - hours(40), plot="signed_without_delivery"))
    complaint = make_complaint(tracking_no="SF2101", category="misdelivery")
    page = _client(alice).get(f"/tracking/tickets/{complaint.ticket_no}/").content.decode()
    assert "轨迹暂未获取" in page
    pull.run_due(now=now)
    page = _client(alice).get(f"/tracking/tickets/{complaint.ticket_no}/").content.decode()
    assert page.count('class="journey-step') == 9 + 2  # nine scans, 受理 and 下发
    assert "客户投诉受理" in page and "下发至 网点甲" in page
    assert "疑似虚假签收" in page and "依据" in page
    assert "智能分单" in page and "已自动下发" in page
    assert "演示派送员" in page  # staff see who scanned it


def test_the_ticket_page_includes_the_journey_panel(make_complaint, alice):
    complaint = make_complaint(tracking_no="SF2102")
    page = _client(alice).get(f"/tickets/{complaint.ticket_no}/").content.decode()
    assert f'hx-get="/tracking/tickets/{complaint.ticket_no}/"' in page


def test_another_units_clerk_gets_not_found_and_owes_nothing(
    make_complaint, org, alice, carol, now
):
    complaint = make_complaint(tracking_no="SF2103")
    services.complaint_dispatch(complaint=complaint, unit=org["a"], by=alice, now=now)
    before = snapshot(["tracking_pulljob", "complaints_complaint"])
    client = _client(carol)
    assert client.get(f"/tracking/tickets/{complaint.ticket_no}/").status_code == 404
    assert client.post(f"/tracking/tickets/{complaint.ticket_no}/refresh/").status_code == 404
    assert snapshot(["tracking_pulljob", "complaints_complaint"]) == before


def test_a_refused_suggestion_click_changes_nothing(tms, make_complaint, now, bob):
    ensure_default_rules(RoutingRule)
    RoutingRule.objects.update(action="suggest")
    tms.add("SF2104", journey_events("SF2104", now - hours(40), plot="signed_without_delivery"))
    complaint = make_complaint(tracking_no="SF2104", category="misdelivery")
    pull.run_due(now=now)
    from tracking.models import RoutingDecision

    decision = RoutingDecision.objects.get(complaint=complaint)
    tables = ["tracking_routingdecision", "complaints_complaint", "complaints_complainttransition"]
    before = snapshot(tables)
    response = _client(bob).post(f"/tracking/suggestions/{decision.pk}/accept/")
    assert response.status_code == 404  # not bob's unit's complaint: as if it did not exist
    assert snapshot(tables) == before


def test_the_customer_reads_the_journey_without_staff_names(tms, now, org):
    complaint, code = services.complaint_create(
        data=new_complaint(tracking_no="SF2201"), by=services.CUSTOMER, now=now
    )
    client = Client()
    url = f"/api/v1/complaints/{complaint.ticket_no}/journey/"
    pending = client.get(url, HTTP_X_ACCESS_CODE=code).json()
    assert pending["status"] == "pending" and pending["message"] == "轨迹暂未获取，请稍后再查。"
    tms.add("SF2201", journey_events("SF2201", now - hours(40)))
    pull.run_due(now=now)
    body = client.get(url, HTTP_X_ACCESS_CODE=code).json()
    assert body["status"] == "available" and len(body["events"]) == 10
    text = str(body)
    assert "演示派送员" not in text and "演示揽收员" not in text and "operator" not in text
    assert "13900000002" not in text
    assert "facts" not in body


def test_a_wrong_access_code_is_a_404_and_staff_get_the_facts(tms, now, org, alice):
    complaint, _code = services.complaint_create(
        data=new_complaint(tracking_no="SF2202"), by=services.CUSTOMER, now=now
    )
    url = f"/api/v1/complaints/{complaint.ticket_no}/journey/"
    assert Client().get(url, HTTP_X_ACCESS_CODE="WRONGCODE1").status_code == 404
    tms.add("SF2202", journey_events("SF2202", now - hours(60), plot="stuck_at_hub"))
    pull.run_due(now=now)
    staff = _client(alice).get(url).json()
    assert {f["kind"] for f in staff["facts"]} >= {"stuck", "last_holder"}
    assert any(e.get("operator") == "演示揽收员" for e in staff["events"])


def test_the_console_shows_the_suggested_unit_until_the_agent_decides(
    tms, make_complaint, now, alice, django_assert_max_num_queries
):
    """The 待下发 list names the unit 智能分单 suggests; once accepted the row leaves the list."""
    ensure_default_rules(RoutingRule)
    RoutingRule.objects.update(action="suggest")
    tms.add("SF2101", journey_events("SF2101", now - hours(40), plot="signed_without_delivery"))
    suggested = make_complaint(tracking_no="SF2101", category="misdelivery")
    plain = make_complaint(tracking_no="SF2102", category="delay")
    pull.run_due(now=now)
    decision = RoutingDecision.objects.get(complaint=suggested, outcome="suggested")
    client = _client(alice)

    page = client.get("/console/").content.decode()
    assert f"建议：{decision.unit.name}" in _row(page, suggested.ticket_no)
    assert "建议：" not in _row(page, plain.ticket_no)

    # Ten more suggestions cost the page no more queries: one read for the whole list.
    with django_assert_max_num_queries(40) as few:
        client.get("/console/")
    for n in range(10):
        number = f"SF22{n:02d}"
        tms.add(number, journey_events(number, now - hours(40), plot="signed_without_delivery"))
        make_complaint(tracking_no=number, category="misdelivery")
    pull.run_due(now=now)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/console/").content.decode().count("建议：") == 11

    journey.suggestion_accept(decision_id=decision.pk, by=alice, now=now)
    page = client.get("/console/").content.decode()
    assert page.count("建议：") == 10 and f">{suggested.ticket_no}<" not in page


def _row(page: str, ticket_no: str) -> str:
    """The table row of the console that links to this ticket."""
    start = page.index(f">{ticket_no}</a>")
    return page[page.rindex("<tr", 0, start) : page.index("</tr>", start)]
