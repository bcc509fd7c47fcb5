"""Deadline arithmetic for complaint timers (SPEC §4). Pure Python: no Django import.

Conventions:
- Every datetime passed in must be timezone-aware; naive ones raise ValueError.
- Every datetime returned is aware and in Asia/Shanghai (callers store it in UTC).
- "24:00 of day D" is returned as 00:00 of D + 1, the first instant after the period.
- Time is always passed in (`now=`); nothing here reads the clock.
- Arithmetic is done in UTC, so results do not depend on wall-clock quirks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays

SHANGHAI = ZoneInfo("Asia/Shanghai")

# Opening hours per weekday (0 = Monday): (opens, closes), naive local times, opens < closes.
OpeningHours = Mapping[int, tuple[time, time]]

# A stretch of counted time on one day, as UTC-aware (start, end).
_Window = tuple[datetime, datetime]

# Stop looking for counted time after this many days in a row without any: a guard against
# opening hours and exceptions that leave no open day at all.
_MAX_DAYS_WITHOUT_COUNTED_TIME = 366


def to_shanghai(moment: datetime) -> datetime:
    """Return `moment` in Asia/Shanghai; raise ValueError when it is naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass a timezone-aware datetime")
    return moment.astimezone(SHANGHAI)


def _to_utc(moment: datetime) -> datetime:
    return to_shanghai(moment).astimezone(UTC)


def _local_midnight(day: date) -> datetime:
    """Return 00:00 Asia/Shanghai at the start of `day`, in UTC."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(UTC)


def _local_date(moment: date | datetime) -> date:
    """Return the Asia/Shanghai calendar date of a moment; a plain date is taken as is."""
    if isinstance(moment, datetime):
        return to_shanghai(moment).date()
    return moment


@functools.cache
def _package_knows_year(year: int) -> bool:
    # chinese_calendar raises NotImplementedError outside the years it has data for
    # (2004-2026 in version 1.11.0) rather than guessing.
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _official_workday(day: date) -> bool:
    # The package validates and looks up on every call; sweeps ask about the same few dozen
    # days for thousands of complaints, so remember the answers (they never change).
    return bool(chinese_calendar.is_workday(day))


@functools.cache
def _statutory_holidays(year: int) -> holidays.HolidayBase:
    # The `holidays` package computes China's statutory holidays for any year from the rules
    # of 全国年节及纪念日放假办法 (元旦, 春节 from lunar New Year's Eve, 清明, 劳动节, 端午, 中秋,
    # 国庆) with art. 6's 补假 when one falls on a weekend, and carries the State Council's
    # announced 调休 working weekends where it knows them. Offline: computed, not downloaded.
    found: holidays.HolidayBase = holidays.country_holidays("CN", years=year)
    return found


@functools.lru_cache(maxsize=4096)
def _rule_workday(day: date) -> bool:
    """Return whether `day` works by the holiday rules alone (a year nobody has announced)."""
    rules = _statutory_holidays(day.year)
    if day in rules:
        return False
    if day in rules.weekend_workdays:
        return True
    return day.weekday() < 5


# ---------------------------------------------------------------------------------------------
# Working-day calendar
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkCalendar:
    """Official Chinese working-day calendar plus local exceptions entered by supervisors.

    `exceptions` maps a date to True (working day, e.g. an extra 调休 day) or False (rest day);
    they override everything. For a year the `chinesecalendar` package does not know (it holds
    the State Council's announced schedules only), the statutory holidays are computed by rule
    (the `holidays` package: 元旦, 春节, 清明, 劳动节, 端午, 中秋, 国庆 and their 补假), weekends
    rest and the rest works, plus the exceptions: the announced 调休 working weekends of such
    a year are what a supervisor enters. `filled_years` lists the years whose full schedule a
    supervisor has entered, so they no longer count as unknown.
    """

    exceptions: Mapping[date, bool] = field(default_factory=dict, hash=False)
    filled_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        # Copy, so later changes to the caller's dict cannot change a frozen calendar.
        object.__setattr__(self, "exceptions", MappingProxyType(dict(self.exceptions)))
        object.__setattr__(self, "filled_years", frozenset(self.filled_years))

    def is_working_day(self, day: date) -> bool:
        """Return whether `day` is a working day (a 调休 make-up Saturday or Sunday is one)."""
        if day in self.exceptions:
            return self.exceptions[day]
        if _package_knows_year(day.year):
            return _official_workday(day)
        # Unknown year: the statutory holidays by rule, never plain Monday to Friday (issue 18).
        return _rule_workday(day)

    def is_rest_day(self, day: date) -> bool:
        """Return whether `day` is a rest day: a weekend or public holiday, not a 调休 day."""
        return not self.is_working_day(day)

    def next_working_day(self, day: date) -> date:
        """Return the first working day strictly after `day`."""
        # Terminates: exceptions are finite, and the package has no rest stretch longer than
        # a holiday week, so a working weekday always comes.
        candidate = day + timedelta(days=1)
        while not self.is_working_day(candidate):
            candidate += timedelta(days=1)
        return candidate

    def year_is_known(self, year: int) -> bool:
        """Return whether the package knows `year` or a supervisor has filled it in."""
        return year in self.filled_years or _package_knows_year(year)

    def is_estimated(self, day: date) -> bool:
        """Return whether `day` is counted by the holiday rules, not an announced schedule.

        Such a day may still move when the State Council announces its year's 调休.
        """
        return not self.year_is_known(day.year)

    def unknown_years(self, start_date: date, end_date: date) -> tuple[int, ...]:
        """Return the years from `start_date` to `end_date` (inclusive) nobody has a schedule for.

        An empty tuple when end_date is before start_date.
        """
        return tuple(
            year
            for year in range(start_date.year, end_date.year + 1)
            if not self.year_is_known(year)
        )


# ---------------------------------------------------------------------------------------------
# Clocks
# ---------------------------------------------------------------------------------------------


class ClockType(StrEnum):
    CALENDAR_HOURS = "calendar_hours"
    BUSINESS_HOURS = "business_hours"
    WORKING_DAYS = "working_days"


def _validate_opening_hours(hours_by_weekday: OpeningHours | None) -> OpeningHours:
    if not hours_by_weekday:
        raise ValueError("business hours need hours_by_weekday with at least one open day")
    for weekday, (opens, closes) in hours_by_weekday.items():
        if weekday not in range(7):
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
        if opens.tzinfo is not None or closes.tzinfo is not None:
            raise ValueError("opening hours are naive Asia/Shanghai wall-clock times")
        if not opens < closes:
            raise ValueError(f"weekday {weekday}: opening {opens} must be before closing {closes}")
    return hours_by_weekday


def _business_window(
    hours_by_weekday: OpeningHours, calendar: WorkCalendar, closed_on_rest_days: bool
) -> Callable[[date], _Window | None]:
    """Return a function giving the opening window of a day, or None when closed.

    With closed_on_rest_days, a day is open only if it is a working day AND has hours: so
    "08:30-18:30 every day" opens on working days, including 调休 weekends, and closes on
    ordinary weekends and holidays. Without it, the hours apply on every listed weekday.
    """

    def window(day: date) -> _Window | None:
        hours = hours_by_weekday.get(day.weekday())
        if hours is None or (closed_on_rest_days and calendar.is_rest_day(day)):
            return None
        opens, closes = hours
        return (
            datetime.combine(day, opens, tzinfo=SHANGHAI).astimezone(UTC),
            datetime.combine(day, closes, tzinfo=SHANGHAI).astimezone(UTC),
        )

    return window


def _working_day_window(calendar: WorkCalendar) -> Callable[[date], _Window | None]:
    """Return a function giving the whole day (00:00-24:00) of a working day, else None."""

    def window(day: date) -> _Window | None:
        if calendar.is_rest_day(day):
            return None
        return _local_midnight(day), _local_midnight(day + timedelta(days=1))

    return window


def _add_counted(
    start: datetime, amount: timedelta, window_of: Callable[[date], _Window | None]
) -> datetime:
    """Return the UTC instant at which `amount` of counted time has run from `start`.

    A deadline that uses up a window exactly ends at its close (18:30), not the next opening.
    """
    if amount <= timedelta(0):
        return start
    remaining = amount
    day = start.astimezone(SHANGHAI).date()
    days_without_counted_time = 0
    while True:
        window = window_of(day)
        if window is not None and max(start, window[0]) < window[1]:
            days_without_counted_time = 0
            segment_start = max(start, window[0])
            available = window[1] - segment_start
            if remaining <= available:
                return segment_start + remaining
            remaining -= available
        else:
            days_without_counted_time += 1
            if days_without_counted_time > _MAX_DAYS_WITHOUT_COUNTED_TIME:
                raise ValueError("no counted time in a year: check opening hours and exceptions")
        day += timedelta(days=1)


def _elapsed_counted(
    start: datetime, end: datetime, window_of: Callable[[date], _Window | None]
) -> timedelta:
    """Return the counted time between two UTC instants; zero when end is not after start."""
    total = timedelta(0)
    day = start.astimezone(SHANGHAI).date()
    last_day = end.astimezone(SHANGHAI).date()
    while day <= last_day:
        window = window_of(day)
        if window is not None:
            overlap = min(end, window[1]) - max(start, window[0])
            total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


def _end_of_local_day(moment: datetime) -> datetime:
    """Return the UTC instant of 24:00 Asia/Shanghai on the day of `moment`."""
    return _local_midnight(moment.astimezone(SHANGHAI).date() + timedelta(days=1))


def add_calendar_hours(start: datetime, hours: float) -> datetime:
    """Return `start` plus `hours` of wall time, every hour counted; hours must be ≥ 0."""
    if hours < 0:
        raise ValueError(f"hours must not be negative, got {hours!r}")
    return (_to_utc(start) + timedelta(hours=float(hours))).astimezone(SHANGHAI)


def add_business_hours(
    start: datetime,
    hours: float,
    *,
    hours_by_weekday: OpeningHours,
    calendar: WorkCalendar,
    closed_on_rest_days: bool = True,
) -> datetime:
    """Return the moment `hours` of opening time have passed after `start`.

    Only time inside the day's opening hours counts; a weekday missing from hours_by_weekday
    is closed; with closed_on_rest_days (default) weekends and holidays of `calendar` are closed
    too, while 调休 make-up days open with their weekday's hours. Starting outside opening hours
    counts from the next opening. Zero hours returns `start` unchanged.
    """
    if hours < 0:
        raise ValueError(f"hours must not be negative, got {hours!r}")
    window_of = _business_window(
        _validate_opening_hours(hours_by_weekday), calendar, closed_on_rest_days
    )
    due = _add_counted(_to_utc(start), timedelta(hours=float(hours)), window_of)
    return due.astimezone(SHANGHAI)


def add_working_days(start: datetime, days: int, *, calendar: WorkCalendar) -> datetime:
    """Return 24:00 Asia/Shanghai of the `days`-th working day after the start day.

    The start day never counts, even when it is a working day; days must be ≥ 1.
    """
    if days < 1:
        raise ValueError(f"days must be ≥ 1, got {days!r}")
    # Counting whole working days from the next midnight ends exactly at 24:00 of the last one.
    first_counted_instant = _end_of_local_day(_to_utc(start))
    due = _add_counted(first_counted_instant, timedelta(days=days), _working_day_window(calendar))
    return due.astimezone(SHANGHAI)


def deadline(
    start: datetime,
    amount: float,
    clock_type: ClockType,
    *,
    calendar: WorkCalendar,
    hours_by_weekday: OpeningHours | None = None,
    closed_on_rest_days: bool = True,
) -> datetime:
    """Return the deadline `amount` hours (or working days) after `start` on the given clock.

    Business hours need hours_by_weekday.
    """
    match ClockType(clock_type):
        case ClockType.CALENDAR_HOURS:
            return add_calendar_hours(start, amount)
        case ClockType.BUSINESS_HOURS:
            return add_business_hours(
                start,
                amount,
                hours_by_weekday=_validate_opening_hours(hours_by_weekday),
                calendar=calendar,
                closed_on_rest_days=closed_on_rest_days,
            )
        case ClockType.WORKING_DAYS:
            if amount != int(amount):
                raise ValueError(f"working days must be a whole number, got {amount!r}")
            return add_working_days(start, int(amount), calendar=calendar)


def _window_function(
    clock_type: ClockType,
    calendar: WorkCalendar,
    hours_by_weekday: OpeningHours | None,
    closed_on_rest_days: bool,
) -> Callable[[date], _Window | None]:
    if clock_type == ClockType.BUSINESS_HOURS:
        return _business_window(
            _validate_opening_hours(hours_by_weekday), calendar, closed_on_rest_days
        )
    if clock_type == ClockType.WORKING_DAYS:
        return _working_day_window(calendar)
    raise ValueError(f"no window function for {clock_type!r}")


def elapsed(
    start: datetime,
    end: datetime,
    clock_type: ClockType,
    *,
    calendar: WorkCalendar,
    hours_by_weekday: OpeningHours | None = None,
    closed_on_rest_days: bool = True,
) -> timedelta:
    """Return the time counted by the clock between `start` and `end`.

    Zero when end is not after start. For working days, the time of working days after the
    start day counts, so elapsed(start, add_working_days(start, n)) == n * 24 h.
    """
    start_utc, end_utc = _to_utc(start), _to_utc(end)
    clock_type = ClockType(clock_type)
    if clock_type == ClockType.CALENDAR_HOURS:
        return max(end_utc - start_utc, timedelta(0))
    if clock_type == ClockType.WORKING_DAYS:
        start_utc = _end_of_local_day(start_utc)  # The start day does not count.
    window_of = _window_function(clock_type, calendar, hours_by_weekday, closed_on_rest_days)
    return _elapsed_counted(start_utc, end_utc, window_of)


def share_used(
    start: datetime,
    due: datetime,
    now: datetime,
    clock_type: ClockType,
    *,
    calendar: WorkCalendar,
    hours_by_weekday: OpeningHours | None = None,
    closed_on_rest_days: bool = True,
) -> float:
    """Return the share of the timer used at `now`: 0.0 at start, 1.0 at the deadline.

    Not capped: above 1.0 means overdue. A timer with no counted time is 0.0 before `due` and
    1.0 from it.
    """

    def counted_until(end: datetime) -> timedelta:
        return elapsed(
            start,
            end,
            clock_type,
            calendar=calendar,
            hours_by_weekday=hours_by_weekday,
            closed_on_rest_days=closed_on_rest_days,
        )

    total = counted_until(due)
    if total <= timedelta(0):
        return 1.0 if _to_utc(now) >= _to_utc(due) else 0.0
    return counted_until(now) / total


# ---------------------------------------------------------------------------------------------
# Day periods (法定期间)
# ---------------------------------------------------------------------------------------------


def day_period_last_day(
    start: date | datetime, days: int, *, calendar: WorkCalendar, roll_over: bool = True
) -> date:
    """Return the last day of a period of `days` days starting on `start`.

    A datetime is read on its Asia/Shanghai date (2024-05-09T17:30Z is 10 May in Shanghai).
    With roll_over, a last day that is a rest day of `calendar` (weekend or holiday; a 调休
    make-up day is a working day) moves to the first working day after it. days must be ≥ 1.
    """
    if days < 1:
        raise ValueError(f"days must be ≥ 1, got {days!r}")
    # 民法典 art. 201: the start day is not counted; the period begins the next day.
    last_day = _local_date(start) + timedelta(days=days)
    # 民法典 art. 203: last day a statutory rest day → the first working day after it.
    if roll_over and calendar.is_rest_day(last_day):
        last_day = calendar.next_working_day(last_day)
    return last_day


def day_period_end(
    start: date | datetime, days: int, *, calendar: WorkCalendar, roll_over: bool = True
) -> datetime:
    """Return the first instant after the period: 24:00 Asia/Shanghai of its last day.

    See day_period_last_day for how the last day is found.
    """
    last_day = day_period_last_day(start, days, calendar=calendar, roll_over=roll_over)
    # 民法典 art. 203: the period ends at 24:00 of the last day.
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=SHANGHAI)


def deadline_text(due: datetime) -> str:
    """Write a deadline the one way people read it: "12月9日 24:00" for one that ends a day.

    A deadline that ends a day is the instant 24:00 of that day (民法典 art. 203), stored as
    00:00 of the next; written "12月10日 00:00" people take it for a day more than they have.
    Any other instant: "12月9日 10:30" (Asia/Shanghai).
    """
    local = to_shanghai(due)
    if local.time() == time(0):
        day = local.date() - timedelta(days=1)
        return f"{day.month}月{day.day}日 24:00"
    return f"{local.month}月{local.day}日 {local:%H:%M}"


# ---------------------------------------------------------------------------------------------
# Pauses (waiting for the customer)
# ---------------------------------------------------------------------------------------------


def _merged_pauses(
    pauses: Iterable[tuple[datetime, datetime | None]], now: datetime
) -> list[tuple[datetime, datetime]]:
    """Return the pauses as sorted, non-overlapping UTC intervals; an open one ends at `now`."""
    now_utc = _to_utc(now)
    intervals = []
    for pause_start, pause_end in pauses:
        start_utc = _to_utc(pause_start)
        end_utc = now_utc if pause_end is None else _to_utc(pause_end)
        if pause_end is not None and end_utc < start_utc:
            raise ValueError(f"pause ends before it starts: {pause_start} → {pause_end}")
        if end_utc > start_utc:  # An open pause starting after `now` has not paused anything.
            intervals.append((start_utc, end_utc))
    merged: list[tuple[datetime, datetime]] = []
    # Overlapping records must not pause the timer twice.
    for start_utc, end_utc in sorted(intervals):
        if merged and start_utc <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end_utc))
        else:
            merged.append((start_utc, end_utc))
    return merged


def extend_by_pauses(
    due: datetime,
    pauses: Sequence[tuple[datetime, datetime | None]],
    *,
    now: datetime,
    clock_type: ClockType = ClockType.CALENDAR_HOURS,
    calendar: WorkCalendar | None = None,
    hours_by_weekday: OpeningHours | None = None,
    closed_on_rest_days: bool = True,
) -> datetime:
    """Return `due` moved later by the time the timer was paused.

    pauses are (start, end) pairs; end None means still paused, counted up to `now`.
    Overlapping pauses count once. On the calendar clock the deadline moves by the paused wall
    time, holidays included. On business hours (or working days) it moves by the opening (or
    working-day) time inside the pauses: a pause over a weekend or holiday moves it by nothing
    for those days. A working-days deadline can so land inside a day, not at midnight.
    """
    intervals = _merged_pauses(pauses, now)
    due_utc = _to_utc(due)
    clock_type = ClockType(clock_type)
    if clock_type == ClockType.CALENDAR_HOURS:
        paused = sum((end - start for start, end in intervals), timedelta(0))
        return (due_utc + paused).astimezone(SHANGHAI)
    if calendar is None:
        raise ValueError(f"a {clock_type} clock needs a calendar")
    window_of = _window_function(clock_type, calendar, hours_by_weekday, closed_on_rest_days)
    paused = sum(
        (_elapsed_counted(start, end, window_of) for start, end in intervals), timedelta(0)
    )
    return _add_counted(due_utc, paused, window_of).astimezone(SHANGHAI)


# ---------------------------------------------------------------------------------------------
# Points inside a timer (warnings)
# ---------------------------------------------------------------------------------------------


def point_in_timer(
    start: datetime,
    amount: float,
    share: float,
    clock_type: ClockType,
    *,
    calendar: WorkCalendar,
    hours_by_weekday: OpeningHours | None = None,
    closed_on_rest_days: bool = True,
) -> datetime:
    """Return the moment `share` of a timer of `amount` hours (or working days) has run.

    share_used(start, due, point_in_timer(start, amount, s, …), …) == s for 0 ≤ s ≤ 1, on
    every clock: a warning at 80 % of a business-hours timer falls inside opening hours.
    """
    if not 0 <= share <= 1:
        raise ValueError(f"share must be between 0 and 1, got {share!r}")
    clock_type = ClockType(clock_type)
    if clock_type == ClockType.WORKING_DAYS:
        first_counted_instant = _end_of_local_day(_to_utc(start))
        point = _add_counted(
            first_counted_instant,
            timedelta(days=float(amount) * share),
            _working_day_window(calendar),
        )
        return point.astimezone(SHANGHAI)
    return deadline(
        start,
        float(amount) * share,
        clock_type,
        calendar=calendar,
        hours_by_weekday=hours_by_weekday,
        closed_on_rest_days=closed_on_rest_days,
    )
