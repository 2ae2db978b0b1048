"""The digest's figures for a workspace, with the privacy rule applied.

Privacy: no figure may let anyone read one agent's results. A week that fewer than
``MIN_AGENTS`` agents used shows nothing but that fact. Within a shown week, a cell built
from one or two agents (an entry point, a guideline, the fallbacks, an engine's votes) is
hidden; a zero stays visible, since it describes the whole team. Because the entry points
add up to the week's total, hiding exactly one of them would let it be worked out by
subtraction, so the next smallest is hidden with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from bot.storage.digests import DigestCounts, Window
from bot.storage.records import ENGINES, ENTRY_POINTS

#: The fewest distinct agents a shown figure may be built from.
MIN_AGENTS = 3
#: How many earlier weeks a guideline's rate is compared with.
BASELINE_WEEKS = 4
#: Findings per 100 drafts closer than this to the baseline count as no change.
STEADY = 1.0

EMPTY, HIDDEN, SHOWN = "empty", "hidden", "shown"


def _private(people: int) -> bool:
    return 0 < people < MIN_AGENTS


@dataclass(frozen=True)
class Week:
    """One local week's figures; ``None`` marks a hidden cell."""

    start: date
    end: date  # the last day of the week (inclusive)
    status: str  # EMPTY (no drafts), HIDDEN (fewer than MIN_AGENTS agents) or SHOWN
    drafts: int | None = None
    agents: int | None = None
    fine_share: float | None = None  # 0..1
    fallbacks: int | None = None
    median_seconds: float | None = None
    entry_points: dict[str, int | None] = field(default_factory=dict)
    per_100: dict[str, float | None] = field(default_factory=dict)  # guideline -> findings
    votes: dict[str, tuple[int, int] | None] = field(default_factory=dict)  # engine -> votes

    @property
    def shown(self) -> bool:
        return self.status == SHOWN


@dataclass(frozen=True)
class GuidelineTrend:
    """A guideline this week against the average of the weeks before."""

    guideline: str
    this_week: float | None
    baseline: float | None

    @property
    def direction(self) -> str | None:
        """``up``, ``down`` or ``steady``; None when either side is unknown."""
        if self.this_week is None or self.baseline is None:
            return None
        if abs(self.this_week - self.baseline) < STEADY:
            return "steady"
        return "up" if self.this_week > self.baseline else "down"


@dataclass(frozen=True)
class Digest:
    """A workspace's weeks, oldest first; the last one is the week the digest reports."""

    team_id: str
    timezone: str
    weeks: list[Week]
    guidelines: list[str]

    @property
    def this_week(self) -> Week:
        return self.weeks[-1]

    @property
    def fine_change(self) -> float | None:
        """This week's share fine on the first check minus last week's, when both are shown."""
        if len(self.weeks) < 2:
            return None
        now, before = self.weeks[-1], self.weeks[-2]
        if now.fine_share is None or before.fine_share is None:
            return None
        return now.fine_share - before.fine_share

    def trends(self) -> list[GuidelineTrend]:
        """Every guideline (a guideline that never fired included), in the file's order."""
        before = self.weeks[-1 - BASELINE_WEEKS:-1]
        result = []
        for guideline in self.guidelines:
            rates = [w.per_100.get(guideline) for w in before if w.shown]
            known = [rate for rate in rates if rate is not None]
            baseline = sum(known) / len(known) if known else None
            result.append(
                GuidelineTrend(guideline, self.this_week.per_100.get(guideline), baseline)
            )
        return result

    def top_guidelines(self, limit: int = 3) -> list[str]:
        """The guidelines with the most findings per 100 drafts over the shown weeks."""
        totals = {
            g: sum(w.per_100.get(g) or 0.0 for w in self.weeks if w.shown)
            for g in self.guidelines
        }
        ranked = sorted((g for g in totals if totals[g] > 0), key=lambda g: (-totals[g], g))
        return ranked[:limit]


def build_digest(
    team_id: str, window: Window, counts: DigestCounts, guidelines: list[str]
) -> Digest:
    """Turn raw counts into figures, hiding whatever the privacy rule says."""
    zone = ZoneInfo(window.timezone)
    weeks = [_week(index, start.astimezone(zone).date(), counts, guidelines)
             for index, start in enumerate(window.starts)]
    return Digest(team_id, window.timezone, weeks, list(guidelines))


def build_own_trend(window: Window, counts: DigestCounts, guidelines: list[str]) -> list[Week]:
    """One person's own weeks, with nothing hidden: only they see it."""
    zone = ZoneInfo(window.timezone)
    return [
        _week(index, start.astimezone(zone).date(), counts, guidelines, private=False)
        for index, start in enumerate(window.starts)
    ]


def _week(index: int, first: date, counts: DigestCounts, guidelines: list[str],
          private: bool = True) -> Week:
    last = first + timedelta(days=6)
    totals = counts.totals.get(index)
    if totals is None or totals.drafts == 0:
        return Week(first, last, EMPTY, drafts=0, agents=0)
    if private and totals.agents < MIN_AGENTS:
        return Week(first, last, HIDDEN)

    def visible(count: int, people: int) -> int | None:
        return None if private and _private(people) else count

    entry_points = _entry_points(index, counts, private)
    per_100 = {}
    for guideline in guidelines:
        cell = counts.guidelines.get((index, guideline))
        findings = visible(cell.count, cell.people) if cell else 0
        per_100[guideline] = None if findings is None else 100 * findings / totals.drafts
    votes: dict[str, tuple[int, int] | None] = {}
    for engine in ENGINES:
        yes, no, voters = counts.votes.get((index, engine), (0, 0, 0))
        if voters:
            votes[engine] = None if private and voters < MIN_AGENTS else (yes, no)
    return Week(
        first, last, SHOWN,
        drafts=totals.drafts,
        agents=totals.agents,
        fine_share=totals.fine / totals.drafts,
        fallbacks=visible(totals.fallback.count, totals.fallback.people),
        median_seconds=None if totals.median_ms is None else totals.median_ms / 1000,
        entry_points=entry_points,
        per_100=per_100,
        votes=votes,
    )


def _entry_points(index: int, counts: DigestCounts, private: bool) -> dict[str, int | None]:
    cells = {ep: counts.entry_points.get((index, ep)) for ep in ENTRY_POINTS}
    shown: dict[str, int | None] = {
        ep: (None if private and cell and _private(cell.people) else (cell.count if cell else 0))
        for ep, cell in cells.items()
    }
    hidden = [ep for ep, value in shown.items() if value is None]
    if len(hidden) == 1:
        # One hidden cell is the total minus the others: hide the smallest other one too.
        others = [ep for ep, value in shown.items() if value]
        if others:
            shown[min(others, key=lambda ep: (shown[ep], ep))] = None
    return shown
