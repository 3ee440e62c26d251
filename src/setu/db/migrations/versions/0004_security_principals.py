"""security principals: users, partner nodes and API tokens

Revision ID: security_principals
Revises: 0003
Create Date: 2026-06-02

``security_principal`` holds users and partner nodes (nation, clearance in the nation's own
scheme, need-to-know groups, roles, contractor and disabled flags, argon2id password hash);
``security_api_token`` holds API tokens as SHA-256 digests under a public lookup id
(:mod:`setu.security.models_principals`). Both start empty.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import setu.db.types

revision: str = "security_principals"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "security_principal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("user", "node", name="principalkind", native_enum=False, length=8),
            nullable=False,
        ),
        sa.Column("nation", sa.String(length=3), nullable=False),
        sa.Column("clearance", sa.String(length=32), nullable=False),
        sa.Column("need_to_know", sa.JSON(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("contractor", sa.Boolean(), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_principal")),
        sa.UniqueConstraint("name", name=op.f("uq_security_principal_name")),
    )
    op.create_table(
        "security_api_token",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("principal_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", setu.db.types.UtcDateTime(), nullable=True),
        sa.Column("revoked_at", setu.db.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["security_principal.id"],
            name=op.f("fk_security_api_token_principal_id_security_principal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_api_token")),
    )
    with op.batch_alter_table("security_api_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_security_api_token_principal_id"), ["principal_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("security_api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_api_token_principal_id"))

    op.drop_table("security_api_token")
    op.drop_table("security_principal")
