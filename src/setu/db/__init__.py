"""The operational database: engine, sessions, declarative base, column types, migrations.

Owns the one relational database that holds setu's operational records (the cooperation
framework in :mod:`setu.coop`, the ACSA ledger in :mod:`setu.logistics`). SQLite in the data
directory by default (``Settings.resolved_database_url``), PostgreSQL by URL. The schema is
managed by Alembic; its environment and versions live in ``setu/db/migrations`` and run from
code (:func:`upgrade`), so the first use of :func:`open_database` creates or upgrades it, once,
under a lock. Concurrent processes are safe: see :mod:`setu.db.engine` (transactions and
locks), :mod:`setu.db.counters` (gapless numbering), :mod:`setu.db.limits` (every value checked
against its column before it is written) and :mod:`setu.db.translate` (errors by kind).

May import SQLAlchemy, Alembic, :mod:`setu.errors`, :mod:`setu.settings` and
:mod:`setu.clock`. Only the migration environment imports the model modules of
:mod:`setu.coop` and :mod:`setu.logistics` (to know the target schema). The AIS store does not
use this database.
"""

from __future__ import annotations

from setu.db.base import Base, Classification, Party
from setu.db.counters import Counter, hold, next_value
from setu.db.engine import Database, open_database
from setu.db.migrate import MigrationReport, current_revision, head_revision, migrate, upgrade
from setu.db.types import Money, UtcDateTime

__all__ = [
    "Base",
    "Classification",
    "Counter",
    "Database",
    "MigrationReport",
    "Money",
    "Party",
    "UtcDateTime",
    "current_revision",
    "head_revision",
    "hold",
    "migrate",
    "next_value",
    "open_database",
    "upgrade",
]
