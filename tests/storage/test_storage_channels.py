"""Watched channels and tip subscriptions."""

from __future__ import annotations

from datetime import date

import pytest

from bot.storage import Storage, TipSubscription
from tests.storage.storage_helpers import NOW

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
PARIS = TipSubscription("T1", "C1", "09:30", "Europe/Paris", WEEKDAYS, "fr")


def test_watching_a_channel(storage: Storage) -> None:
    storage.channels.watch("T1", "C2")
    storage.channels.watch("T1", "C1")
    storage.channels.watch("T1", "C1")  # twice is fine
    storage.channels.watch("T2", "C3")

    assert storage.channels.is_watched("T1", "C1")
    assert not storage.channels.is_watched("T2", "C1")
    assert storage.channels.watched("T1") == ["C1", "C2"]

    storage.channels.unwatch("T1", "C1")
    storage.channels.unwatch("T1", "C9")  # never watched: nothing happens

    assert not storage.channels.is_watched("T1", "C1")
    assert storage.channels.watched("T1") == ["C2"]


def test_a_tip_subscription_reads_back_as_it_was_given(storage: Storage) -> None:
    storage.tips.subscribe(PARIS)

    assert storage.tips.subscription("T1", "C1") == PARIS
    assert storage.tips.subscription("T1", "C2") is None


def test_subscribing_again_replaces_the_schedule_and_clears_the_last_error(
    storage: Storage,
) -> None:
    storage.tips.subscribe(PARIS)
    storage.tips.claim("T1", "C1", date(2025, 6, 16), "tip-a")
    storage.tips.pause("T1", "C1", date(2025, 6, 16), "channel_not_found", now=NOW)
    assert storage.tips.subscription("T1", "C1").last_error == "channel_not_found"

    new_york = TipSubscription("T1", "C1", "08:00", "America/New_York", ("mon", "thu"), "en")
    storage.tips.subscribe(new_york)

    assert storage.tips.subscription("T1", "C1") == new_york
    assert storage.tips.subscriptions() == [new_york]


def test_all_subscriptions_across_workspaces_and_unsubscribing(storage: Storage) -> None:
    tokyo = TipSubscription("T2", "C7", "18:05", "Asia/Tokyo", ("sat", "sun"), "ja")
    storage.tips.subscribe(tokyo)
    storage.tips.subscribe(PARIS)

    assert storage.tips.subscriptions() == [PARIS, tokyo]

    assert storage.tips.unsubscribe("T1", "C1") is True
    assert storage.tips.unsubscribe("T1", "C1") is False
    assert storage.tips.subscriptions() == [tokyo]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time", "9:30", "HH:MM"),
        ("time", "24:00", "HH:MM"),
        ("timezone", "Mars/Olympus_Mons", "time zone"),
        ("weekdays", (), "empty"),
        ("weekdays", ("monday",), "weekdays"),
        ("language", "", "language"),
    ],
)
def test_a_subscription_the_scheduler_could_not_follow_is_rejected(
    field: str, value: object, message: str
) -> None:
    fields = {"team_id": "T1", "channel_id": "C1", "time": "09:30", "timezone": "UTC"}
    fields |= {"weekdays": WEEKDAYS, "language": "en", field: value}
    with pytest.raises(ValueError, match=message):
        TipSubscription(**fields)
