"""Engine and session factory for the operational database.

:func:`open_database` builds a :class:`Database` from settings or a URL, creating the SQLite
file's directory when needed and upgrading the schema to the newest migration on first use.
:meth:`Database.session` is a unit of work: it commits on success, rolls back on error, and
translates database errors by what they are (:mod:`setu.db.translate`).

Concurrency. Several setu processes may use one database at once:

- SQLite: the database runs in WAL mode with ``synchronous=NORMAL``: readers never wait
  for the writer, and a commit costs no fsync (a power cut may lose the last commits; see
  docs/reliability.md). pysqlite's own transaction handling is switched off and setu emits
  ``BEGIN`` itself: ``BEGIN IMMEDIATE`` for a writing unit of work, so it takes the database's
  write lock before its first read and every writer works on what the previous one committed;
  ``BEGIN`` (deferred) for a reading one. A writer waits up to ``SQLITE_BUSY_TIMEOUT_S`` for
  the lock.
- PostgreSQL: a reading unit of work runs at REPEATABLE READ (one snapshot for all its
  reads); a writing unit of work that names a lock (``session(lock="acsa")``) holds that
  lock's row in ``setu_counter`` until it commits (:func:`setu.db.counters.hold`).

Every session also checks, before anything is flushed, that each value fits its column as
declared in the model (:mod:`setu.db.limits`), so SQLite refuses what PostgreSQL would.
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

from setu.db.limits import check_flush
from setu.db.translate import SQLITE_BUSY_TIMEOUT_S, translate
from setu.errors import ConfigError, SetuError, StoreError, ValidationError
from setu.settings import Settings

#: SQLite journal and sync modes set on every connection (see _sqlite_connect).
SQLITE_JOURNAL_MODE = "WAL"
SQLITE_SYNCHRONOUS = "NORMAL"

#: Execution option marking a connection whose transaction will write (SQLite: BEGIN IMMEDIATE).
WRITE_OPTION = "setu_write"


def _sqlite_connect(busy_timeout_s: float) -> Any:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        # setu emits BEGIN itself (_sqlite_begin); pysqlite would otherwise defer it to the
        # first INSERT, so the reads before it would not be part of the transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_s * 1000)}")
        # Write-ahead log with synchronous=NORMAL (https://sqlite.org/wal.html,
        # https://sqlite.org/pragma.html#pragma_synchronous): a commit appends to the WAL
        # without an fsync; the WAL is synced at each checkpoint. Durable against a crash of
        # any process; a power cut may lose the last commits (never corrupt the file). This
        # is what lets the disclosure log append ≥ 5,000 entries/s (docs/security.md). The
        # mode is kept in the file, so this is a no-op after the first connection;
        # an in-memory database stays in "memory" mode.
        cursor.execute(f"PRAGMA journal_mode={SQLITE_JOURNAL_MODE}")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.close()

    return connect


def _sqlite_begin(connection: Any) -> None:
    writing = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")


def create_db_engine(url: str, *, busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys on, a busy timeout (how long a writer
    waits for another's lock) and its directory created."""
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
            event.listen(engine, "connect", _sqlite_connect(busy_timeout_s))
            event.listen(engine, "begin", _sqlite_begin)
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
    def session(self, *, write: bool = True, lock: str | None = None) -> Iterator[Session]:
        """A unit of work: commit on success, roll back and translate errors on failure.

        ``write=False`` for a unit of work that only reads: no write lock is taken, and all its
        reads see one snapshot (SQLite: a deferred transaction; PostgreSQL: REPEATABLE READ).
        ``lock`` names a write lock held from the start to the end of the unit of work, so
        units of work that read, compute and write under the same name run one at a time.
        """
        session = self.sessions()
        try:
            if write or lock:
                session.connection(execution_options={WRITE_OPTION: True})
            elif self.dialect == "postgresql":  # one snapshot for every read of the unit
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            if lock:
                from setu.db.counters import hold

                hold(session, lock)
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
            raise translate(exc, self.url) from exc
        except OverflowError as exc:  # an int beyond 64 bits for SQLite, a date past 9999
            session.rollback()
            raise ValidationError(f"a value is out of range ({exc}); nothing was saved") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(
    settings_or_url: Settings | str,
    *,
    upgrade_schema: bool = True,
    busy_timeout_s: float = SQLITE_BUSY_TIMEOUT_S,
) -> Database:
    """Open the operational database, upgrading its schema to the newest migration."""
    from setu.db.migrate import upgrade

    url = (
        settings_or_url.resolved_database_url
        if isinstance(settings_or_url, Settings)
        else settings_or_url
    )
    engine = create_db_engine(url, busy_timeout_s=busy_timeout_s)
    if upgrade_schema:
        upgrade(engine)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    event.listen(factory, "before_flush", check_flush)
    return Database(engine=engine, sessions=factory)
