"""Holdings of information received from the partner, and their return or destruction.

**Holdings** (:class:`Holdings`): the register of what this node received (Art 6(e)-(f) [T]:
identification, location, inventory and control): object kind and id, the originator's label
exactly as received (R2: the recipient never changes it; only an originator's notice does,
:mod:`setu.security.reclassify`), the content hash, the purpose it was received for and from
which node. A receipt for a purpose the label does not carry is refused (R7). Reading the
register goes through the gate: what a viewer may not read is not listed, and a forbidden id
answers as an unknown one.

**Retention** (:class:`Retention`): information is returned or destroyed when no longer needed
for its purpose (Art 6(h) [T], reference notes R12). How long that is per purpose is a decision
of the two governments that no public text states, so setu ships no default: an officer sets
days per purpose (``setu retention set``), and a holding whose purpose has no period is kept
and reported as such. :meth:`Retention.run` finds holdings past their period, calls the
deletion hook for each, and records the destruction in the disclosure log and in
``security_destruction`` (the log entry's index lets an outsider check it with
``setu audit prove``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from setu.security.audit import AuditEntry, EntryKind
from setu.security.errors import (
    AccessDenied,
    HeldItemNotFoundError,
    InvalidRequestError,
    RetentionError,
)
from setu.security.gate import Resource
from setu.security.labels import Label, Purpose, validate_node_name
from setu.security.models_release import DestructionRow, HeldItemRow, RetentionRow
from setu.security.principals import Principal, Role
from setu.security.release import Office
from setu.security.release_rules import ReleaseItem

MAX_RETENTION_DAYS = 36_500  # a century: beyond it a period is a typing error, not a policy
_NOT_FOUND = "no held item {!r} that you may see; list them with `setu retention holdings`"
_SETS_RETENTION = frozenset({Role.RELEASING_OFFICER, Role.ADMINISTRATOR})


@dataclass(frozen=True)
class HeldItem:
    """One object received from a partner, as the register keeps it."""

    object_kind: str
    object_id: str
    label: Label
    content_sha256: str
    purpose: str
    source_node: str
    received_at: datetime
    destroyed_at: datetime | None

    @classmethod
    def from_row(cls, row: HeldItemRow) -> HeldItem:
        return cls(
            object_kind=row.object_kind,
            object_id=row.object_id,
            label=Label.from_dict(row.label),
            content_sha256=row.content_sha256,
            purpose=row.purpose,
            source_node=row.source_node,
            received_at=row.received_at,
            destroyed_at=row.destroyed_at,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "object_kind": self.object_kind,
            "object_id": self.object_id,
            "classification": self.label.classification,
            "originator": f"{self.label.originator_nation}/{self.label.originator_node}",
            "purpose": self.purpose,
            "source_node": self.source_node,
            "received_at": self.received_at,
            "destroyed_at": self.destroyed_at,
        }


@dataclass(frozen=True)
class DestructionRecord:
    """The record that a held object was destroyed at the end of its retention period."""

    object_kind: str
    object_id: str
    purpose: str
    retention_days: int
    received_at: datetime
    destroyed_at: datetime
    destroyed_by: str
    audit_index: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Holdings:
    """The register of objects received from partners (see the module doc)."""

    def __init__(self, office: Office) -> None:
        self.office = office

    def receive(self, item: ReleaseItem, *, purpose: str, source_node: str) -> HeldItem:
        """Record an object received from ``source_node`` for ``purpose``, its label as sent."""
        validate_node_name(source_node)
        if purpose not in item.label.purposes:
            raise InvalidRequestError(
                f"{item.object_id!r} is labelled for {sorted(item.label.purposes)}, not "
                f"{purpose}: it may not be received for that purpose (R7)"
            )
        now = self.office.clock()
        self.office.audit.append(
            AuditEntry(
                kind=EntryKind.DISCLOSURE,
                principal=source_node,
                action="receive",
                object_ids=(item.object_id,),
                recipient=self.office.local_nation,
                purpose=purpose,
                reason="received from the partner; originator label kept",
                details={"label": item.label.to_dict(), "content_sha256": item.content_sha256},
            )
        )
        row = HeldItemRow(
            object_kind=item.object_kind.value,
            object_id=item.object_id,
            label=item.label.to_dict(),
            content_sha256=item.content_sha256,
            purpose=purpose,
            source_node=source_node,
            received_at=now,
        )
        with self.office.db.session(write=True) as session:
            session.add(row)
            session.flush()
            return HeldItem.from_row(row)

    def _all(self, *, include_destroyed: bool = False) -> list[HeldItem]:
        query = select(HeldItemRow).order_by(HeldItemRow.id)
        if not include_destroyed:
            query = query.where(HeldItemRow.destroyed_at.is_(None))
        with self.office.db.session(write=False) as session:
            return [HeldItem.from_row(r) for r in session.scalars(query)]

    def visible(self, viewer: Principal, *, include_destroyed: bool = False) -> list[HeldItem]:
        """Held objects ``viewer`` may read (the others are not listed)."""
        items = self._all(include_destroyed=include_destroyed)
        allowed = self.office.readable(viewer, [Resource(i.object_id, i.label) for i in items])
        return [i for i in items if i.object_id in allowed]

    def get(self, viewer: Principal, object_id: str) -> HeldItem:
        """One held object; unknown and forbidden give the same :class:`HeldItemNotFoundError`."""
        with self.office.db.session(write=False) as session:
            row = session.scalars(
                select(HeldItemRow).where(HeldItemRow.object_id == object_id)
            ).first()
            found = HeldItem.from_row(row) if row is not None else None
        if found is None or not self.office.readable(viewer, [Resource(object_id, found.label)]):
            raise HeldItemNotFoundError(_NOT_FOUND.format(object_id))
        return found


def _check_days(purpose: str, days: object) -> int:
    if purpose not in {p.value for p in Purpose}:
        raise RetentionError(
            f"unknown purpose {purpose!r}; use one of {[p.value for p in Purpose]}"
        )
    if isinstance(days, bool) or not isinstance(days, int) or not 0 < days <= MAX_RETENTION_DAYS:
        raise RetentionError(f"retention days must be a whole number 1–{MAX_RETENTION_DAYS}")
    return days


class Retention:
    """Retention periods per purpose and the destruction of expired holdings."""

    def __init__(self, office: Office) -> None:
        self.office = office
        self.holdings = Holdings(office)

    def set_period(self, officer: Principal, purpose: str, days: int) -> None:
        """Set how many days objects received for ``purpose`` are kept (releasing officers and
        administrators; recorded in the disclosure log)."""
        _check_days(purpose, days)
        if officer.disabled or not officer.roles & _SETS_RETENTION:
            raise AccessDenied("only a releasing officer or an administrator sets retention")
        now = self.office.clock()
        self.office.audit.append(
            AuditEntry(
                kind=EntryKind.DESTRUCTION,
                principal=officer.name,
                action="retention_set",
                purpose=purpose,
                rule="R12",
                reason=f"keep {purpose} holdings {days} days",
                details={"days": days},
            )
        )
        with self.office.db.session(write=True) as session:
            row = session.get(RetentionRow, purpose)
            if row is None:
                session.add(
                    RetentionRow(purpose=purpose, days=days, set_by=officer.name, set_at=now)
                )
            else:
                row.days, row.set_by, row.set_at = days, officer.name, now

    def periods(self) -> dict[str, int]:
        with self.office.db.session(write=False) as session:
            return {r.purpose: r.days for r in session.scalars(select(RetentionRow))}

    def due(self) -> tuple[list[tuple[HeldItem, int]], list[HeldItem]]:
        """(holdings past their period with that period in days, holdings whose purpose has
        no period set)."""
        periods = self.periods()
        now = self.office.clock()
        expired: list[tuple[HeldItem, int]] = []
        unset: list[HeldItem] = []
        for item in self.holdings._all():
            days = periods.get(item.purpose)
            if days is None:
                unset.append(item)
            elif item.received_at + timedelta(days=days) <= now:
                expired.append((item, days))
        return expired, unset

    def run(self, actor: str, delete: Callable[[HeldItem], None]) -> list[DestructionRecord]:
        """Destroy every holding past its period: ``delete`` removes the data (it must be
        idempotent: a run interrupted after it is repeated), then the destruction is appended
        to the disclosure log and recorded."""
        expired, _ = self.due()
        return [self._destroy(actor, item, days, delete) for item, days in expired]

    def _destroy(
        self, actor: str, item: HeldItem, days: int, delete: Callable[[HeldItem], None]
    ) -> DestructionRecord:
        delete(item)
        now = self.office.clock()
        receipt = self.office.audit.append(
            AuditEntry(
                kind=EntryKind.DESTRUCTION,
                principal=actor,
                action="destroy",
                object_ids=(item.object_id,),
                purpose=item.purpose,
                rule="R12",
                reason=f"retention of {days} days for {item.purpose} ended",
                details={
                    "object_kind": item.object_kind,
                    "label": item.label.to_dict(),
                    "content_sha256": item.content_sha256,
                    "received_at": item.received_at.isoformat(),
                },
            )
        )
        record = DestructionRecord(
            object_kind=item.object_kind,
            object_id=item.object_id,
            purpose=item.purpose,
            retention_days=days,
            received_at=item.received_at,
            destroyed_at=now,
            destroyed_by=actor,
            audit_index=receipt.index,
        )
        with self.office.db.session(write=True) as session:
            session.add(DestructionRow(**record.to_dict()))
            row = session.scalars(
                select(HeldItemRow).where(HeldItemRow.object_id == item.object_id)
            ).one()
            row.destroyed_at = now
        return record

    def destructions(self, viewer: Principal) -> Sequence[DestructionRecord]:
        """Destruction records of objects ``viewer`` may read, oldest first (a record names its
        object, so it is shown only to whoever may read the object's label)."""
        with self.office.db.session(write=False) as session:
            rows = session.scalars(select(DestructionRow).order_by(DestructionRow.id)).all()
            ids = {r.object_id for r in rows}
            labels = {
                h.object_id: Label.from_dict(h.label)
                for h in session.scalars(select(HeldItemRow).where(HeldItemRow.object_id.in_(ids)))
            }
        allowed = self.office.readable(viewer, [Resource(i, lb) for i, lb in labels.items()])
        return [
            DestructionRecord(
                object_kind=r.object_kind,
                object_id=r.object_id,
                purpose=r.purpose,
                retention_days=r.retention_days,
                received_at=r.received_at,
                destroyed_at=r.destroyed_at,
                destroyed_by=r.destroyed_by,
                audit_index=r.audit_index,
            )
            for r in rows
            if r.object_id in allowed
        ]


__all__ = [
    "MAX_RETENTION_DAYS",
    "DestructionRecord",
    "HeldItem",
    "Holdings",
    "Retention",
]
