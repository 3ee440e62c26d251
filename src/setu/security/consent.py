"""Originator consent to release objects to a third nation, and its signature check.

The 2015 agreement's template clauses forbid release to a third-country government, person or
other entity without the providing party's prior **written approval** (reference notes §1,
"Third party, purpose"; rule R5). setu's written approval is a :class:`Consent` signed with the
originating node's Ed25519 key (RFC 8032) over its canonical bytes: it names the objects, the
recipient nation and an expiry (R6).

:func:`verify_consent` is the only way to get a :class:`VerifiedConsent`, the form the gate
accepts in its request context. It refuses a consent whose signature does not verify under the
originator node's trusted key (forged, altered, or signed by another node) and one that has
expired. Whether a verified consent *covers* a given object, recipient and moment is decided by
the gate (:mod:`setu.security.gate`), so an out-of-scope consent is a denial with an audit row.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from setu.security.errors import ConsentError, ConsentExpiredError
from setu.security.labels import format_time, parse_time, validate_node_name, validate_trigraph
from setu.security.node import TrustedKey

#: Domain separation: a consent signature can never be replayed as another signed setu object.
SIGNING_CONTEXT = b"setu/consent/v1\n"
_ID = re.compile(r"[0-9a-f]{32}")
_FIELDS = (
    "consent_id",
    "originator_nation",
    "originator_node",
    "recipient_nation",
    "object_ids",
    "issued_at",
    "expires_at",
)
_SEAL = object()  # only verify_consent can make a VerifiedConsent


@dataclass(frozen=True, kw_only=True)
class Consent:
    """The originator's approval to release ``object_ids`` to ``recipient_nation``."""

    consent_id: str
    originator_nation: str
    originator_node: str
    recipient_nation: str
    object_ids: frozenset[str]
    issued_at: datetime
    expires_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.consent_id, str) or not _ID.fullmatch(self.consent_id):
            raise ConsentError("consent_id must be 32 lowercase hex digits; use new_consent()")
        validate_trigraph(self.originator_nation, "consent originator nation")
        validate_node_name(self.originator_node)
        validate_trigraph(self.recipient_nation, "consent recipient nation")
        ids = frozenset(self.object_ids)
        if not ids or not all(isinstance(i, str) and i for i in ids):
            raise ConsentError("a consent must name at least one object id (non-empty strings)")
        for at in (self.issued_at, self.expires_at):
            if not isinstance(at, datetime) or at.utcoffset() is None:
                raise ConsentError("consent times must be timezone-aware datetimes (UTC)")
        if self.expires_at <= self.issued_at:
            raise ConsentError("a consent must expire after it is issued")
        object.__setattr__(self, "object_ids", ids)

    def to_dict(self) -> dict[str, Any]:
        return {
            "consent_id": self.consent_id,
            "originator_nation": self.originator_nation,
            "originator_node": self.originator_node,
            "recipient_nation": self.recipient_nation,
            "object_ids": sorted(self.object_ids),
            "issued_at": format_time(self.issued_at),
            "expires_at": format_time(self.expires_at),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Consent:
        if not isinstance(data, Mapping) or set(data) != set(_FIELDS):
            raise ConsentError(f"a consent needs exactly the keys {list(_FIELDS)}")
        ids = data["object_ids"]
        if not isinstance(ids, list) or len(set(map(str, ids))) != len(ids):
            raise ConsentError("object_ids must be a list of distinct strings")
        return cls(
            consent_id=data["consent_id"],
            originator_nation=data["originator_nation"],
            originator_node=data["originator_node"],
            recipient_nation=data["recipient_nation"],
            object_ids=frozenset(ids),
            issued_at=parse_time(data["issued_at"]),
            expires_at=parse_time(data["expires_at"]),
        )

    def canonical_bytes(self) -> bytes:
        """Deterministic JSON (sorted keys and ids, no whitespace, UTF-8): what is signed."""
        return json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")


def new_consent(
    *,
    originator_nation: str,
    originator_node: str,
    recipient_nation: str,
    object_ids: Iterable[str],
    issued_at: datetime,
    expires_at: datetime,
) -> Consent:
    """A consent with a fresh random id."""
    return Consent(
        consent_id=secrets.token_hex(16),
        originator_nation=originator_nation,
        originator_node=originator_node,
        recipient_nation=recipient_nation,
        object_ids=frozenset(object_ids),
        issued_at=issued_at,
        expires_at=expires_at,
    )


@dataclass(frozen=True)
class SignedConsent:
    """A consent and the originator node's Ed25519 signature over its canonical bytes."""

    consent: Consent
    signature: bytes

    def to_json(self) -> str:
        sig = base64.urlsafe_b64encode(self.signature).decode().rstrip("=")
        return json.dumps({"consent": self.consent.to_dict(), "signature": sig}, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> SignedConsent:
        try:
            doc = json.loads(text)
            sig = doc["signature"]
            signature = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
            consent = Consent.from_dict(doc["consent"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ConsentError(f"the consent document cannot be read ({exc})") from None
        return cls(consent, signature)


def sign_consent(consent: Consent, key: Ed25519PrivateKey) -> SignedConsent:
    """Sign ``consent`` with the originator node's Ed25519 key."""
    return SignedConsent(consent, key.sign(SIGNING_CONTEXT + consent.canonical_bytes()))


@dataclass(frozen=True)
class VerifiedConsent:
    """A consent whose signature verified under its originator node's trusted key."""

    consent: Consent
    _seal: object = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._seal is not _SEAL:
            raise ConsentError("a VerifiedConsent comes from verify_consent() only")

    @property
    def consent_id(self) -> str:
        return self.consent.consent_id


def verify_consent(
    signed: SignedConsent,
    trusted_keys: Mapping[str, Ed25519PublicKey | TrustedKey],
    *,
    now: datetime,
) -> VerifiedConsent:
    """Check the signature under the key trusted for the consent's originator node, then the
    expiry. ``trusted_keys`` maps node names to their signing keys: this node's own and the
    partners' exchanged out of band (:func:`setu.security.partners.trusted_keys` by node, or
    :func:`~setu.security.partners.signing_keys_by_node`). A :class:`TrustedKey` also binds the
    node to its nation, which must be the consent's originator nation."""
    consent = signed.consent
    trusted = trusted_keys.get(consent.originator_node)
    if trusted is None:
        raise ConsentError(
            f"no trusted signing key for node {consent.originator_node!r}; add the partner "
            "with `setu partner add` before accepting its consents"
        )
    if isinstance(trusted, TrustedKey) and trusted.nation != consent.originator_nation:
        raise ConsentError(
            f"consent {consent.consent_id} names {consent.originator_nation} as originator but "
            f"node {consent.originator_node!r} is trusted as a node of {trusted.nation}: refused"
        )
    key = trusted.public_key if isinstance(trusted, TrustedKey) else trusted
    try:
        key.verify(signed.signature, SIGNING_CONTEXT + consent.canonical_bytes())
    except InvalidSignature:
        raise ConsentError(
            f"consent {consent.consent_id} does not verify under the key of node "
            f"{consent.originator_node!r}: it is forged or altered; ask the originator for a "
            "new one"
        ) from None
    if now >= consent.expires_at:
        raise ConsentExpiredError(
            f"consent {consent.consent_id} expired at {format_time(consent.expires_at)}; ask "
            "the originator for a new one"
        )
    return VerifiedConsent(consent, _SEAL)


__all__ = [
    "SIGNING_CONTEXT",
    "Consent",
    "SignedConsent",
    "VerifiedConsent",
    "new_consent",
    "sign_consent",
    "verify_consent",
]
