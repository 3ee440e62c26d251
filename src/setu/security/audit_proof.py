"""Signed tree heads and proof documents of the disclosure log, checkable without a database.

An outsider (the partner's security officer on a visit, or the partner node that swapped tree
heads with us) holds only this node's public key (PEM) and a JSON document written by
``setu audit prove`` or ``setu audit consistency``. :func:`verify_proof_document` checks it with
nothing else: no database, no setu configuration.

Signed tree head. The signed bytes are RFC 9162 §4.9 ``TreeHeadDataV2`` in TLS presentation
encoding (RFC 8446 §3): ``uint64 timestamp`` (milliseconds since the epoch, RFC 9162 §4.8),
``uint64 tree_size``, ``opaque root_hash<32..2^8-1>`` (one length byte), ``Extension
sth_extensions<0..2^16-1>`` (two length bytes, empty). The signature is Ed25519 (RFC 8032) by the
node's signing key. A head names its key by ``key_id``, the key's RFC 7638 JWK thumbprint
(SHA-256 of ``{"crv":"Ed25519","kty":"OKP","x":…}``, RFC 8037 §2): the same id that ``setu node
show`` prints and partners compare, in the role RFC 6962 §3.2 gives a log's ``LogID``. The same
key signs label
bindings (JWS, RFC 7515), whose signing input is base64url text; a ``TreeHeadDataV2`` starts
with zero bytes (the timestamp's high bytes), so neither can be passed off as the other.

Document formats (hashes and signatures in lowercase hex, the key id in base64url as RFC 7638
writes it, the entry in base64):

- ``setu-audit-inclusion-proof/1``: ``leaf_index``, ``entry`` (the canonical bytes),
  ``leaf_hash``, ``inclusion_path`` (RFC 9162 §2.1.3.1 order), ``tree_head``;
- ``setu-audit-consistency-proof/1``: ``old_tree_head``, ``new_tree_head``,
  ``consistency_path`` (RFC 9162 §2.1.4.1 order).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from setu.security import merkle
from setu.security.errors import ProofDocumentError, TreeHeadSignatureError

INCLUSION_FORMAT = "setu-audit-inclusion-proof/1"
CONSISTENCY_FORMAT = "setu-audit-consistency-proof/1"
HASH_ALGORITHM = "sha256"  # RFC 9162 §2.1.1 with SHA-256
SIGNATURE_ALGORITHM = "ed25519"  # RFC 8032
_UINT64_MAX = 2**64 - 1


class HeadSigner(Protocol):
    """What signs tree heads: the node's Ed25519 key (``Ed25519PrivateKey`` fits as it is)."""

    def sign(self, data: bytes) -> bytes: ...

    def public_key(self) -> Ed25519PublicKey: ...


def key_id(public_key: Ed25519PublicKey) -> bytes:
    """The RFC 7638 JWK thumbprint of an Ed25519 key: SHA-256 of its required JWK members in
    lexicographic order without whitespace (RFC 7638 §3.2; OKP members per RFC 8037 §2)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    x = _b64url(raw)
    return hashlib.sha256(f'{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}'.encode("ascii")).digest()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def key_id_text(kid: bytes) -> str:
    """A key id as ``setu node show`` prints it (base64url, no padding)."""
    return _b64url(kid)


def load_public_key(data: bytes | str) -> Ed25519PublicKey:
    """The node's Ed25519 public key from PEM, or from its public bundle (the JSON file that
    ``setu node export-public`` writes and partners import); :class:`TreeHeadSignatureError`."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if raw.lstrip().startswith(b"{"):
        return _key_from_bundle(raw)
    try:
        key = serialization.load_pem_public_key(raw)
    except ValueError as exc:
        raise TreeHeadSignatureError(
            "the public key is neither PEM (-----BEGIN PUBLIC KEY-----) nor a setu node bundle; "
            "pass the node's Ed25519 public signing key"
        ) from exc
    if not isinstance(key, Ed25519PublicKey):
        raise TreeHeadSignatureError(
            f"the public key is {type(key).__name__}, not Ed25519: tree heads are signed with "
            "the node's Ed25519 signing key, not its TLS key"
        )
    return key


def _key_from_bundle(raw: bytes) -> Ed25519PublicKey:
    """The ``signing_key`` JWK (RFC 8037 OKP, ``crv`` Ed25519, ``x`` base64url) of a bundle."""
    try:
        jwk = json.loads(raw)["signing_key"]
        if jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            raise ValueError("not an Ed25519 OKP key")
        x = jwk["x"]
        return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise TreeHeadSignatureError(
            f"the node bundle holds no usable Ed25519 signing key ({exc}); pass the bundle "
            "written by `setu node export-public`, or a PEM public key"
        ) from exc


def tree_head_data(timestamp_ms: int, tree_size: int, root_hash: bytes) -> bytes:
    """The bytes a tree head signs: RFC 9162 §4.9 ``TreeHeadDataV2``, no extensions."""
    if not 0 <= timestamp_ms <= _UINT64_MAX or not 0 <= tree_size <= _UINT64_MAX:
        raise ValueError("timestamp and tree size must fit uint64")
    if len(root_hash) != merkle.HASH_SIZE_BYTES:
        raise ValueError(f"a root hash has {merkle.HASH_SIZE_BYTES} bytes, not {len(root_hash)}")
    return struct.pack(">QQB", timestamp_ms, tree_size, len(root_hash)) + root_hash + b"\x00\x00"


@dataclass(frozen=True)
class TreeHead:
    """A signed tree head: the log's root at ``tree_size`` entries, signed at ``timestamp_ms``."""

    tree_size: int
    timestamp_ms: int
    root_hash: bytes
    key_id: bytes
    signature: bytes

    @property
    def timestamp(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)

    def signed_data(self) -> bytes:
        return tree_head_data(self.timestamp_ms, self.tree_size, self.root_hash)

    def verify(self, public_key: Ed25519PublicKey) -> None:
        """Check the signature and that it is ``public_key``'s; :class:`TreeHeadSignatureError`."""
        expected = key_id(public_key)
        if self.key_id != expected:
            raise TreeHeadSignatureError(
                f"the tree head at size {self.tree_size} was signed by key "
                f"{key_id_text(self.key_id)}, not by the given key {key_id_text(expected)}: "
                "check which node's key you were given"
            )
        try:
            public_key.verify(self.signature, self.signed_data())
        except InvalidSignature as exc:
            raise TreeHeadSignatureError(
                f"the signature of the tree head at size {self.tree_size} does not verify: its "
                "size, time or root was altered after signing"
            ) from exc

    def to_dict(self) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size,
            "timestamp_ms": self.timestamp_ms,
            "root_hash": self.root_hash.hex(),
            "key_id": key_id_text(self.key_id),
            "signature": self.signature.hex(),
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "tree_head") -> TreeHead:
        if not isinstance(data, Mapping):
            raise ProofDocumentError(f"{where} must be an object")
        return cls(
            tree_size=_uint(data, "tree_size", where),
            timestamp_ms=_uint(data, "timestamp_ms", where),
            root_hash=_hex(data, "root_hash", where, merkle.HASH_SIZE_BYTES),
            key_id=_b64url_field(data, "key_id", where, 32),
            signature=_hex(data, "signature", where, 64),
        )


def sign_tree_head(
    signer: HeadSigner, tree_size: int, timestamp_ms: int, root_hash: bytes
) -> TreeHead:
    """Sign the tree head ``(timestamp_ms, tree_size, root_hash)`` with ``signer``."""
    data = tree_head_data(timestamp_ms, tree_size, root_hash)
    return TreeHead(
        tree_size=tree_size,
        timestamp_ms=timestamp_ms,
        root_hash=root_hash,
        key_id=key_id(signer.public_key()),
        signature=signer.sign(data),
    )


# --- documents ---------------------------------------------------------------------------------


def inclusion_document(
    index: int, entry: bytes, path: list[bytes], head: TreeHead
) -> dict[str, Any]:
    """The JSON-ready inclusion proof of ``entry`` (leaf ``index``) against ``head``."""
    return {
        "format": INCLUSION_FORMAT,
        "hash_algorithm": HASH_ALGORITHM,
        "signature_algorithm": SIGNATURE_ALGORITHM,
        "leaf_index": index,
        "entry": base64.b64encode(entry).decode("ascii"),
        "leaf_hash": merkle.leaf_hash(entry).hex(),
        "inclusion_path": [p.hex() for p in path],
        "tree_head": head.to_dict(),
    }


def consistency_document(old: TreeHead, new: TreeHead, path: list[bytes]) -> dict[str, Any]:
    """The JSON-ready consistency proof between two signed tree heads."""
    return {
        "format": CONSISTENCY_FORMAT,
        "hash_algorithm": HASH_ALGORITHM,
        "signature_algorithm": SIGNATURE_ALGORITHM,
        "old_tree_head": old.to_dict(),
        "new_tree_head": new.to_dict(),
        "consistency_path": [p.hex() for p in path],
    }


@dataclass(frozen=True)
class VerifiedInclusion:
    """What a checked inclusion proof established: entry ``leaf_index`` is in ``tree_head``."""

    leaf_index: int
    entry: dict[str, Any]
    tree_head: TreeHead


@dataclass(frozen=True)
class VerifiedConsistency:
    """What a checked consistency proof established: ``new`` only appended to ``old``."""

    old: TreeHead
    new: TreeHead


def verify_proof_document(
    doc: Mapping[str, Any] | str | bytes, public_key_pem: bytes | str
) -> VerifiedInclusion | VerifiedConsistency:
    """Check a proof document with only the node's public key; raise what failed.

    Errors: :class:`ProofDocumentError` (malformed), :class:`TreeHeadSignatureError` (head not
    signed by that key), :class:`~setu.security.errors.InclusionProofError` or
    :class:`~setu.security.errors.ConsistencyProofError` (the proof does not hold).
    """
    data = _parse(doc)
    public_key = load_public_key(public_key_pem)
    for name, expected in (
        ("hash_algorithm", HASH_ALGORITHM),
        ("signature_algorithm", SIGNATURE_ALGORITHM),
    ):
        if data.get(name) != expected:
            raise ProofDocumentError(f"{name} is {data.get(name)!r}; only {expected!r} is known")
    if data.get("format") == INCLUSION_FORMAT:
        return _verify_inclusion_doc(data, public_key)
    if data.get("format") == CONSISTENCY_FORMAT:
        return _verify_consistency_doc(data, public_key)
    raise ProofDocumentError(
        f"format {data.get('format')!r} is not a setu audit proof "
        f"({INCLUSION_FORMAT} or {CONSISTENCY_FORMAT})"
    )


def _verify_inclusion_doc(data: Mapping[str, Any], key: Ed25519PublicKey) -> VerifiedInclusion:
    head = TreeHead.from_dict(data.get("tree_head"))
    index = _uint(data, "leaf_index", "document")
    entry = _b64(data, "entry")
    path = _hex_list(data, "inclusion_path")
    claimed_leaf = _hex(data, "leaf_hash", "document", merkle.HASH_SIZE_BYTES)
    head.verify(key)
    leaf = merkle.leaf_hash(entry)
    if leaf != claimed_leaf:
        raise ProofDocumentError("leaf_hash is not the hash of entry: the entry was altered")
    merkle.verify_inclusion(leaf, index, head.tree_size, path, head.root_hash)
    try:
        record = json.loads(entry)
    except ValueError as exc:
        raise ProofDocumentError("the entry is not a JSON record") from exc
    if not isinstance(record, dict) or record.get("index") != index:
        raise ProofDocumentError(f"the entry does not record itself as leaf {index}")
    return VerifiedInclusion(leaf_index=index, entry=record, tree_head=head)


def _verify_consistency_doc(data: Mapping[str, Any], key: Ed25519PublicKey) -> VerifiedConsistency:
    old = TreeHead.from_dict(data.get("old_tree_head"), "old_tree_head")
    new = TreeHead.from_dict(data.get("new_tree_head"), "new_tree_head")
    path = _hex_list(data, "consistency_path")
    old.verify(key)
    new.verify(key)
    merkle.verify_consistency(old.tree_size, new.tree_size, old.root_hash, new.root_hash, path)
    return VerifiedConsistency(old=old, new=new)


# --- strict field readers ----------------------------------------------------------------------


def _parse(doc: Mapping[str, Any] | str | bytes) -> Mapping[str, Any]:
    if isinstance(doc, Mapping):
        return doc
    try:
        data = json.loads(doc)
    except ValueError as exc:
        raise ProofDocumentError(f"the proof document is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ProofDocumentError("the proof document must be a JSON object")
    return data


def _uint(data: Mapping[str, Any], name: str, where: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _UINT64_MAX:
        raise ProofDocumentError(f"{where}.{name} must be an unsigned 64-bit integer")
    return value


def _hex(data: Mapping[str, Any], name: str, where: str, size: int) -> bytes:
    value = data.get(name)
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else None
    except ValueError:
        raw = None
    if raw is None or len(raw) != size:
        raise ProofDocumentError(f"{where}.{name} must be {size} bytes in hex")
    return raw


def _b64url_field(data: Mapping[str, Any], name: str, where: str, size: int) -> bytes:
    value = data.get(name)
    try:
        raw = (
            base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            if isinstance(value, str) and value.isascii()
            else None
        )
    except (binascii.Error, ValueError):
        raw = None
    if raw is None or len(raw) != size or _b64url(raw) != value:
        raise ProofDocumentError(f"{where}.{name} must be {size} bytes in base64url")
    return raw


def _hex_list(data: Mapping[str, Any], name: str) -> list[bytes]:
    values = data.get(name)
    if not isinstance(values, list):
        raise ProofDocumentError(f"{name} must be a list of hashes in hex")
    return [_hex({name: v}, name, "document", merkle.HASH_SIZE_BYTES) for v in values]


def _b64(data: Mapping[str, Any], name: str) -> bytes:
    value = data.get(name)
    if not isinstance(value, str):
        raise ProofDocumentError(f"{name} must be the entry's bytes in base64")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise ProofDocumentError(f"{name} must be the entry's bytes in base64") from exc


__all__ = [
    "CONSISTENCY_FORMAT",
    "INCLUSION_FORMAT",
    "HeadSigner",
    "TreeHead",
    "VerifiedConsistency",
    "VerifiedInclusion",
    "consistency_document",
    "inclusion_document",
    "key_id",
    "key_id_text",
    "load_public_key",
    "sign_tree_head",
    "tree_head_data",
    "verify_proof_document",
]
