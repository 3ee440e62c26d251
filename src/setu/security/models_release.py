"""Tables of releases, consents, re-classification notices, holdings, destruction and
compromise reports (issue 8 "Policy": release, third parties, changing a classification,
return or destruction, loss or compromise).

- ``security_release_rule``      standing release rules declared by a releasing officer
- ``security_release_request``   one object proposed for release to a nation for a purpose,
                                 its state (queued, released, refused) and who decided, when,
                                 under which rule
- ``security_consent``           third-party release consents, signed by the originating node
                                 (granted here, or imported from the originator)
- ``security_held_item``         objects received from a partner: the register of holdings
                                 (Art 6(e)-(f) [T]); their labels change only by a notice
- ``security_reclassification``  originator notices changing a classification, as applied
- ``security_retention``         days an object received for a purpose may be kept
- ``security_destruction``       destruction records (Art 6(h) [T])
- ``security_compromise``        loss or compromise notices to the originator (Art 17 [T])

Labels are stored as their canonical JSON (:meth:`setu.security.labels.Label.to_dict`); every
time is UTC-aware (:class:`setu.db.types.UtcDateTime`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from setu.db.base import Base, enum_column
from setu.db.types import UtcDateTime

NAME_LENGTH = 64  # principal and node names (security_principal.name)
OBJECT_ID_LENGTH = 256  # as the disclosure log's object ids (setu.security.audit)


class ReleaseState(enum.StrEnum):
    """Where a release request stands."""

    QUEUED = "queued"  # waits for a releasing officer
    RELEASED = "released"  # by a standing rule or an officer's approval
    REFUSED = "refused"  # by the gate, or by an officer with a reason


class ConsentDirection(enum.StrEnum):
    GRANTED = "granted"  # this node is the originator and signed it
    RECEIVED = "received"  # imported from the originating node


class ReleaseRuleRow(Base):
    __tablename__ = "security_release_rule"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    max_level: Mapped[str] = mapped_column(String(64), nullable=False)  # this nation's scheme
    max_rank: Mapped[int] = mapped_column(Integer, nullable=False)  # equivalence.rank
    nations: Mapped[list[Any]] = mapped_column(JSON, nullable=False)  # trigraphs, sorted
    purposes: Mapped[list[Any]] = mapped_column(JSON, nullable=False)  # Purpose values
    min_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    min_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)


class ReleaseRequestRow(Base):
    __tablename__ = "security_release_request"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), nullable=False, index=True)
    label: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    content_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    lon: Mapped[float | None] = mapped_column(Float, nullable=True)
    lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    observed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    recipient: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)  # node principal
    recipient_nation: Mapped[str] = mapped_column(String(3), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    state: Mapped[ReleaseState] = mapped_column(enum_column(ReleaseState, 16), nullable=False)
    requested_by: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    decided_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    rule_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    consent_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    audit_index: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ConsentRow(Base):
    __tablename__ = "security_consent"

    consent_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    direction: Mapped[ConsentDirection] = mapped_column(
        enum_column(ConsentDirection, 16), nullable=False
    )
    originator_nation: Mapped[str] = mapped_column(String(3), nullable=False)
    originator_node: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    recipient_nation: Mapped[str] = mapped_column(String(3), nullable=False, index=True)
    object_ids: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)  # SignedConsent.to_json()
    stored_by: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class HeldItemRow(Base):
    __tablename__ = "security_held_item"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), nullable=False, unique=True)
    label: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    content_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    source_node: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    destroyed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ReclassificationRow(Base):
    __tablename__ = "security_reclassification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), nullable=False)
    old_label: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    new_label: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    document: Mapped[str] = mapped_column(Text, nullable=False)  # the signed notice
    applied_by: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    audit_index: Mapped[int] = mapped_column(Integer, nullable=False)


class RetentionRow(Base):
    __tablename__ = "security_retention"

    purpose: Mapped[str] = mapped_column(String(16), primary_key=True)
    days: Mapped[int] = mapped_column(Integer, nullable=False)
    set_by: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class DestructionRow(Base):
    __tablename__ = "security_destruction"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    object_kind: Mapped[str] = mapped_column(String(32), nullable=False)
    object_id: Mapped[str] = mapped_column(String(OBJECT_ID_LENGTH), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    retention_days: Mapped[int] = mapped_column(Integer, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    destroyed_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    destroyed_by: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    audit_index: Mapped[int] = mapped_column(Integer, nullable=False)


class CompromiseRow(Base):
    __tablename__ = "security_compromise"

    notice_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    originator_nation: Mapped[str] = mapped_column(String(3), nullable=False)
    originator_node: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    object_ids: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    details: Mapped[str] = mapped_column(Text, nullable=False)
    reported_by: Mapped[str] = mapped_column(String(NAME_LENGTH), nullable=False)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    notify_by: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    document: Mapped[str] = mapped_column(Text, nullable=False)  # the signed notice
    audit_index: Mapped[int] = mapped_column(Integer, nullable=False)


__all__ = [
    "CompromiseRow",
    "ConsentDirection",
    "ConsentRow",
    "DestructionRow",
    "HeldItemRow",
    "ReclassificationRow",
    "ReleaseRequestRow",
    "ReleaseRuleRow",
    "ReleaseState",
    "RetentionRow",
]
