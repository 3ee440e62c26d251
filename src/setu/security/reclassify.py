"""Changing a classification: only the originator does, by a signed notice the recipient applies.

Art 6(g) [T] (reference notes R11): only the providing party changes (downgrades, declassifies)
the classification of information it provided; the recipient applies the change once notified.
Japan–NATO [V]: the originator's classification is maintained until then.

- :meth:`Reclassifier.issue` runs at the originating node: the gate decides ``downgrade``
  (policy ``R11-originator-only``: only labels this node originated; only a releasing officer
  cleared for them), then the node signs a :class:`ReclassificationNotice` naming the objects
  and the new level in the originator's own scheme, with its Ed25519 key over the canonical
  bytes under a domain-separation prefix (RFC 8032; as consents, :mod:`setu.security.consent`).
- :meth:`Reclassifier.apply` runs at the recipient: the notice must verify under the trusted
  key of the node it names, that node must be bound to the nation it names, and it must be the
  originator in the label of every held object it names; otherwise nothing is applied. The
  held object's label changes only in its classification, and the change is recorded with the
  notice (``security_reclassification``) and in the disclosure log.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from setu.security import equivalence as eq
from setu.security.audit import AuditEntry, EntryKind
from setu.security.errors import InvalidLabelError, InvalidRequestError, NoticeError
from setu.security.gate import Action, Resource
from setu.security.labels import (
    Label,
    canonical_json,
    format_time,
    parse_time,
    validate_node_name,
    validate_trigraph,
)
from setu.security.models_release import HeldItemRow, ReclassificationRow
from setu.security.node import TrustedKey
from setu.security.principals import Principal
from setu.security.release import Office

#: Domain separation: a notice signature is never valid as a consent or a tree head.
SIGNING_CONTEXT = b"setu/reclassification/v1\n"
_ID = re.compile(r"[0-9a-f]{32}")
_FIELDS = frozenset(
    {
        "notice_id",
        "originator_nation",
        "originator_node",
        "object_ids",
        "new_classification",
        "issued_at",
    }
)


@dataclass(frozen=True, kw_only=True)
class ReclassificationNotice:
    """The originator's notice: these objects now carry ``new_classification`` (its scheme)."""

    notice_id: str
    originator_nation: str
    originator_node: str
    object_ids: frozenset[str]
    new_classification: str
    issued_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.notice_id, str) or not _ID.fullmatch(self.notice_id):
            raise NoticeError("notice_id must be 32 lowercase hex digits")
        validate_trigraph(self.originator_nation, "notice originator nation")
        validate_node_name(self.originator_node)
        ids = frozenset(self.object_ids)
        if not ids or not all(isinstance(i, str) and i for i in ids):
            raise NoticeError("a notice names at least one object id (non-empty strings)")
        if self.issued_at.utcoffset() is None:
            raise NoticeError("a notice's time must be timezone-aware (UTC)")
        object.__setattr__(self, "object_ids", ids)

    def to_dict(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "originator_nation": self.originator_nation,
            "originator_node": self.originator_node,
            "object_ids": sorted(self.object_ids),
            "new_classification": self.new_classification,
            "issued_at": format_time(self.issued_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReclassificationNotice:
        if not isinstance(data, Mapping) or set(data) != _FIELDS:
            raise NoticeError(
                f"a re-classification notice needs exactly the keys {sorted(_FIELDS)}"
            )
        ids = data["object_ids"]
        if not isinstance(ids, list) or len(set(map(str, ids))) != len(ids):
            raise NoticeError("object_ids must be a list of distinct strings")
        return cls(
            notice_id=data["notice_id"],
            originator_nation=data["originator_nation"],
            originator_node=data["originator_node"],
            object_ids=frozenset(ids),
            new_classification=data["new_classification"],
            issued_at=parse_time(data["issued_at"]),
        )


@dataclass(frozen=True)
class SignedNotice:
    """A notice and its originating node's Ed25519 signature over its canonical bytes."""

    notice: ReclassificationNotice
    signature: bytes

    def to_json(self) -> str:
        sig = base64.urlsafe_b64encode(self.signature).decode().rstrip("=")
        return json.dumps({"notice": self.notice.to_dict(), "signature": sig}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SignedNotice:
        try:
            doc = json.loads(text)
            sig = doc["signature"]
            signature = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
            notice = ReclassificationNotice.from_dict(doc["notice"])
        except (ValueError, KeyError, TypeError, InvalidLabelError) as exc:
            raise NoticeError(f"the notice cannot be read ({exc})") from None
        return cls(notice, signature)


def sign_notice(notice: ReclassificationNotice, key: Ed25519PrivateKey) -> SignedNotice:
    return SignedNotice(notice, key.sign(SIGNING_CONTEXT + canonical_json(notice.to_dict())))


def verify_notice(
    signed: SignedNotice, trusted_keys: Mapping[str, TrustedKey]
) -> ReclassificationNotice:
    """The notice, if it verifies under the key trusted for the node it names, bound to the
    nation it names; :class:`NoticeError` otherwise."""
    notice = signed.notice
    trusted = trusted_keys.get(notice.originator_node)
    if trusted is None:
        raise NoticeError(
            f"no trusted signing key for node {notice.originator_node!r}; add the partner with "
            "`setu partner add` before applying its notices"
        )
    if trusted.nation != notice.originator_nation:
        raise NoticeError(
            f"notice {notice.notice_id} names {notice.originator_nation} but node "
            f"{notice.originator_node!r} is trusted as a node of {trusted.nation}: refused"
        )
    try:
        trusted.public_key.verify(
            signed.signature, SIGNING_CONTEXT + canonical_json(notice.to_dict())
        )
    except InvalidSignature:
        raise NoticeError(
            f"notice {notice.notice_id} does not verify under the key of node "
            f"{notice.originator_node!r}: it is forged or altered; ask the originator again"
        ) from None
    return notice


@dataclass(frozen=True)
class Reclassified:
    """One object's label before and after a notice."""

    notice_id: str
    object_id: str
    old_label: Label
    new_label: Label
    audit_index: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "notice_id": self.notice_id,
            "object_id": self.object_id,
            "old_classification": self.old_label.classification,
            "new_classification": self.new_label.classification,
            "originator": f"{self.old_label.originator_nation}/{self.old_label.originator_node}",
            "audit_index": self.audit_index,
        }


def _entry(actor: str, action: str, signed: SignedNotice, object_ids: Iterable[str]) -> AuditEntry:
    notice = signed.notice
    return AuditEntry(
        kind=EntryKind.RECLASSIFICATION,
        principal=actor,
        action=action,
        object_ids=tuple(object_ids),
        rule="R11",
        reason=f"classification changed to {notice.new_classification} by the originator",
        details={
            "notice": notice.to_dict(),
            "signature": base64.urlsafe_b64encode(signed.signature).decode(),
        },
    )


class Reclassifier:
    """Issue notices at the originator and apply them at the recipient (see the module doc)."""

    def __init__(self, office: Office, trusted_keys: Mapping[str, TrustedKey]) -> None:
        self.office = office
        self.trusted_keys = trusted_keys

    def issue(
        self,
        officer: Principal,
        signing_key: Ed25519PrivateKey,
        objects: Sequence[tuple[str, Label]],
        new_classification: str,
    ) -> SignedNotice:
        """Sign a notice changing ``objects`` to ``new_classification`` (this nation's scheme)."""
        office = self.office
        if not objects:
            raise InvalidRequestError("a notice names at least one object")
        eq.rank(office.local_nation, new_classification)  # an unmapped level: UnmappedLevelError
        resources = [Resource(object_id, label) for object_id, label in objects]
        office.decide(officer, Action.DOWNGRADE, resources).require_all()
        notice = ReclassificationNotice(
            notice_id=secrets.token_hex(16),
            originator_nation=office.local_nation,
            originator_node=office.local_node,
            object_ids=frozenset(object_id for object_id, _ in objects),
            new_classification=new_classification,
            issued_at=office.clock(),
        )
        signed = sign_notice(notice, signing_key)
        self.office.audit.append(
            _entry(officer.name, "reclassify_issue", signed, notice.object_ids)
        )
        return signed

    def apply(self, actor: str, document: str) -> list[Reclassified]:
        """Verify a received notice and apply it to the held objects it names (all or none)."""
        signed = SignedNotice.from_json(document)
        notice = verify_notice(signed, self.trusted_keys)
        changes: list[tuple[str, Label, Label]] = []
        with self.office.db.session(write=False) as session:
            rows = session.scalars(
                select(HeldItemRow).where(
                    HeldItemRow.object_id.in_(notice.object_ids),
                    HeldItemRow.destroyed_at.is_(None),
                )
            ).all()
            applied = set(
                session.scalars(
                    select(ReclassificationRow.object_id).where(
                        ReclassificationRow.notice_id == notice.notice_id
                    )
                )
            )
        for row in rows:
            old = Label.from_dict(row.label)
            if (old.originator_nation, old.originator_node) != (
                notice.originator_nation,
                notice.originator_node,
            ):
                raise NoticeError(
                    f"notice {notice.notice_id} from {notice.originator_nation}/"
                    f"{notice.originator_node} names an object it did not originate: only the "
                    "originator changes a classification (R11); nothing was applied"
                )
            if row.object_id in applied:
                continue
            eq.rank(old.originator_nation, notice.new_classification)  # unmapped: refused
            changes.append(
                (row.object_id, old, replace(old, classification=notice.new_classification))
            )
        if not changes:
            return []
        return self._record(actor, "reclassify_apply", signed, changes)

    def _record(
        self,
        actor: str,
        action: str,
        signed: SignedNotice,
        changes: Iterable[tuple[str, Label, Label]],
    ) -> list[Reclassified]:
        items = list(changes)
        notice = signed.notice
        receipt = self.office.audit.append(
            _entry(actor, action, signed, [oid for oid, _, _ in items])
        )
        now = self.office.clock()
        done = []
        with self.office.db.session(write=True) as session:
            held = {
                r.object_id: r
                for r in session.scalars(
                    select(HeldItemRow).where(HeldItemRow.object_id.in_([i for i, _, _ in items]))
                )
            }
            for object_id, old, new in items:
                held[object_id].label = new.to_dict()
                session.add(
                    ReclassificationRow(
                        notice_id=notice.notice_id,
                        object_id=object_id,
                        old_label=old.to_dict(),
                        new_label=new.to_dict(),
                        document=signed.to_json(),
                        applied_by=actor,
                        applied_at=now,
                        audit_index=receipt.index,
                    )
                )
                done.append(Reclassified(notice.notice_id, object_id, old, new, receipt.index))
        return done

    def history(self, viewer: Principal) -> list[Reclassified]:
        """Changes applied to held objects that ``viewer`` may read (issued notices are in the
        disclosure log: ``setu audit list --kind reclassification``)."""
        with self.office.db.session(write=False) as session:
            rows = session.scalars(
                select(ReclassificationRow).order_by(ReclassificationRow.id)
            ).all()
        found = [
            Reclassified(
                r.notice_id,
                r.object_id,
                Label.from_dict(r.old_label),
                Label.from_dict(r.new_label),
                r.audit_index,
            )
            for r in rows
        ]
        # an object is shown only if the viewer may read it under both labels
        resources = [Resource(f.object_id, lb) for f in found for lb in (f.old_label, f.new_label)]
        allowed = self.office.readable(viewer, resources)
        return [f for f in found if f.object_id in allowed]


__all__ = [
    "SIGNING_CONTEXT",
    "ReclassificationNotice",
    "Reclassified",
    "Reclassifier",
    "SignedNotice",
    "sign_notice",
    "verify_notice",
]
