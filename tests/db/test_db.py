"""The operational database: migrations from code, portable types, error translation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from setu.coop.models import Agreement, AgreementStatus
from setu.db import Base, current_revision, head_revision, open_database, upgrade
from setu.db.migrate import alembic_config
from setu.errors import ConfigError, StoreError, ValidationError
from setu.logistics.models import AcsaBalance
from setu.settings import load_settings

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_first_use_creates_schema_at_head(db_url: str) -> None:
    db = open_database(db_url)
    try:
        assert current_revision(db.engine) == head_revision()
        assert upgrade(db.engine) == head_revision()  # second run: nothing to do
    finally:
        db.dispose()


def test_migrations_match_the_models(db_url: str) -> None:
    db = open_database(db_url)
    try:
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diffs = compare_metadata(context, Base.metadata)
        assert diffs == []
    finally:
        db.dispose()


def test_script_location_is_package_data() -> None:
    config = alembic_config()
    assert config.get_main_option("script_location") == "setu.db:migrations"
    # One line of migrations: two revisions on one parent would leave `upgrade` no head to go to.
    assert ScriptDirectory.from_config(config).get_heads() == [head_revision()]


def test_default_database_is_sqlite_in_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "d", environ={})
    db = open_database(settings)
    try:
        assert db.dialect == "sqlite"
        assert (tmp_path / "d" / "setu.db").is_file()
    finally:
        db.dispose()


def test_money_is_exact_decimal(db_url: str) -> None:
    db = open_database(db_url)
    try:
        amount = Decimal("0.1") + Decimal("0.2") + Decimal("123456789012.3456")
        with db.session() as s:
            s.add(
                AcsaBalance(
                    creditor="IN",
                    debtor="JP",
                    currency="JPY",
                    amount=amount,
                    entries=1,
                    updated_at=NOW,
                )
            )
        with db.session() as s:
            stored = s.scalars(select(AcsaBalance)).one()
            assert isinstance(stored.amount, Decimal)
            assert stored.amount == Decimal("123456789012.6456")
    finally:
        db.dispose()


def test_money_refuses_float(db_url: str) -> None:
    db = open_database(db_url)
    try:
        with pytest.raises(ValidationError, match="never float"), db.session() as s:
            s.add(
                AcsaBalance(
                    creditor="IN",
                    debtor="JP",
                    currency="JPY",
                    amount=0.1,
                    entries=1,
                    updated_at=NOW,
                )
            )
            s.flush()
    finally:
        db.dispose()


def _agreement(key: str, at: datetime) -> Agreement:
    return Agreement(
        key=key,
        title="t",
        kind="agreement",
        parties=["IN", "JP"],
        status=AgreementStatus.SIGNED,
        created_at=at,
        updated_at=at,
    )


def test_datetimes_come_back_utc_aware(db_url: str) -> None:
    db = open_database(db_url)
    ist = timezone(timedelta(hours=5, minutes=30))
    try:
        with db.session() as s:
            s.add(_agreement("k", datetime(2026, 1, 2, 8, 34, 5, tzinfo=ist)))
        with db.session() as s:
            row = s.scalars(select(Agreement)).one()
            assert row.created_at == NOW
            assert row.created_at.utcoffset() == timedelta(0)
    finally:
        db.dispose()


def test_naive_datetimes_are_refused(db_url: str) -> None:
    db = open_database(db_url)
    try:
        with pytest.raises(ValidationError, match="no time zone"), db.session() as s:
            s.add(_agreement("k", datetime(2026, 1, 2)))  # noqa: DTZ001 (the point of the test)
            s.flush()
    finally:
        db.dispose()


def test_duplicate_key_says_it_exists_not_that_the_database_is_unreachable(db_url: str) -> None:
    # Regression: every database error said "check that the database is reachable".
    db = open_database(db_url)
    try:
        with db.session() as s:
            s.add(_agreement("dup", NOW))
        with pytest.raises(ValidationError, match="already exists") as caught, db.session() as s:
            s.add(_agreement("dup", NOW))
        assert "reachable" not in str(caught.value)
        assert "not saved" in str(caught.value)
        with db.session(write=False) as s:
            assert len(s.scalars(select(Agreement)).all()) == 1
    finally:
        db.dispose()


def test_missing_table_says_the_schema_lacks_it(db_url: str) -> None:
    db = open_database(db_url)
    try:
        with pytest.raises(StoreError, match="lacks part of setu's schema"), db.session() as s:
            s.execute(text("SELECT * FROM no_such_table"))
    finally:
        db.dispose()


def test_bad_urls_say_how_to_fix() -> None:
    with pytest.raises(ConfigError, match="cannot be parsed"):
        open_database("not a url://")
    with pytest.raises(ConfigError, match="no database driver"):
        open_database("postgresql+nosuchdriver://u@127.0.0.1/x")


def test_unreachable_server_is_a_store_error() -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    with pytest.raises(StoreError, match="check the database URL"):
        open_database("postgresql+psycopg://setu@127.0.0.1:1/setu?connect_timeout=2")
