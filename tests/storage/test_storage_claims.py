"""Exactly-once claims: a retried Slack delivery is handled once, a channel gets one tip a day."""

from __future__ import annotations

from datetime import date, timedelta

from bot.storage import Storage, TipSubscription
from tests.storage.storage_helpers import NOW, claim_worker, run_in_processes

MONDAY = date(2025, 6, 16)


def test_a_delivery_is_claimed_once(storage: Storage) -> None:
    assert storage.deliveries.claim("Ev01ABC") is True
    assert storage.deliveries.claim("Ev01ABC") is False
    assert storage.deliveries.claim("Ev01XYZ") is True


def test_delivery_keys_expire_after_two_days(storage: Storage) -> None:
    storage.deliveries.claim("Ev-old", now=NOW - timedelta(days=2, minutes=1))
    storage.deliveries.claim("Ev-recent", now=NOW - timedelta(days=1, hours=23))

    assert storage.purge(now=NOW)["deliveries"] == 1

    assert storage.deliveries.claim("Ev-recent") is False
    assert storage.deliveries.claim("Ev-old") is True


def test_a_channel_gets_one_tip_per_local_day(storage: Storage) -> None:
    assert storage.tips.claim("T1", "C1", MONDAY, "tip-1") is True
    assert storage.tips.claim("T1", "C1", MONDAY, "tip-2") is False
    assert storage.tips.claim("T1", "C2", MONDAY, "tip-2") is True
    assert storage.tips.claim("T2", "C1", MONDAY, "tip-2") is True
    assert storage.tips.claim("T1", "C1", MONDAY + timedelta(days=1), "tip-2") is True


def post(storage: Storage, channel: str, day: date, tip: str) -> None:
    assert storage.tips.claim("T1", channel, day, tip)
    storage.tips.mark_posted("T1", channel, day)


def test_tip_history_lists_posted_tips_oldest_first(storage: Storage) -> None:
    post(storage, "C1", MONDAY + timedelta(days=2), "tip-c")
    post(storage, "C1", MONDAY, "tip-a")
    post(storage, "C1", MONDAY + timedelta(days=1), "tip-b")
    post(storage, "C2", MONDAY, "tip-z")

    assert storage.tips.history("T1", "C1") == ["tip-a", "tip-b", "tip-c"]
    assert storage.tips.history("T1", "C9") == []


def test_a_claimed_tip_is_not_history_until_slack_took_it(storage: Storage) -> None:
    storage.tips.claim("T1", "C1", MONDAY, "tip-a")

    assert storage.tips.delivery_status("T1", "C1", MONDAY) == "claimed"
    assert storage.tips.history("T1", "C1") == []
    storage.tips.mark_posted("T1", "C1", MONDAY)
    assert storage.tips.delivery_status("T1", "C1", MONDAY) == "posted"
    assert storage.tips.history("T1", "C1") == ["tip-a"]


def test_a_failed_tip_can_be_claimed_again_the_same_day_once(storage: Storage) -> None:
    storage.tips.claim("T1", "C1", MONDAY, "tip-a")
    storage.tips.mark_failed("T1", "C1", MONDAY, "ratelimited")

    assert storage.tips.history("T1", "C1") == []
    assert storage.tips.claim("T1", "C1", MONDAY, "tip-b") is True
    assert storage.tips.claim("T1", "C1", MONDAY, "tip-c") is False  # claimed by the retry
    storage.tips.mark_posted("T1", "C1", MONDAY)
    assert storage.tips.claim("T1", "C1", MONDAY, "tip-d") is False  # posted: done for today
    assert storage.tips.history("T1", "C1") == ["tip-b"]


def test_a_paused_tip_leaves_the_history_and_shows_on_the_subscription(storage: Storage) -> None:
    storage.tips.subscribe(TipSubscription("T1", "C1", "09:30", "Europe/Paris", ("mon",), "fr"))
    post(storage, "C1", MONDAY, "tip-a")
    storage.tips.claim("T1", "C1", MONDAY + timedelta(days=1), "tip-b")

    storage.tips.pause("T1", "C1", MONDAY + timedelta(days=1), "not_in_channel", now=NOW)

    assert storage.tips.history("T1", "C1") == ["tip-a"]
    subscription = storage.tips.subscription("T1", "C1")
    assert subscription is not None
    assert (subscription.last_error, subscription.last_error_at) == ("not_in_channel", NOW)
    assert storage.tips.delivery_status("T1", "C1", MONDAY + timedelta(days=1)) == "failed"


def test_processes_racing_for_the_same_delivery_and_tip_produce_one_winner_each(
    database_url: str,
) -> None:
    storage = Storage(database_url)
    storage.upgrade()
    rounds, workers = 4, 6

    per_worker = run_in_processes(claim_worker, workers, database_url, rounds)

    for round_ in range(rounds):
        outcomes = [wins[round_] for wins in per_worker]
        assert [delivery for delivery, _, _ in outcomes].count(True) == 1, f"round {round_}"
        assert [tip for _, tip, _ in outcomes].count(True) == 1, f"round {round_}"
        assert [retry for _, _, retry in outcomes].count(True) == 1, f"round {round_}"
    assert len(storage.tips.history("T1", "C1")) == rounds
    storage.close()
