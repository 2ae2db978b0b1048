"""The weekly digest's storage: subscriptions, one claim per channel per week, and the
figures, aggregated in the database over a whole window of weeks at once.

Weeks are bucketed in the channel's time zone: the week boundaries (local midnights) are
worked out in Python with the zone's rules and passed to the query as UTC instants, which
PostgreSQL searches with ``width_bucket`` and SQLite with a chain of comparisons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    and_,
    bindparam,
    case,
    delete,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from bot.storage.database import Database, utc
from bot.storage.records import DigestSubscription
from bot.storage.schema import (
    DigestDelivery,
    DigestSubscriptionRow,
    Feedback,
    Finding,
    Review,
    UTCDateTime,
)

WEEK = timedelta(days=7)


@dataclass(frozen=True)
class Window:
    """Consecutive weeks: ``starts[i]`` is where week ``i`` begins (oldest first), ``end``
    where the last one ends; all UTC instants of local midnights in ``timezone``."""

    starts: tuple[datetime, ...]
    end: datetime
    timezone: str

    @property
    def weeks(self) -> int:
        return len(self.starts)


@dataclass(frozen=True)
class Cell:
    """A count and how many distinct people it was built from."""

    count: int = 0
    people: int = 0


@dataclass(frozen=True)
class WeekTotals:
    drafts: int = 0
    agents: int = 0
    fine: int = 0
    fallback: Cell = field(default_factory=Cell)
    median_ms: float | None = None


@dataclass
class DigestCounts:
    """Raw counts per week index (0 = oldest), before any privacy rule is applied."""

    weeks: int
    totals: dict[int, WeekTotals] = field(default_factory=dict)
    entry_points: dict[tuple[int, str], Cell] = field(default_factory=dict)
    guidelines: dict[tuple[int, str], Cell] = field(default_factory=dict)
    # (week, engine) -> (helpful votes, not helpful votes, distinct voters)
    votes: dict[tuple[int, str], tuple[int, int, int]] = field(default_factory=dict)


class DigestRepository:
    """Weekly digest subscriptions, delivery claims and figures."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- subscriptions ----------------------------------------------------------------------

    def subscribe(self, sub: DigestSubscription, *, now: datetime | None = None) -> None:
        """Create or replace the channel's digest schedule (clearing any pause)."""
        values = {
            "team_id": sub.team_id,
            "channel_id": sub.channel_id,
            "weekday": sub.weekday,
            "time": sub.time,
            "timezone": sub.timezone,
            "language": sub.language,
            "last_error": None,
            "last_error_at": None,
            "updated_at": utc(now),
        }
        statement = self.db.insert(DigestSubscriptionRow).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["team_id", "channel_id"],
            set_={name: statement.excluded[name] for name in values},
        )
        with self.db.transaction() as session:
            session.execute(statement)

    def unsubscribe(self, team_id: str, channel_id: str) -> bool:
        """Stop the channel's digest; False if it had none."""
        statement = delete(DigestSubscriptionRow).where(
            DigestSubscriptionRow.team_id == team_id,
            DigestSubscriptionRow.channel_id == channel_id,
        )
        with self.db.transaction() as session:
            return session.execute(statement).rowcount > 0

    def subscription(self, team_id: str, channel_id: str) -> DigestSubscription | None:
        """The channel's digest schedule, or None."""
        with self.db.transaction() as session:
            row = session.get(DigestSubscriptionRow, (team_id, channel_id))
            return None if row is None else _subscription(row)

    def subscriptions(self) -> list[DigestSubscription]:
        """Every channel's digest schedule, across workspaces, for the ticker."""
        statement = select(DigestSubscriptionRow).order_by(
            DigestSubscriptionRow.team_id, DigestSubscriptionRow.channel_id
        )
        with self.db.transaction() as session:
            return [_subscription(row) for row in session.scalars(statement)]

    def pause(self, team_id: str, channel_id: str, error: str, *,
              now: datetime | None = None) -> None:
        """Stop posting until someone subscribes again, remembering why."""
        with self.db.transaction() as session:
            session.execute(
                update(DigestSubscriptionRow)
                .where(
                    DigestSubscriptionRow.team_id == team_id,
                    DigestSubscriptionRow.channel_id == channel_id,
                )
                .values(last_error=error, last_error_at=utc(now))
            )

    # -- exactly-once delivery --------------------------------------------------------------

    def claim(self, team_id: str, channel_id: str, week_of: date, *,
              now: datetime | None = None) -> bool:
        """True for the one caller, in any process, that should post this week's digest."""
        statement = (
            self.db.insert(DigestDelivery)
            .values(team_id=team_id, channel_id=channel_id, week_of=week_of,
                    status="claimed", claimed_at=utc(now))
            .on_conflict_do_nothing(index_elements=["team_id", "channel_id", "week_of"])
        )
        with self.db.connection() as connection:
            return connection.execute(statement).rowcount == 1

    def finish(self, team_id: str, channel_id: str, week_of: date, status: str, *,
               error: str | None = None, now: datetime | None = None) -> None:
        """Mark the claimed week ``posted`` or ``failed``; ``error`` says what went wrong
        (a posted digest may carry one too: its chart could not be shared)."""
        if status not in ("posted", "failed"):
            raise ValueError(f"status must be posted or failed, not {status!r}")
        with self.db.transaction() as session:
            session.execute(
                update(DigestDelivery)
                .where(
                    DigestDelivery.team_id == team_id,
                    DigestDelivery.channel_id == channel_id,
                    DigestDelivery.week_of == week_of,
                )
                .values(status=status, error=error, finished_at=utc(now))
            )

    def delivery(self, team_id: str, channel_id: str, week_of: date
                 ) -> tuple[str, str | None] | None:
        """(status, error) of the channel's digest for that week, or None if not claimed."""
        with self.db.transaction() as session:
            row = session.get(DigestDelivery, (team_id, channel_id, week_of))
            return None if row is None else (row.status, row.error)

    # -- figures ----------------------------------------------------------------------------

    def teams(self) -> list[str]:
        """The workspaces with stored reviews, sorted."""
        statement = select(Review.team_id).distinct().order_by(Review.team_id)
        with self.db.connection() as connection:
            return list(connection.scalars(statement))

    def counts(self, team_id: str, window: Window, user_id: str | None = None) -> DigestCounts:
        """Every figure of the digest for the weeks of ``window``, one query per figure.

        ``user_id`` narrows it to one person (their own trend in App Home). Each query groups
        by week and person in the database; only those few rows are summed up here, so that
        "how many distinct agents" needs no DISTINCT (a sort) over every review.
        """
        counts = DigestCounts(weeks=window.weeks)
        figures = [
            partial(self._activity, window=window, team_id=team_id, user_id=user_id,
                    counts=counts),
            partial(self._guidelines, window=window, team_id=team_id, user_id=user_id,
                    counts=counts),
            partial(self._votes, window=window, team_id=team_id, user_id=user_id,
                    counts=counts),
            partial(self._medians, window=window, team_id=team_id, user_id=user_id),
        ]
        if self.db.engine.dialect.name == "postgresql":
            # Four scans of up to a million rows: each on its own connection at the same
            # time, so the server's cores share them (each query fills its own part of
            # ``counts``).
            with ThreadPoolExecutor(len(figures), thread_name_prefix="digest") as pool:
                results = list(pool.map(self._on_connection, figures))
        else:
            results = [self._on_connection(figure) for figure in figures]
        for index, median in results[-1].items():
            totals = counts.totals.get(index)
            if totals is not None:
                counts.totals[index] = replace(totals, median_ms=median)
        return counts

    def _on_connection(self, figure: Callable[[Connection], Any]) -> Any:
        with self.db.connection() as connection:
            if self.db.engine.dialect.name == "postgresql":
                # Compiling these one-off queries costs more than it saves; and sorting a
                # million latencies for the median needs more than the default 4 MB.
                connection.exec_driver_sql("SET LOCAL jit = off")
                connection.exec_driver_sql("SET LOCAL work_mem = '64MB'")
            return figure(connection)

    def _week(self, column: Any, window: Window) -> ColumnElement[int]:
        """The week index (0 = oldest) of ``column``'s moment within ``window``.

        The boundaries are local midnights worked out in Python with the zone's rules, so
        daylight-saving changes land where the channel's calendar says.
        """
        bounds = list(window.starts[1:])
        if not bounds:
            return literal(0, Integer).label("week")
        if self.db.engine.dialect.name == "postgresql":
            # A binary search over the sorted boundaries, per row.
            array = bindparam(None, bounds, type_=ARRAY(UTCDateTime()))
            return func.width_bucket(column, array).label("week")
        branches = [(column < start, index) for index, start in enumerate(bounds)]
        return case(*branches, else_=len(bounds)).label("week")

    def _reviews_in(self, window: Window, team_id: str, user_id: str | None
                    ) -> list[ColumnElement[bool]]:
        where = [Review.team_id == team_id, Review.created_at >= window.starts[0],
                 Review.created_at < window.end]
        return where + ([Review.user_id == user_id] if user_id is not None else [])

    def _activity(self, connection: Connection, *, window: Window, team_id: str,
                  user_id: str | None, counts: DigestCounts) -> None:
        """Drafts, agents, fine on the first check and fallbacks, per week and entry point."""
        week = self._week(Review.created_at, window)
        fine = func.sum(case((Review.verdict == "ok", 1), else_=0))
        fell_back = func.sum(case((Review.fallback, 1), else_=0))
        statement = (
            select(week, Review.user_id, Review.entry_point, func.count(), fine, fell_back)
            .where(*self._reviews_in(window, team_id, user_id))
            .group_by(week, Review.user_id, Review.entry_point)
        )
        drafts: dict[int, int] = defaultdict(int)
        oks: dict[int, int] = defaultdict(int)
        fallbacks: dict[int, int] = defaultdict(int)
        agents: dict[int, set[str]] = defaultdict(set)
        fallback_agents: dict[int, set[str]] = defaultdict(set)
        entry_drafts: dict[tuple[int, str], int] = defaultdict(int)
        entry_agents: dict[tuple[int, str], set[str]] = defaultdict(set)
        for index, person, entry_point, count, ok, fallback in connection.execute(statement):
            drafts[index] += count
            oks[index] += int(ok or 0)
            agents[index].add(person)
            if fallback:
                fallbacks[index] += int(fallback)
                fallback_agents[index].add(person)
            entry_drafts[(index, entry_point)] += count
            entry_agents[(index, entry_point)].add(person)
        for index in drafts:
            counts.totals[index] = WeekTotals(
                drafts[index], len(agents[index]), oks[index],
                Cell(fallbacks[index], len(fallback_agents[index])),
            )
        for key, count in entry_drafts.items():
            counts.entry_points[key] = Cell(count, len(entry_agents[key]))

    def _guidelines(self, connection: Connection, *, window: Window, team_id: str,
                    user_id: str | None, counts: DigestCounts) -> None:
        """Findings per guideline and week, and how many agents they came from."""
        if user_id is None:
            # The whole team: the findings' own index, no join.
            week = self._week(Finding.created_at, window)
            findings = select(week, Finding.guideline_id.label("guideline"),
                              func.count().label("n")).where(
                Finding.team_id == team_id, Finding.created_at >= window.starts[0],
                Finding.created_at < window.end,
            )
        else:
            # One person: their reviews by the (team, user, time) index, then their findings.
            week = self._week(Review.created_at, window)
            findings = (select(week, Finding.guideline_id.label("guideline"),
                               func.count().label("n"))
                        .join(Review, Review.id == Finding.review_id)
                        .where(*self._reviews_in(window, team_id, user_id)))
        per_person = findings.group_by(week, Finding.guideline_id, Finding.user_id).subquery()
        statement = (
            select(per_person.c.week, per_person.c.guideline, func.sum(per_person.c.n),
                   func.count())
            .group_by(per_person.c.week, per_person.c.guideline)
        )
        for index, guideline, findings, people in connection.execute(statement):
            counts.guidelines[(index, guideline)] = Cell(int(findings), people)

    def _votes(self, connection: Connection, *, window: Window, team_id: str,
               user_id: str | None, counts: DigestCounts) -> None:
        """Helpful and not helpful votes per engine, by the week of the review voted on."""
        week = self._week(Review.created_at, window)
        per_voter = (
            select(week, Review.engine.label("engine"),
                   func.sum(case((Feedback.helpful, 1), else_=0)).label("yes"),
                   func.count().label("votes"))
            .join(Feedback, Feedback.review_id == Review.id)
            .where(*self._reviews_in(window, team_id, user_id))
            .group_by(week, Review.engine, Feedback.user_id)
            .subquery()
        )
        statement = (
            select(per_voter.c.week, per_voter.c.engine, func.sum(per_voter.c.yes),
                   func.sum(per_voter.c.votes), func.count())
            .group_by(per_voter.c.week, per_voter.c.engine)
        )
        for index, engine, yes, votes, voters in connection.execute(statement):
            counts.votes[(index, engine)] = (int(yes), int(votes) - int(yes), voters)

    def _medians(self, connection: Connection, *, window: Window, team_id: str,
                 user_id: str | None) -> dict[int, float]:
        """Median review latency per week, in milliseconds."""
        week = self._week(Review.created_at, window)
        where = self._reviews_in(window, team_id, user_id)
        if self.db.engine.dialect.name == "postgresql":
            median = func.percentile_cont(0.5).within_group(Review.latency_ms)
            statement = select(week, median).where(*where).group_by(week)
            return {index: float(value) for index, value in connection.execute(statement)}
        # SQLite has no percentile function: number each week's latencies in order and
        # average the middle one (odd count) or two (even count).
        ranked = select(
            week,
            Review.latency_ms.label("latency"),
            func.row_number().over(partition_by=week, order_by=Review.latency_ms).label("rank"),
            func.count().over(partition_by=week).label("size"),
        ).where(*where).subquery()
        middle = and_(ranked.c.rank >= (ranked.c.size + 1) // 2,
                      ranked.c.rank <= ranked.c.size // 2 + 1)
        statement = (select(ranked.c.week, func.avg(ranked.c.latency))
                     .where(middle).group_by(ranked.c.week))
        return {index: float(value) for index, value in connection.execute(statement)}


def _subscription(row: DigestSubscriptionRow) -> DigestSubscription:
    return DigestSubscription(
        team_id=row.team_id,
        channel_id=row.channel_id,
        weekday=row.weekday,
        time=row.time,
        timezone=row.timezone,
        language=row.language,
        last_error=row.last_error,
        last_error_at=row.last_error_at,
        updated_at=row.updated_at,
    )
