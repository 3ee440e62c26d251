"""Alembic, driven from code: no ``alembic.ini`` needed.

The migration scripts live in ``setu/db/migrations`` (package data). :func:`upgrade` brings a
database to the newest revision and does nothing when it is already there.
"""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from setu.errors import StoreError

SCRIPT_LOCATION = "setu.db:migrations"


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


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StoreError(
            f"cannot read the schema version of {engine.url.render_as_string()}: "
            f"{str(exc).splitlines()[0]}; check the database URL and that the server is running"
        ) from exc


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Upgrade the database to ``revision`` (default: newest); returns the revision reached."""
    target = head_revision() if revision == "head" else revision
    if current_revision(engine) == target:
        return target
    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StoreError(
            f"schema upgrade of {engine.url.render_as_string()} failed: {str(exc).splitlines()[0]}"
        ) from exc
    return target
