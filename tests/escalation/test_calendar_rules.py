"""The calendar of the coming years (issue 18): for a year whose schedule the State Council has
not announced (chinesecalendar 1.11 stops at 2026), the statutory holidays are computed by the
rules of 全国年节及纪念日放假办法 (art. 2: 元旦, 春节 from New Year's Eve, 清明, 劳动节, 端午,
中秋, 国庆; art. 6: 补假 for a holiday on a weekend) — never plain Monday to Friday. Days a
supervisor enters (announced 调休) still win.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from escalation.models import CalendarYear
from kernel.clock import (
    SHANGHAI,
    WorkCalendar,
    add_business_hours,
    add_working_days,
    day_period_end,
    to_shanghai,
)

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
        pytest.param(date(2027, 2, 1), date(2027, 2, 12), id="民法典203-7th-day-初三-rolls"),
    ],
)
def test_a_day_period_never_ends_on_a_holiday_of_a_coming_year(accepted, due):
    # Due is the first instant after the period: 24:00 of its last day.
    assert day_period_end(accepted, 7, calendar=OFFICIAL) == datetime.combine(
        due, datetime.min.time(), tzinfo=SHANGHAI
    )


@pytest.mark.parametrize(
    ("accepted", "due"),
    [
        # 7th day 1 Jan 2027 (元旦) → Monday 4 Jan, 24:00.
        pytest.param(
            datetime(2026, 12, 25, 2, 0, tzinfo=UTC), "2027-01-05T00:00:00+08:00", id="元旦"
        ),
        # 7th day 5 Feb 2027 (除夕) → past 春节 and its 补假 to Thursday 11 Feb, 24:00.
        pytest.param(
            datetime(2027, 1, 29, 2, 0, tzinfo=UTC), "2027-02-12T00:00:00+08:00", id="春节"
        ),
    ],
)
def test_the_api_answers_a_statutory_due_past_new_years_day(org, accepted, due):
    cache.clear()
    body = {
        "tracking_no": "SF0000000001",
        "complainant_name": "测试客户",
        "phone": "13800000000",
        "party": "recipient",
        "category": "delay",
        "description": "快件超时未送达。",
    }
    with time_machine.travel(accepted, tick=False):
        response = APIClient().post("/api/v1/complaints/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["statutory_due"] == due
    cache.clear()


# 元旦 2027 and 春节 2027 (除夕 5 Feb to 补假 10 Feb): 全国年节及纪念日放假办法 arts. 2, 6.
HOLIDAYS_2027 = {date(2027, 1, 1), *(date(2027, 2, d) for d in range(5, 11))}
OPENING = {weekday: (time(9), time(18)) for weekday in range(7)}  # closed on rest days


def _last_day(due: datetime) -> date:
    """The day a deadline ends on: one at 00:00 ends the day before (24:00, 民法典 art. 203)."""
    local = to_shanghai(due)
    return (local - timedelta(microseconds=1)).date() if local.time() == time(0) else local.date()


def test_no_counted_deadline_of_the_winter_lands_on_new_year_or_the_spring_festival():
    # Every acceptance hour from 1 Dec 2026 to 28 Feb 2027, on every clock that counts working
    # time or day periods: the deadline's last day is never 1 Jan 2027 nor in 春节 2027.
    start = datetime(2026, 12, 1, tzinfo=SHANGHAI)
    for hour in range(0, 90 * 24, 5):
        accepted = start + timedelta(hours=hour)
        dues = [day_period_end(accepted, days, calendar=OFFICIAL) for days in (7, 10, 15, 30)]
        dues += [add_working_days(accepted, days, calendar=OFFICIAL) for days in (1, 2, 3, 5)]
        dues += [
            add_business_hours(accepted, hours, hours_by_weekday=OPENING, calendar=OFFICIAL)
            for hours in (4, 9, 24, 48)
        ]
        landed = {_last_day(due) for due in dues} & HOLIDAYS_2027
        assert not landed, (accepted, sorted(landed))


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
