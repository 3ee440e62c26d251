"""``setu release|consent|reclassify|retention|compromise`` end to end in-process between two
nodes (IND on the test database, SQLite or PostgreSQL; JPN on its own SQLite file): a standing
rule releases, the queue waits for the officer, a consent signed at IND is imported at JPN, a
tampered one is refused, a notice is applied, a compromise is reported and overdue."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from setu.cli import main
from setu.db import open_database
from setu.security.audit import AuditLog
from setu.security.labels import Label
from setu.security.node import load_node
from setu.security.release import Office
from setu.security.release_rules import ObjectKind, ReleaseItem
from setu.security.retention import Holdings

NOW = datetime.now(UTC)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 0, (argv, out, err)
    return out


def label(level: str, **changes: Any) -> Label:
    fields: dict[str, Any] = {
        "originator_nation": "IND",
        "originator_node": "ind-mumbai",
        "classification": level,
        "releasable_to": frozenset({"IND", "JPN"}),
        "purposes": frozenset({"MDA"}),
        "caveats": frozenset(),
        "created_at": NOW - timedelta(hours=1),
    }
    fields.update(changes)
    return Label(**fields)


def line(object_id: str, lb: Label) -> str:
    digest = hashlib.sha256(object_id.encode()).hexdigest()
    return json.dumps(
        {
            "object_kind": "position",
            "object_id": object_id,
            "label": lb.to_dict(),
            "content_sha256": digest,
        }
    )


@pytest.fixture
def nodes(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> dict[str, list[str]]:
    ind = ["--data-dir", str(tmp_path / "ind"), "--database-url", db_url]
    jpn = ["--data-dir", str(tmp_path / "jpn"), "--database-url", f"sqlite:///{tmp_path}/jpn.db"]
    ok(capsys, *ind, "node", "init", "--nation", "IND", "--name", "ind-mumbai")
    ok(capsys, *jpn, "node", "init", "--nation", "JPN", "--name", "jpn-yokosuka")
    for mine, theirs, nation, name in (
        (ind, jpn, "JPN", "jpn-yokosuka"),
        (jpn, ind, "IND", "ind-mumbai"),
    ):
        bundle = tmp_path / f"{name}.json"
        ok(capsys, *theirs, "node", "export-public", bundle)
        ok(capsys, *mine, "partner", "add", bundle, "--nation", nation, "--name", name)
    for root, nation, level in ((ind, "IND", "SECRET"), (jpn, "JPN", "極秘")):
        ok(
            capsys,
            *root,
            "users",
            "add",
            "ravi",
            "--nation",
            nation,
            "--clearance",
            level,
            "--groups",
            "mda",
            "--roles",
            "releasing_officer",
            "--no-password",
        )
    ok(capsys, *ind, "users", "add-node", "jpn-yokosuka", "--nation", "JPN", "--clearance", "極秘")
    ok(capsys, *ind, "users", "add-node", "usa-pearl", "--nation", "USA", "--clearance", "SECRET")
    monkeypatch.setenv("SETU_ACTOR", "ravi")
    return {"ind": ind, "jpn": jpn}


@pytest.mark.unit
def test_release_flow_between_two_nodes(
    nodes: dict[str, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ind, jpn = nodes["ind"], nodes["jpn"]
    ok(
        capsys,
        *ind,
        "release",
        "rules",
        "add",
        "--kind",
        "position",
        "--max-level",
        "UNCLASSIFIED",
        "--to",
        "JPN",
        "--purposes",
        "MDA",
    )
    items = tmp_path / "items.jsonl"
    items.write_text(line("u1", label("UNCLASSIFIED")) + "\n" + line("c1", label("CONFIDENTIAL")))
    done = json.loads(
        ok(
            capsys,
            *ind,
            "release",
            "request",
            items,
            "--to",
            "jpn-yokosuka",
            "--purpose",
            "MDA",
            "--json",
        )
    )
    assert [(r["object_id"], r["state"], r["rule"]) for r in done] == [
        ("u1", "released", "standing-rule:1"),
        ("c1", "queued", ""),
    ]
    [queued] = json.loads(ok(capsys, *ind, "release", "queue", "--json"))
    ok(capsys, *ind, "release", "approve", queued["request_id"])
    history = json.loads(ok(capsys, *ind, "release", "history", "--json"))
    assert {(r["object_id"], r["decided_by"]) for r in history} == {("u1", "ravi"), ("c1", "ravi")}
    [rule] = json.loads(ok(capsys, *ind, "release", "rules", "list", "--json"))
    assert (rule["rule_id"], rule["created_by"], rule["active"]) == (1, "ravi", True)
    assert "1 standing rule(s)" in ok(capsys, *ind, "release", "rules", "list")

    # a consent for USA, signed at IND, imported at JPN; a tampered copy is refused (exit 5)
    consent = tmp_path / "consent.json"
    ok(
        capsys,
        *ind,
        "consent",
        "grant",
        "--to",
        "USA",
        "--objects",
        "c1",
        "--expires-days",
        "7",
        "--out",
        consent,
    )
    usa = tmp_path / "usa.jsonl"
    usa.write_text(line("c1", label("CONFIDENTIAL")))
    [onward] = json.loads(
        ok(
            capsys,
            *ind,
            "release",
            "request",
            usa,
            "--to",
            "usa-pearl",
            "--purpose",
            "MDA",
            "--json",
        )
    )
    assert onward["state"] == "queued" and onward["consent_id"]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(consent.read_text().replace('"USA"', '"CHN"'))
    assert run(capsys, *jpn, "consent", "import", tampered)[0] == 5
    ok(capsys, *jpn, "consent", "import", consent)
    assert json.loads(ok(capsys, *jpn, "consent", "list", "--json"))[0]["direction"] == "received"

    # JPN holds c1; IND declassifies it; JPN applies the notice, then reports a compromise
    db = open_database(jpn[3])
    try:
        node = load_node(Path(jpn[1]))
        office = Office(db, AuditLog(db, node.signing_key), "JPN", "jpn-yokosuka")
        item = ReleaseItem(ObjectKind.POSITION, "c1", label("CONFIDENTIAL"), "0" * 64)
        Holdings(office).receive(item, purpose="MDA", source_node="ind-mumbai")
    finally:
        db.dispose()
    notice = tmp_path / "notice.json"
    ok(
        capsys,
        *ind,
        "reclassify",
        "issue",
        "--objects",
        "c1",
        "--level",
        "UNCLASSIFIED",
        "--out",
        notice,
    )
    [change] = json.loads(ok(capsys, *jpn, "reclassify", "apply", notice, "--json"))
    assert change["new_classification"] == "UNCLASSIFIED"
    assert run(capsys, *ind, "reclassify", "apply", notice)[0] == 0  # IND holds nothing: no-op
    ok(capsys, *jpn, "compromise", "report", "--objects", "c1", "--details", "laptop lost")
    [listed] = json.loads(ok(capsys, *jpn, "compromise", "list", "--json"))
    assert listed["originator"] == "IND/ind-mumbai" and listed["notified_at"] is None
    ok(capsys, *jpn, "compromise", "sent", listed["notice_id"])
    ok(capsys, *jpn, "retention", "set", "mda", "30")
    assert json.loads(ok(capsys, *jpn, "retention", "show", "--json"))["periods_days"] == {
        "MDA": 30
    }
    assert json.loads(ok(capsys, *jpn, "retention", "run", "--json")) == []
    assert run(capsys, *ind, "audit", "verify")[0] == 0


@pytest.mark.unit
def test_an_unknown_or_forbidden_request_id_gives_the_same_answer(
    nodes: dict[str, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ind = nodes["ind"]
    items = tmp_path / "items.jsonl"
    items.write_text(line("s1", label("SECRET")))
    ok(capsys, *ind, "release", "request", items, "--to", "jpn-yokosuka", "--purpose", "MDA")
    ok(
        capsys,
        *ind,
        "users",
        "add",
        "lata",
        "--nation",
        "IND",
        "--clearance",
        "CONFIDENTIAL",
        "--groups",
        "mda",
        "--roles",
        "releasing_officer",
        "--no-password",
    )
    monkeypatch.setenv("SETU_ACTOR", "lata")
    forbidden = run(capsys, *ind, "release", "approve", "1")
    unknown = run(capsys, *ind, "release", "approve", "2")
    assert forbidden[0] == unknown[0] == 4
    assert forbidden[2].replace(" 1 ", " 2 ") == unknown[2]
    assert json.loads(ok(capsys, *ind, "release", "queue", "--json")) == []


@pytest.mark.unit
@pytest.mark.parametrize(
    "argv",
    [
        ("release", "request", "{missing}", "--to", "jpn-yokosuka", "--purpose", "MDA"),
        ("consent", "import", "{missing}"),
        ("reclassify", "apply", "{missing}"),
        ("consent", "import", "{latin1}"),
    ],
)
def test_a_missing_or_unreadable_document_is_a_clear_error_not_a_traceback(
    nodes: dict[str, list[str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
) -> None:
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes(b'{"consent": "caf\xe9"}')
    paths = {"{missing}": str(tmp_path / "nowhere.json"), "{latin1}": str(latin1)}
    code, _, err = run(capsys, *nodes["ind"], *(paths.get(a, a) for a in argv))
    assert code == 3, err
    assert "Traceback" not in err
    assert ("does not exist" in err) or ("is not UTF-8 text" in err)
