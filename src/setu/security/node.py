"""This node's identity: who signs, and what the partner's TLS stack is shown.

``setu node init --nation IND|JPN --name NAME`` creates ``<data_dir>/security/node/``:

=====================  ====================================================================
``signing_key.pem``    Ed25519 private key (PKCS#8 PEM, mode 0600): label bindings, tree
                       heads, consents, notices. Its id is the RFC 7638 JWK thumbprint.
``tls_key.pem``        ECDSA P-256 private key (PKCS#8 PEM, mode 0600) for TLS. Ed25519
                       certificates are not accepted by every TLS stack (RFC 8446 §4.2.3
                       lists them as optional), so TLS uses P-256 (mandatory in RFC 8446 §9.1).
``tls_cert.pem``       self-signed X.509 certificate for ``tls_key.pem``: subject CN=name,
                       OU=nation trigraph, C=ISO alpha-2; SubjectAltName DNS:localhost,
                       IP:127.0.0.1 and ``--host``; valid two years; partners pin it.
``node.json``          nation, name, host, creation time, key id and fingerprints.
=====================  ====================================================================

The private keys are stored unencrypted and protected by file permissions only (see the threat
model in ``docs/security.md``). :func:`load_node` refuses key files readable by others.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from joserfc.jwk import OKPKey

from setu.clock import Clock, utc_now
from setu.security.errors import NodeIdentityError
from setu.security.labels import Nation, canonical_json, format_time, validate_node_name
from setu.settings import Settings

NODE_DIR = Path("security") / "node"
SIGNING_KEY_FILE = "signing_key.pem"
TLS_KEY_FILE = "tls_key.pem"
TLS_CERT_FILE = "tls_cert.pem"
NODE_JSON = "node.json"
TLS_VALIDITY = timedelta(days=730)  # two years (issue 8 brief)
CLOCK_SKEW = timedelta(minutes=5)  # not_before back-dated for partner clock skew
_ALPHA2 = {Nation.IND: "IN", Nation.JPN: "JP"}  # ISO 3166-1 alpha-2 for the subject C=
_PRIVATE_MODE = 0o600


def signing_key_id(public_key: ed25519.Ed25519PublicKey) -> str:
    """RFC 7638 JWK thumbprint (SHA-256, base64url) of an Ed25519 public key: the JWS ``kid``."""
    return OKPKey.import_key(public_key).thumbprint()


def public_key_b64(public_key: ed25519.Ed25519PublicKey) -> str:
    """The raw 32-byte public key, base64url without padding (the JWK ``x`` member)."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def public_key_from_b64(text: str) -> ed25519.Ed25519PublicKey:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)


def cert_sha256(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, lowercase hex: the pin partners compare by phone."""
    return cert.fingerprint(hashes.SHA256()).hex()


@dataclass(frozen=True)
class TrustedKey:
    """A public signing key and whose it is (a partner's, or this node's own)."""

    nation: str
    node: str
    key_id: str
    public_key: ed25519.Ed25519PublicKey


@dataclass(frozen=True)
class NodeIdentity:
    """This node: nation, name, signing key and TLS material (paths and certificate)."""

    nation: str
    name: str
    host: str
    created_at: datetime
    signing_key: ed25519.Ed25519PrivateKey
    tls_cert: x509.Certificate
    directory: Path

    @property
    def public_key(self) -> ed25519.Ed25519PublicKey:
        return self.signing_key.public_key()

    @property
    def key_id(self) -> str:
        return signing_key_id(self.public_key)

    @property
    def tls_cert_sha256(self) -> str:
        return cert_sha256(self.tls_cert)

    @property
    def tls_cert_path(self) -> Path:
        return self.directory / TLS_CERT_FILE

    @property
    def tls_key_path(self) -> Path:
        return self.directory / TLS_KEY_FILE

    def sign(self, data: bytes) -> bytes:
        """Raw Ed25519 signature (64 bytes) over ``data`` (e.g. a signed tree head)."""
        return self.signing_key.sign(data)

    def trusted_key(self) -> TrustedKey:
        return TrustedKey(self.nation, self.name, self.key_id, self.public_key)

    def summary(self) -> dict[str, Any]:
        """What ``setu node show --json`` prints (no private material)."""
        return {
            "nation": self.nation,
            "name": self.name,
            "host": self.host,
            "created_at": format_time(self.created_at),
            "signing_key_id": self.key_id,
            "signing_public_key": public_key_b64(self.public_key),
            "tls_cert_sha256": self.tls_cert_sha256,
            "tls_not_after": format_time(self.tls_cert.not_valid_after_utc),
            "directory": str(self.directory),
        }


def node_dir(data_dir: Path) -> Path:
    return data_dir / NODE_DIR


def _subject_alt_names(host: str) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    if host and host != "localhost":
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return list(dict.fromkeys(names))


def _validate_host(host: str) -> str:
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    labels = host.split(".")
    ok = all(
        0 < len(part) <= 63 and part.replace("-", "").isalnum() and part.isascii()
        for part in labels
    )
    if not ok or len(host) > 253:
        raise NodeIdentityError(f"--host {host!r} is neither an IP address nor a DNS name")
    return host.lower()


def build_tls_certificate(
    tls_key: ec.EllipticCurvePrivateKey, nation: str, name: str, host: str, now: datetime
) -> x509.Certificate:
    """Self-signed P-256 certificate for mutual TLS between pinned partner nodes."""
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, _ALPHA2[Nation(nation)]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "setu"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, nation),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    ski = x509.SubjectKeyIdentifier.from_public_key(tls_key.public_key())
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(tls_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - CLOCK_SKEW)
        .not_valid_after(now + TLS_VALIDITY)
        .add_extension(x509.SubjectAlternativeName(_subject_alt_names(host)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), False)
        .sign(tls_key, hashes.SHA256())
    )


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE_MODE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _pem_private(key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def init_node(
    data_dir: Path,
    *,
    nation: str,
    name: str,
    host: str = "localhost",
    force: bool = False,
    clock: Clock = utc_now,
) -> NodeIdentity:
    """Create this node's identity under ``data_dir``; refuse to overwrite one without ``force``."""
    if nation not in {n.value for n in Nation}:
        raise NodeIdentityError(f"--nation {nation!r}: a setu node belongs to IND or JPN")
    validate_node_name(name)
    host = _validate_host(host)
    target = node_dir(data_dir)
    if target.exists() and not force:
        raise NodeIdentityError(
            f"a node identity already exists in {target}; partners trust its keys. "
            "Pass --force to replace it (partners must then import the new public bundle)"
        )
    now = clock()
    signing = ed25519.Ed25519PrivateKey.generate()
    tls_key = ec.generate_private_key(ec.SECP256R1())
    cert = build_tls_certificate(tls_key, nation, name, host, now)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".node-", dir=target.parent))
    _write_private(staging / SIGNING_KEY_FILE, _pem_private(signing))
    _write_private(staging / TLS_KEY_FILE, _pem_private(tls_key))
    (staging / TLS_CERT_FILE).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    meta = {
        "nation": nation,
        "name": name,
        "host": host,
        "created_at": format_time(now),
        "signing_key_id": signing_key_id(signing.public_key()),
        "tls_cert_sha256": cert_sha256(cert),
    }
    (staging / NODE_JSON).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    if target.exists():
        retired = target.with_name(f".node-retired-{os.getpid()}")
        target.rename(retired)
        staging.rename(target)
        shutil.rmtree(retired)
    else:
        staging.rename(target)
    return load_node(data_dir)


def _read_private(path: Path) -> bytes:
    if not path.is_file():
        raise NodeIdentityError(f"{path} is missing; run `setu node init` (or restore it)")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise NodeIdentityError(
            f"{path} is readable by others (mode {mode:o}); run `chmod 600 {path}`"
        )
    return path.read_bytes()


def load_node(source: Settings | Path) -> NodeIdentity:
    """This node's identity (from settings or a data directory), checked: files present,
    private keys mode 0600, key id and fingerprint as recorded in ``node.json``."""
    directory = node_dir(source.data_dir if isinstance(source, Settings) else Path(source))
    meta_path = directory / NODE_JSON
    if not meta_path.is_file():
        raise NodeIdentityError(
            f"no node identity in {directory}; run `setu node init --nation IND|JPN --name NAME`"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        signing = serialization.load_pem_private_key(
            _read_private(directory / SIGNING_KEY_FILE), None
        )
        _read_private(directory / TLS_KEY_FILE)
        cert = x509.load_pem_x509_certificate((directory / TLS_CERT_FILE).read_bytes())
        created = datetime.fromisoformat(meta["created_at"].replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NodeIdentityError(f"node identity in {directory} is unreadable: {exc}") from exc
    if not isinstance(signing, ed25519.Ed25519PrivateKey):
        raise NodeIdentityError(f"{directory / SIGNING_KEY_FILE} is not an Ed25519 key")
    identity = NodeIdentity(
        nation=meta["nation"],
        name=meta["name"],
        host=meta.get("host", "localhost"),
        created_at=created,
        signing_key=signing,
        tls_cert=cert,
        directory=directory,
    )
    if (identity.key_id, identity.tls_cert_sha256) != (
        meta.get("signing_key_id"),
        meta.get("tls_cert_sha256"),
    ):
        raise NodeIdentityError(
            f"{meta_path} does not match the key files beside it; restore the node directory "
            "from backup or run `setu node init --force`"
        )
    return identity


def public_bundle_payload(identity: NodeIdentity) -> dict[str, Any]:
    """The public part of the identity that a partner imports (signed by :func:`export_public`)."""
    return {
        "format": BUNDLE_FORMAT,
        "nation": identity.nation,
        "name": identity.name,
        "host": identity.host,
        "signing_key": {"kty": "OKP", "crv": "Ed25519", "x": public_key_b64(identity.public_key)},
        "signing_key_id": identity.key_id,
        "tls_certificate": identity.tls_cert.public_bytes(serialization.Encoding.PEM).decode(),
        "tls_cert_sha256": identity.tls_cert_sha256,
    }


BUNDLE_FORMAT = "setu-node-public/1"


def export_public(identity: NodeIdentity) -> dict[str, Any]:
    """Public bundle plus ``self_signature``: an Ed25519 signature by the bundle's own key over
    its canonical JSON, proving possession of the key and tying the TLS certificate to it."""
    payload = public_bundle_payload(identity)
    signature = identity.sign(canonical_json(payload))
    return {**payload, "self_signature": base64.urlsafe_b64encode(signature).decode()}


__all__ = [
    "BUNDLE_FORMAT",
    "NodeIdentity",
    "TrustedKey",
    "cert_sha256",
    "export_public",
    "init_node",
    "load_node",
    "node_dir",
    "public_key_b64",
    "public_key_from_b64",
    "signing_key_id",
]
