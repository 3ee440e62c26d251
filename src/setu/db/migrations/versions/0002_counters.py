"""named counters: gapless numbering and write locks under concurrent processes

Revision ID: 0002
Revises: 0001
Create Date: 2026-06-01

``setu_counter`` holds one row per number series (ACSA order numbers per parties and year) and
per named write lock (:mod:`setu.db.counters`). It starts empty: a series that existed before
continues after its highest number, found when the series is first used.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "setu_counter",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_setu_counter")),
    )


def downgrade() -> None:
    op.drop_table("setu_counter")
