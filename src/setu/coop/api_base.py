"""Plumbing shared by the parts of the cooperation API: sessions, clock, look-ups.

Every change to the framework runs in :meth:`ApiBase._writing`, which holds the framework's
write lock (:data:`COOP_LOCK`) from its first read to its commit: two desk officers (or two
``coop seed`` runs) changing the framework at once are applied one after the other, each
seeing what the other committed. Keys are looked up by their one normal form
(:func:`setu.db.limits.normalise_key`), so ``K1`` finds ``k1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from setu.clock import Clock, utc_now
from setu.coop.models import Engagement, Mechanism
from setu.db.engine import Database
from setu.db.limits import normalise_key, row_by_id
from setu.errors import NotFoundError, ValidationError

#: The write lock every change to the cooperation framework holds.
COOP_LOCK = "coop"


def key_matches(column: InstrumentedAttribute[Any], key: str, what: str) -> ColumnElement[bool]:
    """``column`` equals ``key`` in normal form (also for rows stored before keys were normal)."""
    return func.lower(func.trim(column)) == normalise_key(key, what, column)


class ApiBase:
    """One unit of work per call; time from the injected clock."""

    def __init__(self, db: Database, *, clock: Clock = utc_now, actor: str = "setu") -> None:
        self.db = db
        self.clock = clock
        self.actor = actor

    # -- plumbing -------------------------------------------------------------------------
    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A unit of work that only reads."""
        with self.db.session(write=False) as session:
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A unit of work that changes the framework, under the framework's write lock."""
        with self.db.session(lock=COOP_LOCK) as session:
            yield session

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().date()

    def _mechanism(self, s: Session, key: str) -> Mechanism:
        try:
            wanted = normalise_key(key, "mechanism key", Mechanism.key)
        except ValidationError:
            wanted = ""  # cannot be a key: not found
        candidates = (wanted, f"ap2009-{wanted}")
        row = s.scalars(
            select(Mechanism)
            .where(func.lower(func.trim(Mechanism.key)).in_(candidates))
            .order_by(Mechanism.id)
        ).first()
        if row is None:
            raise NotFoundError(f"no mechanism {key!r}; list them with `setu coop mechanisms list`")
        return row

    def _engagement(self, s: Session, engagement_id: int) -> Engagement:
        row = row_by_id(s, Engagement, engagement_id)
        if row is None:
            raise NotFoundError(
                f"no engagement {engagement_id}; list them with `setu coop calendar list`"
            )
        return row
