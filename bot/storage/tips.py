"""Daily tip schedules per channel, and each day's delivery: claimed, then posted or failed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select, update

from bot.storage.database import Database, utc
from bot.storage.records import TipSubscription
from bot.storage.schedules import ChannelSchedules
from bot.storage.schema import TipDelivery, TipSubscriptionRow


class TipRepository:
    """Subscriptions and deliveries. A delivery row is one channel's tip for one local day."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._schedules = ChannelSchedules(db, TipSubscriptionRow, _subscription)

    # -- deliveries ---------------------------------------------------------------------

    def claim(
        self, team_id: str, channel_id: str, local_date: date, tip_id: str, *,
        now: datetime | None = None,
    ) -> bool:
        """True for the one caller that should post ``tip_id`` to this channel on this day.

        The row starts as ``claimed``; call ``mark_posted`` or ``mark_failed`` after trying.
        A day whose earlier attempt ``failed`` can be claimed again (same local day only).
        """
        key = self._key(team_id, channel_id, local_date)
        values = {"tip_id": tip_id, "status": "claimed", "error": None, "claimed_at": utc(now)}
        statement = (
            self.db.insert(TipDelivery)
            .values(team_id=team_id, channel_id=channel_id, local_date=local_date, **values)
            .on_conflict_do_nothing(index_elements=["team_id", "channel_id", "local_date"])
        )
        retry = update(TipDelivery).where(*key, TipDelivery.status == "failed").values(values)
        with self.db.transaction() as session:
            if session.execute(statement).rowcount == 1:
                return True
            # Another instance may retry at the same moment: the status check decides.
            return session.execute(retry).rowcount == 1

    def mark_posted(self, team_id: str, channel_id: str, local_date: date) -> None:
        """Slack accepted the day's tip."""
        self._set_status(team_id, channel_id, local_date, "posted", None)

    def mark_failed(self, team_id: str, channel_id: str, local_date: date, error: str) -> None:
        """The day's tip did not go out; it may be claimed again the same day."""
        self._set_status(team_id, channel_id, local_date, "failed", error)

    def pause(
        self, team_id: str, channel_id: str, local_date: date, error: str, *,
        now: datetime | None = None,
    ) -> None:
        """A person must act (invite the bot, reinstall): the day fails and the channel pauses."""
        with self.db.transaction() as session:
            session.execute(
                update(TipDelivery)
                .where(*self._key(team_id, channel_id, local_date))
                .values(status="failed", error=error)
            )
            session.execute(self._schedules.pause(team_id, channel_id, error, now=now))

    def delivery_status(self, team_id: str, channel_id: str, local_date: date) -> str | None:
        """``claimed``, ``posted``, ``failed``, or None when the day was never claimed."""
        with self.db.transaction() as session:
            row = session.get(TipDelivery, (team_id, channel_id, local_date))
            return row.status if row else None

    def history(self, team_id: str, channel_id: str) -> list[str]:
        """Ids of the tips actually posted to the channel, oldest first, for rotation."""
        statement = (
            select(TipDelivery.tip_id)
            .where(
                TipDelivery.team_id == team_id,
                TipDelivery.channel_id == channel_id,
                TipDelivery.status == "posted",
            )
            .order_by(TipDelivery.local_date)
        )
        with self.db.transaction() as session:
            return list(session.scalars(statement))

    def _set_status(
        self, team_id: str, channel_id: str, local_date: date, status: str, error: str | None
    ) -> None:
        with self.db.transaction() as session:
            session.execute(
                update(TipDelivery)
                .where(*self._key(team_id, channel_id, local_date))
                .values(status=status, error=error)
            )

    @staticmethod
    def _key(team_id: str, channel_id: str, local_date: date) -> tuple:
        return (
            TipDelivery.team_id == team_id,
            TipDelivery.channel_id == channel_id,
            TipDelivery.local_date == local_date,
        )

    # -- subscriptions ------------------------------------------------------------------

    def subscribe(self, sub: TipSubscription, *, now: datetime | None = None) -> None:
        """Create or replace the channel's tip schedule; a new schedule starts with no error."""
        self._schedules.put({
            "team_id": sub.team_id,
            "channel_id": sub.channel_id,
            "time": sub.time,
            "timezone": sub.timezone,
            "weekdays": ",".join(sub.weekdays),
            "language": sub.language,
        }, now=now)

    def unsubscribe(self, team_id: str, channel_id: str) -> bool:
        """Stop the channel's tips; False if it had none. Its tip history is kept for rotation."""
        return self._schedules.remove(team_id, channel_id)

    def subscription(self, team_id: str, channel_id: str) -> TipSubscription | None:
        """The channel's tip schedule, or None."""
        return self._schedules.get(team_id, channel_id)

    def subscriptions(self) -> list[TipSubscription]:
        """Every channel's tip schedule, across workspaces, for the ticker."""
        return self._schedules.all()


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
