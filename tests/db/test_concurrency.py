"""Concurrent use of the operational database: counters, write locks, the migration report,
limits checked at the boundary, errors sorted by kind. (Real concurrent processes:
tests/faults/test_ledger_faults.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from setu.coop.models import Agreement, AgreementStatus
from setu.db import head_revision, migrate, next_value, open_database
from setu.db.engine import create_db_engine
from setu.db.migrate import alembic_config
from setu.db.translate import kind_of
from setu.errors import StoreError, ValidationError
from setu.logistics.models import AcsaBalance

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def _agreement(key: str, **fields: Any) -> Agreement:
    values: dict[str, Any] = {
        "title": "t",
        "kind": "agreement",
        "parties": ["IN", "JP"],
        "status": AgreementStatus.SIGNED,
        "created_at": NOW,
        "updated_at": NOW,
    }
    return Agreement(key=key, **(values | fields))


def test_counter_is_gapless_and_a_rollback_gives_its_number_back(db) -> None:
    with db.session() as s:
        assert [next_value(s, "series") for _ in range(3)] == [1, 2, 3]
    with pytest.raises(ValidationError), db.session() as s:
        assert next_value(s, "series") == 4
        raise ValidationError("the unit of work fails after taking a number")
    with db.session() as s:
        assert next_value(s, "series") == 4
        assert next_value(s, "other") == 1


def test_counter_continues_after_numbers_handed_out_before_it_existed(db) -> None:
    with db.session() as s:
        assert next_value(s, "legacy", floor=lambda: 41) == 42
        assert next_value(s, "legacy", floor=lambda: 0) == 43  # floor only for a new series


def _lock_timeout_url(db_url: str) -> str:
    url = make_url(db_url)
    options = url.query.get("options", "")
    return url.update_query_dict({"options": f"{options} -clock_timeout=200"}).render_as_string(
        hide_password=False
    )


def test_a_held_write_lock_makes_another_writer_wait_and_then_say_locked(db, db_url) -> None:
    # The other process gives up at once (SQLite busy timeout 0, PostgreSQL lock_timeout).
    other_url = db_url if db.dialect == "sqlite" else _lock_timeout_url(db_url)
    other = open_database(other_url, busy_timeout_s=0)
    try:
        with (
            db.session(lock="ledger"),
            pytest.raises(StoreError, match="stayed locked") as caught,
            other.session(lock="ledger"),
        ):
            pass
        assert "reachable" not in str(caught.value)
        with other.session(lock="ledger"):  # released at commit
            pass
    finally:
        other.dispose()


def test_reading_does_not_wait_for_a_writer(db, db_url) -> None:
    with db.session() as s:
        s.add(_agreement("k"))
    other = open_database(db_url, busy_timeout_s=0)
    try:
        with db.session(lock="coop"), other.session(write=False) as reader:
            assert reader.scalars(select(Agreement.key)).all() == ["k"]
    finally:
        other.dispose()


def test_migrate_reports_each_applied_revision_and_a_second_run_applies_none(db_url) -> None:
    engine = create_db_engine(db_url)
    try:
        first = migrate(engine)
        second = migrate(engine)
    finally:
        engine.dispose()
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    every = tuple(reversed([r.revision for r in script.walk_revisions()]))
    assert (first.before, first.after, first.applied) == (None, head_revision(), every)
    assert (second.before, second.applied) == (head_revision(), ())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("place", "x" * 129, "129 characters long; at most 128"),
        ("summary", "a\x00b", "NUL"),
        ("title", "bad \udcff byte", "not valid text"),
        ("term_years", 2**31, "out of range"),
    ],
)
def test_values_postgresql_refuses_are_refused_on_sqlite_too(db, field, value, message) -> None:
    # Regression: SQLite kept a 500-character place in VARCHAR(128), and NUL characters.
    with pytest.raises(ValidationError, match=message), db.session() as s:
        s.add(_agreement("k", **{field: value}))
    with db.session(write=False) as s:
        assert s.scalars(select(Agreement)).all() == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("1e16"), "too large"),
        (Decimal("9" * 32), "too large"),
        (Decimal("0.00001"), "more than 4 decimal places"),
    ],
)
def test_amounts_that_do_not_fit_numeric_20_4_are_refused(db, amount, message) -> None:
    balance = AcsaBalance(
        creditor="IN", debtor="JP", currency="INR", amount=amount, entries=1, updated_at=NOW
    )
    with pytest.raises(ValidationError, match=message), db.session() as s:
        s.add(balance)


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


class _SqliteError(Exception):
    def __init__(self, name: str, text: str = "") -> None:
        super().__init__(text or name)
        self.sqlite_errorname = name


@pytest.mark.parametrize(
    ("orig", "kind"),
    [
        (_PgError("23505"), "duplicate"),
        (_PgError("23503"), "refused"),
        (_PgError("22001"), "does_not_fit"),
        (_PgError("40P01"), "busy"),
        (_PgError("55P03"), "busy"),
        (_PgError("42P01"), "schema"),
        (_PgError("08006"), "unreachable"),
        (_PgError("53100"), "full"),
        (_SqliteError("SQLITE_CONSTRAINT_UNIQUE"), "duplicate"),
        (_SqliteError("SQLITE_CONSTRAINT_FOREIGNKEY"), "refused"),
        (_SqliteError("SQLITE_BUSY"), "busy"),
        (_SqliteError("SQLITE_ERROR", "no such table: acsa_order"), "schema"),
        (_SqliteError("SQLITE_FULL"), "full"),
        (_SqliteError("SQLITE_READONLY"), "read_only"),
        (_SqliteError("SQLITE_NOTADB"), "damaged"),
        (_SqliteError("SQLITE_IOERR"), "other"),
    ],
)
def test_database_errors_are_sorted_by_what_they_are(orig: Exception, kind: str) -> None:
    class Wrapped(Exception):
        pass

    wrapped = Wrapped("wrapped")
    wrapped.orig = orig  # type: ignore[attr-defined]
    assert kind_of(wrapped) == kind
