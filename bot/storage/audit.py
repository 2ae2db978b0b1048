"""The record of who changed which channel's settings, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select

from bot.storage.database import Database, utc
from bot.storage.records import SettingsChange
from bot.storage.schema import SettingsChangeRow


class SettingsLog:
    """Appends a row for every settings change; nothing here is ever updated by hand."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def record(
        self,
        team_id: str,
        channel_id: str,
        user_id: str,
        action: str,
        detail: str | None = None,
        *,
        now: datetime | None = None,
    ) -> SettingsChange:
        """Keep one change; ``detail`` is a setting in our own words, never user text."""
        change = SettingsChange(team_id, channel_id, user_id, action, detail, utc(now))
        with self.db.connection() as connection:
            connection.execute(
                insert(SettingsChangeRow).values(
                    team_id=team_id, channel_id=channel_id, user_id=user_id, action=action,
                    detail=detail, created_at=change.created_at,
                )
            )
        return change

    def last_change(self, team_id: str, channel_id: str) -> SettingsChange | None:
        """The newest change to this channel's settings, or None."""
        statement = (
            select(SettingsChangeRow)
            .where(SettingsChangeRow.team_id == team_id, SettingsChangeRow.channel_id == channel_id)
            .order_by(SettingsChangeRow.created_at.desc(), SettingsChangeRow.id.desc())
            .limit(1)
        )
        with self.db.transaction() as session:
            row = session.scalars(statement).first()
            return None if row is None else to_change(row)

    def changes(self, team_id: str, channel_id: str) -> list[SettingsChange]:
        """Every change to the channel, oldest first."""
        statement = (
            select(SettingsChangeRow)
            .where(SettingsChangeRow.team_id == team_id, SettingsChangeRow.channel_id == channel_id)
            .order_by(SettingsChangeRow.created_at, SettingsChangeRow.id)
        )
        with self.db.transaction() as session:
            return [to_change(row) for row in session.scalars(statement)]


def to_change(row: SettingsChangeRow) -> SettingsChange:
    return SettingsChange(row.team_id, row.channel_id, row.user_id, row.action, row.detail,
                          row.created_at)
