"""Exactly-once claims: a retried Slack delivery is handled once, a channel gets one tip a day."""

from __future__ import annotations

from datetime import date, timedelta

from bot.storage import Storage, TipSubscription
from tests.storage.storage_helpers import NOW, claim_worker, run_in_processes

MONDAY = date(2025, 6, 16)


def test_a_delivery_is_claimed_once(storage: Storage) -> None:
    assert storage.claim_delivery("Ev01ABC") is True
    assert storage.claim_delivery("Ev01ABC") is False
    assert storage.claim_delivery("Ev01XYZ") is True


def test_delivery_keys_expire_after_two_days(storage: Storage) -> None:
    storage.claim_delivery("Ev-old", now=NOW - timedelta(days=2, minutes=1))
    storage.claim_delivery("Ev-recent", now=NOW - timedelta(days=1, hours=23))

    assert storage.purge(now=NOW)["deliveries"] == 1

    assert storage.claim_delivery("Ev-recent") is False
    assert storage.claim_delivery("Ev-old") is True


def test_a_channel_gets_one_tip_per_local_day(storage: Storage) -> None:
    assert storage.claim_tip("T1", "C1", MONDAY, "tip-1") is True
    assert storage.claim_tip("T1", "C1", MONDAY, "tip-2") is False
    assert storage.claim_tip("T1", "C2", MONDAY, "tip-2") is True
    assert storage.claim_tip("T2", "C1", MONDAY, "tip-2") is True
    assert storage.claim_tip("T1", "C1", MONDAY + timedelta(days=1), "tip-2") is True


def test_tip_history_lists_posted_tips_oldest_first(storage: Storage) -> None:
    storage.claim_tip("T1", "C1", MONDAY + timedelta(days=2), "tip-c")
    storage.claim_tip("T1", "C1", MONDAY, "tip-a")
    storage.claim_tip("T1", "C1", MONDAY + timedelta(days=1), "tip-b")
    storage.claim_tip("T1", "C2", MONDAY, "tip-z")

    assert storage.tip_history("T1", "C1") == ["tip-a", "tip-b", "tip-c"]
    assert storage.tip_history("T1", "C9") == []


def test_a_failed_tip_leaves_the_history_and_shows_on_the_subscription(storage: Storage) -> None:
    storage.subscribe_tips(TipSubscription("T1", "C1", "09:30", "Europe/Paris", ("mon",), "fr"))
    storage.claim_tip("T1", "C1", MONDAY, "tip-a")
    storage.claim_tip("T1", "C1", MONDAY + timedelta(days=1), "tip-b")

    storage.mark_tip_failed("T1", "C1", MONDAY + timedelta(days=1), "not_in_channel", now=NOW)

    assert storage.tip_history("T1", "C1") == ["tip-a"]
    subscription = storage.tip_subscription("T1", "C1")
    assert subscription is not None
    assert (subscription.last_error, subscription.last_error_at) == ("not_in_channel", NOW)
    # The day stays claimed: the scheduler does not retry it elsewhere.
    assert storage.claim_tip("T1", "C1", MONDAY + timedelta(days=1), "tip-c") is False


def test_processes_racing_for_the_same_delivery_and_tip_produce_one_winner_each(
    database_url: str,
) -> None:
    storage = Storage(database_url)
    storage.upgrade()
    rounds, workers = 4, 6

    per_worker = run_in_processes(claim_worker, workers, database_url, rounds)

    for round_ in range(rounds):
        outcomes = [wins[round_] for wins in per_worker]
        assert [delivery for delivery, _ in outcomes].count(True) == 1, f"round {round_}"
        assert [tip for _, tip in outcomes].count(True) == 1, f"round {round_}"
    assert len(storage.tip_history("T1", "C1")) == rounds
    storage.close()
