"""security release: standing rules, release requests, consents, holdings, notices

Revision ID: security_release
Revises: security_principals
Create Date: 2026-12-01

Tables of :mod:`setu.security.models_release`: standing release rules and release requests
(issue 8 "Release"), third-party consents (R5, R6), the register of received items and the
re-classification notices applied to them (R11), retention periods per purpose and destruction
records (R12), loss or compromise notices (R13). All start empty.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import setu.db.types

revision: str = "security_release"
down_revision: str | None = "security_principals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "security_compromise",
        sa.Column("notice_id", sa.String(length=32), nullable=False),
        sa.Column("originator_nation", sa.String(length=3), nullable=False),
        sa.Column("originator_node", sa.String(length=64), nullable=False),
        sa.Column("object_ids", sa.JSON(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(length=64), nullable=False),
        sa.Column("reported_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("notify_by", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("notified_at", setu.db.types.UtcDateTime(), nullable=True),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("audit_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("notice_id", name=op.f("pk_security_compromise")),
    )
    op.create_table(
        "security_consent",
        sa.Column("consent_id", sa.String(length=32), nullable=False),
        sa.Column(
            "direction",
            sa.Enum("granted", "received", name="consentdirection", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("originator_nation", sa.String(length=3), nullable=False),
        sa.Column("originator_node", sa.String(length=64), nullable=False),
        sa.Column("recipient_nation", sa.String(length=3), nullable=False),
        sa.Column("object_ids", sa.JSON(), nullable=False),
        sa.Column("issued_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("stored_by", sa.String(length=64), nullable=False),
        sa.Column("stored_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("consent_id", name=op.f("pk_security_consent")),
    )
    with op.batch_alter_table("security_consent", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_security_consent_recipient_nation"), ["recipient_nation"], unique=False
        )

    op.create_table(
        "security_destruction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object_kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=256), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("received_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("destroyed_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("destroyed_by", sa.String(length=64), nullable=False),
        sa.Column("audit_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_destruction")),
    )
    op.create_table(
        "security_held_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object_kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=256), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("source_node", sa.String(length=64), nullable=False),
        sa.Column("received_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("destroyed_at", setu.db.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_held_item")),
        sa.UniqueConstraint("object_id", name=op.f("uq_security_held_item_object_id")),
    )
    op.create_table(
        "security_reclassification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=256), nullable=False),
        sa.Column("old_label", sa.JSON(), nullable=False),
        sa.Column("new_label", sa.JSON(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("applied_by", sa.String(length=64), nullable=False),
        sa.Column("applied_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("audit_index", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_reclassification")),
    )
    with op.batch_alter_table("security_reclassification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_security_reclassification_notice_id"), ["notice_id"], unique=False
        )

    op.create_table(
        "security_release_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object_kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=256), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("observed_at", setu.db.types.UtcDateTime(), nullable=True),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("recipient_nation", sa.String(length=3), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued", "released", "refused", name="releasestate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", setu.db.types.UtcDateTime(), nullable=True),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("consent_id", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("audit_index", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_release_request")),
    )
    with op.batch_alter_table("security_release_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_security_release_request_object_id"), ["object_id"], unique=False
        )

    op.create_table(
        "security_release_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("object_kind", sa.String(length=32), nullable=False),
        sa.Column("max_level", sa.String(length=64), nullable=False),
        sa.Column("max_rank", sa.Integer(), nullable=False),
        sa.Column("nations", sa.JSON(), nullable=False),
        sa.Column("purposes", sa.JSON(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=True),
        sa.Column("min_lat", sa.Float(), nullable=True),
        sa.Column("max_lon", sa.Float(), nullable=True),
        sa.Column("max_lat", sa.Float(), nullable=True),
        sa.Column("valid_from", setu.db.types.UtcDateTime(), nullable=True),
        sa.Column("valid_until", setu.db.types.UtcDateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_release_rule")),
    )
    op.create_table(
        "security_retention",
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("purpose", name=op.f("pk_security_retention")),
    )


def downgrade() -> None:
    op.drop_table("security_retention")
    op.drop_table("security_release_rule")
    with op.batch_alter_table("security_release_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_release_request_object_id"))

    op.drop_table("security_release_request")
    with op.batch_alter_table("security_reclassification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_reclassification_notice_id"))

    op.drop_table("security_reclassification")
    op.drop_table("security_held_item")
    op.drop_table("security_destruction")
    with op.batch_alter_table("security_consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_security_consent_recipient_nation"))

    op.drop_table("security_consent")
    op.drop_table("security_compromise")
