"""Alembic, driven from code: no ``alembic.ini`` needed.

The migration scripts live in ``setu/db/migrations`` (package data). :func:`upgrade` brings a
database to the newest revision and does nothing when it is already there.

The upgrade runs once, however many setu processes start on a fresh database together: it
runs in one transaction that first takes a lock (SQLite: ``BEGIN IMMEDIATE``, the database's
write lock; PostgreSQL: ``pg_advisory_xact_lock`` on a key derived from the schema), then reads
the schema version *inside* the lock. Whoever comes second waits, finds the schema current and
applies nothing. DDL is transactional on both backends, so a failed upgrade leaves the schema
as it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from setu.db.translate import translate
from setu.errors import StoreError

SCRIPT_LOCATION = "setu.db:migrations"
#: Prefix of the PostgreSQL advisory lock key (hashed with the current schema's name).
PG_LOCK_NAME = "setu.db.migrate"


@dataclass(frozen=True)
class MigrationReport:
    """What one call of :func:`migrate` found and did."""

    before: str | None
    after: str
    applied: tuple[str, ...]


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at setu's migrations (and at ``engine`` when given)."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


def head_revision() -> str:
    """The newest migration revision shipped with this setu."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise StoreError("no database migrations found in the setu package; reinstall setu")
    return head


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise translate(exc, _where(engine), doing="reading the schema version") from exc


def _lock(connection: Connection) -> None:
    """Hold the migration lock until the transaction ends (SQLite: BEGIN IMMEDIATE did)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:name || current_schema()))"),
            {"name": PG_LOCK_NAME},
        )


def migrate(engine: Engine, revision: str = "head") -> MigrationReport:
    """Upgrade the database to ``revision`` under the migration lock; report what was applied."""
    from setu.db.engine import WRITE_OPTION

    target = head_revision() if revision == "head" else revision
    before = current_revision(engine)
    if before == target:
        return MigrationReport(before=before, after=target, applied=())
    config = alembic_config(engine)
    applied: list[str] = []

    def record(*, step: Any, **_kw: Any) -> None:
        applied.append(str(step.up_revision_id))

    try:
        connection = engine.connect().execution_options(**{WRITE_OPTION: True})
        with connection, connection.begin():
            _lock(connection)
            before = MigrationContext.configure(connection).get_current_revision()
            config.attributes["connection"] = connection
            config.attributes["on_version_apply"] = record
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise translate(exc, _where(engine), doing="the schema upgrade") from exc
    return MigrationReport(before=before, after=target, applied=tuple(applied))


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Upgrade the database to ``revision`` (default: newest); returns the revision reached."""
    return migrate(engine, revision).after


__all__ = [
    "MigrationReport",
    "alembic_config",
    "current_revision",
    "head_revision",
    "migrate",
    "upgrade",
]
