"""When a channel's weekly digest is due, which weeks it covers, and parsing its schedule.

Everything is worked out in the channel's time zone. A digest posted on its weekday covers
the seven local days before that day (Monday's digest: Monday to Sunday of the week before),
and its trend the weeks before that, each starting at a local midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import wall_clock
from bot.datafile import LANGUAGES
from bot.storage.digests import Window
from bot.storage.records import WEEKDAYS, DigestSubscription
from bot.wall_clock import DAY_NAMES, ScheduleProblem, aware_utc, shown, wall_time_utc

DEFAULT_WEEKDAY, DEFAULT_TIME, DEFAULT_LANGUAGE = "mon", "09:00", "en"
EXAMPLE = "/tone-check digest mon 09:00 Europe/Tallinn en"
TREND_WEEKS = 8



class DigestScheduleError(ScheduleProblem):
    """Input that is not a digest schedule; the message says what is wrong."""

    example = EXAMPLE


@dataclass(frozen=True)
class DigestSchedule:
    """A parsed ``/tone-check digest`` schedule, not yet tied to a channel."""

    weekday: str
    time: str
    timezone: str
    language: str = DEFAULT_LANGUAGE

    def for_channel(self, team_id: str, channel_id: str) -> DigestSubscription:
        return DigestSubscription(team_id, channel_id, self.weekday, self.time, self.timezone,
                                  self.language)


def parse_digest_schedule(text: str) -> DigestSchedule:
    """Parse ``weekday HH:MM Area/City [language]``.

    Raises :class:`DigestScheduleError` saying what is wrong (input is quoted unescaped).
    """
    words = text.split()
    if len(words) < 3:
        raise DigestScheduleError(
            "Tell me the weekday, the time and the time zone for the weekly digest."
        )
    if len(words) > 4:
        raise DigestScheduleError(
            f"That's too many words ({len(words)}): I need a weekday, a time, a time zone "
            "and optionally a language."
        )
    weekday = DAY_NAMES.get(words[0].lower())
    if weekday is None:
        raise DigestScheduleError(
            f"`{shown(words[0])}` isn't a weekday: use mon, tue, wed, thu, fri, sat or sun."
        )
    clock = parse_time(words[1])
    zone = parse_timezone(words[2])
    language = DEFAULT_LANGUAGE
    if len(words) == 4:
        language = words[3].lower()
        if language not in LANGUAGES:
            raise DigestScheduleError(
                f"I can't write the digest in `{shown(words[3])}`: the languages are "
                f"{', '.join(LANGUAGES)}."
            )
    return DigestSchedule(weekday, clock, zone, language)


def parse_time(word: str) -> str:
    """``9:00`` or ``09:00`` as ``09:00``."""
    return wall_clock.parse_time(word, DigestScheduleError)


def parse_timezone(word: str) -> str:
    """An IANA time zone name in any letter case, returned in its proper spelling."""
    return wall_clock.parse_timezone(word, DigestScheduleError)


# -- due dates ----------------------------------------------------------------------------


def local_midnight(day: date, timezone: str) -> datetime:
    """The UTC instant of ``day``'s start on the wall clock of ``timezone``."""
    return wall_time_utc(day, "00:00", timezone)


def slot(sub: DigestSubscription, day: date) -> datetime:
    """The UTC moment of the digest on local date ``day`` at the subscription's wall time."""
    return wall_time_utc(day, sub.time, sub.timezone)


def latest_digest_day(sub: DigestSubscription, now_utc: datetime) -> date:
    """The local date of the most recent slot at or before ``now_utc``."""
    today = aware_utc(now_utc).astimezone(ZoneInfo(sub.timezone)).date()
    day = today - timedelta(days=(today.weekday() - WEEKDAYS.index(sub.weekday)) % 7)
    if slot(sub, day) > now_utc:
        day -= timedelta(days=7)
    return day


def due_digest_day(sub: DigestSubscription, now_utc: datetime) -> date | None:
    """The local date whose digest is due at ``now_utc``, or None.

    Due from its slot until the next one, so a digest missed while the app was down still
    goes out when it is back; only the latest missed week is sent. Slots from before the
    subscription was made or changed are not due.
    """
    day = latest_digest_day(sub, now_utc)
    if sub.last_error or (sub.updated_at and slot(sub, day) < sub.updated_at):
        return None
    return day


def next_digest(sub: DigestSubscription, now_utc: datetime) -> datetime:
    """The UTC moment of the next slot after ``now_utc``."""
    return slot(sub, latest_digest_day(sub, now_utc) + timedelta(days=7))


def week_of(day: date) -> date:
    """The Monday of ``day``'s week: the key that makes it one digest per channel per week."""
    return day - timedelta(days=day.weekday())


def window_ending(day: date, timezone: str, weeks: int = TREND_WEEKS) -> Window:
    """``weeks`` weeks ending at local midnight of ``day`` (the last is the seven days before)."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    starts = tuple(local_midnight(day - timedelta(days=7 * (weeks - index)), timezone)
                   for index in range(weeks))
    return Window(starts=starts, end=local_midnight(day, timezone), timezone=timezone)
