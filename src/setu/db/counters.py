"""Named counters: gapless numbers and named write locks that hold under concurrent processes.

One row per name in ``setu_counter``. :func:`next_value` increments a counter inside the
caller's transaction with a single statement; the row stays locked until that transaction ends,
so concurrent callers (other processes, other hosts on PostgreSQL) get distinct numbers, in
order, and a transaction that rolls back gives its number back (no gaps).

:func:`hold` is the same increment used as a lock: a unit of work that reads rows and then
writes what it computed from them (a balance, the next link of a hash chain, a state
transition) calls ``hold(session, name)`` first, so every other unit of work holding ``name``
waits until it commits. On SQLite every writing transaction already begins with ``BEGIN
IMMEDIATE`` (:mod:`setu.db.engine`), which serialises all writers; on PostgreSQL the row lock
does it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import BigInteger, String, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from setu.db.base import Base


class Counter(Base):
    """The last value handed out for one name (a number series, or a lock's use count)."""

    __tablename__ = "setu_counter"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


def next_value(session: Session, name: str, *, floor: Callable[[], int] | None = None) -> int:
    """Increment counter ``name`` and return its new value, locked until the transaction ends.

    ``floor`` is called when the counter does not exist yet: the series then continues after
    the number it returns (numbers handed out before the counter existed).
    """
    bumped = session.execute(
        update(Counter)
        .where(Counter.name == name)
        .values(value=Counter.value + 1)
        .returning(Counter.value)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if bumped is not None:
        return int(bumped)
    start = (floor() if floor is not None else 0) + 1
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # Another transaction may create the row meanwhile: then increment the row it committed.
    statement = (
        insert(Counter)
        .values(name=name, value=start)
        .on_conflict_do_update(index_elements=[Counter.name], set_={"value": Counter.value + 1})
        .returning(Counter.value)
    )
    return int(session.execute(statement).scalar_one())


def hold(session: Session, name: str) -> None:
    """Take the write lock ``name`` until the transaction ends (see the module docstring)."""
    next_value(session, f"lock:{name}")


__all__ = ["Counter", "hold", "next_value"]
