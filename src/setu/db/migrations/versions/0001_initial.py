"""operational schema: cooperation framework and ACSA ledger

Revision ID: 0001
Revises: (none)
Create Date: 2026-05-20
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import setu.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "acsa_balance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("creditor", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=False),
        sa.Column("debtor", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", setu.db.types.Money(), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("updated_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_balance")),
        sa.UniqueConstraint("creditor", "debtor", "currency", name="uq_balance"),
    )
    op.create_table(
        "acsa_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("agreement_ref", sa.String(length=64), nullable=False),
        sa.Column(
            "activity",
            sa.Enum(
                "bilateral_training",
                "un_peacekeeping",
                "humanitarian_relief",
                "disaster_response",
                "evacuation",
                "other_agreed",
                name="activity",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("activity_detail", sa.Text(), nullable=False),
        sa.Column(
            "requesting", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=False
        ),
        sa.Column(
            "supplying", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=False
        ),
        sa.Column(
            "settlement",
            sa.Enum(
                "cash",
                "replacement_in_kind",
                "equal_value_exchange",
                name="settlement",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "draft",
                "signed",
                "issued",
                "received",
                "invoiced",
                "settled",
                "closed",
                "overdue",
                "disputed",
                name="orderstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "state_before_dispute",
            sa.Enum(
                "draft",
                "signed",
                "issued",
                "received",
                "invoiced",
                "settled",
                "closed",
                "overdue",
                "disputed",
                name="orderstate",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("requisition_ref", sa.String(length=80), nullable=False),
        sa.Column("delivery_place", sa.String(length=200), nullable=False),
        sa.Column("created_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("invoiced_at", setu.db.types.UtcDateTime(), nullable=True),
        sa.Column("settle_by", setu.db.types.UtcDateTime(), nullable=True),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_order")),
        sa.UniqueConstraint("number", name=op.f("uq_acsa_order_number")),
    )
    with op.batch_alter_table("acsa_order", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_acsa_order_state"), ["state"], unique=False)

    op.create_table(
        "coop_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parties", sa.JSON(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("signed_precision", sa.String(length=8), nullable=False),
        sa.Column("place", sa.String(length=128), nullable=True),
        sa.Column("entry_into_force", sa.Date(), nullable=True),
        sa.Column("term_years", sa.Integer(), nullable=True),
        sa.Column("renewal", sa.Text(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "under_negotiation",
                "signed",
                "in_force",
                "superseded",
                "expired",
                "terminated",
                name="agreementstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("created_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_agreement")),
        sa.UniqueConstraint("key", name=op.f("uq_coop_agreement_key")),
    )
    op.create_table(
        "coop_seed_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("applied_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_seed_run")),
        sa.UniqueConstraint("name", name=op.f("uq_coop_seed_run_name")),
    )
    op.create_table(
        "acsa_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "requisition",
                "receipt",
                "invoice",
                "settlement",
                "other",
                name="attachmentkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=120), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("added_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("added_by", sa.String(length=120), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["acsa_order.id"],
            name=op.f("fk_acsa_attachment_order_id_acsa_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_attachment")),
    )
    op.create_table(
        "acsa_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "invoice",
                "cash",
                "replacement_in_kind",
                "equal_value_exchange",
                name="entrykind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("creditor", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=False),
        sa.Column("debtor", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", setu.db.types.Money(), nullable=False),
        sa.Column("at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.Column("prev_digest", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["acsa_order.id"], name=op.f("fk_acsa_entry_order_id_acsa_order")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_entry")),
        sa.UniqueConstraint("digest", name=op.f("uq_acsa_entry_digest")),
    )
    with op.batch_alter_table("acsa_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_acsa_entry_order_id"), ["order_id"], unique=False)

    op.create_table(
        "acsa_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "food",
                "water",
                "billeting",
                "transportation",
                "petroleum_oils_lubricants",
                "clothing",
                "communications",
                "medical",
                "storage",
                "use_of_facilities",
                "training",
                "spare_parts",
                "repair_maintenance",
                "calibration",
                "port_airport_services",
                name="category",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("quantity", setu.db.types.Money(), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("unit_price", setu.db.types.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["acsa_order.id"],
            name=op.f("fk_acsa_line_order_id_acsa_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_line")),
        sa.UniqueConstraint("order_id", "line_no", name="uq_line"),
    )
    op.create_table(
        "acsa_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("signed_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["acsa_order.id"],
            name=op.f("fk_acsa_signature_order_id_acsa_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_signature")),
        sa.UniqueConstraint("order_id", "party", name="uq_signature"),
    )
    op.create_table(
        "acsa_transition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_state",
            sa.Enum(
                "draft",
                "signed",
                "issued",
                "received",
                "invoiced",
                "settled",
                "closed",
                "overdue",
                "disputed",
                name="orderstate",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_state",
            sa.Enum(
                "draft",
                "signed",
                "issued",
                "received",
                "invoiced",
                "settled",
                "closed",
                "overdue",
                "disputed",
                name="orderstate",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["acsa_order.id"],
            name=op.f("fk_acsa_transition_order_id_acsa_order"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acsa_transition")),
    )
    with op.batch_alter_table("acsa_transition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_acsa_transition_order_id"), ["order_id"], unique=False)

    op.create_table(
        "coop_agreement_relation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_id", sa.Integer(), nullable=False),
        sa.Column("to_id", sa.Integer(), nullable=False),
        sa.Column(
            "relation",
            sa.Enum(
                "implements",
                "supersedes",
                "amends",
                "builds_on",
                name="relation",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["from_id"],
            ["coop_agreement.id"],
            name=op.f("fk_coop_agreement_relation_from_id_coop_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["to_id"],
            ["coop_agreement.id"],
            name=op.f("fk_coop_agreement_relation_to_id_coop_agreement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_agreement_relation")),
        sa.UniqueConstraint("from_id", "to_id", "relation", name="uq_relation"),
    )
    op.create_table(
        "coop_mechanism",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.Integer(), nullable=True),
        sa.Column("section_title", sa.Text(), nullable=True),
        sa.Column("subsection", sa.String(length=128), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "dialogue",
                "exercise",
                "exchange",
                "information_exchange",
                "cooperation",
                name="mechanismkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "cadence",
            sa.Enum(
                "annual",
                "twice_a_year",
                "once_a_year",
                "regular",
                "when_possible",
                "on_occasion",
                "unspecified",
                name="cadence",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("slots_per_year", sa.Integer(), nullable=False),
        sa.Column("owners", sa.JSON(), nullable=False),
        sa.Column("level", sa.Text(), nullable=True),
        sa.Column(
            "alternation",
            sa.Enum("none", "host", "waters", name="alternation", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("anchor_year", sa.Integer(), nullable=True),
        sa.Column(
            "anchor_host", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=True
        ),
        sa.Column("preferred_month", sa.Integer(), nullable=True),
        sa.Column("duration_days", sa.Integer(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["coop_agreement.id"],
            name=op.f("fk_coop_mechanism_agreement_id_coop_agreement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_mechanism")),
        sa.UniqueConstraint("key", name=op.f("uq_coop_mechanism_key")),
    )
    op.create_table(
        "coop_engagement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=80), nullable=False),
        sa.Column("mechanism_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=240), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "proposed",
                "scheduled",
                "on_hold",
                "cancelled",
                "held",
                name="engagementstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("host", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["mechanism_id"],
            ["coop_mechanism.id"],
            name=op.f("fk_coop_engagement_mechanism_id_coop_mechanism"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_engagement")),
        sa.UniqueConstraint("mechanism_id", "year", "slot", name="uq_slot"),
        sa.UniqueConstraint("uid", name=op.f("uq_coop_engagement_uid")),
    )
    with op.batch_alter_table("coop_engagement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coop_engagement_year"), ["year"], unique=False)

    op.create_table(
        "coop_exercise_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("domain", sa.String(length=32), nullable=False),
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.Column("mechanism_id", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["mechanism_id"],
            ["coop_mechanism.id"],
            name=op.f("fk_coop_exercise_series_mechanism_id_coop_mechanism"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_exercise_series")),
        sa.UniqueConstraint("key", name=op.f("uq_coop_exercise_series_key")),
    )
    op.create_table(
        "coop_engagement_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=False),
        sa.Column("at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["coop_engagement.id"],
            name=op.f("fk_coop_engagement_change_engagement_id_coop_engagement"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_engagement_change")),
    )
    with op.batch_alter_table("coop_engagement_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coop_engagement_change_engagement_id"), ["engagement_id"], unique=False
        )

    op.create_table(
        "coop_exercise_edition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("host", sa.String(length=2), nullable=True),
        sa.Column("area_name", sa.String(length=200), nullable=True),
        sa.Column("area", sa.JSON(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=True),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["coop_engagement.id"],
            name=op.f("fk_coop_exercise_edition_engagement_id_coop_engagement"),
        ),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["coop_exercise_series.id"],
            name=op.f("fk_coop_exercise_edition_series_id_coop_exercise_series"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_exercise_edition")),
        sa.UniqueConstraint("series_id", "name", name="uq_edition"),
    )
    with op.batch_alter_table("coop_exercise_edition", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coop_exercise_edition_series_id"), ["series_id"], unique=False
        )

    op.create_table(
        "coop_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mechanism_id", sa.Integer(), nullable=False),
        sa.Column("engagement_id", sa.Integer(), nullable=True),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("host", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=False),
        sa.Column("agenda", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["engagement_id"],
            ["coop_engagement.id"],
            name=op.f("fk_coop_meeting_engagement_id_coop_engagement"),
        ),
        sa.ForeignKeyConstraint(
            ["mechanism_id"],
            ["coop_mechanism.id"],
            name=op.f("fk_coop_meeting_mechanism_id_coop_mechanism"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_meeting")),
        sa.UniqueConstraint("engagement_id", name=op.f("uq_coop_meeting_engagement_id")),
    )
    with op.batch_alter_table("coop_meeting", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coop_meeting_mechanism_id"), ["mechanism_id"], unique=False
        )

    op.create_table(
        "coop_delegation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.Enum("IN", "JP", name="party", native_enum=False), nullable=False),
        sa.Column("leader", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["coop_meeting.id"],
            name=op.f("fk_coop_delegation_meeting_id_coop_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_delegation")),
    )
    op.create_table(
        "coop_exercise_unit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("edition_id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("service", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["coop_exercise_edition.id"],
            name=op.f("fk_coop_exercise_unit_edition_id_coop_exercise_edition"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_exercise_unit")),
    )
    op.create_table(
        "coop_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "decision",
                "information",
                "action",
                name="outcomekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["coop_meeting.id"],
            name=op.f("fk_coop_outcome_meeting_id_coop_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_outcome")),
    )
    op.create_table(
        "coop_action_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "in_progress",
                "done",
                "cancelled",
                name="actionstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("updated_at", setu.db.types.UtcDateTime(), nullable=False),
        sa.Column("closed_at", setu.db.types.UtcDateTime(), nullable=True),
        sa.Column(
            "classification",
            sa.Enum(
                "UNCLASSIFIED",
                "RESTRICTED",
                "CONFIDENTIAL",
                "SECRET",
                "TOP_SECRET",
                name="classification",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["coop_meeting.id"],
            name=op.f("fk_coop_action_item_meeting_id_coop_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outcome_id"],
            ["coop_outcome.id"],
            name=op.f("fk_coop_action_item_outcome_id_coop_outcome"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coop_action_item")),
    )
    with op.batch_alter_table("coop_action_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coop_action_item_meeting_id"), ["meeting_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("coop_action_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_action_item_meeting_id"))

    op.drop_table("coop_action_item")
    op.drop_table("coop_outcome")
    op.drop_table("coop_exercise_unit")
    op.drop_table("coop_delegation")
    with op.batch_alter_table("coop_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_meeting_mechanism_id"))

    op.drop_table("coop_meeting")
    with op.batch_alter_table("coop_exercise_edition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_exercise_edition_series_id"))

    op.drop_table("coop_exercise_edition")
    with op.batch_alter_table("coop_engagement_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_engagement_change_engagement_id"))

    op.drop_table("coop_engagement_change")
    op.drop_table("coop_exercise_series")
    with op.batch_alter_table("coop_engagement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coop_engagement_year"))

    op.drop_table("coop_engagement")
    op.drop_table("coop_mechanism")
    op.drop_table("coop_agreement_relation")
    with op.batch_alter_table("acsa_transition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acsa_transition_order_id"))

    op.drop_table("acsa_transition")
    op.drop_table("acsa_signature")
    op.drop_table("acsa_line")
    with op.batch_alter_table("acsa_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acsa_entry_order_id"))

    op.drop_table("acsa_entry")
    op.drop_table("acsa_attachment")
    op.drop_table("coop_seed_run")
    op.drop_table("coop_agreement")
    with op.batch_alter_table("acsa_order", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_acsa_order_state"))

    op.drop_table("acsa_order")
    op.drop_table("acsa_balance")
