"""Weekly digest: subscriptions, one delivery claim per channel per week, a fallback flag on
reviews, findings that carry their review's workspace, author and time, and indexes from
which the digest's figures are read without touching the tables.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
DIGEST_COLUMNS = [
    "team_id", "created_at", "user_id", "entry_point", "verdict", "engine", "fallback",
    "latency_ms",
]


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        # Reviews stored before this revision cannot tell a fallback from a plain offline
        # review; they count as not fallen back.
        batch.add_column(
            sa.Column("fallback", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_reviews_digest", "reviews", DIGEST_COLUMNS, postgresql_include=["id"])

    # Findings carry their review's workspace, author and time, so that the digest counts
    # them from one index instead of joining every review of the window.
    with op.batch_alter_table("review_findings") as batch:
        batch.add_column(sa.Column("team_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("user_id", sa.String(32), nullable=True))
        batch.add_column(sa.Column("created_at", UTC_DATETIME, nullable=True))
    op.execute(
        "UPDATE review_findings SET "
        "team_id = (SELECT team_id FROM reviews WHERE reviews.id = review_findings.review_id), "
        "user_id = (SELECT user_id FROM reviews WHERE reviews.id = review_findings.review_id), "
        "created_at = (SELECT created_at FROM reviews WHERE reviews.id = review_findings.review_id)"
    )
    with op.batch_alter_table("review_findings") as batch:
        batch.alter_column("team_id", existing_type=sa.String(32), nullable=False)
        batch.alter_column("user_id", existing_type=sa.String(32), nullable=False)
        batch.alter_column("created_at", existing_type=UTC_DATETIME, nullable=False)
    op.create_index(
        "ix_review_findings_team_id_created_at_guideline_id_user_id",
        "review_findings",
        ["team_id", "created_at", "guideline_id", "user_id"],
    )

    op.create_table(
        "digest_subscriptions",
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("weekday", sa.String(3), nullable=False),
        sa.Column("time", sa.String(5), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", UTC_DATETIME, nullable=True),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("team_id", "channel_id", name="pk_digest_subscriptions"),
        sa.CheckConstraint(
            "weekday IN ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')",
            name="ck_digest_subscriptions_weekday",
        ),
    )
    op.create_table(
        "digest_deliveries",
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("week_of", sa.Date(), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("claimed_at", UTC_DATETIME, nullable=False),
        sa.Column("finished_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint(
            "team_id", "channel_id", "week_of", name="pk_digest_deliveries"
        ),
        sa.CheckConstraint(
            "status IN ('claimed', 'posted', 'failed')", name="ck_digest_deliveries_status"
        ),
    )


def downgrade() -> None:
    op.drop_table("digest_deliveries")
    op.drop_table("digest_subscriptions")
    op.drop_index(
        "ix_review_findings_team_id_created_at_guideline_id_user_id",
        table_name="review_findings",
    )
    with op.batch_alter_table("review_findings") as batch:
        batch.drop_column("created_at")
        batch.drop_column("user_id")
        batch.drop_column("team_id")
    op.drop_index("ix_reviews_digest", table_name="reviews")
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("fallback")
