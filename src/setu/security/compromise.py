"""Loss or compromise: a notice to the originator, due immediately.

Art 17 [T] (reference notes R13): the providing party is notified **immediately** of any actual
or possible loss or compromise of information it provided; the recipient investigates and
reports the result and the measures taken. setu records the report the moment it is made:

- :meth:`CompromiseDesk.report` takes held objects (received from partners,
  :class:`setu.security.retention.Holdings`) that the reporter may read — others answer as
  unknown — and creates one notice per originating node, signed by this node (Ed25519 over the
  canonical bytes under a domain-separation prefix), appended to the disclosure log and stored
  with its deadline: the report time itself ("immediately").
- Until :meth:`CompromiseDesk.mark_sent` records when it went to the originator, a notice is
  overdue, and listings say by how long.

Sending the notice over the exchange channel is the exchange's job (next issue): the stored
signed document is what it sends.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from setu.security.audit import AuditEntry, EntryKind
from setu.security.errors import CompromiseNotFoundError, InvalidRequestError
from setu.security.gate import Resource
from setu.security.labels import canonical_json, format_time
from setu.security.models_release import CompromiseRow, HeldItemRow
from setu.security.principals import Principal
from setu.security.release import Office
from setu.security.retention import HeldItem, Holdings

#: Domain separation: a compromise notice's signature is valid for nothing else.
SIGNING_CONTEXT = b"setu/compromise/v1\n"
MAX_DETAILS_CHARS = 4000  # what happened, in a paragraph; the investigation report follows
_NOT_FOUND = "no compromise notice {!r} that you may see; see `setu compromise list`"


@dataclass(frozen=True)
class CompromiseNotice:
    """A stored notice as listings show it."""

    notice_id: str
    originator_nation: str
    originator_node: str
    object_ids: tuple[str, ...]
    details: str
    reported_by: str
    reported_at: datetime
    notify_by: datetime  # = reported_at: "immediately" (Art 17 [T])
    notified_at: datetime | None
    document: str  # the signed notice to send
    audit_index: int

    @classmethod
    def from_row(cls, row: CompromiseRow) -> CompromiseNotice:
        return cls(
            notice_id=row.notice_id,
            originator_nation=row.originator_nation,
            originator_node=row.originator_node,
            object_ids=tuple(row.object_ids),
            details=row.details,
            reported_by=row.reported_by,
            reported_at=row.reported_at,
            notify_by=row.notify_by,
            notified_at=row.notified_at,
            document=row.document,
            audit_index=row.audit_index,
        )

    def overdue_s(self, now: datetime) -> float:
        """Seconds past the deadline while not sent; 0 once sent or before the deadline."""
        if self.notified_at is not None:
            return 0.0
        return max(0.0, (now - self.notify_by).total_seconds())

    def to_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "originator": f"{self.originator_nation}/{self.originator_node}",
            "objects": list(self.object_ids),
            "details": self.details,
            "reported_by": self.reported_by,
            "reported_at": self.reported_at,
            "notify_by": self.notify_by,
            "notified_at": self.notified_at,
            "overdue_s": round(self.overdue_s(now)),
            "audit_index": self.audit_index,
        }


def _document(payload: dict[str, Any], key: Ed25519PrivateKey) -> str:
    signature = key.sign(SIGNING_CONTEXT + canonical_json(payload))
    sig = base64.urlsafe_b64encode(signature).decode().rstrip("=")
    return json.dumps({"notice": payload, "signature": sig}, sort_keys=True, ensure_ascii=False)


class CompromiseDesk:
    """Reports of loss or compromise and their notices to the originators."""

    def __init__(self, office: Office) -> None:
        self.office = office
        self.holdings = Holdings(office)

    def report(
        self,
        reporter: Principal,
        signing_key: Ed25519PrivateKey,
        object_ids: Sequence[str],
        details: str,
    ) -> list[CompromiseNotice]:
        """One signed notice per originating node of the named held objects."""
        if not object_ids:
            raise InvalidRequestError("name the objects lost or compromised (--objects)")
        if not details.strip() or len(details) > MAX_DETAILS_CHARS:
            raise InvalidRequestError(
                f"describe what happened in 1–{MAX_DETAILS_CHARS} characters (--details)"
            )
        items = [self.holdings.get(reporter, object_id) for object_id in dict.fromkeys(object_ids)]
        by_originator: dict[tuple[str, str], list[HeldItem]] = {}
        for item in items:
            key = (item.label.originator_nation, item.label.originator_node)
            by_originator.setdefault(key, []).append(item)
        return [
            self._notice(reporter, signing_key, nation, node, group, details)
            for (nation, node), group in sorted(by_originator.items())
        ]

    def _notice(
        self,
        reporter: Principal,
        signing_key: Ed25519PrivateKey,
        nation: str,
        node: str,
        items: list[HeldItem],
        details: str,
    ) -> CompromiseNotice:
        office = self.office
        now = office.clock()
        ids = sorted(i.object_id for i in items)
        payload = {
            "notice_id": secrets.token_hex(16),
            "kind": "loss-or-compromise",
            "from_nation": office.local_nation,
            "from_node": office.local_node,
            "originator_nation": nation,
            "originator_node": node,
            "object_ids": ids,
            "details": details,
            "reported_at": format_time(now),
        }
        document = _document(payload, signing_key)
        receipt = office.audit.append(
            AuditEntry(
                kind=EntryKind.COMPROMISE,
                principal=reporter.name,
                action="compromise_report",
                object_ids=tuple(ids),
                recipient=nation,
                rule="R13",
                reason="loss or compromise: notify the originator immediately",
                details={"notice": payload},
            )
        )
        row = CompromiseRow(
            notice_id=payload["notice_id"],
            originator_nation=nation,
            originator_node=node,
            object_ids=ids,
            details=details,
            reported_by=reporter.name,
            reported_at=now,
            notify_by=now,
            document=document,
            audit_index=receipt.index,
        )
        with office.db.session(write=True) as session:
            session.add(row)
            session.flush()
            return CompromiseNotice.from_row(row)

    def notices(self, viewer: Principal) -> list[CompromiseNotice]:
        """Notices whose every object ``viewer`` may read, oldest first."""
        with self.office.db.session(write=False) as session:
            rows = session.scalars(select(CompromiseRow).order_by(CompromiseRow.reported_at)).all()
            found = [CompromiseNotice.from_row(r) for r in rows]
            ids = {i for n in found for i in n.object_ids}
            held = session.scalars(select(HeldItemRow).where(HeldItemRow.object_id.in_(ids)))
            labels = {h.object_id: HeldItem.from_row(h).label for h in held}
        allowed = self.office.readable(viewer, [Resource(i, lb) for i, lb in labels.items()])
        return [n for n in found if all(i in allowed for i in n.object_ids)]

    def mark_sent(self, actor: Principal, notice_id: str) -> CompromiseNotice:
        """Record that the notice went to the originator (now)."""
        visible = {n.notice_id: n for n in self.notices(actor)}
        if notice_id not in visible:
            raise CompromiseNotFoundError(_NOT_FOUND.format(notice_id))
        notice = visible[notice_id]
        now = self.office.clock()
        self.office.audit.append(
            AuditEntry(
                kind=EntryKind.COMPROMISE,
                principal=actor.name,
                action="compromise_notified",
                object_ids=notice.object_ids,
                recipient=notice.originator_nation,
                rule="R13",
                reason=f"notice {notice_id} sent to the originator",
            )
        )
        with self.office.db.session(write=True) as session:
            row = session.get(CompromiseRow, notice_id)
            assert row is not None
            if row.notified_at is None:
                row.notified_at = now
            session.flush()
            return CompromiseNotice.from_row(row)


__all__ = ["MAX_DETAILS_CHARS", "SIGNING_CONTEXT", "CompromiseDesk", "CompromiseNotice"]
