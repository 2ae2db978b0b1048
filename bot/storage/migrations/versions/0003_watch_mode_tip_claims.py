"""Watched channels get a mode (top-level drafts only, or thread replies too); a tip delivery
is 'claimed' until Slack has accepted it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("watched_channels") as batch:
        batch.add_column(
            sa.Column("mode", sa.String(8), nullable=False, server_default="top")
        )
        batch.create_check_constraint("ck_watched_channels_mode", "mode IN ('top', 'replies')")
    with op.batch_alter_table("tip_deliveries") as batch:
        batch.drop_constraint("ck_tip_deliveries_status", type_="check")
        batch.create_check_constraint(
            "ck_tip_deliveries_status", "status IN ('claimed', 'posted', 'failed')"
        )


def downgrade() -> None:
    # A claim left unsettled counts as posted, as it did before this revision.
    op.execute("UPDATE tip_deliveries SET status = 'posted' WHERE status = 'claimed'")
    with op.batch_alter_table("tip_deliveries") as batch:
        batch.drop_constraint("ck_tip_deliveries_status", type_="check")
        batch.create_check_constraint("ck_tip_deliveries_status", "status IN ('posted', 'failed')")
    with op.batch_alter_table("watched_channels") as batch:
        batch.drop_constraint("ck_watched_channels_mode", type_="check")
        batch.drop_column("mode")
