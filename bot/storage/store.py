"""Storage: one database object and the repositories over it, shared by all threads."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import column, delete, table
from sqlalchemy.orm import configure_mappers

from bot.storage.audit import SettingsLog
from bot.storage.channels import WatchedChannels
from bot.storage.database import Database, utc
from bot.storage.deliveries import DeliveryClaims
from bot.storage.digests import DigestRepository
from bot.storage.errors import StorageError
from bot.storage.personal import PersonalDataStore
from bot.storage.recorder import ReviewRecorder
from bot.storage.reviews import ReviewRepository
from bot.storage.rollup import DAY, QUARTER
from bot.storage.schema import Delivery, DigestDelivery, Review, finding_rollup, review_rollup
from bot.storage.slack_oauth import SlackOAuthStores
from bot.storage.tips import TipRepository

# Slack retries a delivery within minutes; two days is a wide margin.
DELIVERY_TTL = timedelta(days=2)
DEFAULT_RETENTION_DAYS = 90
# A week's digest claim is needed until that week cannot come round again.
DIGEST_CLAIM_TTL = timedelta(days=60)

# slack_sdk's state table, named here only to purge expired states (it stores naive UTC).
_oauth_states = table("slack_oauth_states", column("expire_at"))


class Storage:
    """Everything Tone Coach keeps: ``reviews`` (new ones written through ``recorder``),
    ``deliveries``, ``channels``, ``tips``, ``settings_log``, ``personal_data``, ``digests``
    and ``slack_oauth``, each a repository over the one :class:`Database`."""

    def __init__(
        self, url: str | None = None, *, retention_days: int = DEFAULT_RETENTION_DAYS
    ) -> None:
        """Use ``url`` (default ``sqlite:///tone_coach.db``); nothing is opened yet."""
        if retention_days < 1:
            raise StorageError(f"retention must be at least one day, got {retention_days}")
        self.retention_days = retention_days
        self.db = Database(url)
        self.reviews = ReviewRepository(self.db)
        self.recorder = ReviewRecorder(self.reviews)  # review rows, written behind the review
        self.deliveries = DeliveryClaims(self.db)
        self.channels = WatchedChannels(self.db)
        self.tips = TipRepository(self.db)
        self.slack_oauth = SlackOAuthStores(self.db)
        self.settings_log = SettingsLog(self.db)  # who changed which channel's settings
        # One person's rows: my-data, forget-me.
        self.personal_data = PersonalDataStore(self.db, written_first=self.recorder.flush)
        self.digests = DigestRepository(self.db)
        # SQLAlchemy sets up the ORM classes on their first query otherwise: a first review
        # after a deploy would pay for it (6 ms), with the interpreter lock held.
        configure_mappers()

    @property
    def url(self) -> str:
        """The database URL with any password hidden, fit for logs."""
        return self.db.url

    @property
    def engine(self):  # noqa: ANN201 - SQLAlchemy's Engine
        return self.db.engine

    def __repr__(self) -> str:
        return f"Storage({self.url!r})"

    def check(self) -> None:
        self.db.check()

    def upgrade(self) -> tuple[str | None, str]:
        """Apply pending migrations; returns (revision before, revision after)."""
        return self.db.upgrade()

    def downgrade(self, revision: str = "base") -> None:
        self.db.downgrade(revision)

    def close(self) -> None:
        self.recorder.close()
        self.db.close()

    def purge(self, *, now: datetime | None = None) -> dict[str, int]:
        """Delete what is no longer needed; return how many rows went, per kind.

        Deliveries go after two days, reviews (with their findings and feedback) and the
        digest's counts of them after the retention period, OAuth states once expired.
        """
        now = utc(now)
        with self.db.transaction() as session:
            deliveries = session.execute(
                delete(Delivery).where(Delivery.received_at < now - DELIVERY_TTL)
            ).rowcount
            # Findings and feedback go with their review: ON DELETE CASCADE.
            cutoff = now - timedelta(days=self.retention_days)
            reviews = session.execute(delete(Review).where(Review.created_at < cutoff)).rowcount
            # The digest's counts go once their whole bucket is past the cutoff: until then
            # they still count some reviews that are kept.
            for table in (review_rollup, finding_rollup):
                session.execute(delete(table).where(
                    ((table.c.span == "day") & (table.c.bucket <= cutoff - DAY))
                    | ((table.c.span == "quarter") & (table.c.bucket <= cutoff - QUARTER))
                ))
            session.execute(
                delete(DigestDelivery).where(DigestDelivery.claimed_at < now - DIGEST_CLAIM_TTL)
            )
            oauth_states = session.execute(
                delete(_oauth_states).where(_oauth_states.c.expire_at < now.replace(tzinfo=None))
            ).rowcount
        return {"deliveries": deliveries, "reviews": reviews, "oauth_states": oauth_states}
