"""The label-content binding (STANAG 4778-style, reference notes §2 and rule R4).

ADatP-4778's Cryptographic Artefact Binding profile signs the metadata (the 4774 label) together
with a reference to the data object. setu's form is one compact JWS (RFC 7515 §7.1) by the
originating node's Ed25519 key:

- protected header ``{"alg": "Ed25519", "kid": <RFC 7638 thumbprint>, "typ": BINDING_TYPE}``;
  ``Ed25519`` is the fully-specified algorithm name of RFC 9864 §2.2, which deprecates the
  polymorphic ``EdDSA`` (same signature, one less thing to negotiate);
- payload: canonical JSON (sorted keys, no whitespace, UTF-8) of
  ``{"content_sha256": <hex SHA-256 of the canonical content>, "label": <Label.to_dict()>}``.

Any change to the label, the content or the signature breaks the binding. :func:`verify` raises
:class:`BindingError` with one message per failure mode: malformed, unknown signer, bad
signature, signer not the originator, label mismatch, wrong content hash. Nothing in a binding
is trusted before its signature has verified.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ed25519
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import OKPKey

from setu.security.errors import BindingError, InvalidLabelError, SignerNotOriginatorError
from setu.security.labels import Label, canonical_json
from setu.security.node import TrustedKey

ALGORITHM = "Ed25519"  # RFC 9864 §2.2 (fully specified EdDSA over Ed25519)
BINDING_TYPE = "setu-label-binding+jws"
_PAYLOAD_KEYS = frozenset({"content_sha256", "label"})


class BindingSigner(Protocol):
    """What :func:`bind` needs of a node (``setu.security.node.NodeIdentity`` is one)."""

    @property
    def nation(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def key_id(self) -> str: ...
    @property
    def signing_key(self) -> ed25519.Ed25519PrivateKey: ...


def content_sha256(content: bytes) -> str:
    """Lowercase hex SHA-256 of the canonical content bytes."""
    return hashlib.sha256(content).hexdigest()


@dataclass(frozen=True)
class Binding:
    """A label bound to content: the claimed label and hash, and the JWS that signs them."""

    label: Label
    content_sha256: str
    key_id: str
    jws: str  # compact serialisation

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label.to_dict(),
            "content_sha256": self.content_sha256,
            "key_id": self.key_id,
            "jws": self.jws,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Binding:
        """Rebuild a stored or received binding (unverified until :func:`verify`)."""
        try:
            return cls(
                label=Label.from_dict(data["label"]),
                content_sha256=str(data["content_sha256"]),
                key_id=str(data["key_id"]),
                jws=str(data["jws"]),
            )
        except (KeyError, TypeError, InvalidLabelError) as exc:
            raise BindingError(f"binding is malformed ({exc}); ask the sender to re-send") from exc


def bind(label: Label, content: bytes, signer: BindingSigner) -> Binding:
    """Sign ``label`` with the hash of ``content``; only the label's originator node may."""
    if (signer.nation, signer.name) != (label.originator_nation, label.originator_node):
        raise SignerNotOriginatorError(
            f"node {signer.nation}/{signer.name} cannot bind a label originated by "
            f"{label.originator_nation}/{label.originator_node}: only the originator signs its "
            "label; derive a label of your own node with labels.derive(..., deriving=...)"
        )
    digest = content_sha256(content)
    payload = canonical_json({"content_sha256": digest, "label": label.to_dict()})
    header = {"alg": ALGORITHM, "kid": signer.key_id, "typ": BINDING_TYPE}
    token = jws.serialize_compact(
        header, payload, OKPKey.import_key(signer.signing_key), algorithms=[ALGORITHM]
    )
    return Binding(label=label, content_sha256=digest, key_id=signer.key_id, jws=token)


def _signed_header(token: str) -> dict[str, Any]:
    try:
        header = jws.extract_compact(token.encode("ascii")).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise BindingError(f"binding JWS is malformed ({exc}); ask the sender to re-send") from exc
    if header.get("alg") != ALGORITHM or header.get("typ") != BINDING_TYPE:
        raise BindingError(
            f"binding JWS has alg {header.get('alg')!r} and typ {header.get('typ')!r}; only "
            f"{ALGORITHM} {BINDING_TYPE} is accepted"
        )
    return dict(header)


def _verified_payload(token: str, key: TrustedKey) -> dict[str, Any]:
    try:
        obj = jws.deserialize_compact(
            token, OKPKey.import_key(key.public_key), algorithms=[ALGORITHM]
        )
    except jws.BadSignatureError:
        raise BindingError(
            f"binding signature does not verify under the key of {key.nation}/{key.node}: the "
            "label or its content hash was altered, or the binding is forged; do not use the data"
        ) from None
    except (JoseError, ValueError) as exc:
        raise BindingError(f"binding JWS is malformed ({exc}); ask the sender to re-send") from exc
    try:
        payload = json.loads(obj.payload)
    except ValueError as exc:
        raise BindingError(f"binding payload is not JSON ({exc})") from exc
    if not isinstance(payload, dict) or set(payload) != _PAYLOAD_KEYS:
        raise BindingError(f"binding payload must hold exactly {sorted(_PAYLOAD_KEYS)}")
    if canonical_json(payload) != obj.payload:
        raise BindingError("binding payload is not in canonical form; ask the sender to re-sign")
    return payload


def verify(binding: Binding, content: bytes, trusted_keys: Mapping[str, TrustedKey]) -> Label:
    """The signed label, once every check passed; otherwise :class:`BindingError`.

    ``trusted_keys`` maps key ids to keys (``partners.trusted_keys``: this node and partners).
    """
    header = _signed_header(binding.jws)
    key = trusted_keys.get(str(header.get("kid")))
    if key is None or header.get("kid") != binding.key_id:
        raise BindingError(
            f"binding is signed by unknown key {header.get('kid')!r}; import the originator's "
            "public bundle with `setu partner add` if it is a partner, else reject the data"
        )
    payload = _verified_payload(binding.jws, key)
    try:
        signed = Label.from_dict(payload["label"])
    except InvalidLabelError as exc:
        raise BindingError(f"signed label is malformed: {exc}") from exc
    if (key.nation, key.node) != (signed.originator_nation, signed.originator_node):
        raise BindingError(
            f"binding is signed by {key.nation}/{key.node} but the label names originator "
            f"{signed.originator_nation}/{signed.originator_node}; only the originator may sign"
        )
    if signed.canonical_bytes() != binding.label.canonical_bytes():
        raise BindingError(
            "the label carried with the data differs from the signed label; the label was "
            "altered after signing: use neither"
        )
    digest = content_sha256(content)
    if digest != payload["content_sha256"] or digest != binding.content_sha256:
        raise BindingError(
            "content does not match the hash in its binding; the content was altered after "
            "signing: do not use it"
        )
    return signed


__all__ = [
    "ALGORITHM",
    "BINDING_TYPE",
    "Binding",
    "BindingSigner",
    "bind",
    "content_sha256",
    "verify",
]
