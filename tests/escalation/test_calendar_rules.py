"""The calendar of the coming years (issue 18): for a year whose schedule the State Council has
not announced (chinesecalendar 1.11 stops at 2026), the statutory holidays are computed by the
rules of 全国年节及纪念日放假办法 (art. 2: 元旦, 春节 from New Year's Eve, 清明, 劳动节, 端午,
中秋, 国庆; art. 6: 补假 for a holiday on a weekend) — never plain Monday to Friday. Days a
supervisor enters (announced 调休) still win.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from escalation.models import CalendarYear
from kernel.clock import SHANGHAI, WorkCalendar, day_period_end

OFFICIAL = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        pytest.param(date(2027, 1, 1), False, id="放假办法2-元旦-friday-rests"),
        pytest.param(date(2027, 1, 4), True, id="放假办法-ordinary-monday-works"),
        pytest.param(date(2027, 2, 4), True, id="放假办法-day-before-除夕-works"),
        pytest.param(date(2027, 2, 5), False, id="放假办法2-春节-除夕-rests"),
        pytest.param(date(2027, 2, 8), False, id="放假办法2-春节-初三-rests"),
        pytest.param(date(2027, 2, 9), False, id="放假办法6-春节-补假-for-saturday"),
        pytest.param(date(2027, 2, 10), False, id="放假办法6-春节-补假-for-sunday"),
        pytest.param(date(2027, 2, 11), True, id="放假办法-day-after-春节-works"),
        pytest.param(date(2027, 4, 5), False, id="放假办法2-清明"),
        pytest.param(date(2027, 5, 3), False, id="放假办法6-劳动节-补假"),
        pytest.param(date(2027, 5, 5), True, id="放假办法-after-劳动节-works"),
        pytest.param(date(2027, 6, 9), False, id="放假办法2-端午"),
        pytest.param(date(2027, 9, 15), False, id="放假办法2-中秋"),
        pytest.param(date(2027, 10, 1), False, id="放假办法2-国庆-1-oct"),
        pytest.param(date(2027, 10, 5), False, id="放假办法6-国庆-补假"),
        pytest.param(date(2027, 10, 6), True, id="放假办法-after-国庆-works"),
        pytest.param(date(2027, 10, 9), False, id="放假办法-ordinary-saturday-rests"),
    ],
)
def test_a_year_without_a_schedule_follows_the_holiday_rules(day, working):
    assert OFFICIAL.is_working_day(day) is working
    assert OFFICIAL.is_estimated(day)


def test_an_announced_year_is_not_estimated():
    assert not OFFICIAL.is_estimated(date(2026, 10, 8))
    assert not WorkCalendar(filled_years=frozenset({2027})).is_estimated(date(2027, 1, 1))


@pytest.mark.parametrize(
    ("exceptions", "day", "working"),
    [
        pytest.param(
            {date(2027, 2, 20): True}, date(2027, 2, 20), True, id="supervisor-调休-saturday"
        ),
        pytest.param(
            {date(2027, 2, 11): False}, date(2027, 2, 11), False, id="supervisor-extra-rest"
        ),
    ],
)
def test_the_days_a_supervisor_enters_win(exceptions, day, working):
    assert WorkCalendar(exceptions=exceptions).is_working_day(day) is working


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        # 民法典 arts. 201, 203: the 7th day is the last, rolled past rest days.
        pytest.param(date(2026, 12, 24), date(2027, 1, 1), id="民法典203-7th-day-31-dec-no-roll"),
        pytest.param(date(2026, 12, 25), date(2027, 1, 5), id="民法典203-7th-day-元旦-rolls"),
        pytest.param(date(2027, 1, 29), date(2027, 2, 12), id="民法典203-7th-day-除夕-rolls"),
    ],
)
def test_a_day_period_never_ends_on_a_holiday_of_a_coming_year(accepted, due):
    # Due is the first instant after the period: 24:00 of its last day.
    assert day_period_end(accepted, 7, calendar=OFFICIAL) == datetime.combine(
        due, datetime.min.time(), tzinfo=SHANGHAI
    )


def test_the_api_answers_a_statutory_due_past_new_years_day(org):
    cache.clear()
    body = {
        "tracking_no": "SF0000000001",
        "complainant_name": "测试客户",
        "phone": "13800000000",
        "party": "recipient",
        "category": "delay",
        "description": "快件超时未送达。",
    }
    with time_machine.travel(datetime(2026, 12, 25, 2, 0, tzinfo=UTC), tick=False):
        response = APIClient().post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 201, response.json()
    # 7th day 1 Jan 2027 (元旦) → Monday 4 Jan, 24:00.
    assert response.json()["statutory_due"] == "2027-01-05T00:00:00+08:00"
    cache.clear()


ESTIMATED = "按法定节假日规则推算，待国务院公布调休安排"


def test_the_ticket_page_says_a_deadline_is_estimated(client, make_complaint, alice):
    december = make_complaint(at=datetime(2026, 12, 25, 2, 0, tzinfo=UTC))
    november = make_complaint(tracking_no="SF2", phone="13900000002")
    client.force_login(alice)

    page = client.get(f"/tickets/{december.ticket_no}/").content.decode()
    assert "1月4日 24:00" in page and ESTIMATED in page
    assert ESTIMATED not in client.get(f"/tickets/{november.ticket_no}/").content.decode()

    CalendarYear.objects.create(year=2027, source="国务院办公厅通知")
    assert ESTIMATED not in client.get(f"/tickets/{december.ticket_no}/").content.decode()
