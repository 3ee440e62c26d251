"""Alembic environment: runs on the connection handed over by :func:`setu.db.upgrade`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import setu.coop.models
import setu.db.counters
import setu.logistics.models
import setu.security.models_audit
import setu.security.models_principals
import setu.security.models_release
from setu.db.base import Base

# Importing the model modules registers their tables on Base.metadata.
MODEL_MODULES = (
    setu.coop.models,
    setu.db.counters,
    setu.logistics.models,
    setu.security.models_audit,
    setu.security.models_principals,
    setu.security.models_release,
)
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        on_version_apply=context.config.attributes.get("on_version_apply"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no connection or sqlalchemy.url given to the migration environment")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
