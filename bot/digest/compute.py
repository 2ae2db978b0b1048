"""Reading a digest's figures out of storage for a week that ends on a given local day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.digest.figures import Digest, Week, build_digest, build_own_trend
from bot.digest.schedule import TREND_WEEKS, window_ending
from bot.storage import Storage


def team_digest(storage: Storage, team_id: str, day: date, timezone: str,
                guidelines: list[str], weeks: int = TREND_WEEKS) -> Digest:
    """The workspace's digest whose last week ends at local midnight of ``day``."""
    window = window_ending(day, timezone, weeks)
    return build_digest(team_id, window, storage.digests.counts(team_id, window), guidelines)


def own_trend(storage: Storage, team_id: str, user_id: str, guidelines: list[str],
              now: datetime | None = None, weeks: int = TREND_WEEKS) -> list[Week]:
    """One person's own weeks (UTC), the last ending tonight, so today counts."""
    today = (now or datetime.now(UTC)).astimezone(UTC).date()
    window = window_ending(today + timedelta(days=1), "UTC", weeks)
    counts = storage.digests.counts(team_id, window, user_id=user_id)
    return build_own_trend(window, counts, guidelines)
