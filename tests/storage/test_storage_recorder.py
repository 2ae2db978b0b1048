"""Review rows written behind the review: ids made up front, batches, outages, shutdown."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from sqlalchemy import create_engine, func, select, text

from bot.storage import ReviewRecord, Storage
from bot.storage.recorder import ReviewRecorder
from bot.storage.reviews import new_review_id
from bot.storage.schema import Review, finding_rollup, review_rollup
from tests.storage.storage_helpers import NOW

REVIEW = ReviewRecord(
    team_id="T1", channel_id="C1", user_id="U1", entry_point="command",
    verdict="needs_work", guidelines=["dont-argue", "empathy", "dont-argue"], engine="llm",
    model="gpt-4o-mini", latency_ms=850, prompt_tokens=900, completion_tokens=120,
)


def varied(count: int) -> list[ReviewRecord]:
    """Reviews by three people, both verdicts, several latencies and guideline sets."""
    return [replace(REVIEW, user_id=f"U{i % 3}", verdict="ok" if i % 4 == 0 else "needs_work",
                    guidelines=[] if i % 4 == 0 else ["empathy", "ownership"][: 1 + i % 2],
                    latency_ms=100 + 700 * i, engine="offline" if i % 5 == 0 else "llm")
            for i in range(count)]


def counts(storage: Storage, team_id: str) -> list[list[tuple]]:
    """The team's roll-up rows, without the team."""
    with storage.engine.connect() as connection:
        return [[tuple(row)[1:] for row in connection.execute(
            select(table).where(table.c.team_id == team_id)
            .order_by(*table.primary_key.columns))]
            for table in (review_rollup, finding_rollup)]


def stored_ids(storage: Storage) -> set[int]:
    with storage.engine.connect() as connection:
        return set(connection.scalars(select(Review.id)))


def test_review_ids_grow_with_time_never_repeat_and_fit_in_64_signed_bits() -> None:
    first = new_review_id()
    time.sleep(0.002)
    later = new_review_id()
    assert first < later < 2**63
    burst = [new_review_id() for _ in range(20_000)]  # well over 1,024 per millisecond
    assert burst == sorted(burst) and len(set(burst)) == len(burst)
    assert burst[-1] < 2**63 and burst[0] > later


def test_a_queued_review_is_stored_under_the_id_it_was_given(storage: Storage) -> None:
    review_id = storage.recorder.add(REVIEW, now=NOW)
    assert storage.recorder.flush(5)
    [stored] = storage.reviews.recent("T1", "U1")
    assert (stored.id, stored.guidelines) == (review_id, ["dont-argue", "empathy"])
    assert storage.reviews.record_feedback(review_id, "U9", helpful=True)


def test_a_batch_counts_as_the_same_reviews_stored_one_at_a_time(storage: Storage) -> None:
    reviews = varied(40)
    for record in reviews:
        storage.reviews.record(replace(record, team_id="TONE"), now=NOW)
    ids = [storage.recorder.add(replace(record, team_id="TBATCH"), now=NOW)
           for record in reviews]
    assert storage.recorder.flush(5)
    assert set(ids) <= stored_ids(storage)
    assert counts(storage, "TBATCH") == counts(storage, "TONE")
    assert counts(storage, "TONE")[1]  # findings were counted too


def test_rows_wait_while_the_database_is_locked_and_go_in_after(
    storage: Storage, database_url: str, caplog
) -> None:
    """Another process holds the reviews table past the timeouts: nothing is lost, the wait
    is logged once, and the rows go in when the lock is gone."""
    caplog.set_level(logging.WARNING, logger="bot.storage.recorder")
    other = create_engine(database_url)
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        with other.connect() as connection:
            if other.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.execute(text("BEGIN"))
                connection.execute(text("LOCK TABLE reviews IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            release.wait(30)
            connection.rollback()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(10)
    try:
        ids = [storage.recorder.add(record, now=NOW) for record in varied(5)]
        assert not storage.recorder.flush(6.0)  # longer than the busy/statement timeout
        assert storage.recorder.pending() == 5
        assert any("wait in memory" in r.message for r in caplog.records)
    finally:
        release.set()
        holder.join(10)
        other.dispose()
    assert storage.recorder.flush(10)
    assert set(ids) <= stored_ids(storage)
    assert any("written again" in r.message for r in caplog.records)


def test_past_its_limit_the_oldest_rows_are_dropped_with_a_warning(
    storage: Storage, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.storage.recorder")
    recorder = ReviewRecorder(storage.reviews, limit=3)
    with recorder._changed:  # the writer cannot take anything while we hold its lock
        ids = [recorder.add(record, now=NOW) for record in varied(5)]
        assert recorder.pending() == 3
    assert recorder.flush(5)
    assert stored_ids(storage) == set(ids[2:])
    assert sum("dropped" in r.message for r in caplog.records) == 2
    recorder.close()


def test_closing_writes_what_waits_and_later_rows_are_written_at_once(
    storage: Storage,
) -> None:
    first = [storage.recorder.add(record, now=NOW) for record in varied(20)]
    assert storage.recorder.close(5)
    assert set(first) <= stored_ids(storage)
    late = storage.recorder.add(REVIEW, now=NOW)  # a review finishing during shutdown
    assert late in stored_ids(storage)
    with storage.engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Review)) == 21
