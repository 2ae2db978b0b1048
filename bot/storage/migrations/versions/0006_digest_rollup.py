"""The digest's roll-up: counts per workspace, bucket (UTC day and UTC quarter hour), person,
entry point and engine, and findings per guideline in the same buckets; filled here from the
reviews, findings and votes already stored (see bot/storage/rollup.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
# The histogram's bucket starts as this revision made them (bot/storage/records.py may move
# on; this backfill must not).
LATENCY_EDGES_MS = (
    0, *range(250, 5_000, 250), *range(5_000, 10_000, 500),
    10_000, 12_500, 15_000, 20_000, 30_000, 60_000,
)
LATENCY = [f"latency_{index:02d}" for index in range(len(LATENCY_EDGES_MS))]
COUNTERS = ["checked", "fine", "fallbacks", "helpful", "not_helpful", *LATENCY]
SPANS = ("day", "quarter")

reviews = sa.table(
    "reviews", sa.column("id"), sa.column("team_id"), sa.column("user_id"),
    sa.column("entry_point"), sa.column("engine"), sa.column("verdict"),
    sa.column("fallback", sa.Boolean()), sa.column("latency_ms"), sa.column("created_at"),
)
feedback = sa.table(
    "review_feedback", sa.column("review_id"), sa.column("user_id"),
    sa.column("helpful", sa.Boolean()),
)
findings = sa.table(
    "review_findings", sa.column("team_id"), sa.column("user_id"), sa.column("guideline_id"),
    sa.column("created_at"),
)


def _counter(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=False, server_default="0")


def _bucket_columns() -> list[sa.Column]:
    return [
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("span", sa.String(7), nullable=False),
        sa.Column("bucket", UTC_DATETIME, nullable=False),
        sa.Column("user_id", sa.String(32), nullable=False),
    ]


def _create(table: str, *columns: sa.Column, key: list[str]) -> None:
    """A roll-up table with its key, span check and the indexes forget-me and the purge use."""
    op.create_table(
        table,
        *_bucket_columns(),
        *columns,
        sa.PrimaryKeyConstraint("team_id", "span", "bucket", "user_id", *key,
                                name=f"pk_{table}"),
        sa.CheckConstraint("span IN ('day', 'quarter')", name=f"ck_{table}_span"),
    )
    op.create_index(f"ix_{table}_user_id_team_id", table, ["user_id", "team_id"])
    op.create_index(f"ix_{table}_bucket", table, ["bucket"])


def upgrade() -> None:
    _create("review_rollup",
            sa.Column("entry_point", sa.String(16), nullable=False),
            sa.Column("engine", sa.String(16), nullable=False),
            *(_counter(name) for name in COUNTERS),
            key=["entry_point", "engine"])
    _create("finding_rollup",
            sa.Column("guideline_id", sa.String(64), nullable=False),
            _counter("findings"),
            key=["guideline_id"])
    _backfill(op.get_bind().dialect.name)


def downgrade() -> None:
    op.drop_table("finding_rollup")
    op.drop_table("review_rollup")


def _bucket(span: str, moment: sa.ColumnElement, dialect: str) -> sa.ColumnElement:
    """The start of ``moment``'s UTC day or quarter hour, stored the way the app stores it."""
    if dialect == "postgresql":
        # Literals rather than parameters, so that the grouping sees one expression.
        if span == "day":
            return sa.func.date_trunc(sa.literal_column("'day'"), moment,
                                      sa.literal_column("'UTC'"))
        seconds = sa.func.floor(sa.extract("epoch", moment) / sa.literal_column("900"))
        return sa.func.to_timestamp(seconds * sa.literal_column("900"))
    # SQLite keeps UTC as naive text, 'YYYY-MM-DD HH:MM:SS.ffffff' (SQLAlchemy's format).
    if span == "day":
        return sa.func.strftime("%Y-%m-%d 00:00:00.000000", moment)
    minute = sa.cast(sa.func.strftime("%M", moment), sa.Integer) // 15 * 15
    return sa.func.strftime("%Y-%m-%d %H:", moment).concat(
        sa.func.printf("%02d", minute)).concat(":00.000000")


def _latency_counts() -> list[sa.ColumnElement]:
    edges = [*LATENCY_EDGES_MS, None]
    counts = []
    for name, low, high in zip(LATENCY, edges, edges[1:], strict=False):
        inside = reviews.c.latency_ms >= low
        if high is not None:
            inside = sa.and_(inside, reviews.c.latency_ms < high)
        counts.append(sa.case((inside, 1), else_=0).label(name))
    return counts


def _backfill(dialect: str) -> None:
    zero = sa.literal_column("0")
    parts = []
    for span in SPANS:
        key = [reviews.c.team_id, sa.literal_column(f"'{span}'").label("span"),
               _bucket(span, reviews.c.created_at, dialect).label("bucket")]
        parts.append(sa.select(
            *key, reviews.c.user_id, reviews.c.entry_point, reviews.c.engine,
            sa.literal_column("1").label("checked"),
            sa.case((reviews.c.verdict == "ok", 1), else_=0).label("fine"),
            sa.case((reviews.c.fallback, 1), else_=0).label("fallbacks"),
            zero.label("helpful"), zero.label("not_helpful"), *_latency_counts(),
        ))
        # Votes count under the voter, in the buckets of the review voted on.
        parts.append(sa.select(
            *key, feedback.c.user_id, reviews.c.entry_point, reviews.c.engine,
            zero.label("checked"), zero.label("fine"), zero.label("fallbacks"),
            sa.case((feedback.c.helpful, 1), else_=0).label("helpful"),
            sa.case((feedback.c.helpful, 0), else_=1).label("not_helpful"),
            *(zero.label(name) for name in LATENCY),
        ).join_from(feedback, reviews, reviews.c.id == feedback.c.review_id))
    rows = sa.union_all(*parts).subquery()
    keys = ["team_id", "span", "bucket", "user_id", "entry_point", "engine"]
    rollup = sa.table("review_rollup", *(sa.column(name) for name in keys + COUNTERS))
    op.execute(rollup.insert().from_select(
        keys + COUNTERS,
        sa.select(*(rows.c[name] for name in keys),
                  *(sa.func.sum(rows.c[name]) for name in COUNTERS))
        .group_by(*(rows.c[name] for name in keys))
        # In key order, so that a workspace's weeks lie together on disk, as they do when
        # rows are added one review at a time.
        .order_by(*(rows.c[name] for name in keys)),
    ))

    finding_keys = ["team_id", "span", "bucket", "user_id", "guideline_id"]
    finding_rollup = sa.table("finding_rollup",
                              *(sa.column(name) for name in finding_keys + ["findings"]))
    found = sa.union_all(*(
        sa.select(findings.c.team_id, sa.literal_column(f"'{span}'").label("span"),
                  _bucket(span, findings.c.created_at, dialect).label("bucket"),
                  findings.c.user_id, findings.c.guideline_id)
        for span in SPANS
    )).subquery()
    op.execute(finding_rollup.insert().from_select(
        finding_keys + ["findings"],
        sa.select(*(found.c[name] for name in finding_keys), sa.func.count())
        .group_by(*(found.c[name] for name in finding_keys))
        .order_by(*(found.c[name] for name in finding_keys)),
    ))
