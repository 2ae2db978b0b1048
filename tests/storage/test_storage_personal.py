"""The settings log, and one person's data: shown to them, and erased without touching others'."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.storage import ReviewRecord, Storage
from bot.storage.schema import Finding
from tests.storage.storage_helpers import NOW

REVIEW = ReviewRecord(
    team_id="T1", channel_id="C1", user_id="UANNA", entry_point="command",
    verdict="needs_work", guidelines=["dont-argue", "empathy"], engine="offline", model=None,
    latency_ms=5, prompt_tokens=0, completion_tokens=0,
)


def test_the_last_change_in_a_channel_is_the_newest(storage: Storage) -> None:
    log = storage.settings_log
    log.record("T1", "C1", "ULEAD", "watch", now=NOW - timedelta(hours=2))
    log.record("T1", "C1", "UBOB", "tips_on", "09:30 Europe/Tallinn mon-fri en",
               now=NOW - timedelta(hours=1))
    log.record("T1", "C2", "UBOB", "unwatch", now=NOW)

    last = log.last_change("T1", "C1")
    assert (last.user_id, last.action, last.detail) == (
        "UBOB", "tips_on", "09:30 Europe/Tallinn mon-fri en")
    assert last.created_at == NOW - timedelta(hours=1)
    assert log.last_change("T1", "C9") is None
    assert [c.action for c in log.changes("T1", "C1")] == ["watch", "tips_on"]


def test_an_unknown_action_is_refused(storage: Storage) -> None:
    with pytest.raises(ValueError, match="action"):
        storage.settings_log.record("T1", "C1", "U1", "delete_everything")


def test_my_data_lists_reviews_with_guidelines_votes_and_changes(storage: Storage) -> None:
    mine = storage.reviews.record(REVIEW, now=NOW - timedelta(days=1))
    ok = storage.reviews.record(replace(REVIEW, verdict="ok", guidelines=[], channel_id="C2"),
                               now=NOW)
    theirs = storage.reviews.record(replace(REVIEW, user_id="UBOB"), now=NOW)
    storage.reviews.record_feedback(mine, "UANNA", helpful=True, now=NOW)
    storage.reviews.record_feedback(theirs, "UANNA", helpful=False, now=NOW)
    storage.reviews.record_feedback(theirs, "UBOB", helpful=True, now=NOW)
    storage.settings_log.record("T1", "C1", "UANNA", "watch", now=NOW)

    data = storage.personal_data.collect("T1", "UANNA")

    assert [(r.id, r.verdict, r.guidelines, r.channel_id) for r in data.reviews] == [
        (ok, "ok", [], "C2"), (mine, "needs_work", ["dont-argue", "empathy"], "C1")]
    assert sorted((v.review_id, v.helpful) for v in data.votes) == sorted(
        [(mine, True), (theirs, False)])
    assert [c.action for c in data.settings_changes] == ["watch"]
    assert storage.personal_data.collect("T2", "UANNA").reviews == []
    # The digest's counts under her id, by UTC day: her drafts and findings, and the votes
    # she cast, each on the day of the review voted on (Bob's today, hers yesterday).
    assert [(t.day, t.checked, t.findings, t.votes) for t in data.tallies] == [
        (NOW.date(), 1, 0, 1), ((NOW - timedelta(days=1)).date(), 1, 2, 1)]


def test_forgetting_removes_exactly_one_persons_rows(storage: Storage) -> None:
    mine = storage.reviews.record(REVIEW, now=NOW)
    theirs = storage.reviews.record(replace(REVIEW, user_id="UBOB"), now=NOW)
    other_team = storage.reviews.record(replace(REVIEW, team_id="T2"), now=NOW)
    storage.reviews.record_feedback(theirs, "UANNA", helpful=True, now=NOW)
    storage.reviews.record_feedback(theirs, "UBOB", helpful=True, now=NOW)
    storage.reviews.record_feedback(mine, "UBOB", helpful=False, now=NOW)
    storage.settings_log.record("T1", "C1", "UANNA", "watch", now=NOW)
    storage.settings_log.record("T1", "C1", "UBOB", "unwatch", now=NOW + timedelta(minutes=1))
    assert [t.votes for t in storage.personal_data.collect("T1", "UBOB").tallies] == [2]

    erased = storage.personal_data.erase("T1", "UANNA")

    # Her roll-up rows: a day and a quarter hour of counts (her review, and her vote on Bob's
    # review made the same moment), and of each of her two findings.
    assert (erased.reviews, erased.votes, erased.settings_changes, erased.tallies) == (
        1, 1, 1, 2 + 2 * 2)
    left = storage.personal_data.collect("T1", "UANNA")
    assert (left.reviews, left.votes, left.settings_changes, left.tallies) == ([], [], [], [])
    # Bob's vote on her review went with it, from his counts too.
    assert [(t.checked, t.findings, t.votes)
            for t in storage.personal_data.collect("T1", "UBOB").tallies] == [(1, 2, 1)]
    bob = storage.personal_data.collect("T1", "UBOB")
    assert [r.id for r in bob.reviews] == [theirs]
    assert [(v.review_id, v.helpful) for v in bob.votes] == [(theirs, True)]
    assert [c.action for c in bob.settings_changes] == ["unwatch"]
    assert [r.id for r in storage.personal_data.collect("T2", "UANNA").reviews] == [other_team]
    # The change stays on the channel's record, without the name.
    assert [(c.user_id, c.action) for c in storage.settings_log.changes("T1", "C1")] == [
        (None, "watch"), ("UBOB", "unwatch")]
    assert mine not in [r.id for r in storage.reviews.recent("T1", "UANNA")]
    # The findings (which repeat the author for the digest's counts) went with the review.
    with storage.db.transaction() as session:
        authors = session.scalars(select(Finding.user_id).where(Finding.team_id == "T1")).all()
    assert sorted(authors) == ["UBOB", "UBOB"]
