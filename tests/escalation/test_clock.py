"""Tests for kernel.clock: working-day calendar, SLA clocks, day periods and pauses.

Every holiday and 调休 date below was checked against chinesecalendar 1.11.0
(see test_it_uses_dates_the_package_agrees_with).
"""

import re
import time as machine_time
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import chinese_calendar
import pytest
import time_machine

from kernel.clock import (
    SHANGHAI,
    ClockType,
    WorkCalendar,
    add_business_hours,
    add_calendar_hours,
    add_working_days,
    day_period_end,
    day_period_last_day,
    deadline,
    deadline_text,
    elapsed,
    extend_by_pauses,
    point_in_timer,
    share_used,
    to_shanghai,
)

OFFICIAL = WorkCalendar()
EVERY_DAY_0830_1830 = {weekday: (time(8, 30), time(18, 30)) for weekday in range(7)}
MON_TO_FRI_0830_1830 = {weekday: (time(8, 30), time(18, 30)) for weekday in range(5)}


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return an aware Asia/Shanghai datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Return an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture(autouse=True, params=["ABC+3", "ABC-12"], ids=["machine-utc-3", "machine-utc+12"])
def the_machine_runs_in_another_zone(request, monkeypatch):
    """Run every row with the machine's zone behind Shanghai (UTC-3) and ahead of it (UTC+12).

    The clock works in Asia/Shanghai and UTC only: nothing may depend on the zone of the machine
    (Django sets the process to Asia/Shanghai; a script or worker elsewhere may not be). Here a
    conversion to "the local zone" instead of Shanghai, or a naive time read as local, is hours
    off and shows: a local date is a day early in the Shanghai morning, a day late at night.
    """
    monkeypatch.setenv("TZ", request.param)  # POSIX: "ABC+3" is three hours behind UTC
    machine_time.tzset()
    yield
    monkeypatch.undo()
    machine_time.tzset()


# ---------------------------------------------------------------------------------------------
# WorkCalendar
# ---------------------------------------------------------------------------------------------

# (day, working?) — 调休 weekends of Spring Festival and National Day 2024-2026, and holidays.
OFFICIAL_DAYS = [
    pytest.param(date(2024, 2, 4), True, id="2024-02-04-sun-spring-festival-tiaoxiu-works"),
    pytest.param(date(2024, 2, 9), True, id="2024-02-09-fri-new-years-eve-is-a-working-day"),
    pytest.param(date(2024, 2, 10), False, id="2024-02-10-sat-spring-festival"),
    pytest.param(date(2024, 2, 12), False, id="2024-02-12-mon-spring-festival-holiday"),
    pytest.param(date(2024, 2, 18), True, id="2024-02-18-sun-spring-festival-tiaoxiu-works"),
    pytest.param(date(2024, 5, 11), True, id="2024-05-11-sat-labour-day-tiaoxiu-works"),
    pytest.param(date(2024, 5, 18), False, id="2024-05-18-sat-ordinary-weekend"),
    pytest.param(date(2024, 9, 29), True, id="2024-09-29-sun-national-day-tiaoxiu-works"),
    pytest.param(date(2024, 10, 1), False, id="2024-10-01-tue-national-day"),
    pytest.param(date(2024, 10, 7), False, id="2024-10-07-mon-national-day-holiday"),
    pytest.param(date(2024, 10, 12), True, id="2024-10-12-sat-national-day-tiaoxiu-works"),
    pytest.param(date(2024, 10, 13), False, id="2024-10-13-sun-ordinary-weekend"),
    pytest.param(date(2025, 1, 26), True, id="2025-01-26-sun-spring-festival-tiaoxiu-works"),
    pytest.param(date(2025, 1, 28), False, id="2025-01-28-tue-spring-festival"),
    pytest.param(date(2025, 2, 4), False, id="2025-02-04-tue-spring-festival-holiday"),
    pytest.param(date(2025, 2, 8), True, id="2025-02-08-sat-spring-festival-tiaoxiu-works"),
    pytest.param(date(2025, 9, 28), True, id="2025-09-28-sun-national-day-tiaoxiu-works"),
    pytest.param(date(2025, 10, 8), False, id="2025-10-08-wed-national-day-holiday"),
    pytest.param(date(2025, 10, 11), True, id="2025-10-11-sat-national-day-tiaoxiu-works"),
    pytest.param(date(2026, 2, 14), True, id="2026-02-14-sat-spring-festival-tiaoxiu-works"),
    pytest.param(date(2026, 2, 23), False, id="2026-02-23-mon-spring-festival-holiday"),
    pytest.param(date(2026, 2, 28), True, id="2026-02-28-sat-spring-festival-tiaoxiu-works"),
    pytest.param(date(2026, 9, 20), True, id="2026-09-20-sun-national-day-tiaoxiu-works"),
    pytest.param(date(2026, 10, 7), False, id="2026-10-07-wed-national-day-holiday"),
    pytest.param(date(2026, 10, 10), True, id="2026-10-10-sat-national-day-tiaoxiu-works"),
]


@pytest.mark.parametrize(("day", "working"), OFFICIAL_DAYS)
def test_it_uses_dates_the_package_agrees_with(day, working):
    assert chinese_calendar.is_workday(day) is working


@pytest.mark.parametrize(("day", "working"), OFFICIAL_DAYS)
def test_it_follows_the_official_calendar(day, working):
    assert OFFICIAL.is_working_day(day) is working
    assert OFFICIAL.is_rest_day(day) is not working


LOCAL = WorkCalendar(
    exceptions={
        date(2024, 10, 8): False,  # Typhoon closure ordered locally.
        date(2024, 10, 13): True,  # Extra local working Sunday.
        date(2027, 1, 1): False,  # New Year's Day, in a year the package does not know yet.
        date(2027, 2, 6): True,  # A 调休 Saturday entered by a supervisor.
    },
)


@pytest.mark.parametrize(
    ("calendar", "day", "working"),
    [
        pytest.param(LOCAL, date(2024, 10, 8), False, id="exception-rest-overrides-package"),
        pytest.param(LOCAL, date(2024, 10, 13), True, id="exception-work-overrides-package"),
        # Issue 18: not Monday to Friday but the statutory holidays by rule (元旦 1 January).
        pytest.param(OFFICIAL, date(2027, 1, 1), False, id="2027-rule-new-years-day-rests"),
        pytest.param(OFFICIAL, date(2027, 1, 2), False, id="2027-fallback-saturday-rests"),
        pytest.param(LOCAL, date(2027, 1, 1), False, id="2027-exception-holiday"),
        pytest.param(LOCAL, date(2027, 2, 6), True, id="2027-exception-tiaoxiu-saturday"),
        pytest.param(LOCAL, date(2027, 2, 7), False, id="2027-fallback-sunday-rests"),
    ],
)
def test_it_applies_exceptions_and_the_fallback(calendar, day, working):
    assert calendar.is_working_day(day) is working


@pytest.mark.parametrize(
    ("calendar", "day", "expected"),
    [
        pytest.param(OFFICIAL, date(2024, 9, 30), date(2024, 10, 8), id="over-national-day-2024"),
        pytest.param(OFFICIAL, date(2024, 2, 9), date(2024, 2, 18), id="to-tiaoxiu-sunday-2024"),
        pytest.param(OFFICIAL, date(2024, 5, 10), date(2024, 5, 11), id="to-tiaoxiu-sat-2024"),
        pytest.param(OFFICIAL, date(2024, 5, 13), date(2024, 5, 14), id="strictly-after-day"),
        pytest.param(OFFICIAL, date(2027, 1, 1), date(2027, 1, 4), id="2027-fallback-weekend"),
        pytest.param(LOCAL, date(2024, 9, 30), date(2024, 10, 9), id="exception-closure"),
    ],
)
def test_it_finds_the_next_working_day(calendar, day, expected):
    assert calendar.next_working_day(day) == expected


@pytest.mark.parametrize(
    ("calendar", "year", "known"),
    [
        pytest.param(OFFICIAL, 2024, True, id="package-knows-2024"),
        pytest.param(OFFICIAL, 2026, True, id="package-knows-2026"),
        pytest.param(OFFICIAL, 2027, False, id="package-does-not-know-2027"),
        pytest.param(OFFICIAL, 2003, False, id="package-starts-in-2004"),
        pytest.param(WorkCalendar(filled_years=frozenset({2027})), 2027, True, id="filled-2027"),
    ],
)
def test_it_knows_which_years_have_a_schedule(calendar, year, known):
    assert calendar.year_is_known(year) is known


@pytest.mark.parametrize(
    ("calendar", "start", "end", "expected"),
    [
        pytest.param(OFFICIAL, date(2025, 6, 1), date(2026, 12, 31), (), id="all-known"),
        pytest.param(OFFICIAL, date(2025, 6, 1), date(2028, 3, 1), (2027, 2028), id="two-unknown"),
        pytest.param(
            WorkCalendar(filled_years=frozenset({2027})),
            date(2025, 6, 1),
            date(2028, 3, 1),
            (2028,),
            id="filled-2027-not-reported",
        ),
        pytest.param(OFFICIAL, date(2028, 1, 1), date(2027, 1, 1), (), id="reversed-range-empty"),
    ],
)
def test_it_lists_unknown_years(calendar, start, end, expected):
    assert calendar.unknown_years(start, end) == expected


def test_it_copies_exceptions_so_the_calendar_stays_frozen():
    exceptions = {date(2027, 1, 1): False}
    calendar = WorkCalendar(exceptions=exceptions)
    exceptions[date(2027, 1, 1)] = True
    assert calendar.is_rest_day(date(2027, 1, 1))


# ---------------------------------------------------------------------------------------------
# Clocks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        pytest.param(sh(2024, 5, 10, 10), 72, sh(2024, 5, 13, 10), id="72h-resolution"),
        pytest.param(sh(2024, 5, 10, 23), 2, sh(2024, 5, 11, 1), id="2h-urgent-past-midnight"),
        pytest.param(sh(2024, 9, 30, 20), 24, sh(2024, 10, 1, 20), id="holidays-count"),
        pytest.param(utc(2024, 5, 9, 17, 30), 24, sh(2024, 5, 11, 1, 30), id="utc-in-shanghai-out"),
        pytest.param(sh(2024, 5, 10, 10), 0.5, sh(2024, 5, 10, 10, 30), id="fractional-hours"),
    ],
)
def test_it_adds_calendar_hours(start, hours, expected):
    due = add_calendar_hours(start, hours)
    assert due == expected
    assert due.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    ("start", "hours", "opening_hours", "closed_on_rest_days", "expected"),
    [
        pytest.param(
            sh(2024, 5, 17, 17),
            3,
            EVERY_DAY_0830_1830,
            True,
            sh(2024, 5, 20, 10),
            id="crosses-closing-time-and-a-weekend",
        ),
        pytest.param(
            sh(2024, 5, 10, 17),
            3,
            EVERY_DAY_0830_1830,
            True,
            sh(2024, 5, 11, 10),
            id="tiaoxiu-saturday-2024-05-11-is-open",
        ),
        pytest.param(
            sh(2024, 5, 17, 17),
            3,
            EVERY_DAY_0830_1830,
            False,
            sh(2024, 5, 18, 10),
            id="open-on-weekends-when-rest-days-not-closed",
        ),
        pytest.param(
            sh(2024, 9, 30, 17, 30),
            2,
            EVERY_DAY_0830_1830,
            True,
            sh(2024, 10, 8, 9, 30),
            id="closed-over-national-day-2024",
        ),
        pytest.param(
            sh(2024, 10, 11, 17, 30),
            2,
            MON_TO_FRI_0830_1830,
            True,
            sh(2024, 10, 14, 9, 30),
            id="tiaoxiu-saturday-closed-without-saturday-hours",
        ),
        pytest.param(
            sh(2024, 5, 13, 7),
            2,
            EVERY_DAY_0830_1830,
            True,
            sh(2024, 5, 13, 10, 30),
            id="starts-counting-at-opening",
        ),
        pytest.param(
            sh(2024, 5, 13, 16, 30),
            2,
            EVERY_DAY_0830_1830,
            True,
            sh(2024, 5, 13, 18, 30),
            id="ends-at-closing-not-next-opening",
        ),
        pytest.param(
            utc(2024, 5, 13, 9),  # 17:00 in Shanghai.
            3,
            EVERY_DAY_0830_1830,
            True,
            sh(2024, 5, 14, 10),
            id="utc-start-read-in-shanghai",
        ),
        pytest.param(
            sh(2024, 5, 18, 20), 0, EVERY_DAY_0830_1830, True, sh(2024, 5, 18, 20), id="zero-hours"
        ),
    ],
)
def test_it_adds_business_hours(start, hours, opening_hours, closed_on_rest_days, expected):
    due = add_business_hours(
        start,
        hours,
        hours_by_weekday=opening_hours,
        calendar=OFFICIAL,
        closed_on_rest_days=closed_on_rest_days,
    )
    assert due == expected
    assert due.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    "opening_hours",
    [
        pytest.param({}, id="no-open-day"),
        pytest.param({0: (time(18, 30), time(8, 30))}, id="closes-before-it-opens"),
        pytest.param({7: (time(8, 30), time(18, 30))}, id="weekday-out-of-range"),
    ],
)
def test_it_rejects_bad_opening_hours(opening_hours):
    with pytest.raises(ValueError, match=r"hours|weekday"):
        add_business_hours(sh(2024, 5, 13, 9), 1, hours_by_weekday=opening_hours, calendar=OFFICIAL)


def test_it_gives_up_when_no_day_is_ever_open():
    # Sunday hours only, but rest days closed: only 调休 Sundays would open, and 2027 has none.
    with pytest.raises(ValueError, match="no counted time"):
        add_business_hours(
            sh(2027, 1, 4, 9), 1, hours_by_weekday={6: (time(9), time(17))}, calendar=OFFICIAL
        )


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        pytest.param(
            sh(2024, 9, 27, 15), 2, sh(2024, 10, 1), id="tiaoxiu-sunday-2024-09-29-counts"
        ),
        pytest.param(sh(2024, 9, 30, 10), 1, sh(2024, 10, 9), id="skips-national-day-2024"),
        pytest.param(sh(2024, 5, 10, 10), 1, sh(2024, 5, 12), id="tiaoxiu-saturday-2024-05-11"),
        pytest.param(sh(2024, 10, 3, 10), 3, sh(2024, 10, 11), id="start-on-a-holiday"),
        pytest.param(sh(2025, 1, 24, 10), 2, sh(2025, 1, 28), id="tiaoxiu-sunday-2025-01-26"),
        pytest.param(sh(2025, 1, 27, 10), 1, sh(2025, 2, 6), id="skips-spring-festival-2025"),
        pytest.param(sh(2027, 1, 1, 10), 1, sh(2027, 1, 5), id="2027-fallback-weekend"),
        pytest.param(
            utc(2024, 9, 29, 15, 30), 1, sh(2024, 10, 1), id="utc-2329-shanghai-still-sep-29"
        ),
        pytest.param(
            utc(2024, 9, 29, 16, 30), 1, sh(2024, 10, 9), id="utc-0030-shanghai-already-sep-30"
        ),
    ],
)
def test_it_adds_working_days_to_midnight(start, days, expected):
    due = add_working_days(start, days, calendar=OFFICIAL)
    assert due == expected
    assert due.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    ("clock_type", "amount", "expected"),
    [
        pytest.param(ClockType.CALENDAR_HOURS, 3, sh(2024, 5, 17, 20), id="calendar-hours"),
        pytest.param(ClockType.BUSINESS_HOURS, 3, sh(2024, 5, 20, 10), id="business-hours"),
        pytest.param(ClockType.WORKING_DAYS, 1, sh(2024, 5, 21), id="working-days"),
        pytest.param("working_days", 1, sh(2024, 5, 21), id="plain-string-clock-type"),
    ],
)
def test_it_dispatches_on_the_clock_type(clock_type, amount, expected):
    due = deadline(
        sh(2024, 5, 17, 17),
        amount,
        clock_type,
        calendar=OFFICIAL,
        hours_by_weekday=EVERY_DAY_0830_1830,
    )
    assert due == expected


@pytest.mark.parametrize(
    ("clock_type", "amount", "opening_hours"),
    [
        pytest.param(ClockType.BUSINESS_HOURS, 3, None, id="business-hours-need-opening-hours"),
        pytest.param(ClockType.WORKING_DAYS, 1.5, None, id="working-days-must-be-whole"),
        pytest.param(ClockType.WORKING_DAYS, 0, None, id="working-days-at-least-one"),
        pytest.param(ClockType.CALENDAR_HOURS, -1, None, id="hours-not-negative"),
    ],
)
def test_it_rejects_bad_amounts(clock_type, amount, opening_hours):
    with pytest.raises(ValueError):
        deadline(
            sh(2024, 5, 17, 17),
            amount,
            clock_type,
            calendar=OFFICIAL,
            hours_by_weekday=opening_hours,
        )


@pytest.mark.parametrize(
    ("start", "end", "clock_type", "expected"),
    [
        pytest.param(
            sh(2024, 5, 17, 17),
            sh(2024, 5, 20, 10),
            ClockType.CALENDAR_HOURS,
            timedelta(hours=65),
            id="calendar-counts-everything",
        ),
        pytest.param(
            sh(2024, 5, 17, 17),
            sh(2024, 5, 20, 10),
            ClockType.BUSINESS_HOURS,
            timedelta(hours=3),
            id="business-skips-night-and-weekend",
        ),
        pytest.param(
            sh(2024, 9, 30, 10),
            sh(2024, 10, 8, 12),
            ClockType.WORKING_DAYS,
            timedelta(hours=12),
            id="working-days-skip-start-day-and-holiday",
        ),
        pytest.param(
            sh(2024, 5, 20, 10),
            sh(2024, 5, 17, 10),
            ClockType.CALENDAR_HOURS,
            timedelta(0),
            id="end-before-start-is-zero",
        ),
    ],
)
def test_it_measures_elapsed_counted_time(start, end, clock_type, expected):
    counted = elapsed(
        start, end, clock_type, calendar=OFFICIAL, hours_by_weekday=EVERY_DAY_0830_1830
    )
    assert counted == expected


@pytest.mark.parametrize(
    ("start", "days"),
    [
        pytest.param(sh(2024, 9, 27, 15), 2, id="over-tiaoxiu-sunday"),
        pytest.param(sh(2024, 9, 30, 10), 3, id="over-national-day"),
        pytest.param(sh(2026, 2, 13, 10), 5, id="over-spring-festival-2026"),
    ],
)
def test_it_counts_n_whole_days_up_to_a_working_day_deadline(start, days):
    due = add_working_days(start, days, calendar=OFFICIAL)
    counted = elapsed(start, due, ClockType.WORKING_DAYS, calendar=OFFICIAL)
    assert counted == timedelta(days=days)


@pytest.mark.parametrize(
    ("start", "due", "now", "clock_type", "expected"),
    [
        pytest.param(
            sh(2024, 5, 10, 8),
            sh(2024, 5, 10, 18),
            sh(2024, 5, 10, 16),
            ClockType.CALENDAR_HOURS,
            0.8,
            id="calendar-80-percent-warning",
        ),
        pytest.param(
            sh(2024, 5, 17, 17),
            sh(2024, 5, 20, 17),
            sh(2024, 5, 20, 8, 30),
            ClockType.BUSINESS_HOURS,
            0.15,
            id="business-weekend-does-not-use-the-timer",
        ),
        pytest.param(
            sh(2024, 5, 10, 8),
            sh(2024, 5, 10, 18),
            sh(2024, 5, 10, 23),
            ClockType.CALENDAR_HOURS,
            1.5,
            id="overdue-above-one",
        ),
        pytest.param(
            sh(2024, 5, 10, 8),
            sh(2024, 5, 10, 18),
            sh(2024, 5, 10, 7),
            ClockType.CALENDAR_HOURS,
            0.0,
            id="before-start-is-zero",
        ),
    ],
)
def test_it_reports_the_share_of_the_timer_used(start, due, now, clock_type, expected):
    share = share_used(
        start, due, now, clock_type, calendar=OFFICIAL, hours_by_weekday=EVERY_DAY_0830_1830
    )
    assert share == pytest.approx(expected)


def test_it_reports_a_timer_with_no_counted_time_as_used_at_the_deadline():
    moment = sh(2024, 5, 10, 8)
    assert share_used(moment, moment, moment, ClockType.CALENDAR_HOURS, calendar=OFFICIAL) == 1.0


# ---------------------------------------------------------------------------------------------
# Day periods
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "days", "calendar", "roll_over", "last_day"),
    [
        pytest.param(
            sh(2024, 5, 10, 9),
            7,
            OFFICIAL,
            True,
            date(2024, 5, 17),
            id="art201-start-day-not-counted",
        ),
        pytest.param(
            sh(2024, 5, 10, 0), 7, OFFICIAL, True, date(2024, 5, 17), id="art201-any-time-midnight"
        ),
        pytest.param(
            sh(2024, 5, 10, 23, 59), 7, OFFICIAL, True, date(2024, 5, 17), id="art201-any-time-late"
        ),
        pytest.param(
            utc(2024, 5, 9, 17, 30),
            7,
            OFFICIAL,
            True,
            date(2024, 5, 17),
            id="art201-utc-1730-is-already-may-10-in-shanghai",
        ),
        pytest.param(
            utc(2024, 5, 9, 15, 59),
            7,
            OFFICIAL,
            True,
            date(2024, 5, 16),
            id="art201-utc-1559-is-still-may-9-in-shanghai",
        ),
        pytest.param(
            date(2024, 9, 24), 7, OFFICIAL, True, date(2024, 10, 8), id="art201-plain-date-start"
        ),
        pytest.param(
            sh(2024, 9, 24, 10), 7, OFFICIAL, True, date(2024, 10, 8), id="art203-national-day-2024"
        ),
        pytest.param(
            sh(2024, 9, 24, 10), 7, OFFICIAL, False, date(2024, 10, 1), id="no-roll-over-2024"
        ),
        pytest.param(
            sh(2024, 2, 3, 10),
            7,
            OFFICIAL,
            True,
            date(2024, 2, 18),
            id="art203-spring-festival-2024-rolls-to-tiaoxiu-sunday",
        ),
        pytest.param(
            sh(2024, 10, 5, 10),
            7,
            OFFICIAL,
            True,
            date(2024, 10, 12),
            id="art203-tiaoxiu-saturday-2024-10-12-is-a-working-day",
        ),
        pytest.param(
            sh(2024, 5, 11, 10), 7, OFFICIAL, True, date(2024, 5, 20), id="art203-ordinary-weekend"
        ),
        pytest.param(
            sh(2025, 1, 21, 10),
            7,
            OFFICIAL,
            True,
            date(2025, 2, 5),
            id="art203-spring-festival-2025",
        ),
        pytest.param(
            sh(2025, 9, 24, 10), 7, OFFICIAL, True, date(2025, 10, 9), id="art203-national-day-2025"
        ),
        pytest.param(
            sh(2025, 10, 4, 10),
            7,
            OFFICIAL,
            True,
            date(2025, 10, 11),
            id="art203-tiaoxiu-saturday-2025-10-11-is-a-working-day",
        ),
        pytest.param(
            sh(2026, 2, 7, 10),
            7,
            OFFICIAL,
            True,
            date(2026, 2, 14),
            id="art203-tiaoxiu-saturday-2026-02-14-is-a-working-day",
        ),
        pytest.param(
            sh(2026, 2, 10, 10),
            7,
            OFFICIAL,
            True,
            date(2026, 2, 24),
            id="art203-spring-festival-2026",
        ),
        pytest.param(
            sh(2026, 9, 24, 10), 7, OFFICIAL, True, date(2026, 10, 8), id="art203-national-day-2026"
        ),
        pytest.param(
            sh(2026, 12, 26, 10),
            7,
            OFFICIAL,
            True,
            date(2027, 1, 4),
            id="art203-2027-fallback-weekend",
        ),
        pytest.param(
            sh(2026, 12, 29, 10),
            3,
            LOCAL,
            True,
            date(2027, 1, 4),
            id="art203-2027-exception-holiday",
        ),
    ],
)
def test_it_finds_the_last_day_of_a_day_period(start, days, calendar, roll_over, last_day):
    assert day_period_last_day(start, days, calendar=calendar, roll_over=roll_over) == last_day


@pytest.mark.parametrize(
    ("start", "expected_end"),
    [
        pytest.param(sh(2024, 5, 10, 15), sh(2024, 5, 18), id="art203-ends-2400-may-17"),
        pytest.param(utc(2024, 9, 23, 17), sh(2024, 10, 9), id="art203-ends-2400-oct-8"),
    ],
)
def test_it_ends_a_day_period_at_midnight_shanghai(start, expected_end):
    end = day_period_end(start, 7, calendar=OFFICIAL)
    assert end == expected_end
    assert end.tzinfo is SHANGHAI
    assert end.astimezone(UTC).hour == 16  # 24:00 Shanghai is 16:00 UTC the same day.


# ---------------------------------------------------------------------------------------------
# Pauses
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "pauses", "now", "expected"),
    [
        pytest.param(sh(2024, 5, 13, 10), [], sh(2024, 5, 12), sh(2024, 5, 13, 10), id="no-pause"),
        pytest.param(
            sh(2024, 9, 30, 10),
            [(sh(2024, 9, 28, 10), sh(2024, 10, 2, 10))],
            sh(2024, 10, 3),
            sh(2024, 10, 4, 10),
            id="calendar-pause-spanning-national-day-counts-in-full",
        ),
        pytest.param(
            sh(2024, 5, 13, 10),
            [(sh(2024, 5, 10, 10), None)],
            sh(2024, 5, 10, 13),
            sh(2024, 5, 13, 13),
            id="open-pause-counts-up-to-now",
        ),
        pytest.param(
            sh(2024, 5, 13, 10),
            [(sh(2024, 5, 11, 10), None)],
            sh(2024, 5, 10, 13),
            sh(2024, 5, 13, 10),
            id="open-pause-after-now-counts-nothing",
        ),
        pytest.param(
            sh(2024, 5, 13, 10),
            [
                (sh(2024, 5, 10, 10), sh(2024, 5, 10, 12)),
                (sh(2024, 5, 10, 11), sh(2024, 5, 10, 13)),
                (sh(2024, 5, 11, 9), sh(2024, 5, 11, 10)),
            ],
            sh(2024, 5, 12),
            sh(2024, 5, 13, 14),
            id="overlapping-pauses-count-once",
        ),
        pytest.param(
            sh(2024, 5, 13, 10),
            [(utc(2024, 5, 10, 2), utc(2024, 5, 10, 4))],
            sh(2024, 5, 12),
            sh(2024, 5, 13, 12),
            id="utc-pause",
        ),
    ],
)
def test_it_extends_a_calendar_deadline_by_pauses(due, pauses, now, expected):
    extended = extend_by_pauses(due, pauses, now=now)
    assert extended == expected
    assert extended.tzinfo is SHANGHAI


@pytest.mark.parametrize(
    ("due", "pauses", "clock_type", "expected"),
    [
        pytest.param(
            sh(2024, 10, 8, 12),
            [(sh(2024, 9, 30, 17, 30), sh(2024, 10, 8, 9, 30))],
            ClockType.BUSINESS_HOURS,
            sh(2024, 10, 8, 14),
            id="business-pause-spanning-national-day-counts-open-hours-only",
        ),
        pytest.param(
            sh(2024, 5, 17, 18),
            [(sh(2024, 5, 17, 16), sh(2024, 5, 17, 17))],
            ClockType.BUSINESS_HOURS,
            sh(2024, 5, 20, 9),
            id="business-pause-pushes-over-closing-and-weekend",
        ),
        pytest.param(
            sh(2024, 10, 10),
            [(sh(2024, 9, 30), sh(2024, 10, 8))],
            ClockType.WORKING_DAYS,
            sh(2024, 10, 11),
            id="working-days-pause-spanning-national-day-counts-one-day",
        ),
    ],
)
def test_it_extends_other_clocks_by_the_counted_time_paused(due, pauses, clock_type, expected):
    extended = extend_by_pauses(
        due,
        pauses,
        now=sh(2024, 10, 9),
        clock_type=clock_type,
        calendar=OFFICIAL,
        hours_by_weekday=EVERY_DAY_0830_1830,
    )
    assert extended == expected
    assert extended.tzinfo is SHANGHAI


def test_it_rejects_a_pause_that_ends_before_it_starts():
    with pytest.raises(ValueError, match="ends before it starts"):
        extend_by_pauses(
            sh(2024, 5, 13), [(sh(2024, 5, 10, 12), sh(2024, 5, 10, 10))], now=sh(2024, 5, 11)
        )


def test_it_needs_a_calendar_for_business_hour_pauses():
    with pytest.raises(ValueError, match="needs a calendar"):
        extend_by_pauses(
            sh(2024, 5, 13),
            [(sh(2024, 5, 10, 10), sh(2024, 5, 10, 12))],
            now=sh(2024, 5, 11),
            clock_type=ClockType.BUSINESS_HOURS,
            hours_by_weekday=EVERY_DAY_0830_1830,
        )


# ---------------------------------------------------------------------------------------------
# Naive datetimes and the clock
# ---------------------------------------------------------------------------------------------

NAIVE = datetime(2024, 5, 10, 10)  # Naive on purpose.


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(lambda: to_shanghai(NAIVE), id="to_shanghai"),
        pytest.param(lambda: add_calendar_hours(NAIVE, 1), id="add_calendar_hours"),
        pytest.param(
            lambda: add_business_hours(
                NAIVE, 1, hours_by_weekday=EVERY_DAY_0830_1830, calendar=OFFICIAL
            ),
            id="add_business_hours",
        ),
        pytest.param(lambda: add_working_days(NAIVE, 1, calendar=OFFICIAL), id="add_working_days"),
        pytest.param(
            lambda: deadline(NAIVE, 1, ClockType.CALENDAR_HOURS, calendar=OFFICIAL), id="deadline"
        ),
        pytest.param(lambda: day_period_end(NAIVE, 7, calendar=OFFICIAL), id="day_period_end"),
        pytest.param(
            lambda: elapsed(sh(2024, 5, 10), NAIVE, ClockType.CALENDAR_HOURS, calendar=OFFICIAL),
            id="elapsed",
        ),
        pytest.param(lambda: extend_by_pauses(NAIVE, [], now=sh(2024, 5, 10)), id="pause-due"),
        pytest.param(
            lambda: extend_by_pauses(sh(2024, 5, 10), [(NAIVE, None)], now=sh(2024, 5, 10)),
            id="pause-start",
        ),
        pytest.param(lambda: extend_by_pauses(sh(2024, 5, 10), [], now=NAIVE), id="pause-now"),
    ],
)
def test_it_rejects_naive_datetimes(call):
    with pytest.raises(ValueError, match="naive"):
        call()


def test_it_does_not_read_the_clock():
    with time_machine.travel(datetime(2031, 1, 1, tzinfo=UTC), tick=False):
        due = day_period_end(sh(2024, 9, 24, 10), 7, calendar=OFFICIAL)
    assert due == sh(2024, 10, 9)


# ---------------------------------------------------------------------------------------------
# point_in_timer: where a share of a timer falls (the SLA warning at 80 %), every value by hand
# ---------------------------------------------------------------------------------------------

# (start, amount, share, clock, opening hours, closed on rest days, expected)
POINTS_IN_TIMERS = [
    pytest.param(
        sh(2026, 11, 16, 10),
        24,
        0.8,
        ClockType.CALENDAR_HOURS,
        None,
        True,
        sh(2026, 11, 17, 5, 12),
        id="calendar-24h-80pct-19.2h-later",
    ),
    pytest.param(
        sh(2026, 11, 16, 10),
        24,
        0,
        ClockType.CALENDAR_HOURS,
        None,
        True,
        sh(2026, 11, 16, 10),
        id="calendar-share-0-is-the-start",
    ),
    pytest.param(
        sh(2026, 11, 16, 10),
        24,
        1,
        ClockType.CALENDAR_HOURS,
        None,
        True,
        sh(2026, 11, 17, 10),
        id="calendar-share-1-is-the-deadline",
    ),
    pytest.param(
        sh(2026, 11, 16, 10),
        10,
        0.8,
        ClockType.BUSINESS_HOURS,
        EVERY_DAY_0830_1830,
        True,
        sh(2026, 11, 16, 18),
        id="business-8h-of-10-same-monday",
    ),
    pytest.param(
        sh(2026, 11, 16, 10),
        10,
        1,
        ClockType.BUSINESS_HOURS,
        EVERY_DAY_0830_1830,
        True,
        sh(2026, 11, 17, 10),
        id="business-10h-8.5-monday-1.5-tuesday",
    ),
    pytest.param(
        sh(2026, 11, 20, 17, 30),
        10,
        0.5,
        ClockType.BUSINESS_HOURS,
        EVERY_DAY_0830_1830,
        True,
        sh(2026, 11, 23, 12, 30),
        id="business-5h-from-friday-skips-the-weekend",
    ),
    pytest.param(
        sh(2026, 11, 20, 17, 30),
        10,
        0.5,
        ClockType.BUSINESS_HOURS,
        EVERY_DAY_0830_1830,
        False,
        sh(2026, 11, 21, 12, 30),
        id="business-5h-from-friday-open-on-saturday",
    ),
    pytest.param(
        sh(2026, 11, 16, 10),
        7,
        0,
        ClockType.WORKING_DAYS,
        None,
        True,
        sh(2026, 11, 17),
        id="working-days-count-from-the-end-of-the-first-day",
    ),
    pytest.param(
        sh(2026, 11, 16, 10),
        7,
        0.5,
        ClockType.WORKING_DAYS,
        None,
        True,
        sh(2026, 11, 20, 12),
        id="working-days-3.5-of-7-friday-noon",
    ),
    pytest.param(
        sh(2026, 11, 16, 10),
        7,
        1,
        ClockType.WORKING_DAYS,
        None,
        True,
        sh(2026, 11, 26),
        id="working-days-7-ends-wednesday-24h00",
    ),
    pytest.param(
        sh(2026, 9, 30, 10),
        7,
        0.5,
        ClockType.WORKING_DAYS,
        None,
        True,
        sh(2026, 10, 12, 12),
        id="working-days-over-national-day-2026-and-its-tiaoxiu",
    ),
]


@pytest.mark.parametrize(
    ("start", "amount", "share", "clock", "hours", "closed_on_rest_days", "expected"),
    POINTS_IN_TIMERS,
)
def test_point_in_timer(start, amount, share, clock, hours, closed_on_rest_days, expected):
    point = point_in_timer(
        start,
        amount,
        share,
        clock,
        calendar=OFFICIAL,
        hours_by_weekday=hours,
        closed_on_rest_days=closed_on_rest_days,
    )
    assert point == expected
    assert point.tzinfo is not None and point.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("share", [-0.01, 1.01])
def test_point_in_timer_refuses_a_share_outside_0_to_1(share):
    with pytest.raises(ValueError, match="share must be between 0 and 1"):
        point_in_timer(sh(2026, 11, 16, 10), 24, share, ClockType.CALENDAR_HOURS, calendar=OFFICIAL)


# ---------------------------------------------------------------------------------------------
# Edges and messages
# ---------------------------------------------------------------------------------------------


def test_it_copies_filled_years_so_the_calendar_stays_frozen():
    filled = {2027}
    calendar = WorkCalendar(filled_years=filled)
    filled.add(2028)
    assert calendar.filled_years == frozenset({2027})
    assert calendar.unknown_years(date(2027, 6, 1), date(2028, 6, 1)) == (2028,)
    assert not calendar.is_estimated(date(2027, 10, 1))
    assert calendar.is_estimated(date(2028, 10, 1))


@pytest.mark.parametrize(
    ("due", "text"),
    [
        pytest.param(sh(2026, 12, 10), "12月9日 24:00", id="art203-end-of-a-day-is-2400"),
        pytest.param(utc(2026, 12, 9, 16), "12月9日 24:00", id="utc-1600-is-2400-shanghai"),
        pytest.param(sh(2026, 3, 1), "2月28日 24:00", id="end-of-february"),
        pytest.param(sh(2027, 1, 1), "12月31日 24:00", id="end-of-the-year"),
        pytest.param(sh(2026, 12, 9, 10, 30), "12月9日 10:30", id="an-instant-in-the-day"),
        pytest.param(sh(2026, 12, 9, 0, 1), "12月9日 00:01", id="one-minute-after-midnight"),
        pytest.param(sh(2026, 1, 1, 1), "1月1日 01:00", id="one-oclock"),
        pytest.param(utc(2026, 12, 9, 20), "12月10日 04:00", id="utc-evening-is-next-morning"),
    ],
)
def test_it_writes_a_deadline_the_way_people_read_it(due, text):
    assert deadline_text(due) == text


class _NoOffset(tzinfo):
    """A tzinfo that does not know its offset: the datetime is naive all the same."""

    def utcoffset(self, dt):
        return None


def test_it_rejects_a_datetime_whose_zone_has_no_offset():
    with pytest.raises(ValueError, match="naive datetime"):
        to_shanghai(datetime(2024, 5, 10, 10, tzinfo=_NoOffset()))


def test_it_adds_zero_hours_and_one_day():
    start = sh(2024, 5, 13, 10)
    assert add_calendar_hours(start, 0) == start
    assert (
        add_business_hours(start, 0, hours_by_weekday=EVERY_DAY_0830_1830, calendar=OFFICIAL)
        == start
    )
    assert day_period_last_day(date(2024, 5, 13), 1, calendar=OFFICIAL) == date(2024, 5, 14)


def test_it_rolls_a_day_period_past_rest_days_by_default():
    # 7 days from 2024-09-24 end on 1 October, National Day: the next working day is 8 October.
    assert day_period_last_day(date(2024, 9, 24), 7, calendar=OFFICIAL) == date(2024, 10, 8)


def _exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        pytest.param(
            lambda: add_calendar_hours(sh(2024, 5, 13), -1),
            "hours must not be negative, got -1",
            id="calendar-hours",
        ),
        pytest.param(
            lambda: add_business_hours(
                sh(2024, 5, 13), -0.5, hours_by_weekday=EVERY_DAY_0830_1830, calendar=OFFICIAL
            ),
            "hours must not be negative, got -0.5",
            id="business-hours",
        ),
        pytest.param(
            lambda: add_working_days(sh(2024, 5, 13), 0, calendar=OFFICIAL),
            "days must be ≥ 1, got 0",
            id="working-days",
        ),
        pytest.param(
            lambda: day_period_last_day(date(2024, 5, 13), 0, calendar=OFFICIAL),
            "days must be ≥ 1, got 0",
            id="day-period",
        ),
        pytest.param(
            lambda: deadline(sh(2024, 5, 13), 1.5, ClockType.WORKING_DAYS, calendar=OFFICIAL),
            "working days must be a whole number, got 1.5",
            id="fractional-working-days",
        ),
        pytest.param(
            lambda: elapsed(sh(2024, 5, 13), sh(2024, 5, 14), "weeks", calendar=OFFICIAL),
            "'weeks' is not a valid ClockType",
            id="unknown-clock",
        ),
        pytest.param(
            lambda: deadline(
                sh(2024, 5, 13), 1, ClockType.BUSINESS_HOURS, calendar=OFFICIAL, hours_by_weekday={}
            ),
            "business hours need hours_by_weekday with at least one open day",
            id="no-open-day",
        ),
        pytest.param(
            lambda: deadline(
                sh(2024, 5, 13),
                1,
                ClockType.BUSINESS_HOURS,
                calendar=OFFICIAL,
                hours_by_weekday={7: (time(8, 30), time(18, 30))},
            ),
            "weekday must be 0 (Monday) to 6 (Sunday), got 7",
            id="weekday-7",
        ),
        pytest.param(
            lambda: deadline(
                sh(2024, 5, 13),
                1,
                ClockType.BUSINESS_HOURS,
                calendar=OFFICIAL,
                hours_by_weekday={0: (time(8, 30), time(18, 30, tzinfo=SHANGHAI))},
            ),
            "opening hours are naive Asia/Shanghai wall-clock times",
            id="closing-time-with-a-zone",
        ),
        pytest.param(
            lambda: deadline(
                sh(2024, 5, 13),
                1,
                ClockType.BUSINESS_HOURS,
                calendar=OFFICIAL,
                hours_by_weekday={0: (time(8, 30, tzinfo=SHANGHAI), time(18, 30))},
            ),
            "opening hours are naive Asia/Shanghai wall-clock times",
            id="opening-time-with-a-zone",
        ),
        pytest.param(
            lambda: deadline(
                sh(2024, 5, 13),
                1,
                ClockType.BUSINESS_HOURS,
                calendar=OFFICIAL,
                hours_by_weekday={2: (time(9), time(9))},
            ),
            "weekday 2: opening 09:00:00 must be before closing 09:00:00",
            id="opens-when-it-closes",
        ),
    ],
)
def test_it_says_what_is_wrong_with_a_bad_argument(call, message):
    with pytest.raises(ValueError, match=_exactly(message)):
        call()


def test_it_accepts_every_weekday_from_monday_to_sunday():
    hours = {6: (time(9), time(17))}  # Sunday only, open on rest days too
    due = add_business_hours(
        sh(2024, 5, 13, 9), 1, hours_by_weekday=hours, calendar=OFFICIAL, closed_on_rest_days=False
    )
    assert due == sh(2024, 5, 19, 10)


def _closed_for(first: date, days: int) -> WorkCalendar:
    """A calendar working the day before `first`, closed `days` days, working the day after."""
    closed = {first + timedelta(days=i): False for i in range(days)}
    working = {first - timedelta(days=1): True, first + timedelta(days=days): True}
    return WorkCalendar(exceptions={**closed, **working})


@pytest.mark.parametrize(
    ("start", "hours", "closed_days", "expected"),
    [
        # 366 days without counted time are still searched: the next open day is found.
        pytest.param(
            sh(2027, 1, 3, 9), 1, 366, sh(2028, 1, 4, 9, 30), id="366-closed-days-searched"
        ),
        pytest.param(sh(2027, 1, 3, 9), 1, 367, None, id="367-closed-days-give-up"),
        # A day with counted time starts the count again.
        pytest.param(
            sh(2027, 1, 2, 8, 30), 11, 366, sh(2028, 1, 4, 9, 30), id="count-restarts-after-open"
        ),
        # Starting at closing time counts that day as one without counted time.
        pytest.param(sh(2027, 1, 2, 18, 30), 1, 366, None, id="start-at-closing-counts-a-day"),
    ],
)
def test_it_gives_up_after_a_year_without_counted_time(start, hours, closed_days, expected):
    calendar = _closed_for(date(2027, 1, 3), closed_days)
    if expected is None:
        with pytest.raises(
            ValueError,
            match=_exactly("no counted time in a year: check opening hours and exceptions"),
        ):
            add_business_hours(
                start, hours, hours_by_weekday=EVERY_DAY_0830_1830, calendar=calendar
            )
    else:
        due = add_business_hours(
            start, hours, hours_by_weekday=EVERY_DAY_0830_1830, calendar=calendar
        )
        assert due == expected


def test_it_keeps_rest_days_open_when_asked_to():
    saturday = sh(2024, 5, 18, 8, 30)  # an ordinary weekend
    due = deadline(
        saturday,
        2,
        ClockType.BUSINESS_HOURS,
        calendar=OFFICIAL,
        hours_by_weekday=EVERY_DAY_0830_1830,
        closed_on_rest_days=False,
    )
    assert due == sh(2024, 5, 18, 10, 30)
    share = share_used(
        saturday,
        sh(2024, 5, 18, 18, 30),
        sh(2024, 5, 18, 13, 30),
        ClockType.BUSINESS_HOURS,
        calendar=OFFICIAL,
        hours_by_weekday=EVERY_DAY_0830_1830,
        closed_on_rest_days=False,
    )
    assert share == pytest.approx(0.5)


def test_it_reports_a_timer_with_no_counted_time_as_unused_before_the_deadline():
    moment = sh(2024, 5, 10, 8)
    before = moment - timedelta(seconds=1)
    assert share_used(moment, moment, before, ClockType.CALENDAR_HOURS, calendar=OFFICIAL) == 0.0


def test_a_pause_of_no_time_moves_nothing():
    due = sh(2024, 5, 13, 10)
    pause = (sh(2024, 5, 10, 10), sh(2024, 5, 10, 10))
    assert extend_by_pauses(due, [pause], now=sh(2024, 5, 11)) == due


def test_a_point_in_a_timer_skips_rest_days_by_default():
    # Friday 17:00 + 4 opening hours: 1.5 h on Friday, the weekend closed, 2.5 h on Monday.
    point = point_in_timer(
        sh(2024, 5, 17, 17),
        4,
        1,
        ClockType.BUSINESS_HOURS,
        calendar=OFFICIAL,
        hours_by_weekday=EVERY_DAY_0830_1830,
    )
    assert point == sh(2024, 5, 20, 11)


def test_it_counts_business_hours_from_late_in_the_evening():
    # Open 08:30-23:30 every day: 21:00 Monday to 09:30 Tuesday counts 2.5 h + 1 h.
    late = {weekday: (time(8, 30), time(23, 30)) for weekday in range(7)}
    counted = elapsed(
        sh(2024, 5, 13, 21),
        sh(2024, 5, 14, 9, 30),
        ClockType.BUSINESS_HOURS,
        calendar=OFFICIAL,
        hours_by_weekday=late,
    )
    assert counted == timedelta(hours=3, minutes=30)
