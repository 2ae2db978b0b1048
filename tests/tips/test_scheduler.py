"""The scheduler thread inside `tone-coach serve`: catches up at start, never dies, purges daily."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.slack.tip_ticker import TipScheduler
from bot.storage import TipSubscription
from tests.tips.tips_helpers import TEAM, make_services

TALLINN = ZoneInfo("Europe/Tallinn")
WORKDAYS = ("mon", "tue", "wed", "thu", "fri")
MONDAY_AFTERNOON = datetime(2026, 3, 2, 15, 0, tzinfo=TALLINN).astimezone(UTC)


def subscribe(storage, channel: str = "C1", language: str = "en") -> None:
    storage.tips.subscribe(
        TipSubscription(TEAM, channel, "09:30", "Europe/Tallinn", WORKDAYS, language))


@pytest.fixture
def running():
    """Start a scheduler for the test, and always stop it afterwards."""
    started: list[TipScheduler] = []

    def start(services, **options) -> TipScheduler:
        scheduler = TipScheduler(services, **options)
        started.append(scheduler)
        return scheduler.start()

    yield start
    for scheduler in started:
        scheduler.stop()


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_first_tick_runs_at_start_so_a_missed_tip_goes_out_at_once(
    services, slack, running
):
    subscribe(services.storage)
    running(services, clock=lambda: MONDAY_AFTERNOON, interval=60)
    [post] = slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C1"


def test_TIPS_CHANNEL_subscribes_a_first_channel_from_the_settings(storage, slack, running):
    services = make_services(storage, slack.api_url, tips_channel="C0ENV123",
                             tips_time="09:30", tips_tz="Europe/Tallinn", tips_language="et")
    running(services, clock=lambda: MONDAY_AFTERNOON, interval=60)
    [post] = slack.wait_for("chat.postMessage")
    assert post.args["channel"] == "C0ENV123"
    sub = storage.tips.subscription(TEAM, "C0ENV123")  # the team id came from auth.test
    assert (sub.time, sub.timezone, sub.weekdays, sub.language) == (
        "09:30", "Europe/Tallinn", WORKDAYS, "et")
    assert "Päeva nõuanne" in post.args["text"]


def test_TIPS_CHANNEL_leaves_a_schedule_changed_in_slack_alone(storage, slack, running):
    storage.tips.subscribe(TipSubscription(TEAM, "C0ENV123", "17:00", "UTC", ("sat",), "pl"))
    services = make_services(storage, slack.api_url, tips_channel="C0ENV123")
    scheduler = running(services, clock=lambda: MONDAY_AFTERNOON, interval=60)
    slack.wait_for("auth.test")
    scheduler.stop()
    assert storage.tips.subscription(TEAM, "C0ENV123").time == "17:00"


@pytest.mark.parametrize(("setting", "value", "logged"), [
    ("tips_tz", "Mars/Olympus", "isn't a time zone"),
    ("tips_time", "25:00", "isn't a time of day"),
    ("tips_language", "de", "can't post tips in"),
    ("tips_channel", "#support", "must be a channel id"),
])
def test_bad_TIPS_settings_are_logged_and_the_app_carries_on(
    storage, slack, running, caplog, setting, value, logged
):
    options = {"tips_channel": "C0ENV123", setting: value}
    services = make_services(storage, slack.api_url, **options)
    subscribe(storage)
    with caplog.at_level(logging.ERROR, logger="bot.slack.tip_ticker"):
        running(services, clock=lambda: MONDAY_AFTERNOON, interval=60)
        slack.wait_for("chat.postMessage")  # C1's tip still goes out
    assert logged in caplog.text
    assert storage.tips.subscription(TEAM, "C0ENV123") is None


def test_a_failing_tick_is_logged_and_the_next_one_runs(services, slack, running, caplog):
    subscribe(services.storage)
    real = services.storage.tips.subscriptions
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database restarting")
        return real()

    services.storage.tips.subscriptions = flaky
    with caplog.at_level(logging.ERROR, logger="bot.slack.tip_ticker"):
        running(services, clock=lambda: MONDAY_AFTERNOON, interval=0.05)
        slack.wait_for("chat.postMessage")
    assert "database restarting" in caplog.text


def test_storage_is_purged_once_a_day(services):
    purges = []
    services.storage.purge = lambda now: purges.append(now) or {}
    clock = [MONDAY_AFTERNOON]
    scheduler = TipScheduler(services, clock=lambda: clock[0])
    for minutes in (0, 30, 60):
        clock[0] = MONDAY_AFTERNOON + timedelta(minutes=minutes)
        scheduler.tick()
    clock[0] = MONDAY_AFTERNOON + timedelta(days=1)
    scheduler.tick()
    assert purges == [MONDAY_AFTERNOON, MONDAY_AFTERNOON + timedelta(days=1)]


def test_a_broken_tips_file_turns_tips_off_with_one_error_not_the_app(
    services, slack, tmp_path, monkeypatch, caplog
):
    broken = tmp_path / "tips.yaml"
    broken.write_text("tips: [{id: x-1}]", encoding="utf-8")
    services.settings = services.settings.model_copy(update={"tips_file": broken})
    subscribe(services.storage)
    scheduler = TipScheduler(services, clock=lambda: MONDAY_AFTERNOON)
    with caplog.at_level(logging.ERROR, logger="bot.slack.tip_ticker"):
        assert scheduler.tick() == []
        assert scheduler.tick() == []
    assert caplog.text.count("daily tips are off") == 1
    assert not slack.calls_to("chat.postMessage")


def test_stop_ends_the_thread(services, running):
    scheduler = running(services, clock=lambda: MONDAY_AFTERNOON, interval=60)
    scheduler.stop()
    assert not scheduler._thread.is_alive()
