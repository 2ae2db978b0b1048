"""Review ids are made by the app (time-ordered 64-bit numbers, see bot/storage/reviews.py),
so a review can be posted with its vote buttons before its row is written. PostgreSQL's
``integer`` columns become ``bigint``; SQLite's INTEGER already holds 64 bits.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("reviews", "id"), ("review_findings", "review_id"),
           ("review_feedback", "review_id"))


def upgrade() -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table, column in COLUMNS:
        op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer(),
                        existing_nullable=False)


def downgrade() -> None:
    # The columns stay 64-bit: ids made by this version do not fit in 32 bits, and the
    # earlier versions read and write bigint columns as they did integer ones.
    pass
