"""When a weekly digest is due, and reading ``/tone-check digest weekday HH:MM Area/City``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.digest.schedule import (
    DigestScheduleError,
    due_digest_day,
    next_digest,
    parse_digest_schedule,
    week_of,
    window_ending,
)
from bot.storage import DigestSubscription

TALLINN = ZoneInfo("Europe/Tallinn")
SUBSCRIBED = datetime(2026, 11, 1, tzinfo=UTC)


def tallinn(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=TALLINN)


def sub(weekday: str = "mon", time: str = "09:00", updated_at: datetime = SUBSCRIBED,
        last_error: str | None = None) -> DigestSubscription:
    return DigestSubscription("T1", "C1", weekday, time, "Europe/Tallinn", "en",
                              last_error=last_error, updated_at=updated_at)


def test_parses_weekday_time_zone_and_language():
    schedule = parse_digest_schedule("Friday 16:05 europe/tallinn ru")
    assert (schedule.weekday, schedule.time, schedule.timezone, schedule.language) == (
        "fri", "16:05", "Europe/Tallinn", "ru")
    assert parse_digest_schedule("mon 9:00 UTC").language == "en"


@pytest.mark.parametrize(("text", "says"), [
    ("mon 09:00", "weekday, the time and the time zone"),
    ("someday 09:00 UTC", "`someday` isn't a weekday"),
    ("mon 25:00 UTC", "`25:00` isn't a time of day"),
    ("mon 09:00 Mars/Olympus", "`Mars/Olympus` isn't a time zone"),
    ("mon 09:00 UTC de", "I can't write the digest in `de`"),
    ("mon 09:00 UTC en extra", "too many words"),
])
def test_bad_schedules_say_what_is_wrong_and_show_an_example(text, says):
    with pytest.raises(DigestScheduleError) as caught:
        parse_digest_schedule(text)
    assert says in str(caught.value)
    assert "/tone-check digest mon 09:00 Europe/Tallinn" in str(caught.value)


def test_due_from_the_slot_until_the_next_one_and_keyed_by_the_week():
    monday = sub()
    assert due_digest_day(monday, tallinn(2026, 11, 30, 8, 59)) == date(2026, 11, 23)
    assert due_digest_day(monday, tallinn(2026, 11, 30, 9, 0)) == date(2026, 11, 30)
    # Down all week: still due on Sunday night, and only the latest week.
    assert due_digest_day(monday, tallinn(2026, 12, 6, 23, 59)) == date(2026, 11, 30)
    assert week_of(date(2026, 11, 30)) == week_of(date(2026, 12, 6)) == date(2026, 11, 30)


def test_weeks_before_the_subscription_are_not_due():
    made_on_wednesday = sub(updated_at=tallinn(2026, 11, 25, 12, 0))
    assert due_digest_day(made_on_wednesday, tallinn(2026, 11, 26, 9, 0)) is None
    assert due_digest_day(made_on_wednesday, tallinn(2026, 11, 30, 9, 0)) == date(2026, 11, 30)
    assert next_digest(made_on_wednesday, tallinn(2026, 11, 26, 9, 0)) == tallinn(
        2026, 11, 30, 9, 0)


def test_a_paused_channel_is_never_due():
    assert due_digest_day(sub(last_error="not_in_channel"), tallinn(2026, 11, 30, 9, 0)) is None


def test_the_slot_keeps_its_wall_time_across_daylight_saving():
    monday = sub()
    # Summer time (UTC+3) on 19 October, winter time (UTC+2) on 26 October.
    assert next_digest(monday, tallinn(2026, 10, 13, 12, 0)).astimezone(UTC).hour == 6
    assert next_digest(monday, tallinn(2026, 10, 20, 12, 0)).astimezone(UTC).hour == 7


def test_the_window_is_eight_weeks_of_local_days_ending_before_the_digest_day():
    window = window_ending(date(2026, 11, 30), "Europe/Tallinn")
    assert window.weeks == 8
    assert window.starts[0] == tallinn(2026, 10, 5, 0, 0)
    assert window.starts[-1] == tallinn(2026, 11, 23, 0, 0)
    assert window.end == tallinn(2026, 11, 30, 0, 0)
    # One week crosses the change to winter time: it is 169 hours long.
    lengths = {(b - a).total_seconds() / 3600
               for a, b in zip(window.starts, [*window.starts[1:], window.end], strict=True)}
    assert lengths == {168.0, 169.0}


def test_a_very_long_time_zone_is_refused_like_any_unknown_one():
    with pytest.raises(DigestScheduleError) as caught:
        parse_digest_schedule(f"mon 09:00 {'x' * 5000}")
    assert "isn't a time zone I know" in str(caught.value)
