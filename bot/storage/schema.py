"""The tables Tone Coach owns. Changing them means adding an Alembic migration too.

Slack's OAuth tables (``slack_installations``, ``slack_bots``, ``slack_oauth_states``) are
defined by slack_sdk; the initial migration creates them, nothing here maps them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.records import (
    ENGINES,
    ENTRY_POINTS,
    LATENCY_BUCKETS,
    ROLLUP_SPANS,
    SETTINGS_ACTIONS,
    TIP_STATUSES,
    VERDICTS,
    WATCH_MODES,
    WEEKDAYS,
)

# 64-bit on PostgreSQL; SQLite's INTEGER PRIMARY KEY (the rowid) already is, and BIGINT there
# would not be the rowid.
REVIEW_ID = BigInteger().with_variant(Integer(), "sqlite")

SLACK_TABLES = frozenset({"slack_installations", "slack_bots", "slack_oauth_states"})


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so UTC is stored naive
    (which also keeps its text comparisons right) and marked UTC again when read.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: storage needs timezone-aware values")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _one_of(column: str, allowed: tuple[str, ...]) -> CheckConstraint:
    values = ", ".join(f"'{value}'" for value in allowed)
    return CheckConstraint(f"{column} IN ({values})", name=column)


class Base(DeclarativeBase):
    # Named constraints let later migrations drop or alter them (SQLite batch mode needs names).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime}


class Delivery(Base):
    """A Slack delivery already handled: an event_id, or a key made for a command or action."""

    __tablename__ = "processed_deliveries"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)


class Review(Base):
    """One review's metadata. The draft and the rewrite are deliberately not stored."""

    __tablename__ = "reviews"
    __table_args__ = (
        _one_of("entry_point", ENTRY_POINTS),
        _one_of("verdict", VERDICTS),
        _one_of("engine", ENGINES),
        Index(None, "team_id", "user_id", "created_at"),
        Index(None, "team_id", "created_at"),
        # The weekly digest reads only these columns over a team's last eight weeks: with them
        # in the index, PostgreSQL answers from the index alone (SQLite includes every column
        # of a multi-column index the same way).
        Index(
            "ix_reviews_digest",
            "team_id", "created_at", "user_id", "entry_point", "verdict", "engine",
            "fallback", "latency_ms",
            postgresql_include=["id"],  # SQLite keeps the rowid (id) in every index anyway
        ),
    )

    # Made by the app (see bot/storage/reviews.py), so a review is posted before it is stored.
    id: Mapped[int] = mapped_column(REVIEW_ID, primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    entry_point: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(16))
    engine: Mapped[str] = mapped_column(String(16))
    model: Mapped[str | None] = mapped_column(String(100))
    latency_ms: Mapped[int]
    prompt_tokens: Mapped[int]
    cached_tokens: Mapped[int] = mapped_column(server_default="0")
    completion_tokens: Mapped[int]  # all output billed, reasoning included
    reasoning_tokens: Mapped[int] = mapped_column(server_default="0")
    # The model was configured but failed, and the offline reviewer answered instead.
    fallback: Mapped[bool] = mapped_column(server_default=false())
    # Indexed on its own for the retention purge.
    created_at: Mapped[datetime] = mapped_column(index=True)


class Finding(Base):
    """A guideline a review found, one row each so they can be counted.

    The review's workspace, author and time are repeated here so that counting findings per
    week reads this table's index alone, without joining a million reviews.
    """

    __tablename__ = "review_findings"
    __table_args__ = (Index(None, "team_id", "created_at", "guideline_id", "user_id"),)

    review_id: Mapped[int] = mapped_column(
        REVIEW_ID, ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    guideline_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Keeps the order the reviewer reported them in.
    position: Mapped[int]
    team_id: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]


class Feedback(Base):
    """One user's vote on one review; voting again replaces it."""

    __tablename__ = "review_feedback"

    review_id: Mapped[int] = mapped_column(
        REVIEW_ID, ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    helpful: Mapped[bool]
    updated_at: Mapped[datetime]


class WatchedChannel(Base):
    """A channel where Tone Coach reviews drafts without being asked.

    ``mode``: ``top`` reviews top-level messages; ``replies`` also agents' replies in threads.
    """

    __tablename__ = "watched_channels"
    __table_args__ = (_one_of("mode", WATCH_MODES),)

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    mode: Mapped[str] = mapped_column(String(8), server_default="top")
    created_at: Mapped[datetime]


class TipSubscriptionRow(Base):
    """A channel's daily tip schedule; weekdays are stored comma-separated ("mon,tue")."""

    __tablename__ = "tip_subscriptions"

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    weekdays: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class TipDelivery(Base):
    """Today's tip for a channel. The primary key makes it one row per channel per local day.

    ``claimed`` while an instance posts it, then ``posted``, or ``failed`` (claimable again).
    """

    __tablename__ = "tip_deliveries"
    __table_args__ = (_one_of("status", TIP_STATUSES),)

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    local_date: Mapped[date] = mapped_column(primary_key=True)
    tip_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))
    error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime]


class SettingsChangeRow(Base):
    """One change to a channel's settings (watch, tips...): who, what, when. No message text."""

    __tablename__ = "settings_changes"
    __table_args__ = (
        _one_of("action", SETTINGS_ACTIONS),
        Index(None, "team_id", "channel_id", "created_at"),
        Index(None, "team_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str] = mapped_column(String(32))
    # Emptied when the person asks to be forgotten; the change itself stays on record.
    user_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
class DigestSubscriptionRow(Base):
    """A channel's weekly digest: the weekday and wall time it is posted, and its language."""

    __tablename__ = "digest_subscriptions"
    __table_args__ = (_one_of("weekday", WEEKDAYS),)

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    weekday: Mapped[str] = mapped_column(String(3))
    time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    # Digests due before this moment are not sent: subscribing does not post last week's.
    updated_at: Mapped[datetime]


class DigestDelivery(Base):
    """A channel's digest for one local week (``week_of`` is that week's Monday).

    The primary key makes it one row per channel per week; the row is claimed before posting
    and then marked posted or failed.
    """

    __tablename__ = "digest_deliveries"
    __table_args__ = (_one_of("status", ("claimed", "posted", "failed")),)

    team_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    week_of: Mapped[date] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(8))
    error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


def _counter(name: str) -> Column[int]:
    return Column(name, Integer, nullable=False, server_default="0")


def _bucket_columns() -> list[Column]:
    """Where a roll-up row counts: workspace, bucket (its span and start) and person."""
    return [
        Column("team_id", String(32), nullable=False),
        Column("span", String(7), nullable=False),
        Column("bucket", UTCDateTime(), nullable=False),
        Column("user_id", String(32), nullable=False),
    ]


def _bucket_rules() -> list[Any]:
    return [
        _one_of("span", ROLLUP_SPANS),
        Index(None, "user_id", "team_id"),  # forget-me
        Index(None, "bucket"),  # the retention purge
    ]


#: The digest's counts, kept up to date with every review and vote (see bot/storage/rollup.py).
#: One row per workspace, span (a UTC day or a quarter hour), bucket start, person, entry
#: point and engine. The person is the review's author for the draft counts and the voter for
#: the vote counts, so that both "how many agents" and "how many voters" can be counted.
#: A Table rather than a mapped class: its latency histogram is a run of numbered columns.
review_rollup = Table(
    "review_rollup",
    Base.metadata,
    *_bucket_columns(),
    Column("entry_point", String(16), nullable=False),
    Column("engine", String(16), nullable=False),
    _counter("checked"),  # drafts checked
    _counter("fine"),  # fine on the first check
    _counter("fallbacks"),
    _counter("helpful"),
    _counter("not_helpful"),
    *(_counter(f"latency_{index:02d}") for index in range(LATENCY_BUCKETS)),
    PrimaryKeyConstraint("team_id", "span", "bucket", "user_id", "entry_point", "engine"),
    *_bucket_rules(),
)

#: Findings per guideline, in the same buckets, per author.
finding_rollup = Table(
    "finding_rollup",
    Base.metadata,
    *_bucket_columns(),
    Column("guideline_id", String(64), nullable=False),
    _counter("findings"),
    PrimaryKeyConstraint("team_id", "span", "bucket", "user_id", "guideline_id"),
    *_bucket_rules(),
)
