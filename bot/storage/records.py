"""Plain values going in and out of storage; the database rows stay private."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENTRY_POINTS = ("command", "reaction", "watch", "shortcut")
VERDICTS = ("ok", "needs_work")
ENGINES = ("llm", "offline")
WATCH_MODES = ("top", "replies")
TIP_STATUSES = ("claimed", "posted", "failed")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
#: What a settings change did to a channel.
SETTINGS_ACTIONS = ("watch", "unwatch", "tips_on", "tips_off", "digest_on", "digest_off")
#: The roll-up's two bucket sizes (see bot/storage/rollup.py).
ROLLUP_SPANS = ("day", "quarter")
#: Where the roll-up's latency histogram buckets start, in milliseconds: 250 ms apart up to
#: 5 s, 500 ms apart up to 10 s, then wider. The last bucket has no upper end.
LATENCY_EDGES_MS = (
    0, *range(250, 5_000, 250), *range(5_000, 10_000, 500),
    10_000, 12_500, 15_000, 20_000, 30_000, 60_000,
)
LATENCY_BUCKETS = len(LATENCY_EDGES_MS)

_HH_MM = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")


def _require(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _check_schedule(clock: str, timezone: str, language: str) -> None:
    """A stored schedule's wall time, time zone and language, as the ticker needs them."""
    if not _HH_MM.fullmatch(clock):
        raise ValueError(f"time must be HH:MM (24-hour); got {clock!r}")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"unknown time zone {timezone!r}") from exc
    if not language:
        raise ValueError("language cannot be empty")


@dataclass(frozen=True)
class ReviewRecord:
    """What is kept about one review: who, where, the outcome and its cost. Never the text."""

    team_id: str
    channel_id: str
    user_id: str
    entry_point: str
    verdict: str
    guidelines: list[str]
    engine: str
    model: str | None
    latency_ms: int
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0
    reasoning_tokens: int = 0  # part of completion_tokens
    fallback: bool = False  # the model failed and the offline reviewer answered

    def __post_init__(self) -> None:
        _require(self.entry_point, ENTRY_POINTS, "entry_point")
        _require(self.verdict, VERDICTS, "verdict")
        _require(self.engine, ENGINES, "engine")
        for name in ("latency_ms", "prompt_tokens", "completion_tokens", "cached_tokens",
                     "reasoning_tokens"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} cannot be negative")


@dataclass(frozen=True)
class StoredReview:
    """A review as read back: enough to list a user's recent reviews."""

    id: int
    verdict: str
    guidelines: list[str]
    engine: str
    entry_point: str
    created_at: datetime
    channel_id: str = ""


@dataclass(frozen=True)
class TipSubscription:
    """A channel's daily tip: when (local time, time zone, weekdays) and in which language."""

    team_id: str
    channel_id: str
    time: str
    timezone: str
    weekdays: tuple[str, ...]
    language: str
    last_error: str | None = None
    last_error_at: datetime | None = None

    def __post_init__(self) -> None:
        # Checked here so that the scheduler never meets a row it cannot interpret.
        _check_schedule(self.time, self.timezone, self.language)
        object.__setattr__(self, "weekdays", tuple(self.weekdays))
        if not self.weekdays:
            raise ValueError("weekdays cannot be empty")
        for day in self.weekdays:
            _require(day, WEEKDAYS, "weekdays")


@dataclass(frozen=True)
class SettingsChange:
    """Who changed a channel's settings, what they did and when; never any message text.

    ``user_id`` is None once that person has asked to be forgotten. ``detail`` is the new
    setting in words we wrote ourselves (``09:30 Europe/Tallinn mon-fri en``).
    """

    team_id: str
    channel_id: str
    user_id: str | None
    action: str
    detail: str | None
    created_at: datetime

    def __post_init__(self) -> None:
        _require(self.action, SETTINGS_ACTIONS, "action")


@dataclass(frozen=True)
class StoredVote:
    """One helpful / not helpful vote, as shown to the person who cast it."""

    review_id: int
    helpful: bool
    updated_at: datetime


@dataclass(frozen=True)
class StoredTally:
    """One UTC day of a person's counts in the digest's roll-up (it also keeps them per
    quarter hour): drafts checked, guideline findings and votes cast."""

    day: date
    checked: int
    findings: int
    votes: int


@dataclass(frozen=True)
class PersonalData:
    """Everything kept about one person in one workspace (what ``/tone-check my-data`` shows)."""

    reviews: list[StoredReview]
    votes: list[StoredVote]
    settings_changes: list[SettingsChange]
    tallies: list[StoredTally] = field(default_factory=list)


@dataclass(frozen=True)
class Erased:
    """How many rows ``forget-me`` removed, or made anonymous (the settings changes).

    ``tallies``: the roll-up rows under the person's id (days and quarter hours).
    """

    reviews: int
    votes: int
    settings_changes: int
    tallies: int = 0


@dataclass(frozen=True)
class DigestSubscription:
    """A channel's weekly digest: the weekday, wall time and time zone, and the language."""

    team_id: str
    channel_id: str
    weekday: str
    time: str
    timezone: str
    language: str
    last_error: str | None = None
    last_error_at: datetime | None = None
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        _require(self.weekday, WEEKDAYS, "weekday")
        _check_schedule(self.time, self.timezone, self.language)
