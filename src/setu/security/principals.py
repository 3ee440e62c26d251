"""Principals: users and partner nodes, their passwords and API tokens.

A :class:`Principal` is who asks the gate (:func:`setu.security.gate.authorize`): a **user**
with a nation, a clearance in *their own nation's* scheme (ranked through
:func:`setu.security.equivalence.rank`), need-to-know groups, roles and a contractor flag; or a
partner **node**, a principal of its nation (issue 8, "Who is who"). Rank or role alone grants
nothing: the gate needs clearance *and* need-to-know (Japan–Korea GSOMIA Art 7 template [T]).

:class:`PrincipalStore` keeps them in the operational database
(:mod:`setu.security.models_principals`):

- passwords as argon2id hashes (argon2-cffi's defaults: t=3, m=64 MiB, p=4, the second
  recommended option of RFC 9106 §4, above the OWASP Password Storage Cheat Sheet minimum of
  m=19 MiB, t=2, p=1), re-hashed on login when the parameters change;
- API tokens of 32 random bytes, shown once, stored as SHA-256 under a public 8-byte id;
- :meth:`PrincipalStore.authenticate_password` and :meth:`PrincipalStore.authenticate_token`
  compare in constant time and answer an unknown name, a wrong secret, a disabled account, an
  expired or a revoked token with the same :class:`AuthenticationError`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from setu.clock import Clock, utc_now
from setu.db import Database
from setu.security import equivalence as eq
from setu.security.errors import (
    AuthenticationError,
    InvalidPrincipalError,
    PrincipalExistsError,
    PrincipalNotFoundError,
    TokenNotFoundError,
)
from setu.security.labels import Purpose, validate_trigraph
from setu.security.models_principals import ApiTokenRow, PrincipalKind, PrincipalRow


class Role(StrEnum):
    """What a user does (issue 8). A role alone grants no access to labelled data."""

    WATCH_OFFICER = "watch_officer"
    ANALYST = "analyst"
    RELEASING_OFFICER = "releasing_officer"
    DESK_OFFICER = "desk_officer"
    LOGISTICS_OFFICER = "logistics_officer"
    ADMINISTRATOR = "administrator"


#: Need-to-know groups, one per :class:`~setu.security.labels.Purpose` (``mda`` ↔ ``MDA``).
NEED_TO_KNOW_GROUPS: dict[str, str] = {p.value.lower(): p.value for p in Purpose}

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
# NIST SP 800-63B-4 §3.1.1.2: at least 15 characters for a single-factor password; accept at
# least 64. The upper bound only caps the work one login can cause.
MIN_PASSWORD_CHARS = 15
MAX_PASSWORD_CHARS = 1024
TOKEN_PREFIX = "setu"
TOKEN_ID_BYTES = 8  # public lookup id, 16 hex digits
TOKEN_SECRET_BYTES = 32  # issue 8 / brief: 32 random bytes
_TOKEN = re.compile(rf"{TOKEN_PREFIX}_([0-9a-f]{{{2 * TOKEN_ID_BYTES}}})_([A-Za-z0-9_-]{{43}})")
_LOGIN_FAILED = (
    "authentication failed: unknown user, wrong password or disabled account; check the name "
    "and password, or ask an administrator"
)
_TOKEN_FAILED = (
    "authentication failed: the API token is unknown, expired or revoked, or its user is "
    "disabled; create a new token with `setu users token create`"
)


@dataclass(frozen=True)
class Principal:
    """A user or partner node as the gate sees it (no secrets)."""

    name: str
    kind: PrincipalKind
    nation: str  # ISO 3166-1 alpha-3
    clearance: str  # a level in the principal's OWN nation's scheme, e.g. "SECRET", "極秘"
    need_to_know: frozenset[str]  # group names: mda, ct, fiu, hadr, coop, logistics
    roles: frozenset[Role]
    contractor: bool = False
    disabled: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def purposes(self) -> frozenset[str]:
        """The need-to-know groups as :class:`Purpose` values (what labels carry)."""
        return frozenset(NEED_TO_KNOW_GROUPS[g] for g in self.need_to_know)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind.value,
            "nation": self.nation,
            "clearance": self.clearance,
            "need_to_know": sorted(self.need_to_know),
            "roles": sorted(r.value for r in self.roles),
            "contractor": self.contractor,
            "disabled": self.disabled,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class IssuedToken:
    """A new API token. ``token`` is shown once and never stored."""

    token_id: str
    token: str
    principal: str
    expires_at: datetime | None


def check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidPrincipalError(
            f"principal name {name!r} is invalid: use 1–63 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def parse_groups(groups: Iterable[str]) -> frozenset[str]:
    """Need-to-know group names (case-insensitive), checked against :data:`NEED_TO_KNOW_GROUPS`."""
    out = frozenset(g.strip().lower() for g in groups if g.strip())
    unknown = sorted(out - NEED_TO_KNOW_GROUPS.keys())
    if unknown:
        raise InvalidPrincipalError(
            f"unknown need-to-know groups {unknown}; use {sorted(NEED_TO_KNOW_GROUPS)}"
        )
    return out


def parse_roles(roles: Iterable[str]) -> frozenset[Role]:
    out: set[Role] = set()
    for raw in roles:
        text = raw.strip().lower().replace("-", "_").replace(" ", "_")
        if not text:
            continue
        try:
            out.add(Role(text))
        except ValueError:
            raise InvalidPrincipalError(
                f"unknown role {raw!r}; use {', '.join(r.value for r in Role)}"
            ) from None
    return frozenset(out)


def check_clearance(nation: str, clearance: str, table: eq.EquivalenceTable | None = None) -> str:
    """A party's clearance must have a row in the equivalence table (else it could never be
    compared: an unmapped level is denied, never guessed). A third nation's level is kept as
    written; the gate never ranks it."""
    tbl = table or eq.default_table()
    if not isinstance(clearance, str) or not clearance.strip():
        raise InvalidPrincipalError("clearance must be a level of the principal's nation")
    if nation in tbl.governments:
        eq.rank(nation, clearance, tbl)  # raises UnmappedLevelError with the fix
    return clearance


def check_password(password: object) -> str:
    if not isinstance(password, str) or not (
        MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS
    ):
        raise InvalidPrincipalError(
            f"a password needs {MIN_PASSWORD_CHARS}–{MAX_PASSWORD_CHARS} characters "
            "(NIST SP 800-63B-4); a passphrase of several words works well"
        )
    return password


def _to_principal(row: PrincipalRow) -> Principal:
    return Principal(
        name=row.name,
        kind=PrincipalKind(row.kind),
        nation=row.nation,
        clearance=row.clearance,
        need_to_know=frozenset(row.need_to_know),
        roles=frozenset(Role(r) for r in row.roles),
        contractor=row.contractor,
        disabled=row.disabled,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()


class PrincipalStore:
    """Users and partner nodes in the operational database."""

    def __init__(
        self, db: Database, *, clock: Clock = utc_now, hasher: PasswordHasher | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 §4 (module docstring)
        self._dummy_hash: str | None = None

    # -- records -------------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        nation: str,
        clearance: str,
        groups: Iterable[str],
        roles: Iterable[str],
        password: str | None = None,
        contractor: bool = False,
    ) -> Principal:
        """Register a user; ``password`` None leaves the account usable by token only."""
        hashed = self.hasher.hash(check_password(password)) if password is not None else None
        return self._add(
            name,
            PrincipalKind.USER,
            nation,
            clearance,
            parse_groups(groups),
            parse_roles(roles),
            contractor,
            hashed,
        )

    def add_node(self, name: str, *, nation: str, clearance: str) -> Principal:
        """Register a partner node as a principal of its nation; ``clearance`` is the highest
        level it is accredited to receive, in its nation's scheme."""
        return self._add(
            name, PrincipalKind.NODE, nation, clearance, frozenset(), frozenset(), False, None
        )

    def _add(
        self,
        name: str,
        kind: PrincipalKind,
        nation: str,
        clearance: str,
        groups: frozenset[str],
        roles: frozenset[Role],
        contractor: bool,
        password_hash: str | None,
    ) -> Principal:
        check_name(name)
        validate_trigraph(nation, "principal nation")
        check_clearance(nation, clearance)
        now = self.clock()
        with self.db.session() as session:
            if session.scalar(select(PrincipalRow.id).where(PrincipalRow.name == name)):
                raise PrincipalExistsError(
                    f"a principal named {name!r} exists; pick another name or change that one"
                )
            row = PrincipalRow(
                name=name,
                kind=kind,
                nation=nation,
                clearance=clearance,
                need_to_know=sorted(groups),
                roles=sorted(r.value for r in roles),
                contractor=contractor,
                password_hash=password_hash,
                disabled=False,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return _to_principal(row)

    def _row(self, session: Session, name: str) -> PrincipalRow:
        row = session.scalar(select(PrincipalRow).where(PrincipalRow.name == name))
        if row is None:
            raise PrincipalNotFoundError(
                f"no principal named {name!r}; `setu users list` shows who exists"
            )
        return row

    def get(self, name: str) -> Principal:
        with self.db.session() as session:
            return _to_principal(self._row(session, name))

    def list_all(self) -> list[Principal]:
        with self.db.session() as session:
            rows = session.scalars(select(PrincipalRow).order_by(PrincipalRow.name)).all()
            return [_to_principal(r) for r in rows]

    def disable(self, name: str) -> Principal:
        """Refuse every later login and token of ``name`` (the record stays for the audit)."""
        with self.db.session() as session:
            row = self._row(session, name)
            row.disabled = True
            row.updated_at = self.clock()
            return _to_principal(row)

    def set_password(self, name: str, password: str) -> Principal:
        hashed = self.hasher.hash(check_password(password))
        with self.db.session() as session:
            row = self._row(session, name)
            if row.kind is not PrincipalKind.USER:
                raise InvalidPrincipalError(
                    f"{name!r} is a partner node: it authenticates by certificate, not password"
                )
            row.password_hash = hashed
            row.updated_at = self.clock()
            return _to_principal(row)

    # -- authentication ------------------------------------------------------------------

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(24))
        return self._dummy_hash

    def _verify(self, stored: str | None, password: str) -> bool:
        """argon2 verification; an account without a password still costs one verify."""
        try:
            return self.hasher.verify(stored or self._dummy(), password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def authenticate_password(self, name: str, password: str) -> Principal:
        """The principal ``name`` if ``password`` is right and the account is enabled."""
        with self.db.session() as session:
            row = session.scalar(select(PrincipalRow).where(PrincipalRow.name == name))
            ok = self._verify(row.password_hash if row is not None else None, password)
            if row is None or not ok or row.disabled:
                raise AuthenticationError(_LOGIN_FAILED)
            assert row.password_hash is not None  # ok implies a stored hash
            if self.hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self.hasher.hash(password)
                row.updated_at = self.clock()
            return _to_principal(row)

    def create_token(self, name: str, *, expires_days: int | None = None) -> IssuedToken:
        """A new API token for ``name``; the token text is returned once, only its hash kept."""
        if expires_days is not None and expires_days <= 0:
            raise InvalidPrincipalError("--expires-days must be a positive number of days")
        token_id = secrets.token_hex(TOKEN_ID_BYTES)
        secret = base64.urlsafe_b64encode(secrets.token_bytes(TOKEN_SECRET_BYTES)).decode()
        token = f"{TOKEN_PREFIX}_{token_id}_{secret.rstrip('=')}"
        now = self.clock()
        expires = now + timedelta(days=expires_days) if expires_days is not None else None
        with self.db.session() as session:
            row = self._row(session, name)
            if row.disabled:
                raise InvalidPrincipalError(f"{name!r} is disabled; it cannot get new tokens")
            session.add(
                ApiTokenRow(
                    id=token_id,
                    principal_id=row.id,
                    token_sha256=_sha256_hex(token),
                    created_at=now,
                    expires_at=expires,
                    revoked_at=None,
                )
            )
        return IssuedToken(token_id=token_id, token=token, principal=name, expires_at=expires)

    def revoke_token(self, token_id: str) -> None:
        with self.db.session() as session:
            row = session.get(ApiTokenRow, token_id)
            if row is None:
                raise TokenNotFoundError(
                    f"no API token with id {token_id!r}; the id is the 16 hex digits after "
                    "'setu_' in the token"
                )
            if row.revoked_at is None:
                row.revoked_at = self.clock()

    def authenticate_token(self, token: str) -> Principal:
        """The principal holding ``token`` if it is known, unexpired, unrevoked and enabled."""
        match = _TOKEN.fullmatch(token) if isinstance(token, str) else None
        digest = _sha256_hex(token) if match else _sha256_hex("-")
        with self.db.session() as session:
            row = session.get(ApiTokenRow, match.group(1)) if match else None
            stored = row.token_sha256 if row is not None else "0" * 64
            same = hmac.compare_digest(stored, digest)
            owner = session.get(PrincipalRow, row.principal_id) if row is not None else None
            if (
                row is None
                or owner is None
                or not same
                or row.revoked_at is not None
                or (row.expires_at is not None and row.expires_at <= self.clock())
                or owner.disabled
            ):
                raise AuthenticationError(_TOKEN_FAILED)
            return _to_principal(owner)


__all__ = [
    "NEED_TO_KNOW_GROUPS",
    "IssuedToken",
    "Principal",
    "PrincipalKind",
    "PrincipalStore",
    "Role",
    "check_clearance",
    "check_name",
    "check_password",
    "parse_groups",
    "parse_roles",
]
