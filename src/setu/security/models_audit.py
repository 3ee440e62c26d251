"""Tables of the disclosure log (:mod:`setu.security.audit`) in the operational database.

- ``audit_entry``: one row per log entry, append only. ``body`` holds the entry's canonical
  bytes and ``leaf_hash`` their RFC 9162 leaf hash; ``recorded_at``, ``kind`` and ``principal``
  repeat fields of the body so listings can filter (verification checks that they agree).
- ``audit_node``: roots of complete subtrees of at least 2**8 entries, keyed by (level,
  node_index), written as appends complete them; proofs read them instead of every leaf.
- ``audit_tree_head``: signed tree heads, one per size.
- ``audit_state``: a single row: the tree size, its frontier (right-edge subtree roots, 32
  bytes each) and the last signed head's size and time. Every append takes this row's lock
  first, so indexes are handed out one writer at a time.

The migration adds triggers refusing UPDATE and DELETE on the first three tables (defence in
depth; what proves integrity is ``setu audit verify``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from setu.db.base import Base
from setu.db.types import UtcDateTime

KIND_LENGTH = 16
PRINCIPAL_LENGTH = 128


class AuditEntryRow(Base):
    """One disclosure-log entry (append only)."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_kind", "kind", "leaf_index"),
        Index("ix_audit_entry_principal", "principal", "leaf_index"),
        Index("ix_audit_entry_recorded_at", "recorded_at"),
    )

    leaf_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), nullable=False)
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH), nullable=False)
    principal: Mapped[str] = mapped_column(String(PRINCIPAL_LENGTH), nullable=False)
    body: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class AuditNodeRow(Base):
    """The root of a complete subtree of 2**level entries (a cache; verification recomputes)."""

    __tablename__ = "audit_node"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    node_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    node_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)


class AuditTreeHeadRow(Base):
    """A signed tree head (RFC 9162 §4.10-like; see :mod:`setu.security.audit_proof`)."""

    __tablename__ = "audit_tree_head"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timestamp_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)
    root_hash: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    key_id: Mapped[bytes] = mapped_column(LargeBinary(32), nullable=False)
    signature: Mapped[bytes] = mapped_column(LargeBinary(64), nullable=False)


class AuditStateRow(Base):
    """The log's single state row: size, frontier and last head; also the appenders' lock."""

    __tablename__ = "audit_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tree_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    frontier: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    head_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    head_timestamp_ms: Mapped[int] = mapped_column(BigInteger, nullable=False)


__all__ = ["AuditEntryRow", "AuditNodeRow", "AuditStateRow", "AuditTreeHeadRow"]
