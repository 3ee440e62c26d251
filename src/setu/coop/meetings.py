"""Meeting records, their outcomes, and action items with owners, due dates and status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from setu.coop.models import (
    ActionItem,
    ActionStatus,
    Delegation,
    Engagement,
    EngagementStatus,
    Mechanism,
    Meeting,
    Outcome,
    OutcomeKind,
)
from setu.coop.records import record
from setu.db.base import Classification, Party, parse_enum
from setu.db.limits import row_by_id
from setu.errors import NotFoundError, StateError, ValidationError

#: Action-item status changes allowed (closed items can be reopened to in_progress).
ACTION_TRANSITIONS: dict[ActionStatus, set[ActionStatus]] = {
    ActionStatus.OPEN: {ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.CANCELLED},
    ActionStatus.IN_PROGRESS: {ActionStatus.OPEN, ActionStatus.DONE, ActionStatus.CANCELLED},
    ActionStatus.DONE: {ActionStatus.IN_PROGRESS},
    ActionStatus.CANCELLED: {ActionStatus.OPEN},
}


@dataclass(frozen=True)
class DelegationIn:
    party: Party | str
    leader: str
    level: str
    size: int | None = None


@dataclass(frozen=True)
class OutcomeIn:
    kind: OutcomeKind | str
    text: str


def _require(text: str, what: str) -> str:
    if not text or not text.strip():
        raise ValidationError(f"{what} is required")
    return text.strip()


def record_meeting(
    session: Session,
    mechanism: Mechanism,
    *,
    start_on: date,
    end_on: date | None,
    place: str,
    host: Party | str,
    agenda: list[str],
    delegations: list[DelegationIn],
    outcomes: list[OutcomeIn],
    summary: str,
    engagement: Engagement | None,
    classification: Classification,
    now: datetime,
) -> Meeting:
    """Record a meeting of ``mechanism``; marks its calendar engagement held."""
    end = end_on or start_on
    if end < start_on:
        raise ValidationError(f"meeting end {end} is before its start {start_on}")
    if engagement is not None and engagement.mechanism_id != mechanism.id:
        raise ValidationError(
            f"engagement {engagement.id} belongs to another mechanism than {mechanism.key}"
        )
    meeting = Meeting(
        mechanism_id=mechanism.id,
        engagement_id=engagement.id if engagement is not None else None,
        start_on=start_on,
        end_on=end,
        place=_require(place, "place"),
        host=parse_enum(Party, host, "host"),
        agenda=[a.strip() for a in agenda if a.strip()],
        summary=summary,
        created_at=now,
        classification=classification,
    )
    for d in delegations:
        meeting.delegations.append(
            Delegation(
                party=parse_enum(Party, d.party, "delegation party"),
                leader=_require(d.leader, "delegation leader"),
                level=_require(d.level, "delegation level"),
                size=d.size,
                classification=classification,
            )
        )
    for o in outcomes:
        meeting.outcomes.append(
            Outcome(
                kind=parse_enum(OutcomeKind, o.kind, "outcome kind"),
                text=_require(o.text, "outcome text"),
                classification=classification,
            )
        )
    session.add(meeting)
    if engagement is not None:
        if engagement.status is EngagementStatus.CANCELLED:
            raise StateError(f"engagement {engagement.id} was cancelled; record it without one")
        engagement.status = EngagementStatus.HELD
        engagement.start_on, engagement.end_on = start_on, end
        engagement.sequence += 1
        engagement.updated_at = now
    session.flush()
    return meeting


def add_action_item(
    session: Session,
    meeting: Meeting,
    *,
    text: str,
    owner: str,
    due_on: date,
    outcome_id: int | None,
    now: datetime,
) -> ActionItem:
    if outcome_id is not None and outcome_id not in {o.id for o in meeting.outcomes}:
        raise ValidationError(f"outcome {outcome_id} is not an outcome of meeting {meeting.id}")
    item = ActionItem(
        meeting_id=meeting.id,
        outcome_id=outcome_id,
        text=_require(text, "action item text"),
        owner=_require(owner, "action item owner"),
        due_on=due_on,
        status=ActionStatus.OPEN,
        created_at=now,
        updated_at=now,
        classification=meeting.classification,
    )
    session.add(item)
    session.flush()
    return item


def update_action_item(
    item: ActionItem,
    *,
    status: ActionStatus | str | None,
    owner: str | None,
    due_on: date | None,
    now: datetime,
) -> ActionItem:
    if status is not None:
        new = parse_enum(ActionStatus, status, "action status")
        if new is not item.status:
            if new not in ACTION_TRANSITIONS[item.status]:
                raise StateError(
                    f"action item {item.id} is {item.status.value}; it cannot become {new.value}"
                )
            item.status = new
            done = new in (ActionStatus.DONE, ActionStatus.CANCELLED)
            item.closed_at = now if done else None
    if owner is not None:
        item.owner = _require(owner, "owner")
    if due_on is not None:
        item.due_on = due_on
    item.updated_at = now
    return item


def is_overdue(item: ActionItem, today: date) -> bool:
    return item.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS) and item.due_on < today


def action_view(item: ActionItem, today: date) -> dict[str, Any]:
    row = record(item)
    row["mechanism"] = item.meeting.mechanism.key
    row["overdue"] = is_overdue(item, today)
    row["days_overdue"] = (today - item.due_on).days if row["overdue"] else 0
    return row


def meeting_view(meeting: Meeting, today: date) -> dict[str, Any]:
    row = record(meeting)
    row["mechanism"] = meeting.mechanism.key
    row["mechanism_title"] = meeting.mechanism.title
    row["delegations"] = [record(d, exclude=("meeting_id",)) for d in meeting.delegations]
    row["outcomes"] = [record(o, exclude=("meeting_id",)) for o in meeting.outcomes]
    row["action_items"] = [action_view(a, today) for a in meeting.action_items]
    return row


def get_meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = row_by_id(session, Meeting, meeting_id)
    if meeting is None:
        raise NotFoundError(f"no meeting {meeting_id}; list them with `setu coop meetings list`")
    return meeting


def get_action_item(session: Session, item_id: int) -> ActionItem:
    item = row_by_id(session, ActionItem, item_id)
    if item is None:
        raise NotFoundError(f"no action item {item_id}; list them with `setu coop actions list`")
    return item


def list_action_items(
    session: Session, *, status: ActionStatus | None, overdue_only: bool, today: date
) -> list[ActionItem]:
    query = select(ActionItem).order_by(ActionItem.due_on, ActionItem.id)
    if status is not None:
        query = query.where(ActionItem.status == status)
    items = list(session.scalars(query))
    return [i for i in items if is_overdue(i, today)] if overdue_only else items
