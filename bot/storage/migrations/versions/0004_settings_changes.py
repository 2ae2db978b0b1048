"""Settings changes: who watched, unwatched or changed the tips of a channel, and when.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Spelled out rather than imported from bot.storage: a migration keeps building the schema
# of its own day.
UTC_DATETIME = sa.DateTime(timezone=True)
ACTIONS = ("watch", "unwatch", "tips_on", "tips_off", "digest_on", "digest_off")


def upgrade() -> None:
    allowed = ", ".join(f"'{action}'" for action in ACTIONS)
    op.create_table(
        "settings_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(32), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("detail", sa.String(200), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_settings_changes"),
        sa.CheckConstraint(f"action IN ({allowed})", name="ck_settings_changes_action"),
    )
    op.create_index(
        "ix_settings_changes_team_id_channel_id_created_at",
        "settings_changes",
        ["team_id", "channel_id", "created_at"],
    )
    op.create_index(
        "ix_settings_changes_team_id_user_id", "settings_changes", ["team_id", "user_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_settings_changes_team_id_user_id", table_name="settings_changes")
    op.drop_index(
        "ix_settings_changes_team_id_channel_id_created_at", table_name="settings_changes"
    )
    op.drop_table("settings_changes")
