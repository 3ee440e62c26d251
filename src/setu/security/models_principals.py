"""Tables of principals: users and partner nodes, their password hashes and API tokens.

``security_principal`` holds one row per user or partner node (a node is a principal of its
nation, issue 8 "Who is who"). Need-to-know groups and roles are JSON lists of names, sorted.
``security_api_token`` holds API tokens by their public id; only the SHA-256 of the whole token
is kept, never the token itself. The domain view of a row is
:class:`setu.security.principals.Principal`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from setu.db.base import Base, enum_column
from setu.db.types import UtcDateTime


class PrincipalKind(enum.StrEnum):
    """A person who logs in, or a partner node that receives releases."""

    USER = "user"
    NODE = "node"


class PrincipalRow(Base):
    __tablename__ = "security_principal"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    kind: Mapped[PrincipalKind] = mapped_column(enum_column(PrincipalKind, 8), nullable=False)
    nation: Mapped[str] = mapped_column(String(3), nullable=False)  # ISO 3166-1 alpha-3
    clearance: Mapped[str] = mapped_column(String(32), nullable=False)  # the nation's scheme
    need_to_know: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    roles: Mapped[list[Any]] = mapped_column(JSON, nullable=False)
    contractor: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)


class ApiTokenRow(Base):
    __tablename__ = "security_api_token"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # public lookup id
    principal_id: Mapped[int] = mapped_column(
        ForeignKey("security_principal.id"), nullable=False, index=True
    )
    token_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


__all__ = ["ApiTokenRow", "PrincipalKind", "PrincipalRow"]
