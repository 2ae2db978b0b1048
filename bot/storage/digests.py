"""The weekly digest's storage: subscriptions, one claim per channel per week, and the
figures, summed in the database from the roll-up (bot/storage/rollup.py) over a whole window
of weeks at once.

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
    Select,
    Subquery,
    Table,
    and_,
    bindparam,
    case,
    func,
    literal,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from bot.storage.database import Database, utc
from bot.storage.records import DigestSubscription
from bot.storage.rollup import LATENCY_COLUMNS, CutDay, cut_days, histogram_median
from bot.storage.schedules import ChannelSchedules
from bot.storage.schema import (
    DigestDelivery,
    DigestSubscriptionRow,
    UTCDateTime,
    finding_rollup,
    review_rollup,
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
        self._schedules = ChannelSchedules(db, DigestSubscriptionRow, _subscription)

    # -- subscriptions ----------------------------------------------------------------------

    def subscribe(self, sub: DigestSubscription, *, now: datetime | None = None) -> None:
        """Create or replace the channel's digest schedule (clearing any pause)."""
        self._schedules.put({
            "team_id": sub.team_id,
            "channel_id": sub.channel_id,
            "weekday": sub.weekday,
            "time": sub.time,
            "timezone": sub.timezone,
            "language": sub.language,
        }, now=now)

    def unsubscribe(self, team_id: str, channel_id: str) -> bool:
        """Stop the channel's digest; False if it had none."""
        return self._schedules.remove(team_id, channel_id)

    def subscription(self, team_id: str, channel_id: str) -> DigestSubscription | None:
        """The channel's digest schedule, or None."""
        return self._schedules.get(team_id, channel_id)

    def subscriptions(self) -> list[DigestSubscription]:
        """Every channel's digest schedule, across workspaces, for the ticker."""
        return self._schedules.all()

    def pause(self, team_id: str, channel_id: str, error: str, *,
              now: datetime | None = None) -> None:
        """Stop posting until someone subscribes again, remembering why."""
        with self.db.transaction() as session:
            session.execute(self._schedules.pause(team_id, channel_id, error, now=now))

    # -- exactly-once delivery --------------------------------------------------------------

    def claim(self, team_id: str, channel_id: str, week_of: date, *,
              now: datetime | None = None) -> bool:
        """True for the one caller, in any process, that should post this week's digest.

        A week whose earlier attempt ``failed`` can be claimed again, as a day's tip can.
        """
        statement = (
            self.db.insert(DigestDelivery)
            .values(team_id=team_id, channel_id=channel_id, week_of=week_of,
                    status="claimed", claimed_at=utc(now))
            .on_conflict_do_nothing(index_elements=["team_id", "channel_id", "week_of"])
        )
        retry = (
            update(DigestDelivery)
            .where(*self._week_key(team_id, channel_id, week_of),
                   DigestDelivery.status == "failed")
            .values(status="claimed", error=None, claimed_at=utc(now), finished_at=None)
        )
        with self.db.transaction() as session:
            if session.execute(statement).rowcount == 1:
                return True
            # Another instance may retry at the same moment: the status check decides.
            return session.execute(retry).rowcount == 1

    def finish(self, team_id: str, channel_id: str, week_of: date, status: str, *,
               error: str | None = None, now: datetime | None = None) -> None:
        """Mark the claimed week ``posted`` or ``failed``; ``error`` says what went wrong
        (a posted digest may carry one too: its chart could not be shared)."""
        if status not in ("posted", "failed"):
            raise ValueError(f"status must be posted or failed, not {status!r}")
        with self.db.transaction() as session:
            session.execute(
                update(DigestDelivery)
                .where(*self._week_key(team_id, channel_id, week_of))
                .values(status=status, error=error, finished_at=utc(now))
            )

    @staticmethod
    def _week_key(team_id: str, channel_id: str, week_of: date) -> tuple:
        return (DigestDelivery.team_id == team_id, DigestDelivery.channel_id == channel_id,
                DigestDelivery.week_of == week_of)

    def delivery(self, team_id: str, channel_id: str, week_of: date
                 ) -> tuple[str, str | None] | None:
        """(status, error) of the channel's digest for that week, or None if not claimed."""
        with self.db.transaction() as session:
            row = session.get(DigestDelivery, (team_id, channel_id, week_of))
            return None if row is None else (row.status, row.error)

    # -- figures ----------------------------------------------------------------------------

    def teams(self) -> list[str]:
        """The workspaces with counted reviews, sorted."""
        statement = select(review_rollup.c.team_id).distinct().order_by(review_rollup.c.team_id)
        with self.db.connection() as connection:
            return list(connection.scalars(statement))

    def counts(self, team_id: str, window: Window, user_id: str | None = None) -> DigestCounts:
        """Every figure of the digest for the weeks of ``window``, read from the roll-up.

        ``user_id`` narrows it to one person (their own trend in App Home: their reviews, and
        the votes they cast). Each query groups by week (and person, where people are
        counted) in the database; only those few rows are summed up here.
        """
        counts = DigestCounts(weeks=window.weeks)
        figures = [
            partial(self._activity, window=window, team_id=team_id, user_id=user_id,
                    counts=counts),
            partial(self._guidelines, window=window, team_id=team_id, user_id=user_id,
                    counts=counts),
            partial(self._medians, window=window, team_id=team_id, user_id=user_id),
        ]
        if self.db.engine.dialect.name == "postgresql":
            # Each query on its own connection at the same time, so the server's cores share
            # them (each fills its own part of ``counts``).
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
                # Compiling these one-off queries costs more than it saves.
                connection.exec_driver_sql("SET LOCAL jit = off")
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

    def _weekly(self, table: Table, window: Window, team_id: str, user_id: str | None,
                keys: list[str], counters: list[str]) -> Subquery:
        """The roll-up rows that make up ``window``, each with its week index: ``keys`` as
        they are and ``counters`` signed, to be summed per week (see bot/storage/rollup.py).

        Whole UTC days inside one week count as they are. A day a boundary cuts in two
        gives its shorter side from quarter hours, and its longer side as the day's row minus
        those same quarter hours.
        """
        cuts = cut_days(window.starts, window.end)
        bucket = table.c.bucket
        mine = [table.c.team_id == team_id]
        mine += [table.c.user_id == user_id] if user_id is not None else []

        def rows(week: ColumnElement[int], sign: int, *where: ColumnElement[bool]) -> Select:
            signed = [(table.c[name] if sign > 0 else -table.c[name]).label(name)
                      for name in counters]
            return select(week.label("week"), *(table.c[name] for name in keys), *signed
                          ).where(*mine, *where)

        def short_side(cut: CutDay) -> ColumnElement[bool]:
            return and_(bucket >= cut.short_start, bucket < cut.short_end)

        parts = [rows(self._week(bucket, window), 1, table.c.span == "day",
                      bucket >= window.starts[0], bucket < window.end,
                      bucket.not_in([cut.day for cut in cuts]))]
        for cut in cuts:
            if cut.long_week is not None:
                long_week = literal(cut.long_week, Integer)
                parts.append(rows(long_week, 1, table.c.span == "day", bucket == cut.day))
                parts.append(rows(long_week, -1, table.c.span == "quarter", short_side(cut)))
            if cut.short_week is not None:
                parts.append(rows(literal(cut.short_week, Integer), 1,
                                  table.c.span == "quarter", short_side(cut)))
        return union_all(*parts).subquery()

    def _activity(self, connection: Connection, *, window: Window, team_id: str,
                  user_id: str | None, counts: DigestCounts) -> None:
        """Drafts, agents, fine on the first check, fallbacks and votes, per week."""
        keys = ["user_id", "entry_point", "engine"]
        numbers = ["checked", "fine", "fallbacks", "helpful", "not_helpful"]
        rows = self._weekly(review_rollup, window, team_id, user_id, keys, numbers)
        grouping = [rows.c.week, *(rows.c[name] for name in keys)]
        statement = (select(*grouping, *(func.sum(rows.c[name]) for name in numbers))
                     .group_by(*grouping))
        drafts: dict[int, int] = defaultdict(int)
        oks: dict[int, int] = defaultdict(int)
        fallbacks: dict[int, int] = defaultdict(int)
        agents: dict[int, set[str]] = defaultdict(set)
        fallback_agents: dict[int, set[str]] = defaultdict(set)
        entry_drafts: dict[tuple[int, str], int] = defaultdict(int)
        entry_agents: dict[tuple[int, str], set[str]] = defaultdict(set)
        yes: dict[tuple[int, str], int] = defaultdict(int)
        no: dict[tuple[int, str], int] = defaultdict(int)
        voters: dict[tuple[int, str], set[str]] = defaultdict(set)
        for index, person, entry_point, engine, *numbers in connection.execute(statement):
            count, ok, fallback, helpful, not_helpful = (int(n or 0) for n in numbers)
            if count:  # a row may hold only the person's votes on others' reviews
                drafts[index] += count
                oks[index] += ok
                agents[index].add(person)
                entry_drafts[(index, entry_point)] += count
                entry_agents[(index, entry_point)].add(person)
            if fallback:
                fallbacks[index] += fallback
                fallback_agents[index].add(person)
            if helpful or not_helpful:
                yes[(index, engine)] += helpful
                no[(index, engine)] += not_helpful
                voters[(index, engine)].add(person)
        for index in drafts:
            counts.totals[index] = WeekTotals(
                drafts[index], len(agents[index]), oks[index],
                Cell(fallbacks[index], len(fallback_agents[index])),
            )
        for key, count in entry_drafts.items():
            counts.entry_points[key] = Cell(count, len(entry_agents[key]))
        for key, people in voters.items():
            counts.votes[key] = (yes[key], no[key], len(people))

    def _guidelines(self, connection: Connection, *, window: Window, team_id: str,
                    user_id: str | None, counts: DigestCounts) -> None:
        """Findings per guideline and week, and how many agents they came from."""
        rows = self._weekly(finding_rollup, window, team_id, user_id,
                            ["guideline_id", "user_id"], ["findings"])
        per_person = (
            select(rows.c.week, rows.c.guideline_id.label("guideline"),
                   func.sum(rows.c.findings).label("n"))
            .group_by(rows.c.week, rows.c.guideline_id, rows.c.user_id)
            .having(func.sum(rows.c.findings) > 0)
            .subquery()
        )
        statement = (
            select(per_person.c.week, per_person.c.guideline, func.sum(per_person.c.n),
                   func.count())
            .group_by(per_person.c.week, per_person.c.guideline)
        )
        for index, guideline, findings, people in connection.execute(statement):
            counts.guidelines[(index, guideline)] = Cell(int(findings), people)

    def _medians(self, connection: Connection, *, window: Window, team_id: str,
                 user_id: str | None) -> dict[int, float]:
        """Median review latency per week in milliseconds, read from the histogram."""
        rows = self._weekly(review_rollup, window, team_id, user_id, [], list(LATENCY_COLUMNS))
        statement = (select(rows.c.week, *(func.sum(rows.c[name]) for name in LATENCY_COLUMNS))
                     .group_by(rows.c.week))
        medians = {}
        for index, *histogram in connection.execute(statement):
            median = histogram_median([int(count or 0) for count in histogram])
            if median is not None:
                medians[index] = median
        return medians


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
