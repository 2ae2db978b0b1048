"""What the daily tips' and the weekly digest's schedules share: reading a time of day and a
time zone from a command, and turning a channel's wall-clock time into a UTC instant.

Each schedule raises its own error (with its own example); both derive from
:class:`ScheduleProblem`, which these functions raise as the caller's ``error`` class.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.storage.records import WEEKDAYS

_TIME = re.compile(r"(\d{1,2}):(\d{2})")
#: Weekday words a schedule accepts, to the short names stored.
DAY_NAMES = {
    **{day: day for day in WEEKDAYS},
    "monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu",
    "friday": "fri", "saturday": "sat", "sunday": "sun",
}


class ScheduleProblem(ValueError):
    """Input that is not a schedule: ``problem`` says what is wrong, then an example."""

    example = ""

    def __init__(self, problem: str) -> None:
        super().__init__(f"{problem}\nFor example: `{self.example}`")
        self.problem = problem


def shown(word: str) -> str:
    """A word of the user's input, short enough to quote back."""
    return word if len(word) <= 40 else word[:39].rstrip() + "…"


def parse_time(word: str, error: type[ScheduleProblem]) -> str:
    """``9:30`` or ``09:30`` as ``09:30``; hours 00-23, minutes 00-59."""
    match = _TIME.fullmatch(word)
    if not match:
        raise error(
            f"`{shown(word)}` isn't a time: write it as 24-hour HH:MM, such as `09:30` or `17:05`."
        )
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise error(f"`{shown(word)}` isn't a time of day: use 00:00 to 23:59.")
    return f"{hour:02d}:{minute:02d}"


def parse_timezone(word: str, error: type[ScheduleProblem]) -> str:
    """An IANA time zone name, matched without regard to case; returns its proper spelling."""
    try:
        return ZoneInfo(word).key
    # OSError: with the tzdata package installed, a very long name is looked up as a file.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    name = _zone_names().get(word.lower())
    if name is None:
        raise error(
            f"`{shown(word)}` isn't a time zone I know: use an IANA name such as `Europe/Tallinn`, "
            "`America/New_York` or `UTC`."
        )
    return name


@cache
def _zone_names() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def wall_time_utc(day: date, clock: str, timezone: str) -> datetime:
    """The UTC instant of ``clock`` (HH:MM) on ``day`` in ``timezone``.

    A wall time that a spring-forward change skips is read with the offset from before the
    change (Python's ``fold=0`` rule), one hour later on the new clock.
    """
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def aware_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is refused."""
    if moment.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return moment.astimezone(UTC)
