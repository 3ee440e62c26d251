"""Third-party release consent: signed by the originating node, refused when forged, altered,
signed by another node, or expired (reference notes R5, R6)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from setu.security.consent import (
    Consent,
    SignedConsent,
    VerifiedConsent,
    new_consent,
    sign_consent,
    verify_consent,
)
from setu.security.errors import ConsentError, ConsentExpiredError

NOW = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
IND_KEY = Ed25519PrivateKey.generate()
JPN_KEY = Ed25519PrivateKey.generate()
TRUSTED = {"ind-mumbai": IND_KEY.public_key(), "jpn-yokosuka": JPN_KEY.public_key()}


def consent(**changes: object) -> Consent:
    base = new_consent(
        originator_nation="IND",
        originator_node="ind-mumbai",
        recipient_nation="USA",
        object_ids=["track-1", "track-2"],
        issued_at=NOW - timedelta(hours=1),
        expires_at=NOW + timedelta(days=1),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.unit
def test_signed_consent_verifies_and_round_trips() -> None:
    signed = sign_consent(consent(), IND_KEY)
    again = SignedConsent.from_json(signed.to_json())
    verified = verify_consent(again, TRUSTED, now=NOW)
    assert verified.consent == signed.consent
    assert verified.consent.object_ids == {"track-1", "track-2"}


@pytest.mark.unit
def test_consent_signed_by_another_node_is_refused() -> None:
    forged = sign_consent(consent(), JPN_KEY)  # claims ind-mumbai, signed with JPN's key
    with pytest.raises(ConsentError, match="forged or altered"):
        verify_consent(forged, TRUSTED, now=NOW)


@pytest.mark.unit
@pytest.mark.parametrize(
    "change",
    [
        {"recipient_nation": "CHN"},
        {"object_ids": frozenset({"track-1", "track-2", "track-3"})},
        {"expires_at": NOW + timedelta(days=365)},
        {"originator_node": "jpn-yokosuka"},
    ],
    ids=["recipient", "objects", "expiry", "originator"],
)
def test_altered_consent_is_refused(change: dict[str, object]) -> None:
    signed = sign_consent(consent(), IND_KEY)
    altered = SignedConsent(replace(signed.consent, **change), signed.signature)  # type: ignore[arg-type]
    with pytest.raises(ConsentError, match="forged or altered"):
        verify_consent(altered, TRUSTED, now=NOW)


@pytest.mark.unit
def test_one_flipped_signature_bit_is_refused() -> None:
    signed = sign_consent(consent(), IND_KEY)
    flipped = bytes([signed.signature[0] ^ 1]) + signed.signature[1:]
    with pytest.raises(ConsentError):
        verify_consent(SignedConsent(signed.consent, flipped), TRUSTED, now=NOW)


@pytest.mark.unit
def test_consent_of_an_unknown_node_is_refused() -> None:
    stranger = Ed25519PrivateKey.generate()
    signed = sign_consent(consent(originator_node="ind-unknown"), stranger)
    with pytest.raises(ConsentError, match="no trusted signing key"):
        verify_consent(signed, TRUSTED, now=NOW)


@pytest.mark.unit
def test_expired_consent_is_refused() -> None:
    signed = sign_consent(consent(), IND_KEY)
    with pytest.raises(ConsentExpiredError, match="expired"):
        verify_consent(signed, TRUSTED, now=NOW + timedelta(days=1))


@pytest.mark.unit
def test_a_verified_consent_cannot_be_made_by_hand() -> None:
    with pytest.raises(ConsentError, match="verify_consent"):
        VerifiedConsent(consent(), object())


@pytest.mark.unit
def test_malformed_consents_are_refused() -> None:
    with pytest.raises(ConsentError, match="at least one object"):
        consent(object_ids=frozenset())
    with pytest.raises(ConsentError, match="expire after"):
        consent(expires_at=NOW - timedelta(days=1))
    with pytest.raises(ConsentError, match="cannot be read"):
        SignedConsent.from_json("{}")
    doc = json.loads(sign_consent(consent(), IND_KEY).to_json())
    doc["consent"]["extra"] = 1
    with pytest.raises(ConsentError, match="exactly the keys"):
        SignedConsent.from_json(json.dumps(doc))


@pytest.mark.unit
def test_signature_is_domain_separated() -> None:
    c = consent()
    plain = IND_KEY.sign(c.canonical_bytes())  # the bare bytes, as another format might sign
    with pytest.raises(ConsentError):
        verify_consent(SignedConsent(c, plain), TRUSTED, now=NOW)


@pytest.mark.unit
def test_consent_signed_with_the_node_identity_verifies_through_the_trust_store(
    tmp_path: Path,
) -> None:
    from setu.security.node import init_node
    from setu.security.partners import signing_keys_by_node, trusted_keys

    identity = init_node(tmp_path, nation="IND", name="ind-mumbai")
    signed = sign_consent(consent(), identity.signing_key)
    assert verify_consent(signed, signing_keys_by_node(tmp_path), now=NOW).consent == signed.consent
    by_node = {key.node: key for key in trusted_keys(tmp_path).values()}
    assert verify_consent(signed, by_node, now=NOW).consent == signed.consent
    # the trust store binds ind-mumbai to IND: a consent claiming JPN for it is refused
    wrong_nation = sign_consent(consent(originator_nation="JPN"), identity.signing_key)
    with pytest.raises(ConsentError, match="trusted as a node of IND"):
        verify_consent(wrong_nation, by_node, now=NOW)
