"""Generated reviews and votes, stored through the app's own path, and the digest's counts
worked out from the generated list directly, with no database: the reference the roll-up
must match."""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.storage import ReviewRecord, Storage
from bot.storage.digests import Cell, DigestCounts, WeekTotals, Window
from bot.storage.records import LATENCY_EDGES_MS
from tests.storage.storage_helpers import PROCESS_TIMEOUT_S

TEAM = "T1"
AGENTS = ("U0", "U1", "U2", "U3", "U4", "U5")
GUIDELINES = ("dont-argue", "empathy", "no-blame", "ownership")  # ownership: only U4
# The digest's eight weeks end on Monday 30 November 2026; generated moments cover them with
# a day to spare on each side, which every time zone's local week fits in.
FIRST, LAST = datetime(2026, 10, 3, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC)
# No review in these UTC days, so a whole local week is empty in every zone...
EMPTY_DAYS = (datetime(2026, 10, 18, tzinfo=UTC), datetime(2026, 10, 27, tzinfo=UTC))
# ...and only two agents in these, so a whole local week is hidden in every zone.
TWO_AGENT_DAYS = (datetime(2026, 11, 8, tzinfo=UTC), datetime(2026, 11, 17, tzinfo=UTC))
ZONES = ("UTC", "Europe/Tallinn", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns",
         "Pacific/Chatham", "America/Los_Angeles")


@dataclass
class Made:
    """One generated review and the votes finally standing on it."""

    at: datetime
    user: str
    entry_point: str
    engine: str
    fallback: bool
    verdict: str
    latency_ms: int
    guidelines: tuple[str, ...]
    votes: dict[str, bool] = field(default_factory=dict)
    changed: dict[str, bool] = field(default_factory=dict)  # a first vote, replaced later
    id: int = 0


def generate(seed: int, edges: list[datetime], count: int = 300) -> list[Made]:
    """``count`` reviews at random moments, plus one just before and one right at each of
    ``edges`` (week boundaries), skipping the empty days and keeping the two-agent days."""
    rng = random.Random(seed)
    span = int((LAST - FIRST).total_seconds())
    moments = [FIRST + timedelta(seconds=rng.randrange(span)) for _ in range(count)]
    for edge in edges:
        moments += [edge - timedelta(seconds=1), edge, edge + timedelta(minutes=14, seconds=59)]
    made = []
    for at in moments:
        if EMPTY_DAYS[0] <= at < EMPTY_DAYS[1]:
            continue
        agents = AGENTS[:2] if TWO_AGENT_DAYS[0] <= at < TWO_AGENT_DAYS[1] else AGENTS
        user = rng.choice(agents)
        fallback = rng.random() < 0.1
        guidelines = tuple(rng.sample(GUIDELINES[:3], rng.choice((0, 0, 1, 2))))
        if user == "U4" and rng.random() < 0.5:
            guidelines += ("ownership",)
        latency = rng.choice((rng.randrange(150, 12_000), rng.randrange(600, 3_000),
                              rng.randrange(60_000, 90_000) if rng.random() < 0.05 else 900))
        review = Made(
            at=at, user=user,
            # Only U5 uses the shortcut: a cell from one agent.
            entry_point="shortcut" if user == "U5" and rng.random() < 0.5
            else rng.choice(("command", "reaction", "watch")),
            engine="offline" if fallback or rng.random() < 0.2 else "llm",
            fallback=fallback, verdict="needs_work" if guidelines else "ok",
            latency_ms=latency, guidelines=guidelines,
        )
        for voter in rng.sample((user, "ULEAD", *agents), rng.choice((0, 0, 1, 2))):
            review.votes[voter] = rng.random() < 0.7
            if rng.random() < 0.3:
                review.changed[voter] = not review.votes[voter]
        made.append(review)
    return made


def store(storage: Storage, made: list[Made]) -> None:
    """Store every review and vote the way the app does (changed votes first the other way)."""
    for review in made:
        review.id = storage.reviews.record(
            ReviewRecord(team_id=TEAM, channel_id="C1", user_id=review.user,
                         entry_point=review.entry_point, verdict=review.verdict,
                         guidelines=list(review.guidelines), engine=review.engine, model=None,
                         latency_ms=review.latency_ms, prompt_tokens=0, completion_tokens=0,
                         fallback=review.fallback),
            now=review.at,
        )
        for voter, helpful in review.changed.items():
            storage.reviews.record_feedback(review.id, voter, helpful, now=review.at)
        for voter, helpful in review.votes.items():
            storage.reviews.record_feedback(review.id, voter, helpful, now=review.at)


def week_index(window: Window, at: datetime) -> int | None:
    if not window.starts[0] <= at < window.end:
        return None
    return bisect_right(window.starts, at) - 1


def expected_counts(made: list[Made], window: Window) -> tuple[DigestCounts, dict[int, list[int]]]:
    """The digest's counts straight from the generated reviews, and each week's latencies."""
    counts = DigestCounts(weeks=window.weeks)
    weeks: dict[int, list[Made]] = defaultdict(list)
    for review in made:
        index = week_index(window, review.at)
        if index is not None:
            weeks[index].append(review)
    latencies = {}
    for index, reviews in weeks.items():
        fell_back = [r for r in reviews if r.fallback]
        counts.totals[index] = WeekTotals(
            drafts=len(reviews), agents=len({r.user for r in reviews}),
            fine=sum(r.verdict == "ok" for r in reviews),
            fallback=Cell(len(fell_back), len({r.user for r in fell_back})),
        )
        latencies[index] = [r.latency_ms for r in reviews]
        for entry_point in {r.entry_point for r in reviews}:
            used = [r for r in reviews if r.entry_point == entry_point]
            counts.entry_points[(index, entry_point)] = Cell(len(used), len({r.user for r in used}))
        for guideline in {g for r in reviews for g in r.guidelines}:
            found = [r for r in reviews if guideline in r.guidelines]
            counts.guidelines[(index, guideline)] = Cell(len(found), len({r.user for r in found}))
        for engine in {r.engine for r in reviews}:
            votes = [(voter, helpful) for r in reviews if r.engine == engine
                     for voter, helpful in r.votes.items()]
            if votes:
                yes = sum(helpful for _, helpful in votes)
                counts.votes[(index, engine)] = (yes, len(votes) - yes,
                                                 len({voter for voter, _ in votes}))
    return counts, latencies


def histogram_bucket(latency_ms: int) -> int:
    return bisect_right(LATENCY_EDGES_MS, latency_ms) - 1


def vote_worker(barrier: Any, url: str, review_id: int, rounds: int) -> None:
    """Change the same person's vote on one review back and forth, racing the others."""
    storage = Storage(url)
    storage.check()
    barrier.wait(PROCESS_TIMEOUT_S)
    for round_ in range(rounds):
        storage.reviews.record_feedback(review_id, "ULEAD", round_ % 2 == 0)
    storage.close()
