"""/tone-check tips: subscribe a channel, show its schedule, stop it, and explain bad input."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.slack.tips_command import handle_tips_command
from tests.tips.tips_helpers import TEAM

COMMAND = {"team_id": TEAM, "channel_id": "C1", "user_id": "UAGENT"}
# Monday 2 March 2026, 08:00 in Tallinn.
MONDAY_MORNING = datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("Europe/Tallinn"))


def tips(services, rest: str = "", now: datetime = MONDAY_MORNING) -> str:
    reply = handle_tips_command(services.storage, COMMAND, rest, now=now)
    assert reply["blocks"], "every answer is a Block Kit message"
    return reply["text"]


def test_subscribing_confirms_the_schedule_and_the_next_tip(services):
    text = tips(services, "09:30 Europe/Tallinn mon-fri ru")
    assert "<#C1>" in text
    assert "09:30 Europe/Tallinn" in text and "mon-fri" in text and "Russian" in text
    assert "Next tip: today at 09:30 (Europe/Tallinn)" in text
    sub = services.storage.tips.subscription(TEAM, "C1")
    assert (sub.time, sub.timezone, sub.weekdays, sub.language) == (
        "09:30", "Europe/Tallinn", ("mon", "tue", "wed", "thu", "fri"), "ru")


def test_weekdays_and_language_default_to_monday_to_friday_in_english(services):
    tips(services, "9:30 Europe/Tallinn")
    sub = services.storage.tips.subscription(TEAM, "C1")
    assert (sub.time, sub.weekdays, sub.language) == (
        "09:30", ("mon", "tue", "wed", "thu", "fri"), "en")


def test_subscribing_after_todays_time_says_todays_tip_comes_now(services):
    text = tips(services, "07:00 Europe/Tallinn", now=MONDAY_MORNING)
    assert "07:00 has passed today" in text and "within a minute" in text
    assert "The one after: tomorrow at 07:00 (Europe/Tallinn)" in text


def test_the_status_shows_the_schedule_and_the_next_tip_in_the_channels_time(services):
    tips(services, "09:30 Europe/Tallinn mon-fri pl")
    friday_noon = MONDAY_MORNING + timedelta(days=4, hours=4)
    text = tips(services, "", now=friday_noon)
    assert "09:30 Europe/Tallinn" in text and "Polish" in text
    assert "Next tip: Monday 9 March at 09:30 (Europe/Tallinn)" in text
    assert "/tone-check tips off" in text


def test_the_status_of_a_channel_without_tips_shows_how_to_subscribe(services):
    text = tips(services)
    assert "no daily tip" in text
    assert "/tone-check tips 09:30 Europe/Tallinn mon-fri en" in text


def test_tips_off_unsubscribes_and_says_how_to_start_again(services):
    tips(services, "09:30 Europe/Tallinn")
    assert "off" in tips(services, "off")
    assert services.storage.tips.subscription(TEAM, "C1") is None
    assert "nothing to stop" in tips(services, "OFF")


def test_subscribing_again_replaces_the_schedule(services):
    tips(services, "09:30 Europe/Tallinn")
    tips(services, "17:00 Europe/Warsaw daily uk")
    [sub] = services.storage.tips.subscriptions()
    assert (sub.time, sub.timezone, len(sub.weekdays), sub.language) == (
        "17:00", "Europe/Warsaw", 7, "uk")


def test_help_lists_the_tips_commands(services):
    text = tips(services, "help")
    assert "/tone-check tips off" in text and "`daily`" in text


@pytest.mark.parametrize(("rest", "problem"), [
    ("25:00 Europe/Tallinn", "`25:00` isn't a time of day: use 00:00 to 23:59"),
    ("9:3 Europe/Tallinn", "`9:3` isn't a time: write it as 24-hour HH:MM"),
    ("09:30 Mars/Olympus", "`Mars/Olympus` isn't a time zone I know"),
    ("09:30", "Add a time zone after `09:30`"),
    ("Europe/Tallinn 09:30", "`Europe/Tallinn` isn't a time"),
    ("09:30 Europe/Tallinn mon-fry", "`mon-fry` isn't a set of weekdays"),
    ("09:30 Europe/Tallinn weekly", "`weekly` isn't a set of weekdays"),
    ("09:30 Europe/Tallinn de", "I can't post tips in `de`: the languages are `en`, `ru`"),
    ("09:30 Europe/Tallinn ru pl", "Give one language"),
    ("09:30 Europe/Tallinn mon-fri sat", "Give the weekdays once"),
    ("09:30 Europe/Tallinn mon-fri ru please", "too many words"),
    ("on", "`on` isn't a time"),
])
def test_every_bad_input_says_what_is_wrong_with_an_example_and_changes_nothing(
    services, rest, problem
):
    text = tips(services, rest)
    assert problem in text
    assert "For example: `/tone-check tips 09:30 Europe/Tallinn mon-fri en`" in text
    assert services.storage.tips.subscriptions() == []


def test_echoed_input_cannot_ping_or_link(services):
    text = tips(services, "09:30 <!channel>")
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_a_long_word_is_cut_short_when_quoted_back(services):
    text = tips(services, "09:30 " + "x" * 5000)
    assert len(text) < 500
