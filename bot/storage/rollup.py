"""The digest's roll-up: counts per workspace, time bucket, person, entry point and engine,
written in the same transaction as every review and vote, so the digest reads a few
thousand summed rows instead of a million reviews.

Buckets. A digest week runs from one local midnight to the next in the channel's time zone,
and that zone is not known when a review is stored (several channels, in different zones,
may follow one workspace). Every UTC offset in use is a whole number of quarter hours
(India +05:30, Nepal +05:45, Chatham +12:45), so every local midnight falls on a UTC quarter
hour: quarter-hour buckets can be cut at any week boundary, hourly ones could not.
Quarter hours alone would leave as many rows as reviews for a busy agent, so each review is
counted twice: in its UTC day and in its quarter hour. A week is read from the whole UTC days
inside it; a UTC day that a week boundary cuts in two (one per boundary) is split with the
quarter hours of its shorter side: that side is read from them, the longer side is the day's
row minus them (see :func:`cut_days`). Counts subtract exactly, and a person is in the longer
side exactly when what is left under their key is above zero.

Latency is kept as a histogram with fixed buckets (``LATENCY_EDGES_MS``); the median is read
from it by linear interpolation inside the bucket where the middle review falls.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Table

from bot.storage.records import LATENCY_EDGES_MS
from bot.storage.schema import finding_rollup, review_rollup

DAY = timedelta(days=1)
QUARTER = timedelta(minutes=15)
LATENCY_COLUMNS = tuple(f"latency_{index:02d}" for index in range(len(LATENCY_EDGES_MS)))


def day_start(moment: datetime) -> datetime:
    """The UTC midnight at or before ``moment``."""
    moment = moment.astimezone(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def quarter_start(moment: datetime) -> datetime:
    """The UTC quarter hour at or before ``moment``."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)


def buckets(moment: datetime) -> list[tuple[str, datetime]]:
    """The two buckets a moment is counted in: (span, bucket start)."""
    return [("day", day_start(moment)), ("quarter", quarter_start(moment))]


@dataclass(frozen=True)
class CutDay:
    """A UTC day that a week boundary cuts in two, and how to read its two sides.

    ``short_start``-``short_end`` is the shorter side, read from quarter hours; ``short_week``
    and ``long_week`` are the week indexes of the two sides (None: outside the window).
    """

    day: datetime
    short_start: datetime
    short_end: datetime
    short_week: int | None
    long_week: int | None


def cut_days(starts: Sequence[datetime], end: datetime) -> list[CutDay]:
    """The UTC days cut by the week boundaries ``starts`` + ``end`` (UTC quarter hours)."""
    bounds = [*starts, end]
    if any(moment != quarter_start(moment) for moment in bounds):
        # Only a zone whose offset is not whole quarter hours (none in use today).
        raise ValueError("week boundaries must fall on UTC quarter hours")

    def week(moment: datetime) -> int | None:
        return bisect_right(starts, moment) - 1 if starts[0] <= moment < end else None

    cuts = []
    for boundary in bounds:
        day = day_start(boundary)
        if boundary == day:
            continue
        before, after = week(day), week(boundary)
        if boundary - day <= day + DAY - boundary:
            cuts.append(CutDay(day, day, boundary, before, after))
        else:
            cuts.append(CutDay(day, boundary, day + DAY, after, before))
    return cuts


def latency_column(latency_ms: int) -> str:
    """The histogram column a review's latency is counted in."""
    return LATENCY_COLUMNS[bisect_right(LATENCY_EDGES_MS, latency_ms) - 1]


def histogram_median(counts: Sequence[int]) -> float | None:
    """The median latency in ms read from histogram counts (one per bucket), or None.

    Linear interpolation inside the bucket holding the middle review: exact when latencies
    are spread evenly inside that bucket, never further off than the bucket's width. The
    last bucket has no upper edge, so a median there reads as its lower edge.
    """
    total = sum(counts)
    if total <= 0:
        return None
    middle = total / 2
    below = 0
    for index, count in enumerate(counts):
        if count and below + count >= middle:
            low = LATENCY_EDGES_MS[index]
            if index + 1 == len(LATENCY_EDGES_MS):
                return float(low)
            high = LATENCY_EDGES_MS[index + 1]
            return low + (high - low) * (middle - below) / count
        below += count
    return float(LATENCY_EDGES_MS[-1])  # unreachable with non-negative counts


@dataclass(frozen=True)
class Counted:
    """One stored review as the roll-up counts it (guidelines: distinct, as reported)."""

    team_id: str
    user_id: str
    entry_point: str
    engine: str
    fine: bool
    fallback: bool
    latency_ms: int
    created_at: datetime
    guidelines: tuple[str, ...] = ()


REVIEW_COUNTERS = ("checked", "fine", "fallbacks", *LATENCY_COLUMNS)


def add_reviews(connection: Connection, insert: Any, reviews: Sequence[Counted]) -> None:
    """Count stored reviews (and their findings) in both their buckets: one statement per
    table, whatever the number of reviews, with the counts of reviews that share a row
    summed first."""
    review_rows: dict[tuple, dict[str, int]] = {}
    finding_rows: dict[tuple, int] = {}
    for review in reviews:
        for span, start in buckets(review.created_at):
            key = (review.team_id, review.user_id, review.entry_point, review.engine, span,
                   start)
            counts = review_rows.setdefault(key, dict.fromkeys(REVIEW_COUNTERS, 0))
            counts["checked"] += 1
            counts["fine"] += int(review.fine)
            counts["fallbacks"] += int(review.fallback)
            counts[latency_column(review.latency_ms)] += 1
            for guideline in review.guidelines:
                finding = (review.team_id, review.user_id, guideline, span, start)
                finding_rows[finding] = finding_rows.get(finding, 0) + 1
    # Sorted: concurrent writers then lock the same rows in the same order (no deadlock).
    names = ("team_id", "user_id", "entry_point", "engine", "span", "bucket")
    _increment(connection, insert, review_rollup,
               [{**dict(zip(names, key, strict=True)), **counts}
                for key, counts in sorted(review_rows.items())])
    if finding_rows:
        names = ("team_id", "user_id", "guideline_id", "span", "bucket")
        _increment(connection, insert, finding_rollup,
                   [{**dict(zip(names, key, strict=True)), "findings": count}
                    for key, count in sorted(finding_rows.items())])


def add_votes(connection: Connection, insert: Any, *, team_id: str, voter: str,
              entry_point: str, engine: str, reviewed_at: datetime, helpful: int,
              not_helpful: int) -> None:
    """Add (or, with negative numbers, take back) a voter's votes on a review.

    Votes are counted in the buckets of the review voted on, so that a week's votes are the
    votes on that week's reviews, and under the voter, so that voters can be counted.
    """
    if not (helpful or not_helpful):
        return
    key = {"team_id": team_id, "user_id": voter, "entry_point": entry_point, "engine": engine}
    _increment(connection, insert, review_rollup, [
        {**key, "span": span, "bucket": start, "helpful": helpful, "not_helpful": not_helpful}
        for span, start in buckets(reviewed_at)
    ])


def _increment(connection: Connection, insert: Any, table: Table,
               rows: list[dict[str, Any]]) -> None:
    """Insert the rows, or add their counts to the rows already under the same keys.

    Every row of one call has the same columns, so one statement serves them all.
    """
    keys = tuple(column.name for column in table.primary_key.columns)
    counters = tuple(name for name in rows[0] if name not in keys)
    connection.execute(_upsert(insert, table, keys, counters), rows)


@lru_cache(maxsize=512)
def _upsert(insert: Any, table: Table, keys: tuple[str, ...],
            counters: tuple[str, ...]) -> Any:
    """The INSERT … ON CONFLICT DO UPDATE for one set of counters, built once: building and
    compiling it for every review cost more CPU than the rest of storing the review."""
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + statement.excluded[name] for name in counters},
    )
