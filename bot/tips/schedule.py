"""When a channel's tip is due: parsing ``/tone-check tips ...`` and local-time arithmetic.

Every time is worked out in the channel's own time zone, so 09:30 stays 09:30 on the wall
clock across daylight-saving changes. A day's delivery moment ("slot") is the configured
wall time on that local date (see bot/wall_clock.py for the wall times a clock change skips).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import wall_clock
from bot.coaching.guidelines import LANGUAGES
from bot.storage import TipSubscription
from bot.storage.records import WEEKDAYS
from bot.wall_clock import DAY_NAMES, ScheduleProblem, aware_utc, shown, wall_time_utc

WORKDAYS = WEEKDAYS[:5]
DEFAULT_LANGUAGE = "en"
EXAMPLE = "/tone-check tips 09:30 Europe/Tallinn mon-fri en"
WEEKDAY_EXAMPLES = "`mon-fri`, `sat-sun`, `mon,wed,fri` or `daily`"
LANGUAGE_LIST = ", ".join(f"`{lang}`" for lang in LANGUAGES)

_LANGUAGE_LIKE = re.compile(r"[a-z]{2}(?:[-_][a-z]{2,4})?")
_DAY_SETS = {"daily": WEEKDAYS, "weekdays": WORKDAYS, "weekends": WEEKDAYS[5:]}


class ScheduleError(ScheduleProblem):
    """Input that is not a schedule; the message says what is wrong and shows an example."""

    example = EXAMPLE


@dataclass(frozen=True)
class Schedule:
    """A parsed ``/tone-check tips`` schedule, not yet tied to a channel."""

    time: str
    timezone: str
    weekdays: tuple[str, ...] = WORKDAYS
    language: str = DEFAULT_LANGUAGE

    def for_channel(self, team_id: str, channel_id: str) -> TipSubscription:
        """The subscription this schedule makes for one channel."""
        return TipSubscription(
            team_id=team_id,
            channel_id=channel_id,
            time=self.time,
            timezone=self.timezone,
            weekdays=self.weekdays,
            language=self.language,
        )


def parse_schedule(text: str) -> Schedule:
    """Parse ``HH:MM Area/City [weekdays] [language]``; weekdays and language in any order.

    Raises :class:`ScheduleError` saying what is wrong. Echoed input is not escaped here.
    """
    words = text.split()
    if not words:
        raise ScheduleError("Tell me the time and the time zone for the daily tip.")
    if len(words) > 4:
        raise ScheduleError(
            f"That's too many words ({len(words)}): I need a time, a time zone, and "
            "optionally the weekdays and a language."
        )
    clock = parse_time(words[0])
    if len(words) < 2:
        raise ScheduleError(
            f"Add a time zone after `{clock}`: an IANA name such as `Europe/Tallinn` or `UTC`."
        )
    zone = parse_timezone(words[1])
    weekdays: tuple[str, ...] | None = None
    language: str | None = None
    for word in words[2:]:
        if word.lower() in LANGUAGES:
            if language is not None:
                raise ScheduleError(
                    f"Give one language, not both `{language}` and `{shown(word)}`."
                )
            language = word.lower()
        elif _LANGUAGE_LIKE.fullmatch(word.lower()) and word.lower() not in _DAY_SETS:
            raise ScheduleError(
                f"I can't post tips in `{shown(word)}`: the languages are {LANGUAGE_LIST}."
            )
        else:
            if weekdays is not None:
                raise ScheduleError(
                    f"Give the weekdays once, as one word such as {WEEKDAY_EXAMPLES}; "
                    f"`{shown(word)}` came after them."
                )
            weekdays = parse_weekdays(word)
    return Schedule(clock, zone, weekdays or WORKDAYS, language or DEFAULT_LANGUAGE)


def parse_time(word: str) -> str:
    """``9:30`` or ``09:30`` as ``09:30``; hours 00-23, minutes 00-59."""
    return wall_clock.parse_time(word, ScheduleError)


def parse_timezone(word: str) -> str:
    """An IANA time zone name, matched without regard to case; returns its proper spelling."""
    return wall_clock.parse_timezone(word, ScheduleError)


def parse_weekdays(word: str) -> tuple[str, ...]:
    """``mon-fri``, ``sat-sun``, ``mon,wed,fri``, ``fri-mon``, ``daily``: days in week order."""
    spec = word.lower()
    if spec in _DAY_SETS:
        return _DAY_SETS[spec]
    days: set[str] = set()
    for part in spec.split(","):
        first, dash, last = part.partition("-")
        start, end = DAY_NAMES.get(first), DAY_NAMES.get(last if dash else first)
        if start is None or end is None:
            raise ScheduleError(
                f"`{shown(word)}` isn't a set of weekdays: use {WEEKDAY_EXAMPLES} "
                "(days as mon, tue, wed, thu, fri, sat, sun)."
            )
        # A range may wrap around the weekend: fri-mon is fri, sat, sun, mon.
        index, stop = WEEKDAYS.index(start), WEEKDAYS.index(end)
        days.add(WEEKDAYS[index])
        while index != stop:
            index = (index + 1) % 7
            days.add(WEEKDAYS[index])
    return tuple(day for day in WEEKDAYS if day in days)


def describe_weekdays(weekdays: tuple[str, ...]) -> str:
    """The shortest way to write ``weekdays`` back: ``daily``, ``mon-fri`` or ``mon,wed``."""
    for name, days in (("daily", WEEKDAYS), ("mon-fri", WORKDAYS), ("sat-sun", WEEKDAYS[5:])):
        if tuple(weekdays) == days:
            return name
    return ",".join(weekdays)


def slot(sub: TipSubscription, local_date: date) -> datetime:
    """The UTC moment of ``local_date``'s tip, at the configured wall time in the channel."""
    return wall_time_utc(local_date, sub.time, sub.timezone)


def local_today(sub: TipSubscription, now_utc: datetime) -> date:
    """The date on the channel's wall calendar at ``now_utc``."""
    return aware_utc(now_utc).astimezone(ZoneInfo(sub.timezone)).date()


def is_due(sub: TipSubscription, now_utc: datetime) -> date | None:
    """The local date whose tip is due at ``now_utc``, or None.

    Due from the slot until local midnight, on subscribed weekdays only: a tip missed while
    the app was down still goes out later the same day, never the next day.
    """
    today = local_today(sub, now_utc)
    if WEEKDAYS[today.weekday()] in sub.weekdays and aware_utc(now_utc) >= slot(sub, today):
        return today
    return None


def next_delivery(sub: TipSubscription, now_utc: datetime, delivered_today: bool) -> datetime:
    """When the next tip goes out (UTC); ``now_utc`` itself when today's is due but not sent."""
    now_utc = aware_utc(now_utc)
    today = local_today(sub, now_utc)
    for offset in range(8):
        day = today + timedelta(days=offset)
        if WEEKDAYS[day.weekday()] not in sub.weekdays or (offset == 0 and delivered_today):
            continue
        return max(slot(sub, day), now_utc)
    raise ValueError(f"no weekdays in {sub.weekdays!r}")  # TipSubscription forbids this
