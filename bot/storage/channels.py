"""Watched channels: where drafts are reviewed without being asked, and which ones."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from bot.storage.database import Database, utc
from bot.storage.records import WATCH_MODES
from bot.storage.schema import WatchedChannel


class WatchedChannels:
    """Per channel: ``top`` reviews top-level drafts, ``replies`` also replies in threads."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def watch(
        self, team_id: str, channel_id: str, mode: str = "top", *, now: datetime | None = None
    ) -> None:
        """Review drafts posted in this channel; watching again changes the mode."""
        if mode not in WATCH_MODES:
            raise ValueError(f"mode must be one of {', '.join(WATCH_MODES)}; got {mode!r}")
        statement = self.db.insert(WatchedChannel).values(
            team_id=team_id, channel_id=channel_id, mode=mode, created_at=utc(now)
        )
        statement = statement.on_conflict_do_update(
            index_elements=["team_id", "channel_id"], set_={"mode": statement.excluded.mode}
        )
        with self.db.transaction() as session:
            session.execute(statement)

    def unwatch(self, team_id: str, channel_id: str) -> None:
        """Stop watching the channel (nothing happens if it was not watched)."""
        with self.db.transaction() as session:
            session.execute(
                delete(WatchedChannel).where(
                    WatchedChannel.team_id == team_id, WatchedChannel.channel_id == channel_id
                )
            )

    def mode(self, team_id: str, channel_id: str) -> str | None:
        """``top``, ``replies``, or None when the channel is not watched."""
        with self.db.transaction() as session:
            row = session.get(WatchedChannel, (team_id, channel_id))
            return row.mode if row else None

    def is_watched(self, team_id: str, channel_id: str) -> bool:
        """Whether drafts in this channel are reviewed unasked."""
        return self.mode(team_id, channel_id) is not None

    def watched(self, team_id: str) -> list[str]:
        """The workspace's watched channel ids, sorted."""
        statement = (
            select(WatchedChannel.channel_id)
            .where(WatchedChannel.team_id == team_id)
            .order_by(WatchedChannel.channel_id)
        )
        with self.db.transaction() as session:
            return list(session.scalars(statement))
