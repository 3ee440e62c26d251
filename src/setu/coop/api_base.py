"""Plumbing shared by the parts of the cooperation API: sessions, clock, look-ups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from setu.clock import Clock, utc_now
from setu.coop.models import Engagement, Mechanism
from setu.db.engine import Database
from setu.errors import NotFoundError


class ApiBase:
    """One unit of work per call; time from the injected clock."""

    def __init__(self, db: Database, *, clock: Clock = utc_now, actor: str = "setu") -> None:
        self.db = db
        self.clock = clock
        self.actor = actor

    # -- plumbing -------------------------------------------------------------------------
    @contextmanager
    def _session(self) -> Iterator[Session]:
        with self.db.session() as session:
            yield session

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().date()

    def _mechanism(self, s: Session, key: str) -> Mechanism:
        candidates = (key, f"ap2009-{key}")
        row = s.scalars(select(Mechanism).where(Mechanism.key.in_(candidates))).first()
        if row is None:
            raise NotFoundError(f"no mechanism {key!r}; list them with `setu coop mechanisms list`")
        return row

    def _engagement(self, s: Session, engagement_id: int) -> Engagement:
        row = s.get(Engagement, engagement_id)
        if row is None:
            raise NotFoundError(
                f"no engagement {engagement_id}; list them with `setu coop calendar list`"
            )
        return row
