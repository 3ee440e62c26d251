"""`setu acsa …` through CliRunner, and the real `setu` console script end to end."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from setu.cli import app
from setu.errors import PolicyError, StateError

LINE = "food|Fresh rations|120|kg|350.50|INR"


@pytest.fixture
def run(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SETU_ACTOR", "logistics.officer")
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(
            app, ["--data-dir", str(tmp_path / "data"), "--database-url", db_url, *args]
        )
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return invoke


def _create(run, settlement: str = "cash") -> str:
    result = run(
        "acsa",
        "create",
        "--requesting",
        "JP",
        "--supplying",
        "IN",
        "--activity",
        "humanitarian_relief",
        "--settlement",
        settlement,
        "--line",
        LINE,
        "--requisition",
        "JMSDF-26-7",
        "--place",
        "Kochi",
        "--json",
    )
    return json.loads(result.stdout)["number"]


@pytest.mark.unit
@pytest.mark.parametrize("method", ["cash", "replacement_in_kind", "equal_value_exchange"])
def test_full_flow_through_the_cli(run, tmp_path: Path, method: str) -> None:
    number = _create(run, method)
    early = run("acsa", "issue", number, ok=False)
    assert isinstance(early.exception, StateError)
    run("acsa", "sign", number, "--party", "JP", "--name", "Capt. Sato", "--title", "CO")
    signed = json.loads(
        run(
            "acsa", "sign", number, "--party", "IN", "--name", "Cdr. Rao", "--title", "LO", "--json"
        ).stdout
    )
    assert signed["state"] == "signed"
    run("acsa", "issue", number)
    run("acsa", "receive", number, "--note", "received alongside")
    invoiced = json.loads(run("acsa", "invoice", number, "--json").stdout)
    assert invoiced["outstanding"] == {"INR": "42060.00"}
    balances = json.loads(run("acsa", "balances", "--json").stdout)
    assert {(b["party"], b["receivable"], b["payable"]) for b in balances} == {
        ("IN", "42060.00", "0.00"),
        ("JP", "0.00", "42060.00"),
    }
    ageing = json.loads(run("acsa", "ageing", "--json").stdout)
    assert ageing[0]["0-30"] == "42060.00"
    settled = json.loads(
        run(
            "acsa",
            "settle",
            number,
            "--amount",
            "42060.00",
            "--currency",
            "INR",
            "--memo",
            "returned in kind / exchanged",
            "--json",
        ).stdout
    )
    assert settled["state"] == "settled"
    doc = tmp_path / "receipt.txt"
    doc.write_text("received 120 kg rations\n")
    run("acsa", "attach", number, str(doc), "--kind", "receipt")
    closed = json.loads(run("acsa", "close", number, "--json").stdout)
    assert closed["state"] == "closed" and closed["attachments"][0]["filename"] == "receipt.txt"
    verified = json.loads(run("acsa", "verify", "--json").stdout)
    assert verified["ok"] and verified["entries"] == 2
    assert "ok" in run("acsa", "verify").stdout
    listed = json.loads(run("acsa", "list", "--state", "closed", "--json").stdout)
    assert [o["number"] for o in listed] == [number]
    exported = json.loads(run("acsa", "export").stdout)
    assert exported[0]["entries"][1]["kind"] == method
    assert "Order" in run("acsa", "show", number).stdout


@pytest.mark.unit
def test_cli_refusals(run) -> None:
    refused = run(
        "acsa",
        "create",
        "--requesting",
        "JP",
        "--supplying",
        "IN",
        "--activity",
        "bilateral_training",
        "--line",
        "spare_parts|40 mm ammunition|10|box|1|INR",
        ok=False,
    )
    assert isinstance(refused.exception, PolicyError)
    number = _create(run)
    run("acsa", "update", number, "--line", "water|Fresh water|10|t|100|INR")
    shown = json.loads(run("acsa", "show", number, "--json").stdout)
    assert shown["totals"] == {"INR": "43060.00"}
    assert json.loads(run("acsa", "sweep", "--json").stdout) == {"overdue": []}


def _setu() -> str:
    found = shutil.which("setu", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("the setu console script is not installed next to this Python")
    return found


@pytest.mark.e2e
def test_console_script_end_to_end(data_dir: Path, tmp_path: Path) -> None:
    """The installed `setu` in a subprocess on a temp data dir (the default SQLite database):
    a year's calendar exported, an order from draft to closed, then tampering caught."""
    env = {k: v for k, v in os.environ.items() if k != "SETU_DATABASE_URL"}
    env |= {"SETU_DATA_DIR": str(data_dir), "SETU_ACTOR": "e2e", "COLUMNS": "160"}
    exe = _setu()

    def setu(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([exe, *args], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        return proc

    cal = setu("coop", "calendar", "generate", "--year", "2026", "--json")
    assert len(json.loads(cal.stdout)) == 18
    ics = tmp_path / "2026.ics"
    setu("coop", "calendar", "export", "--year", "2026", "--out", str(ics))
    assert ics.read_bytes().count(b"BEGIN:VEVENT") == 18
    created = setu(
        "acsa",
        "create",
        "--requesting",
        "IN",
        "--supplying",
        "JP",
        "--activity",
        "evacuation",
        "--line",
        "transportation|Airlift, C-2, Delhi-Tokyo|1|sortie|4200000|JPY",
        "--requisition",
        "IAF-EVAC-1",
        "--place",
        "Iruma",
        "--json",
    )
    number = json.loads(created.stdout)["number"]
    setu("acsa", "issue", number, code=5)  # unsigned: refused by the state machine
    setu(
        "acsa",
        "create",
        "--requesting",
        "IN",
        "--supplying",
        "JP",
        "--activity",
        "evacuation",
        "--line",
        "spare_parts|Rifle cartridges|1|box|1|JPY",
        code=5,
    )
    setu("acsa", "show", "ACSA-NOPE", code=4)
    for party, name in (("IN", "Gp Capt Rao"), ("JP", "Col. Sato")):
        setu("acsa", "sign", number, "--party", party, "--name", name, "--title", "OC")
    setu("acsa", "issue", number)
    setu("acsa", "receive", number)
    setu("acsa", "invoice", number)
    setu("acsa", "settle", number, "--amount", "4200000", "--currency", "JPY")
    doc = tmp_path / "manifest.txt"
    doc.write_text("flight manifest\n")
    setu("acsa", "attach", number, str(doc), "--kind", "receipt")
    assert json.loads(setu("acsa", "close", number, "--json").stdout)["state"] == "closed"
    assert json.loads(setu("acsa", "verify", "--json").stdout)["ok"] is True
    from sqlalchemy import text

    from setu.db import open_database

    db = open_database(f"sqlite:///{data_dir / 'setu.db'}")
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE acsa_balance SET amount = '1' WHERE currency = 'JPY'"))
    db.dispose()
    broken = setu("acsa", "verify", code=6)
    assert "do not verify" in broken.stderr
