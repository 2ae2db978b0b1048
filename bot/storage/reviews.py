"""Reviews (metadata only, never the text), their findings and the votes on them."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, insert, select

from bot.storage import rollup
from bot.storage.database import Database, utc
from bot.storage.records import ReviewRecord, StoredReview
from bot.storage.schema import Feedback, Finding, Review


class _ReviewIds:
    """Review ids made by the app, Snowflake-style: milliseconds since 2026 (41 bits), this
    process's random number (12 bits), a sequence within the millisecond (10 bits).

    Made here rather than by the database so that a review can be posted, vote buttons and
    all, before its row is written. Ids grow with time, never repeat within a process, and
    fit in a signed 64-bit integer until 2095. Two processes collide only if they drew the
    same number (1 in 4,096) and make an id in the same millisecond with the same sequence.
    """

    EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process = secrets.randbits(12)
        self._last_ms = 0
        self._sequence = 0

    def __call__(self) -> int:
        with self._lock:
            now_ms = time.time_ns() // 1_000_000 - self.EPOCH_MS
            if now_ms > self._last_ms:
                self._last_ms, self._sequence = now_ms, 0
            else:  # the same millisecond, or the clock stepped back: keep counting
                self._sequence += 1
                if self._sequence == 1 << 10:  # more than 1,024 in a millisecond: borrow one
                    self._last_ms, self._sequence = self._last_ms + 1, 0
            return self._last_ms << 22 | self._process << 10 | self._sequence


new_review_id = _ReviewIds()


def _columns(record: ReviewRecord) -> dict:
    return {
        "team_id": record.team_id, "channel_id": record.channel_id,
        "user_id": record.user_id, "entry_point": record.entry_point,
        "verdict": record.verdict, "engine": record.engine, "model": record.model,
        "latency_ms": record.latency_ms, "prompt_tokens": record.prompt_tokens,
        "completion_tokens": record.completion_tokens, "cached_tokens": record.cached_tokens,
        "reasoning_tokens": record.reasoning_tokens, "fallback": record.fallback,
    }


class ReviewRepository:
    """What was reviewed, where and with what outcome; read back for App Home and tips."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(self, record: ReviewRecord, *, review_id: int | None = None,
               now: datetime | None = None) -> int:
        """Keep a review's metadata and guideline ids; return its id (for feedback buttons)."""
        review_id = review_id or new_review_id()
        self.record_many([(review_id, record, utc(now))])
        return review_id

    def record_many(self, reviews: Sequence[tuple[int, ReviewRecord, datetime]]) -> None:
        """Keep several reviews, each ``(id, record, created_at)``, in one transaction, with
        the digest's counts of them: one commit, and one statement per table, for a burst."""
        if not reviews:
            return
        rows, findings = [], []
        for review_id, record, created_at in reviews:
            rows.append({"id": review_id, **_columns(record), "created_at": created_at})
            # dict.fromkeys: each guideline once, in the order it was first reported.
            # Each finding carries its review's workspace, author and time (see Finding).
            findings += [
                {"review_id": review_id, "guideline_id": guideline, "position": position,
                 "team_id": record.team_id, "user_id": record.user_id,
                 "created_at": created_at}
                for position, guideline in enumerate(dict.fromkeys(record.guidelines))
            ]
        with self.db.connection() as connection:
            connection.execute(insert(Review), rows)
            if findings:
                connection.execute(insert(Finding), findings)
            # The digest's counts, in the same transaction: they never disagree with reviews.
            rollup.add_reviews(connection, self.db.insert, [
                rollup.Counted(record.team_id, record.user_id, record.entry_point,
                               record.engine, record.verdict == "ok", record.fallback,
                               record.latency_ms, created_at,
                               tuple(dict.fromkeys(record.guidelines)))
                for _, record, created_at in reviews])

    def record_feedback(
        self, review_id: int, user_id: str, helpful: bool, *, now: datetime | None = None
    ) -> bool:
        """Keep the user's vote on a review, replacing an earlier one.

        Returns False when the review no longer exists (purged after the retention period).
        """
        statement = self.db.insert(Feedback).values(
            review_id=review_id, user_id=user_id, helpful=helpful, updated_at=utc(now)
        )
        statement = statement.on_conflict_do_update(
            index_elements=["review_id", "user_id"],
            set_={
                "helpful": statement.excluded.helpful,
                "updated_at": statement.excluded.updated_at,
            },
        )
        # Locking the review makes votes on it take turns, so that the vote being replaced
        # (read below) is still the one in place when the roll-up takes it back. It also
        # keeps the review from being deleted half-way.
        reviewed = (
            select(Review.team_id, Review.entry_point, Review.engine, Review.created_at)
            .where(Review.id == review_id)
            .with_for_update()
        )
        earlier = select(Feedback.helpful).where(
            Feedback.review_id == review_id, Feedback.user_id == user_id
        )
        with self.db.connection() as connection:
            review = connection.execute(reviewed).first()
            if review is None:
                return False
            before = connection.execute(earlier).scalar_one_or_none()
            connection.execute(statement)
            if before is None:
                helpful_votes, other_votes = int(helpful), int(not helpful)
            else:  # a changed vote moves from one count to the other; the same one, nowhere
                helpful_votes = (int(helpful) - int(before))
                other_votes = -helpful_votes
            rollup.add_votes(
                connection, self.db.insert, team_id=review.team_id, voter=user_id,
                entry_point=review.entry_point, engine=review.engine,
                reviewed_at=review.created_at, helpful=helpful_votes, not_helpful=other_votes,
            )
        return True

    def recent(self, team_id: str, user_id: str, limit: int = 5) -> list[StoredReview]:
        """The user's latest reviews in the workspace, newest first, with their guideline ids."""
        reviews_query = (
            select(Review)
            .where(Review.team_id == team_id, Review.user_id == user_id)
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
        )
        with self.db.transaction() as session:
            reviews = session.scalars(reviews_query).all()
            findings = session.execute(
                select(Finding.review_id, Finding.guideline_id)
                .where(Finding.review_id.in_([review.id for review in reviews]))
                .order_by(Finding.review_id, Finding.position)
            ).all()
        guidelines: dict[int, list[str]] = {review.id: [] for review in reviews}
        for review_id, guideline_id in findings:
            guidelines[review_id].append(guideline_id)
        return [
            StoredReview(
                id=review.id,
                verdict=review.verdict,
                guidelines=guidelines[review.id],
                engine=review.engine,
                entry_point=review.entry_point,
                created_at=review.created_at,
            )
            for review in reviews
        ]

    def user_top_findings(
        self, team_id: str, user_id: str, *, days: int = 30, limit: int = 3,
        now: datetime | None = None,
    ) -> list[tuple[str, int]]:
        """The guidelines the user's drafts went against most in the last ``days`` days."""
        return self._top_guidelines(
            Review.team_id == team_id, Review.user_id == user_id, days=days, limit=limit, now=now
        )

    def team_top_guidelines(
        self, team_id: str, *, days: int, limit: int = 7, now: datetime | None = None
    ) -> list[tuple[str, int]]:
        """The guidelines most often found in the workspace over the last ``days`` days."""
        return self._top_guidelines(Review.team_id == team_id, days=days, limit=limit, now=now)

    def _top_guidelines(
        self, *conditions: ColumnElement[bool], days: int, limit: int, now: datetime | None
    ) -> list[tuple[str, int]]:
        """(guideline id, count), most frequent first, ties by id so the order is stable."""
        count = func.count().label("count")
        statement = (
            select(Finding.guideline_id, count)
            .join(Review, Review.id == Finding.review_id)
            .where(*conditions, Review.created_at >= utc(now) - timedelta(days=days))
            .group_by(Finding.guideline_id)
            .order_by(count.desc(), Finding.guideline_id)
            .limit(limit)
        )
        with self.db.transaction() as session:
            return [(guideline, total) for guideline, total in session.execute(statement)]

    def helpful_rate_by_engine(self, team_id: str | None = None) -> dict[str, tuple[float, int]]:
        """For each engine with votes: (share of votes saying helpful, number of votes).

        Over one workspace, or all of them when ``team_id`` is None.
        """
        votes = func.count().label("votes")
        helpful = func.sum(case((Feedback.helpful, 1), else_=0)).label("helpful")
        statement = (
            select(Review.engine, helpful, votes)
            .join(Feedback, Feedback.review_id == Review.id)
            .group_by(Review.engine)
        )
        if team_id is not None:
            statement = statement.where(Review.team_id == team_id)
        with self.db.transaction() as session:
            rows = session.execute(statement).all()
        return {engine: (helpful_votes / total, total) for engine, helpful_votes, total in rows}
