"""disclosure log: entries, subtree roots, signed tree heads, state; append-only triggers

Revision ID: 0003
Revises: 0002
Create Date: 2026-06-01

The tables of :mod:`setu.security.models_audit`. ``audit_state`` starts with its single row
(an empty tree). Triggers refuse UPDATE and DELETE on ``audit_entry``, ``audit_node`` and
``audit_tree_head`` (and TRUNCATE on PostgreSQL): defence in depth, since someone with the
database's owner rights can drop them; what proves integrity is ``setu audit verify``.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import setu.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_TABLES = ("audit_entry", "audit_node", "audit_tree_head")
_MESSAGE = "the disclosure log is append-only"


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("leaf_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("recorded_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("principal", sa.String(length=128), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("leaf_index", name=op.f("pk_audit_entry")),
    )
    op.create_index("ix_audit_entry_kind", "audit_entry", ["kind", "leaf_index"])
    op.create_index("ix_audit_entry_principal", "audit_entry", ["principal", "leaf_index"])
    op.create_index("ix_audit_entry_recorded_at", "audit_entry", ["recorded_at"])
    op.create_table(
        "audit_node",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("node_index", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("node_hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "node_index", name=op.f("pk_audit_node")),
    )
    op.create_table(
        "audit_tree_head",
        sa.Column("tree_size", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("key_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=64), nullable=False),
        sa.PrimaryKeyConstraint("tree_size", name=op.f("pk_audit_tree_head")),
    )
    state = op.create_table(
        "audit_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("frontier", sa.LargeBinary(), nullable=False),
        sa.Column("head_size", sa.BigInteger(), nullable=False),
        sa.Column("head_timestamp_ms", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_audit_state_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_state")),
    )
    op.bulk_insert(
        state, [{"id": 1, "tree_size": 0, "frontier": b"", "head_size": 0, "head_timestamp_ms": 0}]
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table in APPEND_ONLY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}: {operation} on {table} refused'); END"
            )


def _postgres_triggers() -> None:
    op.execute(
        "CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{_MESSAGE}: % on % refused', TG_OP, TG_TABLE_NAME; END $$"
    )
    for table in APPEND_ONLY_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )


def downgrade() -> None:
    for table in ("audit_state", "audit_tree_head", "audit_node", "audit_entry"):
        op.drop_table(table)  # drops its triggers with it
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
