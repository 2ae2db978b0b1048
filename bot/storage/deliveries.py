"""Slack deliveries already handled, so that Slack's retries are answered only once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select

from bot.storage.database import Database, utc
from bot.storage.schema import Delivery


class DeliveryClaims:
    """Exactly-once handling of Slack deliveries, across threads and processes."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Built once: building the statement cost more CPU than running it.
        self._claim = db.insert(Delivery).on_conflict_do_nothing(index_elements=["key"])
        self._done = select(Delivery.key).where(Delivery.key == bindparam("key"))

    def claim(self, key: str, *, now: datetime | None = None) -> bool:
        """True for the one caller, in any process, that should handle this Slack delivery.

        ``key`` is the event_id for events, or a key built from a command's or action's own
        identifiers. The primary key decides: the first INSERT wins, the others do nothing.
        """
        with self.db.connection() as connection:
            return connection.execute(self._claim,
                                      {"key": key, "received_at": utc(now)}).rowcount == 1

    def done(self, key: str) -> bool:
        """True when a delivery with this ``key`` was claimed (its review was posted)."""
        with self.db.reading() as connection:
            return connection.execute(self._done, {"key": key}).first() is not None
