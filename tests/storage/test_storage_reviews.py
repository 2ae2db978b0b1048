"""Reviews, their findings and feedback: what is kept, what the product asks of it, retention."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import ReviewRecord, Storage
from tests.storage.storage_helpers import NOW

REVIEW = ReviewRecord(
    team_id="T1",
    channel_id="C1",
    user_id="U1",
    entry_point="command",
    verdict="needs_work",
    guidelines=["dont-argue", "empathy-first"],
    engine="llm",
    model="gpt-4o-mini",
    latency_ms=850,
    prompt_tokens=900,
    completion_tokens=120,
)


def review(guidelines: list[str], **changes: object) -> ReviewRecord:
    return replace(REVIEW, guidelines=guidelines, **changes)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def test_recent_reviews_are_newest_first_with_their_guidelines_in_reported_order(
    storage: Storage,
) -> None:
    older = storage.reviews.record(review(["b", "a"]), now=days_ago(2))
    newer = storage.reviews.record(review([], verdict="ok", engine="offline", model=None), now=NOW)

    reviews = storage.reviews.recent("T1", "U1")

    assert [r.id for r in reviews] == [newer, older]
    assert (reviews[0].verdict, reviews[0].engine, reviews[0].guidelines) == ("ok", "offline", [])
    assert reviews[1].guidelines == ["b", "a"]
    assert reviews[1].entry_point == "command"
    assert reviews[1].created_at == days_ago(2)
    assert reviews[1].created_at.tzinfo == UTC


def test_recent_reviews_are_the_users_own_in_that_workspace_up_to_the_limit(
    storage: Storage,
) -> None:
    mine = [storage.reviews.record(review(["a"]), now=days_ago(day)) for day in range(4)]
    storage.reviews.record(review(["a"], user_id="U2"), now=NOW)
    storage.reviews.record(review(["a"], team_id="T2"), now=NOW)

    assert [r.id for r in storage.reviews.recent("T1", "U1", limit=3)] == mine[:3]
    assert storage.reviews.recent("T1", "U9") == []


def test_a_guideline_reported_twice_in_one_review_counts_once(storage: Storage) -> None:
    review_id = storage.reviews.record(review(["a", "b", "a"]), now=NOW)

    assert storage.reviews.recent("T1", "U1")[0].guidelines == ["a", "b"]
    assert storage.reviews.user_top_findings("T1", "U1", now=NOW) == [("a", 1), ("b", 1)]
    assert review_id > 0


def test_user_top_findings_counts_the_last_n_days_most_frequent_first(storage: Storage) -> None:
    storage.reviews.record(review(["tone", "blame"]), now=days_ago(1))
    storage.reviews.record(review(["tone", "jargon"]), now=days_ago(10))
    storage.reviews.record(review(["tone", "jargon", "blame"]), now=days_ago(29))
    storage.reviews.record(review(["sorry"]), now=days_ago(31))  # outside the window
    storage.reviews.record(review(["sorry"], user_id="U2"), now=NOW)  # someone else

    assert storage.reviews.user_top_findings("T1", "U1", now=NOW) == [
        ("tone", 3),
        ("blame", 2),  # ties are ordered by guideline id
        ("jargon", 2),
    ]
    week = storage.reviews.user_top_findings("T1", "U1", days=7, now=NOW)
    assert week == [("blame", 1), ("tone", 1)]
    assert storage.reviews.user_top_findings("T1", "U1", limit=1, now=NOW) == [("tone", 3)]


def test_team_top_guidelines_over_7_14_and_30_days(storage: Storage) -> None:
    storage.reviews.record(review(["tone"]), now=days_ago(1))
    storage.reviews.record(review(["tone", "blame"], user_id="U2"), now=days_ago(6))
    storage.reviews.record(review(["blame"], user_id="U3"), now=days_ago(10))
    storage.reviews.record(review(["blame", "jargon"]), now=days_ago(13))
    storage.reviews.record(review(["jargon"]), now=days_ago(20))
    storage.reviews.record(review(["jargon"]), now=days_ago(25))
    storage.reviews.record(review(["tone"], team_id="T2"), now=NOW)  # another workspace

    assert storage.reviews.team_top_guidelines("T1", days=7, now=NOW) == [("tone", 2), ("blame", 1)]
    assert storage.reviews.team_top_guidelines("T1", days=14, now=NOW) == [
        ("blame", 3),
        ("tone", 2),
        ("jargon", 1),
    ]
    assert storage.reviews.team_top_guidelines("T1", days=30, now=NOW) == [
        ("blame", 3),
        ("jargon", 3),
        ("tone", 2),
    ]
    assert storage.reviews.team_top_guidelines("T1", days=30, limit=1, now=NOW) == [("blame", 3)]


def test_helpful_rate_is_per_engine_and_optionally_per_workspace(storage: Storage) -> None:
    llm = storage.reviews.record(review(["a"]), now=NOW)
    offline = storage.reviews.record(review(["a"], engine="offline", model=None), now=NOW)
    elsewhere = storage.reviews.record(review(["a"], team_id="T2"), now=NOW)
    storage.reviews.record_feedback(llm, "U1", True)
    storage.reviews.record_feedback(llm, "U2", True)
    storage.reviews.record_feedback(llm, "U3", False)
    storage.reviews.record_feedback(offline, "U1", False)
    storage.reviews.record_feedback(elsewhere, "U1", False)

    assert storage.reviews.helpful_rate_by_engine("T1") == {
        "llm": pytest.approx((2 / 3, 3)),
        "offline": (0.0, 1),
    }
    assert storage.reviews.helpful_rate_by_engine() == {
        "llm": pytest.approx((2 / 4, 4)),
        "offline": (0.0, 1),
    }
    assert storage.reviews.helpful_rate_by_engine("T9") == {}


def test_a_user_has_one_vote_per_review_and_can_change_it(storage: Storage) -> None:
    review_id = storage.reviews.record(review(["a"]), now=NOW)

    assert storage.reviews.record_feedback(review_id, "U1", True)
    assert storage.reviews.helpful_rate_by_engine() == {"llm": (1.0, 1)}

    assert storage.reviews.record_feedback(review_id, "U1", False)
    assert storage.reviews.helpful_rate_by_engine() == {"llm": (0.0, 1)}


def test_feedback_on_a_review_that_no_longer_exists_is_refused(storage: Storage) -> None:
    assert storage.reviews.record_feedback(424242, "U1", True) is False
    assert storage.reviews.helpful_rate_by_engine() == {}


def test_purge_deletes_reviews_past_retention_with_their_findings_and_votes(
    storage: Storage,
) -> None:
    old = storage.reviews.record(review(["old"]), now=days_ago(91))
    recent = storage.reviews.record(review(["recent"]), now=days_ago(89))
    storage.reviews.record_feedback(old, "U2", True)
    storage.reviews.record_feedback(recent, "U2", False)

    assert storage.purge(now=NOW)["reviews"] == 1

    assert [r.id for r in storage.reviews.recent("T1", "U1")] == [recent]
    assert storage.reviews.user_top_findings("T1", "U1", days=365, now=NOW) == [("recent", 1)]
    assert storage.reviews.helpful_rate_by_engine() == {"llm": (0.0, 1)}
    # The digest's counts of the purged review go with it: only the recent one is left.
    tallies = storage.personal_data.collect("T1", "U1").tallies
    assert [(t.day, t.checked, t.findings) for t in tallies] == [(days_ago(89).date(), 1, 1)]
    assert [t.votes for t in storage.personal_data.collect("T1", "U2").tallies] == [1]


def test_retention_period_is_configurable(database_url: str) -> None:
    storage = Storage(database_url, retention_days=7)
    storage.upgrade()
    storage.reviews.record(review(["a"]), now=days_ago(8))
    storage.reviews.record(review(["a"]), now=days_ago(6))

    assert storage.purge(now=NOW)["reviews"] == 1
    assert len(storage.reviews.recent("T1", "U1")) == 1
    storage.close()


@pytest.mark.parametrize(
    ("field", "value"),
    [("entry_point", "dm"), ("verdict", "great"), ("engine", "human"), ("latency_ms", -1)],
)
def test_a_review_record_with_an_unknown_value_is_rejected(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        replace(REVIEW, **{field: value})


def test_token_details_are_kept_for_costs(storage: Storage) -> None:
    from sqlalchemy import select

    from bot.storage.schema import Review

    review_id = storage.reviews.record(review([], cached_tokens=800, reasoning_tokens=90))
    with storage.engine.connect() as connection:
        row = connection.execute(select(Review).where(Review.id == review_id)).one()
    assert (row.prompt_tokens, row.cached_tokens) == (900, 800)
    assert (row.completion_tokens, row.reasoning_tokens) == (120, 90)
