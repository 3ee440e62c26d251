"""Tables of the ACSA ledger: orders, line items, source documents, signatures, transitions,
ledger entries (the transaction history) and the running balances derived from them.

Money and quantities are :class:`decimal.Decimal` in :class:`setu.db.Money` columns.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from setu.db.base import Base, ClassifiedMixin, Party, enum_column
from setu.db.types import Money, UtcDateTime


class Activity(enum.StrEnum):
    """Activities during which supplies and services may be requested under the ACSA."""

    BILATERAL_TRAINING = "bilateral_training"
    UN_PEACEKEEPING = "un_peacekeeping"
    HUMANITARIAN_RELIEF = "humanitarian_relief"
    DISASTER_RESPONSE = "disaster_response"
    EVACUATION = "evacuation"
    OTHER_AGREED = "other_agreed"


class Category(enum.StrEnum):
    """Categories of supplies and services the agreement lists (arms and ammunition excluded)."""

    FOOD = "food"
    WATER = "water"
    BILLETING = "billeting"
    TRANSPORTATION = "transportation"  # including airlift
    PETROLEUM_OILS_LUBRICANTS = "petroleum_oils_lubricants"
    CLOTHING = "clothing"
    COMMUNICATIONS = "communications"
    MEDICAL = "medical"
    STORAGE = "storage"
    USE_OF_FACILITIES = "use_of_facilities"
    TRAINING = "training"
    SPARE_PARTS = "spare_parts"  # spare parts and components
    REPAIR_MAINTENANCE = "repair_maintenance"
    CALIBRATION = "calibration"
    PORT_AIRPORT_SERVICES = "port_airport_services"


class Settlement(enum.StrEnum):
    CASH = "cash"  # cash reimbursement
    REPLACEMENT_IN_KIND = "replacement_in_kind"
    EQUAL_VALUE_EXCHANGE = "equal_value_exchange"


class OrderState(enum.StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"
    ISSUED = "issued"
    RECEIVED = "received"
    INVOICED = "invoiced"
    SETTLED = "settled"
    CLOSED = "closed"
    OVERDUE = "overdue"
    DISPUTED = "disputed"


class EntryKind(enum.StrEnum):
    """Ledger entries: an invoice raises what the debtor owes; the others settle it."""

    INVOICE = "invoice"
    CASH = "cash"
    REPLACEMENT_IN_KIND = "replacement_in_kind"
    EQUAL_VALUE_EXCHANGE = "equal_value_exchange"


class AttachmentKind(enum.StrEnum):
    REQUISITION = "requisition"
    RECEIPT = "receipt"
    INVOICE = "invoice"
    SETTLEMENT = "settlement"
    OTHER = "other"


class AcsaOrder(ClassifiedMixin, Base):
    __tablename__ = "acsa_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    agreement_ref: Mapped[str] = mapped_column(String(64))
    activity: Mapped[Activity] = mapped_column(enum_column(Activity))
    activity_detail: Mapped[str] = mapped_column(Text, default="")
    requesting: Mapped[Party] = mapped_column(enum_column(Party, 2))
    supplying: Mapped[Party] = mapped_column(enum_column(Party, 2))
    settlement: Mapped[Settlement] = mapped_column(enum_column(Settlement))
    state: Mapped[OrderState] = mapped_column(enum_column(OrderState), index=True)
    state_before_dispute: Mapped[OrderState | None] = mapped_column(enum_column(OrderState))
    requisition_ref: Mapped[str] = mapped_column(String(80), default="")
    delivery_place: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(120))
    invoiced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    settle_by: Mapped[datetime | None] = mapped_column(UtcDateTime)

    lines: Mapped[list[AcsaLine]] = relationship(
        cascade="all, delete-orphan", order_by="AcsaLine.line_no"
    )
    attachments: Mapped[list[AcsaAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="AcsaAttachment.id"
    )
    signatures: Mapped[list[AcsaSignature]] = relationship(
        cascade="all, delete-orphan", order_by="AcsaSignature.id"
    )
    transitions: Mapped[list[AcsaTransition]] = relationship(
        cascade="all, delete-orphan", order_by="AcsaTransition.id"
    )


class AcsaLine(ClassifiedMixin, Base):
    __tablename__ = "acsa_line"
    __table_args__ = (UniqueConstraint("order_id", "line_no", name="uq_line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("acsa_order.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    category: Mapped[Category] = mapped_column(enum_column(Category))
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Money(20, 4))
    unit: Mapped[str] = mapped_column(String(32))
    unit_price: Mapped[Decimal] = mapped_column(Money(20, 4))
    currency: Mapped[str] = mapped_column(String(3))


class AcsaAttachment(ClassifiedMixin, Base):
    """A source document (requisition, receipt, invoice, settlement proof) kept with the order."""

    __tablename__ = "acsa_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("acsa_order.id", ondelete="CASCADE"))
    kind: Mapped[AttachmentKind] = mapped_column(enum_column(AttachmentKind))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    added_at: Mapped[datetime] = mapped_column(UtcDateTime)
    added_by: Mapped[str] = mapped_column(String(120))


class AcsaSignature(ClassifiedMixin, Base):
    __tablename__ = "acsa_signature"
    __table_args__ = (UniqueConstraint("order_id", "party", name="uq_signature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("acsa_order.id", ondelete="CASCADE"))
    party: Mapped[Party] = mapped_column(enum_column(Party, 2))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AcsaTransition(ClassifiedMixin, Base):
    __tablename__ = "acsa_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("acsa_order.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[OrderState | None] = mapped_column(enum_column(OrderState))
    to_state: Mapped[OrderState] = mapped_column(enum_column(OrderState))
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class AcsaEntry(ClassifiedMixin, Base):
    """One ledger entry; ``digest`` chains it to the previous entry (SHA-256)."""

    __tablename__ = "acsa_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("acsa_order.id"), index=True)
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind))
    creditor: Mapped[Party] = mapped_column(enum_column(Party, 2))
    debtor: Mapped[Party] = mapped_column(enum_column(Party, 2))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money(20, 4))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    memo: Mapped[str] = mapped_column(Text, default="")
    prev_digest: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64), unique=True)


class AcsaBalance(ClassifiedMixin, Base):
    """What ``debtor`` owes ``creditor`` in ``currency``, kept current with every entry."""

    __tablename__ = "acsa_balance"
    __table_args__ = (UniqueConstraint("creditor", "debtor", "currency", name="uq_balance"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    creditor: Mapped[Party] = mapped_column(enum_column(Party, 2))
    debtor: Mapped[Party] = mapped_column(enum_column(Party, 2))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Money(20, 4))
    entries: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
