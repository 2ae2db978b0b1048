"""Reviews keep cached prompt tokens and reasoning tokens apart, for costs.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("cached_tokens", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("reasoning_tokens", sa.Integer(), nullable=False,
                                   server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("reasoning_tokens")
        batch.drop_column("cached_tokens")
