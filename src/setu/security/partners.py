"""Partner nodes: their public bundles, imported out of band, and the keys setu trusts.

A partner exports its bundle with ``setu node export-public OUT`` (see :func:`node.export_public`)
and hands it over out of band; the operator compares the fingerprints by a second channel and
imports it with ``setu partner add FILE --nation N --name NAME``. Each partner is one file,
``<data_dir>/security/partners/<name>.json``, holding the bundle as received plus when it was
added; files are the trust store, so it survives a database rebuild.

Refused on import: a bundle whose self-signature does not verify, whose nation or name differs
from what the operator stated, whose name is this node's or another partner's (node names are
unique in one trust store: labels and consents name their originator node), whose signing key or
TLS certificate is already known, or whose TLS certificate is expired or not yet valid.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from setu.clock import Clock, utc_now
from setu.security.errors import InvalidLabelError, PartnerError, PartnerNotFoundError
from setu.security.labels import (
    canonical_json,
    format_time,
    parse_time,
    validate_node_name,
    validate_trigraph,
)
from setu.security.node import (
    BUNDLE_FORMAT,
    NodeIdentity,
    TrustedKey,
    cert_sha256,
    load_node,
    public_key_from_b64,
    signing_key_id,
)
from setu.settings import Settings

PARTNERS_DIR = Path("security") / "partners"
_BUNDLE_KEYS = frozenset(
    {
        "format",
        "nation",
        "name",
        "host",
        "signing_key",
        "signing_key_id",
        "tls_certificate",
        "tls_cert_sha256",
        "self_signature",
    }
)


@dataclass(frozen=True)
class Partner:
    """A partner node as imported: identity, keys and pinned TLS certificate."""

    nation: str
    name: str
    host: str
    signing_key: ed25519.Ed25519PublicKey
    signing_key_id: str
    tls_cert: x509.Certificate
    tls_cert_sha256: str
    added_at: datetime
    bundle: Mapping[str, Any]

    def trusted_key(self) -> TrustedKey:
        return TrustedKey(self.nation, self.name, self.signing_key_id, self.signing_key)

    def summary(self) -> dict[str, Any]:
        """What ``setu partner list --json`` prints."""
        return {
            "nation": self.nation,
            "name": self.name,
            "host": self.host,
            "signing_key_id": self.signing_key_id,
            "tls_cert_sha256": self.tls_cert_sha256,
            "tls_not_after": format_time(self.tls_cert.not_valid_after_utc),
            "added_at": format_time(self.added_at),
        }


def partners_dir(data_dir: Path) -> Path:
    return data_dir / PARTNERS_DIR


def _refuse(what: str) -> PartnerError:
    return PartnerError(f"partner bundle refused: {what}")


def _check_self_signature(bundle: Mapping[str, Any], key: ed25519.Ed25519PublicKey) -> None:
    payload = {k: v for k, v in bundle.items() if k != "self_signature"}
    try:
        signature = base64.urlsafe_b64decode(str(bundle["self_signature"]))
        key.verify(signature, canonical_json(payload))
    except (InvalidSignature, binascii.Error, ValueError):
        raise _refuse(
            "its self-signature does not verify (altered in transit, or not made by the key it "
            "carries); ask the partner to export it again"
        ) from None


def parse_bundle(bundle: Any, *, now: datetime) -> Partner:
    """Check a received bundle on its own (format, keys, fingerprints, self-signature)."""
    if not isinstance(bundle, dict) or set(bundle) != _BUNDLE_KEYS:
        raise _refuse(f"it must be a JSON object with exactly {sorted(_BUNDLE_KEYS)}")
    if bundle["format"] != BUNDLE_FORMAT:
        raise _refuse(f"format {bundle['format']!r} is not {BUNDLE_FORMAT}")
    try:
        nation = validate_trigraph(bundle["nation"], "partner nation")
        name = validate_node_name(bundle["name"])
        jwk = bundle["signing_key"]
        if not isinstance(jwk, dict) or jwk != {"kty": "OKP", "crv": "Ed25519", "x": jwk.get("x")}:
            raise _refuse("signing_key must be an Ed25519 OKP JWK")
        key = public_key_from_b64(str(jwk["x"]))
        cert = x509.load_pem_x509_certificate(str(bundle["tls_certificate"]).encode("ascii"))
    except InvalidLabelError as exc:
        raise _refuse(str(exc)) from exc
    except (ValueError, TypeError, AttributeError, binascii.Error) as exc:
        raise _refuse(f"a key or certificate cannot be read ({exc})") from exc
    if signing_key_id(key) != bundle["signing_key_id"]:
        raise _refuse("signing_key_id is not the thumbprint of signing_key")
    if cert_sha256(cert) != bundle["tls_cert_sha256"]:
        raise _refuse("tls_cert_sha256 is not the fingerprint of tls_certificate")
    if not isinstance(cert.public_key(), ec.EllipticCurvePublicKey):
        raise _refuse("the TLS certificate must carry an ECDSA key")
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise _refuse(
            f"the TLS certificate is valid only from {format_time(cert.not_valid_before_utc)} "
            f"to {format_time(cert.not_valid_after_utc)}; ask the partner for a current one"
        )
    _check_self_signature(bundle, key)
    return Partner(
        nation=nation,
        name=name,
        host=str(bundle["host"]),
        signing_key=key,
        signing_key_id=str(bundle["signing_key_id"]),
        tls_cert=cert,
        tls_cert_sha256=str(bundle["tls_cert_sha256"]),
        added_at=now,
        bundle=bundle,
    )


def _check_unique(partner: Partner, own: NodeIdentity, known: list[Partner]) -> None:
    if partner.name == own.name:
        raise _refuse(f"node name {partner.name!r} is this node's own name")
    if {partner.signing_key_id, partner.tls_cert_sha256} & {own.key_id, own.tls_cert_sha256}:
        raise _refuse("it carries this node's own key or certificate")
    for other in known:
        if other.name == partner.name:
            raise _refuse(
                f"a partner named {partner.name!r} exists; remove it first "
                f"(`setu partner remove {partner.name}`) to replace its keys"
            )
        if {partner.signing_key_id, partner.tls_cert_sha256} & {
            other.signing_key_id,
            other.tls_cert_sha256,
        }:
            raise _refuse(f"its key or certificate is already registered for {other.name!r}")


def _read_bundle_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError) as exc:
        raise _refuse(f"{path} cannot be read as JSON ({exc})") from exc


def add_partner(
    data_dir: Path, bundle_path: Path, *, nation: str, name: str, clock: Clock = utc_now
) -> Partner:
    """Import a partner's public bundle after every check in the module docstring."""
    own = load_node(data_dir)
    partner = parse_bundle(_read_bundle_file(bundle_path), now=clock())
    if (partner.nation, partner.name) != (nation, name):
        raise _refuse(
            f"it is for {partner.nation}/{partner.name}, not the {nation}/{name} you stated; "
            "check with the partner before importing"
        )
    _check_unique(partner, own, list_partners(data_dir))
    directory = partners_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    record = {"bundle": dict(partner.bundle), "added_at": format_time(partner.added_at)}
    path = directory / f"{partner.name}.json"
    tmp = directory / f".{partner.name}.json.tmp"
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return partner


def _load_record(path: Path) -> Partner:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        added_at = parse_time(record["added_at"])
        partner = parse_bundle(record["bundle"], now=added_at)
    except (OSError, ValueError, KeyError, TypeError, InvalidLabelError, PartnerError) as exc:
        raise PartnerError(
            f"partner file {path} is damaged ({exc}); remove it and import the bundle again"
        ) from exc
    if partner.name != path.stem:
        raise PartnerError(f"partner file {path} holds node {partner.name!r}; rename or remove it")
    return partner


def list_partners(data_dir: Path) -> list[Partner]:
    """Every registered partner, by nation then name (empty when there is none)."""
    directory = partners_dir(data_dir)
    if not directory.is_dir():
        return []
    partners = [_load_record(path) for path in directory.glob("*.json")]
    return sorted(partners, key=lambda p: (p.nation, p.name))


def remove_partner(data_dir: Path, name: str) -> Partner:
    """Forget a partner (its keys are no longer trusted); returns what was removed."""
    validate_node_name(name)
    path = partners_dir(data_dir) / f"{name}.json"
    if not path.is_file():
        raise PartnerNotFoundError(f"no partner named {name!r}; see `setu partner list`")
    partner = _load_record(path)
    path.unlink()
    return partner


def _data_dir(source: Settings | Path) -> Path:
    return source.data_dir if isinstance(source, Settings) else Path(source)


def trusted_keys(source: Settings | Path) -> dict[str, TrustedKey]:
    """Signing keys trusted for bindings, by key id: this node's own and every partner's."""
    data_dir = _data_dir(source)
    keys = {p.signing_key_id: p.trusted_key() for p in list_partners(data_dir)}
    own = load_node(data_dir).trusted_key()
    keys[own.key_id] = own
    return keys


def signing_keys_by_node(source: Settings | Path) -> dict[str, ed25519.Ed25519PublicKey]:
    """The same keys by node name (names are unique in one trust store), e.g. for consents."""
    return {key.node: key.public_key for key in trusted_keys(source).values()}


__all__ = [
    "Partner",
    "add_partner",
    "list_partners",
    "parse_bundle",
    "partners_dir",
    "remove_partner",
    "signing_keys_by_node",
    "trusted_keys",
]
