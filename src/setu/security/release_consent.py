"""Stored consents to third-party release (issue 8 "Third parties"; reference notes R5, R6).

The originator's written approval (:mod:`setu.security.consent`: a consent signed by the
originating node, naming objects, recipient nation and expiry) is kept in
``security_consent``:

- :meth:`ConsentStore.grant` at the originating node: the gate decides ``consent`` (policy
  ``R11-originator-only``: only labels this node originated; only a releasing officer cleared
  for them), then the node signs it;
- :meth:`ConsentStore.import_document` at the recipient, after
  :func:`~setu.security.consent.verify_consent` (forged, altered or expired: refused);
- :meth:`ConsentStore.for_recipient` hands the release desk the stored consents that still
  verify *now*; a row altered in the database no longer verifies and so covers nothing.

Storing a consent is appended to the disclosure log first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from setu.security.audit import AuditEntry, EntryKind
from setu.security.consent import (
    SignedConsent,
    VerifiedConsent,
    new_consent,
    sign_consent,
    verify_consent,
)
from setu.security.errors import ConsentError, InvalidRequestError
from setu.security.gate import Action, Resource
from setu.security.labels import Label, validate_trigraph
from setu.security.models_release import ConsentDirection, ConsentRow
from setu.security.node import TrustedKey
from setu.security.principals import Principal
from setu.security.release_rules import ReleaseItem

if TYPE_CHECKING:
    from setu.security.release import Office


class ConsentStore:
    """Consents this node granted or received (see the module doc)."""

    def __init__(self, office: Office, trusted_keys: Mapping[str, TrustedKey]) -> None:
        self.office = office
        self.trusted_keys = trusted_keys

    def grant(
        self,
        officer: Principal,
        signing_key: Ed25519PrivateKey,
        *,
        recipient_nation: str,
        objects: Sequence[tuple[str, Label]],
        expires_at: datetime,
    ) -> SignedConsent:
        """Sign this node's consent to release ``objects`` to a third nation until
        ``expires_at``. The gate decides ``consent``: only the originating node, only a
        releasing officer cleared for the objects."""
        office = self.office
        validate_trigraph(recipient_nation, "recipient nation")
        if not objects:
            raise InvalidRequestError("a consent names at least one object")
        resources = [Resource(object_id, label) for object_id, label in objects]
        office.decide(officer, Action.CONSENT, resources).require_all()
        now = office.clock()
        consent = new_consent(
            originator_nation=office.local_nation,
            originator_node=office.local_node,
            recipient_nation=recipient_nation,
            object_ids=[object_id for object_id, _ in objects],
            issued_at=now,
            expires_at=expires_at,
        )
        signed = sign_consent(consent, signing_key)
        self._store(signed, ConsentDirection.GRANTED, officer.name, "consent_grant")
        return signed

    def import_document(self, actor: str, document: str) -> VerifiedConsent:
        """Store a consent received from the originating node, after checking its signature
        under that node's trusted key and its expiry (forged or expired: refused)."""
        signed = SignedConsent.from_json(document)
        verified = verify_consent(signed, self.trusted_keys, now=self.office.clock())
        self._store(signed, ConsentDirection.RECEIVED, actor, "consent_import")
        return verified

    def _store(
        self, signed: SignedConsent, direction: ConsentDirection, actor: str, action: str
    ) -> None:
        consent = signed.consent
        with self.office.db.session(write=False) as session:
            existing = session.get(ConsentRow, consent.consent_id)
        if existing is not None:
            if existing.document != signed.to_json():
                raise ConsentError(
                    f"a different consent with id {consent.consent_id} is already stored: refused"
                )
            return
        self.office.audit.append(
            AuditEntry(
                kind=EntryKind.CONSENT,
                principal=actor,
                action=action,
                object_ids=tuple(sorted(consent.object_ids)),
                recipient=consent.recipient_nation,
                rule="R5",
                reason=f"consent {consent.consent_id} until {consent.expires_at.isoformat()}",
                details={"consent": consent.to_dict()},
            )
        )
        with self.office.db.session(write=True) as session:
            session.add(
                ConsentRow(
                    consent_id=consent.consent_id,
                    direction=direction,
                    originator_nation=consent.originator_nation,
                    originator_node=consent.originator_node,
                    recipient_nation=consent.recipient_nation,
                    object_ids=sorted(consent.object_ids),
                    issued_at=consent.issued_at,
                    expires_at=consent.expires_at,
                    document=signed.to_json(),
                    stored_by=actor,
                    stored_at=self.office.clock(),
                )
            )

    def listing(self) -> list[dict[str, Any]]:
        """Stored consents (ids, parties, expiry and the number of objects; not the ids)."""
        with self.office.db.session(write=False) as session:
            rows = session.scalars(select(ConsentRow).order_by(ConsentRow.stored_at)).all()
        now = self.office.clock()
        return [
            {
                "consent_id": r.consent_id,
                "direction": r.direction.value,
                "originator": f"{r.originator_nation}/{r.originator_node}",
                "recipient_nation": r.recipient_nation,
                "objects": len(r.object_ids),
                "issued_at": r.issued_at,
                "expires_at": r.expires_at,
                "expired": now >= r.expires_at,
            }
            for r in rows
        ]

    def for_recipient(self, recipient_nation: str) -> list[VerifiedConsent]:
        """Stored consents for ``recipient_nation`` that still verify now (signature under the
        originator's trusted key, not expired); a consent that no longer verifies is skipped,
        so the gate refuses what only it covered."""
        now = self.office.clock()
        query = select(ConsentRow.document).where(
            ConsentRow.recipient_nation == recipient_nation, ConsentRow.expires_at > now
        )
        with self.office.db.session(write=False) as session:
            documents = list(session.scalars(query.order_by(ConsentRow.stored_at)))
        verified = []
        for document in documents:
            try:
                verified.append(
                    verify_consent(SignedConsent.from_json(document), self.trusted_keys, now=now)
                )
            except ConsentError:
                continue
        return verified


def covering(consents: Sequence[VerifiedConsent], item: ReleaseItem) -> VerifiedConsent | None:
    label = item.label
    for verified in consents:
        consent = verified.consent
        if (
            item.object_id in consent.object_ids
            and consent.originator_nation == label.originator_nation
            and consent.originator_node == label.originator_node
        ):
            return verified
    return None


__all__ = ["ConsentStore", "covering"]
