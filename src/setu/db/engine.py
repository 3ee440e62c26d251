"""Engine and session factory for the operational database.

:func:`open_database` builds a :class:`Database` from settings or a URL, creating the SQLite
file's directory when needed and upgrading the schema to the newest migration on first use.
:meth:`Database.session` is a unit of work: it commits on success, rolls back on error, and
translates SQLAlchemy errors into :class:`~setu.errors.StoreError`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from setu.errors import ConfigError, SetuError, StoreError
from setu.settings import Settings


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_db_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on and its directory created."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"database URL {url!r} cannot be parsed; use e.g. sqlite:///path/setu.db or "
            "postgresql+psycopg://user:password@host:5432/setu"
        ) from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise ConfigError(
            f"no database driver for {parsed.drivername!r}; for PostgreSQL install psycopg "
            "(pip install 'setu[postgres]') and use postgresql+psycopg://…"
        ) from exc
    except OSError as exc:
        raise StoreError(f"cannot prepare the database location for {url!r}: {exc}") from exc


@dataclass(frozen=True)
class Database:
    """An opened operational database: an engine plus a session factory."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commit on success, roll back and translate errors on failure."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except SetuError:
            session.rollback()
            raise
        except SQLAlchemyError as exc:
            session.rollback()
            original = getattr(exc, "orig", None)
            if isinstance(original, SetuError):  # a column type refused a value
                raise original from exc
            raise StoreError(
                f"operational database {self.url} failed: {exc.__class__.__name__}: "
                f"{str(exc).splitlines()[0]}; check that the database is reachable and its "
                "schema is current (any setu command upgrades it)"
            ) from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(settings_or_url: Settings | str, *, upgrade_schema: bool = True) -> Database:
    """Open the operational database, upgrading its schema to the newest migration."""
    from setu.db.migrate import upgrade

    url = (
        settings_or_url.resolved_database_url
        if isinstance(settings_or_url, Settings)
        else settings_or_url
    )
    engine = create_db_engine(url)
    if upgrade_schema:
        upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    return Database(engine=engine, sessions=factory)
