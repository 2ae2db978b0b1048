"""Storage: everything Tone Coach keeps, behind one object shared by all threads."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    case,
    column,
    delete,
    func,
    insert,
    select,
    table,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.database import build_engine, connect_error, resolve_url, safe_url
from bot.storage.errors import StorageError
from bot.storage.migrate import migrate
from bot.storage.records import ReviewRecord, StoredReview, TipSubscription
from bot.storage.schema import (
    Delivery,
    Feedback,
    Finding,
    Review,
    TipDelivery,
    TipSubscriptionRow,
    WatchedChannel,
)

if TYPE_CHECKING:
    # Imported lazily below: slack_sdk's modules pull in sqlalchemy.ext.asyncio, which needs
    # greenlet, and nothing else in storage should depend on that.
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

# Slack retries a delivery within minutes; two days is a wide margin.
DELIVERY_TTL = timedelta(days=2)
DEFAULT_RETENTION_DAYS = 90

# slack_sdk's state table, named here only to purge expired states (it stores naive UTC).
_oauth_states = table("slack_oauth_states", column("expire_at"))


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


class Storage:
    """Tone Coach's database: one Engine with a connection pool, one transaction per call."""

    def __init__(
        self, url: str | None = None, *, retention_days: int = DEFAULT_RETENTION_DAYS
    ) -> None:
        """Use ``url``, else ``DATABASE_URL``, else ``sqlite:///tone_coach.db``.

        Nothing is opened yet: call ``upgrade()`` (or ``check()``) at start-up to find out
        whether the database is usable.
        """
        if retention_days < 1:
            raise StorageError(f"retention must be at least one day, got {retention_days}")
        self._url = resolve_url(url)
        self.retention_days = retention_days
        self.engine = build_engine(self._url)
        # Rows are turned into plain values after commit; expiring them would only reload them.
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time, and a waiting connection polls with sleeps of up to
        # 100 ms. Threads of this process queue on a lock instead, and wake the moment it is
        # free; other processes still meet SQLite's own lock and busy_timeout.
        self._one_at_a_time = (
            threading.Lock() if self.engine.dialect.name == "sqlite" else nullcontext()
        )

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A session in a transaction, committed at the end (rolled back on error)."""
        with self._one_at_a_time, self._sessions.begin() as session:
            yield session

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A plain connection in a transaction, for the hot paths (claims, review rows):
        no ORM unit of work, a fraction of the CPU."""
        with self._one_at_a_time, self.engine.begin() as connection:
            yield connection

    @classmethod
    def from_env(cls) -> Storage:
        """Storage configured from ``DATABASE_URL`` and ``RETENTION_DAYS`` (default 90)."""
        raw = os.environ.get("RETENTION_DAYS") or str(DEFAULT_RETENTION_DAYS)
        try:
            retention_days = int(raw)
        except ValueError:
            raise StorageError(
                f"RETENTION_DAYS must be a whole number of days, got {raw!r}"
            ) from None
        return cls(retention_days=retention_days)

    @property
    def url(self) -> str:
        """The database URL with any password hidden, fit for logs."""
        return safe_url(self._url)

    def __repr__(self) -> str:
        return f"Storage({self.url!r})"

    # -- lifecycle --------------------------------------------------------------------------

    def check(self) -> None:
        """Open a connection once; raise a one-line StorageError if the database is unusable."""
        try:
            with self.engine.connect():
                pass
        except DBAPIError as exc:
            raise connect_error(self._url, exc) from None

    def upgrade(self) -> None:
        """Apply pending migrations. Safe when several processes start at once."""
        self.check()
        migrate(self.engine, "head")

    def downgrade(self, revision: str = "base") -> None:
        """Undo migrations down to ``revision``; ``base`` drops every table but alembic_version."""
        self.check()
        migrate(self.engine, revision, downgrade=True)

    def close(self) -> None:
        """Close the pooled connections (at shutdown, or in tests)."""
        self.engine.dispose()

    def _insert(self, model: type[Any]) -> Any:
        """An INSERT that can say ON CONFLICT, in this database's dialect.

        preserve_rowcount: SQLAlchemy only keeps rowcount for UPDATE and DELETE by default,
        and the claims read it to learn whether their row went in.
        """
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(model).execution_options(preserve_rowcount=True)

    # -- exactly-once claims ----------------------------------------------------------------

    def claim_delivery(self, key: str, *, now: datetime | None = None) -> bool:
        """True for the one caller, in any process, that should handle this Slack delivery.

        ``key`` is the event_id for events, or a key built from a command's or action's own
        identifiers. The primary key decides: the first INSERT wins, the others do nothing.
        """
        statement = (
            self._insert(Delivery)
            .values(key=key, received_at=_utc(now))
            .on_conflict_do_nothing(index_elements=["key"])
        )
        with self._connection() as connection:
            return connection.execute(statement).rowcount == 1

    def claim_tip(
        self,
        team_id: str,
        channel_id: str,
        local_date: date,
        tip_id: str,
        *,
        now: datetime | None = None,
    ) -> bool:
        """True for the one caller that should post ``tip_id`` to this channel on this day.

        The tip is recorded as posted; call ``mark_tip_failed`` if posting it fails.
        """
        statement = (
            self._insert(TipDelivery)
            .values(
                team_id=team_id,
                channel_id=channel_id,
                local_date=local_date,
                tip_id=tip_id,
                status="posted",
                claimed_at=_utc(now),
            )
            .on_conflict_do_nothing(index_elements=["team_id", "channel_id", "local_date"])
        )
        with self._transaction() as session:
            return session.execute(statement).rowcount == 1

    def mark_tip_failed(
        self,
        team_id: str,
        channel_id: str,
        local_date: date,
        error: str,
        *,
        now: datetime | None = None,
    ) -> None:
        """Record that the day's tip could not be posted, on the delivery and the subscription."""
        with self._transaction() as session:
            session.execute(
                update(TipDelivery)
                .where(
                    TipDelivery.team_id == team_id,
                    TipDelivery.channel_id == channel_id,
                    TipDelivery.local_date == local_date,
                )
                .values(status="failed", error=error)
            )
            session.execute(
                update(TipSubscriptionRow)
                .where(
                    TipSubscriptionRow.team_id == team_id,
                    TipSubscriptionRow.channel_id == channel_id,
                )
                .values(last_error=error, last_error_at=_utc(now))
            )

    def tip_history(self, team_id: str, channel_id: str) -> list[str]:
        """Ids of the tips posted to the channel, oldest first, for rotation."""
        statement = (
            select(TipDelivery.tip_id)
            .where(
                TipDelivery.team_id == team_id,
                TipDelivery.channel_id == channel_id,
                TipDelivery.status == "posted",
            )
            .order_by(TipDelivery.local_date)
        )
        with self._transaction() as session:
            return list(session.scalars(statement))

    # -- reviews and feedback ---------------------------------------------------------------

    def record_review(self, record: ReviewRecord, *, now: datetime | None = None) -> int:
        """Keep a review's metadata and guideline ids; return its id (for feedback buttons)."""
        values = {
            "team_id": record.team_id,
            "channel_id": record.channel_id,
            "user_id": record.user_id,
            "entry_point": record.entry_point,
            "verdict": record.verdict,
            "engine": record.engine,
            "model": record.model,
            "latency_ms": record.latency_ms,
            "prompt_tokens": record.prompt_tokens,
            "completion_tokens": record.completion_tokens,
            "cached_tokens": record.cached_tokens,
            "reasoning_tokens": record.reasoning_tokens,
            "created_at": _utc(now),
        }
        with self._connection() as connection:
            review_id = connection.execute(
                insert(Review).values(values).returning(Review.id)
            ).scalar_one()
            # dict.fromkeys: each guideline once, in the order it was first reported.
            findings = [
                {"review_id": review_id, "guideline_id": guideline, "position": position}
                for position, guideline in enumerate(dict.fromkeys(record.guidelines))
            ]
            if findings:
                connection.execute(insert(Finding), findings)
            return review_id

    def record_feedback(
        self,
        review_id: int,
        user_id: str,
        helpful: bool,
        *,
        now: datetime | None = None,
    ) -> bool:
        """Keep the user's vote on a review, replacing an earlier one.

        Returns False when the review no longer exists (purged after the retention period).
        """
        statement = self._insert(Feedback).values(
            review_id=review_id, user_id=user_id, helpful=helpful, updated_at=_utc(now)
        )
        statement = statement.on_conflict_do_update(
            index_elements=["review_id", "user_id"],
            set_={
                "helpful": statement.excluded.helpful,
                "updated_at": statement.excluded.updated_at,
            },
        )
        try:
            with self._transaction() as session:
                session.execute(statement)
        except IntegrityError:
            # The only constraint left to break is the foreign key to reviews.
            return False
        return True

    def recent_reviews(self, team_id: str, user_id: str, limit: int = 5) -> list[StoredReview]:
        """The user's latest reviews in the workspace, newest first, with their guideline ids."""
        reviews_query = (
            select(Review)
            .where(Review.team_id == team_id, Review.user_id == user_id)
            .order_by(Review.created_at.desc(), Review.id.desc())
            .limit(limit)
        )
        with self._transaction() as session:
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
        self,
        team_id: str,
        user_id: str,
        *,
        days: int = 30,
        limit: int = 3,
        now: datetime | None = None,
    ) -> list[tuple[str, int]]:
        """The guidelines the user's drafts went against most in the last ``days`` days."""
        return self._top_guidelines(
            Review.team_id == team_id, Review.user_id == user_id, days=days, limit=limit, now=now
        )

    def team_top_guidelines(
        self,
        team_id: str,
        *,
        days: int,
        limit: int = 7,
        now: datetime | None = None,
    ) -> list[tuple[str, int]]:
        """The guidelines most often found in the workspace over the last ``days`` days."""
        return self._top_guidelines(Review.team_id == team_id, days=days, limit=limit, now=now)

    def _top_guidelines(
        self,
        *conditions: ColumnElement[bool],
        days: int,
        limit: int,
        now: datetime | None,
    ) -> list[tuple[str, int]]:
        """(guideline id, count), most frequent first, ties by id so the order is stable."""
        count = func.count().label("count")
        statement = (
            select(Finding.guideline_id, count)
            .join(Review, Review.id == Finding.review_id)
            .where(*conditions, Review.created_at >= _utc(now) - timedelta(days=days))
            .group_by(Finding.guideline_id)
            .order_by(count.desc(), Finding.guideline_id)
            .limit(limit)
        )
        with self._transaction() as session:
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
        with self._transaction() as session:
            rows = session.execute(statement).all()
        return {engine: (helpful_votes / total, total) for engine, helpful_votes, total in rows}

    # -- watched channels -------------------------------------------------------------------

    def watch_channel(self, team_id: str, channel_id: str, *, now: datetime | None = None) -> None:
        """Review drafts posted in this channel without being asked. Watching twice is fine."""
        statement = (
            self._insert(WatchedChannel)
            .values(team_id=team_id, channel_id=channel_id, created_at=_utc(now))
            .on_conflict_do_nothing(index_elements=["team_id", "channel_id"])
        )
        with self._transaction() as session:
            session.execute(statement)

    def unwatch_channel(self, team_id: str, channel_id: str) -> None:
        """Stop watching the channel (nothing happens if it was not watched)."""
        with self._transaction() as session:
            session.execute(
                delete(WatchedChannel).where(
                    WatchedChannel.team_id == team_id, WatchedChannel.channel_id == channel_id
                )
            )

    def is_watched(self, team_id: str, channel_id: str) -> bool:
        """Whether drafts in this channel are reviewed unasked."""
        with self._transaction() as session:
            return session.get(WatchedChannel, (team_id, channel_id)) is not None

    def watched_channels(self, team_id: str) -> list[str]:
        """The workspace's watched channel ids, sorted."""
        statement = (
            select(WatchedChannel.channel_id)
            .where(WatchedChannel.team_id == team_id)
            .order_by(WatchedChannel.channel_id)
        )
        with self._transaction() as session:
            return list(session.scalars(statement))

    # -- tip subscriptions ------------------------------------------------------------------

    def subscribe_tips(self, sub: TipSubscription, *, now: datetime | None = None) -> None:
        """Create or replace the channel's tip schedule; a new schedule starts with no error."""
        values = {
            "team_id": sub.team_id,
            "channel_id": sub.channel_id,
            "time": sub.time,
            "timezone": sub.timezone,
            "weekdays": ",".join(sub.weekdays),
            "language": sub.language,
            "last_error": None,
            "last_error_at": None,
            "updated_at": _utc(now),
        }
        statement = self._insert(TipSubscriptionRow).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["team_id", "channel_id"],
            set_={name: statement.excluded[name] for name in values},
        )
        with self._transaction() as session:
            session.execute(statement)

    def unsubscribe_tips(self, team_id: str, channel_id: str) -> bool:
        """Stop the channel's tips; False if it had none. Its tip history is kept for rotation."""
        statement = delete(TipSubscriptionRow).where(
            TipSubscriptionRow.team_id == team_id, TipSubscriptionRow.channel_id == channel_id
        )
        with self._transaction() as session:
            return session.execute(statement).rowcount > 0

    def tip_subscription(self, team_id: str, channel_id: str) -> TipSubscription | None:
        """The channel's tip schedule, or None."""
        with self._transaction() as session:
            row = session.get(TipSubscriptionRow, (team_id, channel_id))
            return None if row is None else _subscription(row)

    def tip_subscriptions(self) -> list[TipSubscription]:
        """Every channel's tip schedule, across workspaces, for the scheduler."""
        statement = select(TipSubscriptionRow).order_by(
            TipSubscriptionRow.team_id, TipSubscriptionRow.channel_id
        )
        with self._transaction() as session:
            return [_subscription(row) for row in session.scalars(statement)]

    # -- retention --------------------------------------------------------------------------

    def purge(self, *, now: datetime | None = None) -> dict[str, int]:
        """Delete what is no longer needed; return how many rows went, per kind.

        Deliveries go after two days, reviews (with their findings and feedback) after the
        retention period, OAuth states once expired.
        """
        now = _utc(now)
        with self._transaction() as session:
            deliveries = session.execute(
                delete(Delivery).where(Delivery.received_at < now - DELIVERY_TTL)
            ).rowcount
            # Findings and feedback go with their review: ON DELETE CASCADE.
            reviews = session.execute(
                delete(Review).where(Review.created_at < now - timedelta(days=self.retention_days))
            ).rowcount
            oauth_states = session.execute(
                delete(_oauth_states).where(_oauth_states.c.expire_at < now.replace(tzinfo=None))
            ).rowcount
        return {"deliveries": deliveries, "reviews": reviews, "oauth_states": oauth_states}

    # -- Slack OAuth ------------------------------------------------------------------------

    def installation_store(self, client_id: str) -> SQLAlchemyInstallationStore:
        """slack_sdk's installation store on this database (tables made by the migration)."""
        from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

        return SQLAlchemyInstallationStore(client_id=client_id, engine=self.engine)

    def oauth_state_store(self, expiration_seconds: int = 600) -> SQLAlchemyOAuthStateStore:
        """slack_sdk's OAuth state store on this database (table made by the migration)."""
        from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

        return SQLAlchemyOAuthStateStore(expiration_seconds=expiration_seconds, engine=self.engine)


def _subscription(row: TipSubscriptionRow) -> TipSubscription:
    return TipSubscription(
        team_id=row.team_id,
        channel_id=row.channel_id,
        time=row.time,
        timezone=row.timezone,
        weekdays=tuple(row.weekdays.split(",")),
        language=row.language,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
    )
