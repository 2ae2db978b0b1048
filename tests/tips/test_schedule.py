"""Schedules: what /tone-check tips accepts, and when a channel's tip is due in its own time."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.storage import TipSubscription
from bot.tips.schedule import (
    Schedule,
    ScheduleError,
    describe_weekdays,
    is_due,
    next_delivery,
    parse_schedule,
)

WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
MONDAY = date(2026, 3, 2)


def sub(time: str = "09:30", zone: str = "Europe/Tallinn", days=WORKDAYS) -> TipSubscription:
    return TipSubscription("T1", "C1", time, zone, days, "en")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("09:30 Europe/Tallinn", Schedule("09:30", "Europe/Tallinn", WORKDAYS, "en")),
    ("9:30 europe/tallinn", Schedule("09:30", "Europe/Tallinn", WORKDAYS, "en")),
    ("00:00 UTC daily", Schedule("00:00", "UTC", WORKDAYS + ("sat", "sun"), "en")),
    ("23:59 Europe/Warsaw sat-sun pl", Schedule("23:59", "Europe/Warsaw", ("sat", "sun"), "pl")),
    ("08:15 Europe/Kyiv uk mon,wed,fri", Schedule("08:15", "Europe/Kyiv", ("mon", "wed", "fri"),
                                                   "uk")),
    ("10:00 Europe/Moscow RU Fri-Mon", Schedule("10:00", "Europe/Moscow",
                                               ("mon", "fri", "sat", "sun"), "ru")),
    ("10:00 America/New_York mon-wed,fri et", Schedule("10:00", "America/New_York",
                                                      ("mon", "tue", "wed", "fri"), "et")),
])
def test_a_schedule_is_a_time_a_zone_and_optional_weekdays_and_language(text, expected):
    assert parse_schedule(text) == expected


@pytest.mark.parametrize(("text", "problem"), [
    ("25:00 Europe/Tallinn", "`25:00` isn't a time of day"),
    ("09:60 Europe/Tallinn", "`09:60` isn't a time of day"),
    ("9:3 Europe/Tallinn", "`9:3` isn't a time"),
    ("9.30 Europe/Tallinn", "`9.30` isn't a time"),
    ("09:30 Mars/Olympus", "`Mars/Olympus` isn't a time zone"),
    ("09:30 ../../etc/passwd", "isn't a time zone"),
    ("09:30", "Add a time zone"),
    ("09:30 Europe/Tallinn mon-fry", "`mon-fry` isn't a set of weekdays"),
    ("09:30 Europe/Tallinn de", "I can't post tips in `de`"),
    ("09:30 Europe/Tallinn ru en", "one language"),
    ("09:30 Europe/Tallinn mon sat", "weekdays once"),
    ("09:30 Europe/Tallinn mon-fri ru every day", "too many words"),
])
def test_bad_input_says_what_is_wrong_and_shows_an_example(text, problem):
    with pytest.raises(ScheduleError) as error:
        parse_schedule(text)
    assert problem in str(error.value)
    assert "For example: `/tone-check tips 09:30 Europe/Tallinn mon-fri en`" in str(error.value)


def test_weekdays_are_written_back_in_their_shortest_form():
    assert describe_weekdays(WORKDAYS) == "mon-fri"
    assert describe_weekdays(("sat", "sun")) == "sat-sun"
    assert describe_weekdays(WORKDAYS + ("sat", "sun")) == "daily"
    assert describe_weekdays(("mon", "wed")) == "mon,wed"


def test_a_tip_is_due_from_its_local_time_until_local_midnight_on_its_weekdays():
    # Tallinn is UTC+2 in winter: 09:30 there is 07:30 UTC.
    assert is_due(sub(), utc(2026, 3, 2, 7, 29)) is None
    assert is_due(sub(), utc(2026, 3, 2, 7, 30)) == MONDAY
    assert is_due(sub(), utc(2026, 3, 2, 21, 59)) == MONDAY
    assert is_due(sub(), utc(2026, 3, 2, 22, 0)) is None  # Tuesday 00:00 in Tallinn, before 09:30
    assert is_due(sub(), utc(2026, 3, 7, 12, 0)) is None  # Saturday


def test_the_local_date_decides_the_weekday_not_the_utc_one():
    # Friday 23:30 in New York is already Saturday in UTC.
    late = sub("23:00", "America/New_York")
    assert is_due(late, utc(2026, 3, 7, 4, 30)) == date(2026, 3, 6)


@pytest.mark.parametrize(("day", "expected_utc"), [
    (date(2026, 3, 28), utc(2026, 3, 28, 7, 30)),  # EET, UTC+2
    (date(2026, 3, 29), utc(2026, 3, 29, 6, 30)),  # EEST from 04:00 that morning, UTC+3
    (date(2026, 10, 24), utc(2026, 10, 24, 6, 30)),  # still EEST
    (date(2026, 10, 25), utc(2026, 10, 25, 7, 30)),  # back to EET at 04:00
])
def test_09_30_in_tallinn_stays_09_30_across_daylight_saving_changes(day, expected_utc):
    daily = sub(days=WORKDAYS + ("sat", "sun"))
    assert next_delivery(daily, datetime(day.year, day.month, day.day, tzinfo=UTC), False) == (
        expected_utc
    )


def test_next_delivery_skips_today_once_delivered_and_the_weekend():
    friday_noon = utc(2026, 3, 6, 10, 0)
    assert next_delivery(sub(), friday_noon, delivered_today=True) == utc(2026, 3, 9, 7, 30)


def test_next_delivery_is_now_when_todays_tip_is_late():
    friday_noon = utc(2026, 3, 6, 10, 0)
    assert next_delivery(sub(), friday_noon, delivered_today=False) == friday_noon


def test_a_time_skipped_by_the_spring_change_goes_out_once_that_day():
    # 03:30 does not exist in Tallinn on 29 March 2026 (03:00 jumps to 04:00).
    early = sub("03:30", days=WORKDAYS + ("sat", "sun"))
    slot = next_delivery(early, utc(2026, 3, 28, 23, 0), False)
    assert slot.date() == date(2026, 3, 29)
    assert is_due(early, slot) == date(2026, 3, 29)
