"""Node identity and partners: files, permissions, certificate, TLS, bundles, trust store, CLI."""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from setu.clock import fixed_clock
from setu.security import partners as pt
from setu.security.errors import NodeIdentityError, PartnerError, PartnerNotFoundError
from setu.security.node import (
    export_public,
    init_node,
    load_node,
    node_dir,
    signing_key_id,
)
from setu.settings import load_settings

T0 = datetime(2025, 6, 1, tzinfo=UTC)


@pytest.fixture
def ind(tmp_path: Path) -> Path:
    data = tmp_path / "ind"
    init_node(data, nation="IND", name="mumbai", host="mda.navy.example", clock=fixed_clock(T0))
    return data


@pytest.fixture
def jpn(tmp_path: Path) -> Path:
    data = tmp_path / "jpn"
    init_node(data, nation="JPN", name="yokosuka", host="10.1.2.3", clock=fixed_clock(T0))
    return data


def write_bundle(data_dir: Path, path: Path) -> Path:
    path.write_text(json.dumps(export_public(load_node(data_dir))), encoding="utf-8")
    return path


def test_init_creates_private_files_0600(ind: Path) -> None:
    directory = node_dir(ind)
    for name in ("signing_key.pem", "tls_key.pem"):
        assert stat.S_IMODE((directory / name).stat().st_mode) == 0o600
    meta = json.loads((directory / "node.json").read_text())
    identity = load_node(ind)
    assert meta["nation"] == "IND" and meta["name"] == "mumbai"
    assert meta["signing_key_id"] == identity.key_id == signing_key_id(identity.public_key)
    assert isinstance(identity.signing_key, ed25519.Ed25519PrivateKey)
    assert load_node(load_settings(data_dir=ind)).key_id == identity.key_id


def test_certificate_is_p256_with_names_and_two_years(ind: Path) -> None:
    cert = load_node(ind).tls_cert
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"  # type: ignore[union-attr]
    subject = cert.subject
    assert subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "mumbai"
    assert subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "IND"
    assert subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "IN"
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"localhost", "mda.navy.example"}
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert cert.not_valid_after_utc - T0 == timedelta(days=730)
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}


def test_host_ip_becomes_ip_san(jpn: Path) -> None:
    san = load_node(jpn).tls_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert {str(ip) for ip in san.value.get_values_for_type(x509.IPAddress)} == {
        "127.0.0.1",
        "10.1.2.3",
    }


def test_refuses_overwrite_without_force(ind: Path) -> None:
    before = load_node(ind).key_id
    with pytest.raises(NodeIdentityError, match="--force"):
        init_node(ind, nation="IND", name="mumbai")
    assert load_node(ind).key_id == before
    replaced = init_node(ind, nation="IND", name="mumbai", force=True)
    assert replaced.key_id != before
    assert not [p for p in node_dir(ind).parent.iterdir() if p.name.startswith(".node")]


@pytest.mark.parametrize(
    ("nation", "name", "host"),
    [("USA", "n1", "localhost"), ("IND", "bad name", "localhost"), ("IND", "n1", "a b")],
)
def test_init_validates_arguments(tmp_path: Path, nation: str, name: str, host: str) -> None:
    with pytest.raises(Exception) as info:
        init_node(tmp_path, nation=nation, name=name, host=host)
    assert getattr(info.value, "exit_code", 0) in {2, 5}
    assert not node_dir(tmp_path).exists()


def test_load_refuses_missing_loose_or_inconsistent_identity(ind: Path, tmp_path: Path) -> None:
    with pytest.raises(NodeIdentityError, match="setu node init"):
        load_node(tmp_path / "empty")
    key = node_dir(ind) / "signing_key.pem"
    key.chmod(0o644)
    with pytest.raises(NodeIdentityError, match="chmod 600"):
        load_node(ind)
    key.chmod(0o600)
    meta_path = node_dir(ind) / "node.json"
    meta = json.loads(meta_path.read_text())
    meta["signing_key_id"] = "x" * 43
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(NodeIdentityError, match="does not match"):
        load_node(ind)


def test_sign_for_tree_heads_verifies_under_public_key(ind: Path) -> None:
    identity = load_node(ind)
    identity.public_key.verify(identity.sign(b"tree head"), b"tree head")


def test_real_tls_handshake_with_pinned_certificates(ind: Path, jpn: Path) -> None:
    """The P-256 certificates work for mutual TLS with only the partner's cert trusted."""
    server_id, client_id = load_node(ind), load_node(jpn)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(server_id.tls_cert_path, server_id.tls_key_path)
    server_ctx.verify_mode = ssl.CERT_REQUIRED
    server_ctx.load_verify_locations(client_id.tls_cert_path)
    client_ctx = ssl.create_default_context(cafile=str(server_id.tls_cert_path))
    client_ctx.load_cert_chain(client_id.tls_cert_path, client_id.tls_key_path)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    seen: dict[str, object] = {}

    def serve() -> None:
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            seen["peer"] = tls.getpeercert()
            tls.sendall(b"ok")

    thread = threading.Thread(target=serve)
    thread.start()
    with (
        socket.create_connection(("127.0.0.1", port)) as raw,
        client_ctx.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.recv(2) == b"ok"
    thread.join()
    listener.close()
    assert ("commonName", "yokosuka") in [n for rdn in seen["peer"]["subject"] for n in rdn]  # type: ignore[index]


def test_tls_refuses_an_unpinned_server(ind: Path, jpn: Path) -> None:
    client_ctx = ssl.create_default_context(cafile=str(load_node(jpn).tls_cert_path))
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(load_node(ind).tls_cert_path, load_node(ind).tls_key_path)
    a, b = socket.socketpair()
    thread = threading.Thread(target=lambda: _quiet_handshake(server_ctx, b))
    thread.start()
    with pytest.raises(ssl.SSLCertVerificationError):
        client_ctx.wrap_socket(a, server_hostname="localhost")
    a.close()
    thread.join()


def _quiet_handshake(ctx: ssl.SSLContext, sock: socket.socket) -> None:
    try:
        ctx.wrap_socket(sock, server_side=True).close()
    except (ssl.SSLError, OSError):
        sock.close()


def test_partner_add_list_trusted_keys_remove(ind: Path, jpn: Path, tmp_path: Path) -> None:
    bundle = write_bundle(jpn, tmp_path / "jpn.json")
    partner = pt.add_partner(ind, bundle, nation="JPN", name="yokosuka", clock=fixed_clock(T0))
    assert partner.signing_key_id == load_node(jpn).key_id
    assert [p.name for p in pt.list_partners(ind)] == ["yokosuka"]
    keys = pt.trusted_keys(ind)
    assert {(k.nation, k.node) for k in keys.values()} == {("IND", "mumbai"), ("JPN", "yokosuka")}
    assert set(pt.signing_keys_by_node(ind)) == {"mumbai", "yokosuka"}
    assert pt.remove_partner(ind, "yokosuka").name == "yokosuka"
    assert pt.list_partners(ind) == []
    with pytest.raises(PartnerNotFoundError):
        pt.remove_partner(ind, "yokosuka")


def test_partner_refusals(ind: Path, jpn: Path, tmp_path: Path) -> None:
    bundle = write_bundle(jpn, tmp_path / "jpn.json")
    with pytest.raises(PartnerError, match="not the IND/yokosuka you stated"):
        pt.add_partner(ind, bundle, nation="IND", name="yokosuka")
    own = write_bundle(ind, tmp_path / "own.json")
    with pytest.raises(PartnerError, match="this node's own name"):
        pt.add_partner(ind, own, nation="IND", name="mumbai")
    pt.add_partner(ind, bundle, nation="JPN", name="yokosuka")
    with pytest.raises(PartnerError, match="exists"):
        pt.add_partner(ind, bundle, nation="JPN", name="yokosuka")


def test_duplicate_fingerprint_under_another_name_refused(
    ind: Path, jpn: Path, tmp_path: Path
) -> None:
    pt.add_partner(ind, write_bundle(jpn, tmp_path / "a.json"), nation="JPN", name="yokosuka")
    shutil_copy = tmp_path / "copy"
    (shutil_copy / "security").mkdir(parents=True)
    os.rename(node_dir(jpn), shutil_copy / "security" / "node")
    meta_path = shutil_copy / "security" / "node" / "node.json"
    meta = json.loads(meta_path.read_text())
    meta["name"] = "kure"  # same keys, another name: a replayed identity
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(PartnerError, match="already registered"):
        pt.add_partner(
            ind, write_bundle(shutil_copy, tmp_path / "b.json"), nation="JPN", name="kure"
        )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda b: b.update(name="kure"),
        lambda b: b.update(host="evil.example"),
        lambda b: b.update(signing_key_id="A" * 43),
        lambda b: b.update(tls_cert_sha256="0" * 64),
        lambda b: b.update(self_signature="AAAA"),
        lambda b: b.update(format="other/1"),
        lambda b: b.pop("host"),
        lambda b: b["signing_key"].update(crv="X25519"),
    ],
)
def test_tampered_bundles_refused(jpn: Path, tamper) -> None:  # type: ignore[no-untyped-def]
    bundle = export_public(load_node(jpn))
    tamper(bundle)
    with pytest.raises(PartnerError):
        pt.parse_bundle(bundle, now=T0)


def test_expired_certificate_refused(jpn: Path) -> None:
    with pytest.raises(PartnerError, match="valid only"):
        pt.parse_bundle(export_public(load_node(jpn)), now=T0 + timedelta(days=731))


def test_damaged_partner_file_reported(ind: Path, jpn: Path, tmp_path: Path) -> None:
    pt.add_partner(ind, write_bundle(jpn, tmp_path / "j.json"), nation="JPN", name="yokosuka")
    path = pt.partners_dir(ind) / "yokosuka.json"
    record = json.loads(path.read_text())
    record["bundle"]["host"] = "elsewhere"
    path.write_text(json.dumps(record))
    with pytest.raises(PartnerError, match="damaged"):
        pt.trusted_keys(ind)


def _setu(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "setu", "--data-dir", str(data_dir), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.mark.e2e
def test_cli_two_nodes_exchange_bundles(tmp_path: Path) -> None:
    """Real processes: node init on two data dirs, export-public, partner add both ways."""
    a, b = tmp_path / "a", tmp_path / "b"
    assert _setu(a, "node", "init", "--nation", "IND", "--name", "mumbai").returncode == 0
    assert _setu(b, "node", "init", "--nation", "JPN", "--name", "yokosuka").returncode == 0
    again = _setu(a, "node", "init", "--nation", "IND", "--name", "mumbai")
    assert again.returncode == 2 and "--force" in again.stderr
    shown = json.loads(_setu(a, "node", "show", "--json").stdout)
    assert shown["nation"] == "IND" and "signing_key" not in json.dumps(shown).lower().replace(
        "signing_key_id", ""
    ).replace("signing_public_key", "")
    for src, dst, nation, name in ((a, b, "IND", "mumbai"), (b, a, "JPN", "yokosuka")):
        out = tmp_path / f"{name}.json"
        export = _setu(src, "node", "export-public", str(out))
        assert export.returncode == 0, export.stderr
        assert json.loads(out.read_text())["signing_key_id"] in export.stdout
        added = _setu(dst, "partner", "add", str(out), "--nation", nation, "--name", name)
        assert added.returncode == 0, added.stderr
    listed = json.loads(_setu(a, "partner", "list", "--json").stdout)
    assert [(p["nation"], p["name"]) for p in listed] == [("JPN", "yokosuka")]
    assert (
        listed[0]["signing_key_id"]
        == json.loads(_setu(b, "node", "show", "--json").stdout)["signing_key_id"]
    )
    table = _setu(a, "partner", "list")
    assert "yokosuka" in table.stdout
    wrong = _setu(
        a, "partner", "add", str(tmp_path / "mumbai.json"), "--nation", "IND", "--name", "mumbai"
    )
    assert wrong.returncode == 5 and "own name" in wrong.stderr


def test_cli_equivalence_table_json() -> None:
    """`setu node equivalence --json` lists every row with its source; RESTRICTED is unmapped."""
    from typer.testing import CliRunner

    from setu.cli import app

    result = CliRunner().invoke(app, ["node", "equivalence", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["policy"] == "IND-JPN-2015"
    secret = next(row for row in data["rows"] if row["english"] == "SECRET")
    assert secret["IND"] == ["SECRET"] and secret["JPN"] == ["極秘", "特定秘密"]
    assert all(row["source"] for row in data["rows"])
    assert [(u["nation"], u["level"]) for u in data["unmapped"]] == [("IND", "RESTRICTED")]


def test_core_modules_import_no_web_framework() -> None:
    """The security core is imported by the CLI, the web API and the exchange: it must not pull
    in a web framework itself (issue 8; package docstring)."""
    code = (
        "import sys\n"
        "import setu.security.labels, setu.security.equivalence, setu.security.binding\n"
        "import setu.security.node, setu.security.partners\n"
        "web = ('fastapi', 'starlette', 'flask', 'django', 'aiohttp')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in web))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"
