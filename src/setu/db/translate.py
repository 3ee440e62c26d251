"""Database errors translated by what they are, not by where they happened.

SQLAlchemy wraps the driver's exception; the driver tells what actually went wrong: PostgreSQL
through its SQLSTATE (``orig.sqlstate``), SQLite through its extended result code
(``orig.sqlite_errorname``, Python 3.11+). :func:`translate` sorts a failure into one of a few
kinds, each with its own :class:`~setu.errors.SetuError` and a message that says what to do:

==============  ======================================  ==========================
kind            examples                                error (exit code)
==============  ======================================  ==========================
duplicate       unique constraint                       ValidationError (5)
refused         foreign key, not null, check            ValidationError (5)
does_not_fit    value too long, out of range, NUL       ValidationError (5)
busy            lock wait timed out, deadlock           StoreError (1)
schema          no such table or column                 StoreError (1)
unreachable     connection refused, auth, no database   StoreError (1)
full            disk full                               StoreError (1)
read_only       read-only file or server                StoreError (1)
damaged         not a database, corrupt file            IntegrityError (6)
other           anything else                           StoreError (1)
==============  ======================================  ==========================
"""

from __future__ import annotations

import re
from typing import Any

from setu.errors import IntegrityError, SetuError, StoreError, ValidationError

#: SQLite waits this long for another connection's lock before giving up (PRAGMA busy_timeout).
SQLITE_BUSY_TIMEOUT_S = 30

# SQLSTATE classes and codes (PostgreSQL, Appendix A "PostgreSQL Error Codes").
_PG_KINDS: tuple[tuple[str, str], ...] = (
    ("23505", "duplicate"),
    ("23", "refused"),  # integrity constraint violation: foreign key, not null, check
    ("22", "does_not_fit"),  # data exception: string too long, numeric out of range
    ("40", "busy"),  # transaction rollback: serialization failure, deadlock
    ("55P03", "busy"),  # lock not available
    ("57014", "busy"),  # statement or lock timeout
    ("42P01", "schema"),  # undefined table
    ("42703", "schema"),  # undefined column
    ("08", "unreachable"),  # connection exception
    ("28", "unreachable"),  # invalid authorization
    ("3D000", "unreachable"),  # database does not exist
    ("57P", "unreachable"),  # server shutting down
    ("53100", "full"),  # disk full
    ("25006", "read_only"),  # read-only SQL transaction
)

_SQLITE_KINDS: tuple[tuple[str, str], ...] = (
    ("SQLITE_CONSTRAINT_UNIQUE", "duplicate"),
    ("SQLITE_CONSTRAINT_PRIMARYKEY", "duplicate"),
    ("SQLITE_CONSTRAINT", "refused"),
    ("SQLITE_TOOBIG", "does_not_fit"),
    ("SQLITE_BUSY", "busy"),
    ("SQLITE_LOCKED", "busy"),
    ("SQLITE_CANTOPEN", "unreachable"),
    ("SQLITE_FULL", "full"),
    ("SQLITE_READONLY", "read_only"),
    ("SQLITE_CORRUPT", "damaged"),
    ("SQLITE_NOTADB", "damaged"),
)

_SQLITE_SCHEMA = re.compile(r"no such (table|column)|has no column named", re.IGNORECASE)


def kind_of(exc: BaseException) -> str:
    """The kind of a database failure (see the module's table); ``other`` when unknown."""
    orig: Any = getattr(exc, "orig", None) or exc
    state = getattr(orig, "sqlstate", None)
    if isinstance(state, str) and state:
        return next((kind for prefix, kind in _PG_KINDS if state.startswith(prefix)), "other")
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str) and name:
        if _SQLITE_SCHEMA.search(str(orig)):
            return "schema"
        return next((kind for prefix, kind in _SQLITE_KINDS if name.startswith(prefix)), "other")
    text = str(orig).lower()
    if "nul (0x00)" in text:
        return "does_not_fit"
    if type(orig).__name__ == "OperationalError" and (
        "connection" in text or "could not translate host name" in text
    ):
        return "unreachable"
    if _SQLITE_SCHEMA.search(text):
        return "schema"
    return "other"


def _first_line(exc: BaseException) -> str:
    orig: Any = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(orig).splitlines() if line.strip()]
    detail = getattr(getattr(orig, "diag", None), "message_detail", None)
    head = lines[0] if lines else exc.__class__.__name__
    return f"{head} ({detail})" if detail else head


def translate(exc: BaseException, where: str, *, doing: str = "the change") -> SetuError:
    """A setu error for a database failure at ``where`` (a URL without its password).

    ``doing`` names the unit of work for the message ("the change", "the schema upgrade").
    """
    what = _first_line(exc)
    kind = kind_of(exc)
    undone = f"{doing} was not saved"
    if kind == "duplicate":
        return ValidationError(
            f"a record with the same key already exists: {what}; {undone} — look the record up "
            "and update it instead, or choose another key"
        )
    if kind == "refused":
        return ValidationError(f"the database refused {doing}: {what}; {undone}")
    if kind == "does_not_fit":
        return ValidationError(f"a value does not fit its column: {what}; {undone}")
    if kind == "busy":
        return StoreError(
            f"the operational database {where} stayed locked by another process for longer "
            f"than setu waits: {what}; {undone} — retry, or find the long-running process "
            "holding the lock"
        )
    if kind == "schema":
        return StoreError(
            f"the operational database {where} lacks part of setu's schema: {what} — run any "
            "setu command against it to upgrade the schema, or check that the URL names setu's "
            "database"
        )
    if kind == "unreachable":
        return StoreError(
            f"cannot reach the operational database {where}: {what} — check the database URL "
            "(SETU_DATABASE_URL), that the server is running, and that it accepts this user"
        )
    if kind == "full":
        return StoreError(f"the operational database {where} is out of space: {what}; {undone}")
    if kind == "read_only":
        return StoreError(
            f"the operational database {where} is read-only: {what}; {undone} — check the "
            "file's permissions or the server's read-only setting"
        )
    if kind == "damaged":
        return IntegrityError(
            f"the operational database {where} is damaged: {what} — restore it from a backup"
        )
    return StoreError(f"the operational database {where} failed: {type(exc).__name__}: {what}")


__all__ = ["SQLITE_BUSY_TIMEOUT_S", "kind_of", "translate"]
