"""``setu audit …`` end to end in-process, on SQLite and PostgreSQL: verify (exit 6 and the first
bad entry), prove and check-proof with only the node's public key, heads, consistency, list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

import setu.cli._common
import setu.cli.audit
from setu.cli import main
from setu.db import open_database
from setu.security.audit import AuditEntry, AuditLog, Decision, EntryKind
from setu.security.node import load_node, signing_key_id

SIZE = 300


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def node(data_dir: Path, db_url: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """A node with a 300-entry log; returns the root options that select it."""
    root = ["--data-dir", str(data_dir), "--database-url", db_url]
    assert run(capsys, *root, "node", "init", "--nation", "IND", "--name", "ind-mumbai")[0] == 0
    db = open_database(db_url)
    try:
        log = AuditLog(db, load_node(data_dir).signing_key, head_every_entries=100)
        for start in range(0, SIZE, 100):
            log.append_many(
                AuditEntry(
                    kind=EntryKind.RELEASE if i % 2 else EntryKind.DECISION,
                    principal="officer" if i % 2 else "analyst",
                    action="release" if i % 2 else "read",
                    object_ids=(f"event:{i}",),
                    recipient="JPN" if i % 2 else None,
                    decision=None if i % 2 else Decision.ALLOW,
                    purpose="MDA",
                )
                for i in range(start, start + 100)
            )
    finally:
        db.dispose()
    return root


@pytest.fixture
def bundle(node: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "ind-mumbai.public.json"
    assert run(capsys, *node, "node", "export-public", path)[0] == 0
    return path


def test_verify_reports_a_sound_log(node: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *node, "audit", "verify")
    assert code == 0 and f"verifies: {SIZE} entries, 3 signed tree heads" in out
    code, out, _ = run(capsys, *node, "audit", "verify", "--json")
    report = json.loads(out)
    assert (code, report["ok"], report["tree_size"], report["unsigned_entries"]) == (
        0,
        True,
        300,
        0,
    )


def test_verify_with_a_progress_bar(
    node: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(setu.cli.audit, "PROGRESS_MIN_ENTRIES", 0)
    assert run(capsys, *node, "audit", "verify")[0] == 0


def test_verify_exits_6_and_names_the_first_bad_entry(
    node: list[str], db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    db = open_database(db_url)
    try:
        with db.engine.begin() as conn:
            if db.dialect == "postgresql":
                conn.execute(text("DROP TRIGGER audit_entry_append_only ON audit_entry"))
            else:
                conn.execute(text("DROP TRIGGER audit_entry_no_update"))
            conn.execute(
                text("UPDATE audit_entry SET principal = 'nobody' WHERE leaf_index IN (137, 200)")
            )
    finally:
        db.dispose()
    code, _, err = run(capsys, *node, "audit", "verify")
    assert code == 6 and "first bad entry: 137" in err and "listing columns" in err
    code, out, _ = run(capsys, *node, "audit", "verify", "--json")
    assert code == 6 and json.loads(out)["index"] == 137 and not json.loads(out)["ok"]


def test_a_proof_checks_with_the_public_bundle_or_pem_and_no_database(
    node: list[str], bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    proof = tmp_path / "entry-7.json"
    assert run(capsys, *node, "audit", "prove", "7", "--out", proof)[0] == 0
    pem = tmp_path / "key.pem"
    from cryptography.hazmat.primitives import serialization

    public = load_node(Path(node[1])).public_key
    pem.write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    elsewhere = ["--data-dir", str(tmp_path / "no-such-dir"), "--database-url", "sqlite://"]
    for key in (bundle, pem):
        code, out, _ = run(capsys, *elsewhere, "audit", "check-proof", proof, "--key", key)
        assert code == 0 and "entry 7 is in the log of 300 entries" in out
    code, out, _ = run(capsys, "audit", "check-proof", proof, "--key", bundle, "--json")
    checked = json.loads(out)
    assert checked["entry"]["object_ids"] == ["event:7"]
    assert checked["tree_head"]["key_id"] == signing_key_id(public)  # as `setu node show` says
    assert not (tmp_path / "no-such-dir").exists()


def test_a_proof_from_stdout_fails_with_another_nodes_key(
    node: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *node, "audit", "prove", "12")
    assert code == 0 and json.loads(out)["leaf_index"] == 12
    proof = tmp_path / "p.json"
    proof.write_text(out, encoding="utf-8")
    other = tmp_path / "other"
    assert (
        run(capsys, "--data-dir", other, "node", "init", "--nation", "JPN", "--name", "j")[0] == 0
    )
    other_bundle = tmp_path / "other.json"
    assert run(capsys, "--data-dir", other, "node", "export-public", other_bundle)[0] == 0
    code, _, err = run(capsys, "audit", "check-proof", proof, "--key", other_bundle)
    assert code == 6 and "not by the given key" in err
    proof.write_text(out.replace('"leaf_index": 12', '"leaf_index": 13'), encoding="utf-8")
    assert run(capsys, "audit", "check-proof", proof, "--key", other_bundle)[0] == 6


def test_consistency_between_heads_checks(
    node: list[str], bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, *node, "audit", "head", "--all", "--json")
    assert code == 0 and [h["tree_size"] for h in json.loads(out)] == [100, 200, 300]
    proof = tmp_path / "c.json"
    assert run(capsys, *node, "audit", "consistency", "100", "--out", proof)[0] == 0
    code, out, _ = run(capsys, "audit", "check-proof", proof, "--key", bundle)
    assert code == 0 and "the log of 300 entries only appended to the log of 100" in out
    code, _, err = run(capsys, *node, "audit", "consistency", "150", "200")
    assert code == 4 and "nearest sizes: 100, 200" in err


def test_head_shows_and_signs(node: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *node, "audit", "head")
    assert code == 0 and "300" in out and "latest signed tree head" in out
    code, out, _ = run(capsys, *node, "audit", "head", "--sign", "--json")
    assert code == 0 and json.loads(out)["tree_size"] == 300  # nothing new: the same head


def test_list_filters_and_shows_data_literally(
    node: list[str],
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, _ = run(
        capsys, *node, "audit", "list", "--kind", "release", "--limit", "3", "--json"
    )
    rows = json.loads(out)
    assert code == 0 and [r["index"] for r in rows] == [299, 297, 295]
    code, out, _ = run(capsys, *node, "audit", "list", "--principal", "analyst", "--oldest-first",
                       "--limit", "2", "--json")  # fmt: skip
    assert [r["index"] for r in json.loads(out)] == [0, 2]
    db = open_database(db_url)
    try:
        AuditLog(db).append(
            AuditEntry(kind="compromise", principal="[red]x[/]\x1b[2J", action="report")
        )
    finally:
        db.dispose()
    monkeypatch.setattr(setu.cli._common.console, "width", 250)  # one line per row
    code, out, _ = run(capsys, *node, "audit", "list", "--limit", "1")
    assert code == 0 and "[red]x[/]\\x1b[2J" in out and "\x1b" not in out
    code, _, err = run(capsys, *node, "audit", "list", "--since", "yesterday")
    assert code == 5 and "not a date or time" in err
    code, out, _ = run(capsys, *node, "audit", "list", "--since", "2999-01-01", "--json")
    assert code == 0 and json.loads(out) == []


def test_unknown_entries_and_a_missing_node_identity(
    node: list[str], data_dir: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, *node, "audit", "prove", "300")
    assert code == 4 and "no disclosure-log entry 300" in err
    bare = ["--data-dir", str(data_dir / "bare"), "--database-url", db_url]
    code, out, _ = run(capsys, *bare, "audit", "prove", "3")
    assert code == 0 and json.loads(out)["tree_head"]["tree_size"] == 300  # the stored head
    code, _, err = run(capsys, *bare, "audit", "head", "--sign")
    assert code == 2 and "setu node init" in err
    code, out, _ = run(capsys, *bare, "audit", "list", "--limit", "1", "--json")
    assert code == 0 and json.loads(out)[0]["index"] == 299  # reading needs no key
