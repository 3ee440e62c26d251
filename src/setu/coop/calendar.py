"""The Annual Calendar of Defence Cooperation and Exchanges: generation, changes, iCalendar.

Generation rules (one engagement per *slot*):

- ``slots_per_year`` comes from the cadence (annual 1, basically twice a year 2, basically once a
  year 1, regular 1 as a planning assumption; occasional items none) and can be changed per
  mechanism.
- Slots start on the 15th of the mechanism's ``preferred_month`` (a planning default); a second
  slot falls six months after the first, so "twice a year" gives two slots about six months
  apart. Officers then schedule, move, hold or cancel each one.
- Hosts alternate between India and Japan: after the last recorded meeting the other side hosts;
  with no meeting on record, alternation counts from the mechanism's anchor (year, host).
  Naval exercises held "alternately off India and Japan" alternate their waters the same way.

The iCalendar export follows RFC 5545 (VERSION, PRODID, one VEVENT per engagement with a stable
UID, DTSTAMP, all-day DTSTART/DTEND, SEQUENCE bumped on every change) so Outlook and Google
Calendar import and update it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from setu.coop.models import Alternation, Engagement, EngagementChange, EngagementStatus, Mechanism
from setu.coop.models import Meeting as MeetingRow
from setu.db.base import Party
from setu.errors import StateError, ValidationError

PRODID = "-//setu//Annual Calendar of Defence Cooperation and Exchanges//EN"
UID_DOMAIN = "setu.coop"
SLOT_DAY = 15


def slot_months(mechanism: Mechanism) -> list[int]:
    """The month of each slot of a year: evenly spread from the preferred month."""
    count = mechanism.slots_per_year
    if count <= 0:
        return []
    first = mechanism.preferred_month or ((mechanism.position - 1) % 12) + 1
    step = 12 // count if count <= 12 else 1
    return sorted(((first - 1 + i * step) % 12) + 1 for i in range(min(count, 12)))


def first_host(session: Session, mechanism: Mechanism, year: int) -> Party | None:
    """Who hosts the first slot of ``year`` under the mechanism's alternation rule."""
    if mechanism.alternation is Alternation.NONE:
        return None
    last = session.scalars(
        select(MeetingRow)
        .where(MeetingRow.mechanism_id == mechanism.id, MeetingRow.start_on < date(year, 1, 1))
        .order_by(MeetingRow.start_on.desc())
        .limit(1)
    ).first()
    if last is not None:
        return last.host.other
    anchor_year = mechanism.anchor_year or year
    anchor_host = mechanism.anchor_host or Party.INDIA
    steps = (year - anchor_year) * max(mechanism.slots_per_year, 1)
    return anchor_host if steps % 2 == 0 else anchor_host.other


def venue(mechanism: Mechanism, host: Party | None) -> str | None:
    if host is None:
        return None
    if mechanism.alternation is Alternation.WATERS:
        return f"off {host.label}"
    return host.label


def slot_title(mechanism: Mechanism, year: int, slot: int) -> str:
    suffix = f" ({slot}/{mechanism.slots_per_year})" if mechanism.slots_per_year > 1 else ""
    return f"{mechanism.title} {year}{suffix}"


def log_change(
    session: Session,
    engagement: Engagement,
    *,
    at: datetime,
    actor: str,
    action: str,
    detail: dict[str, Any],
) -> None:
    session.add(
        EngagementChange(
            engagement_id=engagement.id,
            at=at,
            actor=actor,
            action=action,
            detail=detail,
            classification=engagement.classification,
        )
    )


def check_year(year: int) -> int:
    """``year`` when it is a calendar year setu plans for (1901–2999); ValidationError else."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 < year < 3000:
        raise ValidationError(f"year {year} is out of range; give a four-digit year")
    return year


def generate_year(session: Session, year: int, *, now: datetime, actor: str) -> list[Engagement]:
    """Create the missing proposed slots of ``year`` for every scheduled mechanism."""
    check_year(year)
    mechanisms = session.scalars(
        select(Mechanism).where(Mechanism.slots_per_year > 0).order_by(Mechanism.position)
    ).all()
    existing = {
        (e.mechanism_id, e.slot)
        for e in session.scalars(select(Engagement).where(Engagement.year == year))
    }
    created: list[Engagement] = []
    for mechanism in mechanisms:
        host = first_host(session, mechanism, year)
        for index, month in enumerate(slot_months(mechanism)):
            slot = index + 1
            slot_host = host if host is None or index % 2 == 0 else host.other
            if (mechanism.id, slot) in existing:
                continue
            start = date(year, month, SLOT_DAY)
            engagement = Engagement(
                uid=f"{mechanism.key}-{year}-{slot}@{UID_DOMAIN}",
                mechanism_id=mechanism.id,
                year=year,
                slot=slot,
                title=slot_title(mechanism, year, slot),
                status=EngagementStatus.PROPOSED,
                start_on=start,
                end_on=start + timedelta(days=max(mechanism.duration_days, 1) - 1),
                host=slot_host,
                place=venue(mechanism, slot_host),
                notes="",
                sequence=0,
                created_at=now,
                updated_at=now,
                classification=mechanism.classification,
            )
            session.add(engagement)
            session.flush()
            log_change(session, engagement, at=now, actor=actor, action="generated", detail={})
            created.append(engagement)
    return created


_ALLOWED: dict[str, set[EngagementStatus]] = {
    "schedule": {EngagementStatus.PROPOSED, EngagementStatus.SCHEDULED, EngagementStatus.ON_HOLD},
    "move": {EngagementStatus.PROPOSED, EngagementStatus.SCHEDULED, EngagementStatus.ON_HOLD},
    "hold": {EngagementStatus.PROPOSED, EngagementStatus.SCHEDULED},
    "resume": {EngagementStatus.ON_HOLD},
    "cancel": {EngagementStatus.PROPOSED, EngagementStatus.SCHEDULED, EngagementStatus.ON_HOLD},
    "held": {EngagementStatus.PROPOSED, EngagementStatus.SCHEDULED, EngagementStatus.ON_HOLD},
}


def check_allowed(engagement: Engagement, action: str) -> None:
    if engagement.status not in _ALLOWED[action]:
        allowed = ", ".join(sorted(s.value for s in _ALLOWED[action]))
        raise StateError(
            f"engagement {engagement.id} ({engagement.title}) is {engagement.status.value}; "
            f"'{action}' needs one of: {allowed}"
        )


def check_dates(start: date, end: date) -> None:
    if end < start:
        raise ValidationError(f"end date {end} is before start date {start}")


def _description(engagement: Engagement) -> str:
    mechanism = engagement.mechanism
    lines = [
        f"Mechanism {mechanism.key}: {mechanism.text}",
        f"Status: {engagement.status.value}",
        f"Owners: {', '.join(mechanism.owners)}",
        f"Classification: {engagement.classification.value}",
    ]
    if engagement.host is not None:
        lines.insert(2, f"Host: {engagement.host.label}")
    if mechanism.level:
        lines.insert(2, f"Level: {mechanism.level}")
    if engagement.notes:
        lines.append(f"Notes: {engagement.notes}")
    return "\n".join(lines)


_ICAL_STATUS = {
    EngagementStatus.PROPOSED: "TENTATIVE",
    EngagementStatus.ON_HOLD: "TENTATIVE",
    EngagementStatus.SCHEDULED: "CONFIRMED",
    EngagementStatus.HELD: "CONFIRMED",
    EngagementStatus.CANCELLED: "CANCELLED",
}


def to_ical(engagements: list[Engagement], *, name: str, now: datetime) -> bytes:
    """An RFC 5545 calendar with one all-day VEVENT per engagement."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for engagement in engagements:
        event = Event()
        event.add("uid", engagement.uid)
        event.add("dtstamp", now)
        event.add("dtstart", engagement.start_on)
        event.add("dtend", engagement.end_on + timedelta(days=1))
        event.add("summary", engagement.title)
        event.add("description", _description(engagement))
        event.add("status", _ICAL_STATUS[engagement.status])
        event.add("sequence", engagement.sequence)
        event.add("last-modified", engagement.updated_at)
        event.add("categories", [engagement.mechanism.kind.value])
        event.add("class", "PRIVATE")
        if engagement.place:
            event.add("location", engagement.place)
        calendar.add_component(event)
    return calendar.to_ical()
