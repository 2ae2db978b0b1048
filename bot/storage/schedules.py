"""A table of per-channel schedules (the daily tips', the weekly digest's): one row per
channel, replaced whole when someone sets it again, paused with the error a person must fix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Update, delete, select, update

from bot.storage.database import Database, utc

Record = TypeVar("Record")


class ChannelSchedules(Generic[Record]):
    """Rows of ``model`` keyed by (team_id, channel_id), read back through ``to_record``."""

    def __init__(self, db: Database, model: type[Any],
                 to_record: Callable[[Any], Record]) -> None:
        self.db = db
        self.model = model
        self.to_record = to_record

    def put(self, values: dict[str, Any], *, now: datetime | None = None) -> None:
        """Create or replace the channel's schedule; a new schedule starts with no error."""
        values = {**values, "last_error": None, "last_error_at": None, "updated_at": utc(now)}
        statement = self.db.insert(self.model).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["team_id", "channel_id"],
            set_={name: statement.excluded[name] for name in values},
        )
        with self.db.transaction() as session:
            session.execute(statement)

    def remove(self, team_id: str, channel_id: str) -> bool:
        """Delete the channel's schedule; False if it had none."""
        statement = delete(self.model).where(*self._key(team_id, channel_id))
        with self.db.transaction() as session:
            return session.execute(statement).rowcount > 0

    def get(self, team_id: str, channel_id: str) -> Record | None:
        """The channel's schedule, or None."""
        with self.db.transaction() as session:
            row = session.get(self.model, (team_id, channel_id))
            return None if row is None else self.to_record(row)

    def all(self) -> list[Record]:
        """Every channel's schedule, across workspaces, for the ticker."""
        statement = select(self.model).order_by(self.model.team_id, self.model.channel_id)
        with self.db.transaction() as session:
            return [self.to_record(row) for row in session.scalars(statement)]

    def pause(self, team_id: str, channel_id: str, error: str, *,
              now: datetime | None = None) -> Update:
        """The statement that stops the channel's schedule until it is set again, saying why
        (for the caller to run in its own transaction)."""
        return (update(self.model).where(*self._key(team_id, channel_id))
                .values(last_error=error, last_error_at=utc(now)))

    def _key(self, team_id: str, channel_id: str) -> tuple:
        return (self.model.team_id == team_id, self.model.channel_id == channel_id)
