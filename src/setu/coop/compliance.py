"""Compliance of each mechanism with its cadence: engagements due versus held, per year.

Definitions (``today`` comes from the injected clock):

- **due**: the mechanism's ``slots_per_year`` for that year.
- **held**: meetings recorded for the mechanism that started in the year, plus exercise
  editions of series attached to it that started in the year.
- **overdue** engagement: not held, not cancelled, and its end date is before ``today`` while
  the year is still running.
- **missed** engagement: not held and not cancelled when the year is over; a mechanism has
  missed ``max(0, due - held)`` engagements once the year is over.

Status per mechanism: ``met`` (held ≥ due), ``missed`` (year over, held < due), ``overdue``
(some engagement overdue), ``on_track`` (otherwise) and ``not_due`` (nothing due).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.orm import Session

from setu.coop.models import (
    Engagement,
    EngagementStatus,
    ExerciseEdition,
    ExerciseSeries,
    Mechanism,
)
from setu.coop.models import Meeting as MeetingRow

_OPEN = {EngagementStatus.PROPOSED, EngagementStatus.SCHEDULED, EngagementStatus.ON_HOLD}


@dataclass(frozen=True)
class ComplianceRow:
    mechanism: str
    title: str
    cadence: str
    year: int
    due: int
    held: int
    scheduled: int
    cancelled: int
    overdue: int
    missed: int
    status: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Flag:
    """An engagement that needs attention: overdue (year running) or missed (year over)."""

    engagement_id: int
    mechanism: str
    title: str
    start_on: date
    end_on: date
    status: str
    flag: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _held_counts(session: Session, year: int) -> Counter[int]:
    held: Counter[int] = Counter()
    meetings = session.scalars(
        select(MeetingRow.mechanism_id).where(extract("year", MeetingRow.start_on) == year)
    )
    held.update(meetings)
    editions = session.scalars(
        select(ExerciseSeries.mechanism_id)
        .join(ExerciseEdition, ExerciseEdition.series_id == ExerciseSeries.id)
        .where(
            ExerciseSeries.mechanism_id.is_not(None),
            extract("year", ExerciseEdition.start_on) == year,
        )
    )
    held.update(m for m in editions if m is not None)
    return held


def engagement_flag(engagement: Engagement, today: date) -> str | None:
    if engagement.status not in _OPEN:
        return None
    if today > date(engagement.year, 12, 31):
        return "missed"
    if engagement.end_on < today:
        return "overdue"
    return None


def flags(session: Session, year: int, today: date) -> list[Flag]:
    rows = session.scalars(
        select(Engagement).where(Engagement.year == year).order_by(Engagement.start_on)
    )
    out: list[Flag] = []
    for engagement in rows:
        flag = engagement_flag(engagement, today)
        if flag is not None:
            out.append(
                Flag(
                    engagement.id,
                    engagement.mechanism.key,
                    engagement.title,
                    engagement.start_on,
                    engagement.end_on,
                    engagement.status.value,
                    flag,
                )
            )
    return out


def _status(due: int, held: int, overdue: int, year_over: bool) -> str:
    if due == 0:
        return "not_due" if held == 0 else "met"
    if held >= due:
        return "met"
    if year_over:
        return "missed"
    return "overdue" if overdue else "on_track"


def compliance(session: Session, year: int, today: date) -> list[ComplianceRow]:
    """One row per mechanism that is due in ``year`` or had engagements or meetings in it."""
    held = _held_counts(session, year)
    per_mech: dict[int, list[Engagement]] = {}
    for engagement in session.scalars(select(Engagement).where(Engagement.year == year)):
        per_mech.setdefault(engagement.mechanism_id, []).append(engagement)
    year_over = today > date(year, 12, 31)
    rows: list[ComplianceRow] = []
    for mech in session.scalars(select(Mechanism).order_by(Mechanism.position, Mechanism.id)):
        engagements = per_mech.get(mech.id, [])
        due = mech.slots_per_year
        if due == 0 and not engagements and not held[mech.id]:
            continue
        marks = Counter(engagement_flag(e, today) for e in engagements)
        n_held = held[mech.id]
        missed = max(0, due - n_held) if year_over else 0
        rows.append(
            ComplianceRow(
                mechanism=mech.key,
                title=mech.title,
                cadence=mech.cadence.value,
                year=year,
                due=due,
                held=n_held,
                scheduled=sum(e.status is EngagementStatus.SCHEDULED for e in engagements),
                cancelled=sum(e.status is EngagementStatus.CANCELLED for e in engagements),
                overdue=marks["overdue"],
                missed=missed,
                status=_status(due, n_held, marks["overdue"], year_over),
            )
        )
    return rows
