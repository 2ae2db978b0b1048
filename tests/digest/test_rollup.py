"""The digest read from the roll-up gives the same figures as counting the reviews themselves,
in time zones whose weeks start on the hour, the half hour and the quarter hour.

Runs on SQLite and, with TEST_DATABASE_URL, on PostgreSQL.
"""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import select

from bot.digest.figures import EMPTY, HIDDEN, SHOWN, build_digest
from bot.digest.schedule import window_ending
from bot.storage import ReviewRecord
from bot.storage.digests import DigestCounts
from bot.storage.records import LATENCY_EDGES_MS
from bot.storage.rollup import cut_days, histogram_median
from bot.storage.schema import finding_rollup, review_rollup
from tests.digest.rollup_helpers import (
    TEAM,
    ZONES,
    Made,
    expected_counts,
    generate,
    histogram_bucket,
    store,
    vote_worker,
)
from tests.storage.storage_helpers import run_in_processes

DIGEST_DAY = date(2026, 11, 30)


@pytest.fixture
def made(storage) -> list[Made]:
    edges = [moment for zone in ZONES
             for window in [window_ending(DIGEST_DAY, zone)]
             for moment in (*window.starts, window.end)]
    reviews = generate(seed=13, edges=edges)
    store(storage, reviews)
    return reviews


def without_medians(counts: DigestCounts) -> DigestCounts:
    totals = {index: replace(week, median_ms=None) for index, week in counts.totals.items()}
    return replace(counts, totals=totals)


def check_against_reviews(storage, made: list[Made], zone: str, guidelines: list[str]) -> None:
    window = window_ending(DIGEST_DAY, zone)
    counted = storage.digests.counts(TEAM, window)
    expected, latencies = expected_counts(made, window)

    assert without_medians(counted) == expected, zone
    for index, values in latencies.items():
        median = counted.totals[index].median_ms
        # Exactly what the histogram of these reviews says...
        histogram = [0] * len(LATENCY_EDGES_MS)
        for latency in values:
            histogram[histogram_bucket(latency)] += 1
        assert median == pytest.approx(histogram_median(histogram)), (zone, index)
        # ...which lies in the bucket(s) holding the true median.
        low = LATENCY_EDGES_MS[histogram_bucket(statistics.median_low(values))]
        top = histogram_bucket(statistics.median_high(values)) + 1
        high = LATENCY_EDGES_MS[top] if top < len(LATENCY_EDGES_MS) else float("inf")
        assert low <= median <= high, (zone, index, median, statistics.median(values))
        expected.totals[index] = replace(expected.totals[index], median_ms=median)

    # The same figures after the privacy rule, too.
    shown = build_digest(TEAM, window, counted, guidelines)
    assert shown == build_digest(TEAM, window, expected, guidelines)
    statuses = [week.status for week in shown.weeks]
    assert EMPTY in statuses and HIDDEN in statuses and SHOWN in statuses, (zone, statuses)


def test_the_roll_up_gives_the_figures_counted_from_the_reviews(storage, made, guidelines):
    for zone in ZONES:
        check_against_reviews(storage, made, zone, guidelines.ids)
    # The data does reach the privacy rule inside shown weeks: U5 alone uses the shortcut.
    week = build_digest(TEAM, window_ending(DIGEST_DAY, "Asia/Kolkata"),
                        storage.digests.counts(TEAM, window_ending(DIGEST_DAY, "Asia/Kolkata")),
                        guidelines.ids).this_week
    assert week.shown and week.entry_points["shortcut"] is None


def rollup_rows(storage) -> list[tuple]:
    with storage.engine.connect() as conn:
        return [
            tuple(conn.execute(select(table).order_by(*table.primary_key.columns)))
            for table in (review_rollup, finding_rollup)
        ]


def test_the_migration_fills_the_roll_up_as_the_app_would_have(storage, made):
    kept_one_at_a_time = rollup_rows(storage)
    assert all(kept_one_at_a_time)

    storage.downgrade("0005")  # drops the roll-up; the reviews and votes stay
    storage.upgrade()

    assert rollup_rows(storage) == kept_one_at_a_time


def test_forgetting_an_agent_leaves_the_counts_of_everyone_elses_reviews(storage, made,
                                                                          guidelines):
    erased = storage.personal_data.erase(TEAM, "U2")
    assert erased.tallies > 0

    remaining = [review for review in made if review.user != "U2"]
    for review in remaining:
        review.votes.pop("U2", None)
    with storage.engine.connect() as conn:
        for table in (review_rollup, finding_rollup):
            assert conn.execute(select(table).where(table.c.user_id == "U2")).first() is None
    for zone in ("Asia/Kathmandu", "Europe/Tallinn"):
        check_against_reviews(storage, remaining, zone, guidelines.ids)


def test_a_cut_day_is_read_from_the_quarter_hours_of_its_shorter_side():
    kolkata = window_ending(DIGEST_DAY, "Asia/Kolkata", weeks=2)
    first, second, last = cut_days(kolkata.starts, kolkata.end)
    # Midnight in Kolkata is 18:30 UTC the day before: 5.5 hours after it, 18.5 before.
    assert (second.day, second.short_start, second.short_end) == (
        datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 22, 18, 30, tzinfo=UTC),
        datetime(2026, 11, 23, tzinfo=UTC))
    assert (second.short_week, second.long_week) == (1, 0)
    # At the window's edges one side is outside it.
    assert (first.short_week, first.long_week) == (0, None)
    assert (last.short_week, last.long_week) == (None, 1)
    # In St John's (UTC-2:30, then -3:30 from 1 November) midnight is 02:30 or 03:30 UTC:
    # the short side is the one before it.
    st_johns = window_ending(DIGEST_DAY, "America/St_Johns")
    assert {(cut.short_start.time(), cut.short_end.time())
            for cut in cut_days(st_johns.starts, st_johns.end)} == {
        (time(0, 0), time(2, 30)), (time(0, 0), time(3, 30))}
    # In UTC no day is cut.
    utc = window_ending(DIGEST_DAY, "UTC")
    assert cut_days(utc.starts, utc.end) == []


def test_votes_changed_at_the_same_moment_by_two_instances_are_counted_once(
    storage, database_url
):
    review_id = storage.reviews.record(
        ReviewRecord(team_id=TEAM, channel_id="C1", user_id="U1", entry_point="command",
                     verdict="ok", guidelines=[], engine="llm", model=None, latency_ms=900,
                     prompt_tokens=0, completion_tokens=0),
        now=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
    )

    run_in_processes(vote_worker, 2, database_url, review_id, 25)

    # One vote stands, whichever came last, and the counts say exactly that.
    [helpful] = [vote.helpful for vote in storage.personal_data.collect(TEAM, "ULEAD").votes]
    counts = storage.digests.counts(TEAM, window_ending(DIGEST_DAY, "Asia/Kolkata"))
    assert counts.votes == {(7, "llm"): (int(helpful), int(not helpful), 1)}
