"""Concurrent use of the operational database by real setu processes, on SQLite and on
PostgreSQL (the ``db_url`` fixture runs each test on both):

- 3 waves of 8 concurrent ``setu acsa create`` on a fresh database: every one succeeds and the
  24 order numbers are distinct and gapless (regression: 6 of 24 failed with "UNIQUE constraint
  failed: acsa_order.number" and a hint that the database might be unreachable);
- 8 concurrent settlements of 200 INR against 1,000 INR outstanding: exactly 5 are recorded,
  3 are refused because the order is settled by then, and the books verify (no lost balance
  update, no broken hash chain, never over-settled);
- 4 concurrent ``setu coop seed`` on a fresh data directory: all succeed and the framework is
  there once (regression: "table acsa_balance already exists" from the racing schema upgrade);
- 4 processes upgrading one fresh database at once: each migration is applied exactly once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory

from setu.db import head_revision, open_database
from setu.db.migrate import alembic_config

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WAVES = 3
PER_WAVE = 8
LINE = "food|Fresh rations|1|kg|1000|INR"
_WAIT_S = 300.0


def _finish(procs: list[subprocess.Popen[bytes]]) -> list[tuple[int, str, str]]:
    out = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=_WAIT_S)
        out.append((proc.returncode, stdout.decode(), stderr.decode()))
    return out


def _together(start: Callable[..., subprocess.Popen[bytes]], n: int, *args: str, **kw: Any):
    """Start ``n`` identical setu processes at once and wait for all of them."""
    return _finish([start(*args, **kw) for _ in range(n)])


def _create_args() -> tuple[str, ...]:
    return (
        "acsa",
        "create",
        "--requesting",
        "JP",
        "--supplying",
        "IN",
        "--activity",
        "bilateral_training",
        "--requisition",
        "R-1",
        "--place",
        "Kochi",
        "--line",
        LINE,
        "--json",
    )


def test_concurrent_order_creation_gives_distinct_gapless_numbers(
    start_setu, run_setu, data_dir: Path, db_url: str
) -> None:
    env = {"SETU_DATABASE_URL": db_url}
    numbers: list[str] = []
    for _wave in range(WAVES):
        for rc, stdout, stderr in _together(
            start_setu, PER_WAVE, *_create_args(), data_dir=data_dir, env=env
        ):
            assert rc == 0, stderr
            numbers.append(json.loads(stdout)["number"])
    prefix = numbers[0].rsplit("-", 1)[0]
    expected = {f"{prefix}-{n:04d}" for n in range(1, WAVES * PER_WAVE + 1)}
    assert sorted(numbers) == sorted(expected)
    listed = run_setu("acsa", "list", "--json", data_dir=data_dir, env=env)
    assert sorted(o["number"] for o in listed.json()) == sorted(expected)


def test_concurrent_settlements_never_over_settle(
    start_setu, run_setu, data_dir: Path, db_url: str
) -> None:
    env = {"SETU_DATABASE_URL": db_url}

    def setu(*args: str) -> Any:
        result = run_setu(*args, data_dir=data_dir, env=env)
        assert result.rc == 0, str(result)
        return result

    number = setu(*_create_args()).json()["number"]
    setu("acsa", "sign", number, "--party", "JP", "--name", "Capt. Sato", "--title", "CO")
    setu("acsa", "sign", number, "--party", "IN", "--name", "Cdr. Rao", "--title", "LO")
    for step in ("issue", "receive", "invoice"):
        setu("acsa", step, number)
    settle = ("acsa", "settle", number, "--amount", "200", "--currency", "INR", "--json")
    results = _together(start_setu, PER_WAVE, *settle, data_dir=data_dir, env=env)
    codes = sorted(rc for rc, _, _ in results)
    assert codes == [0] * 5 + [5] * 3, results
    refused = [" ".join(stderr.split()) for rc, _, stderr in results if rc == 5]
    assert all("is settled; only invoiced or overdue" in text for text in refused), refused
    order = setu("acsa", "show", number, "--json").json()
    assert order["state"] == "settled"
    assert len([e for e in order["entries"] if e["kind"] == "cash"]) == 5
    verified = setu("acsa", "verify", "--json").json()
    assert verified["ok"], verified["problems"]
    balances = setu("acsa", "balances", "--json").json()
    assert {b["net"] for b in balances} == {"0.00"}


def test_concurrent_seeds_on_a_fresh_data_directory_seed_once(
    start_setu, run_setu, data_dir: Path, db_url: str
) -> None:
    env = {"SETU_DATABASE_URL": db_url}
    for rc, _stdout, stderr in _together(
        start_setu, 4, "coop", "seed", "--json", data_dir=data_dir, env=env
    ):
        assert rc == 0, stderr
    agreements = run_setu("coop", "agreements", "list", "--json", data_dir=data_dir, env=env)
    keys = [a["key"] for a in agreements.json()]
    assert len(keys) == len(set(keys)) == 8
    mechanisms = run_setu("coop", "mechanisms", "list", "--json", data_dir=data_dir, env=env)
    assert len(mechanisms.json()) == 47
    series = run_setu("coop", "exercises", "series", "--json", data_dir=data_dir, env=env)
    assert len(series.json()) == 8


_MIGRATE = """
import json, sys
from setu.db import migrate
from setu.db.engine import create_db_engine
report = migrate(create_db_engine(sys.argv[1]))
print(json.dumps({"after": report.after, "applied": list(report.applied)}))
"""


def test_concurrent_upgrades_apply_each_migration_exactly_once(db_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _MIGRATE, db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(os.environ),
        )
        for _ in range(4)
    ]
    reports = []
    for rc, stdout, stderr in _finish(procs):
        assert rc == 0, stderr
        reports.append(json.loads(stdout))
    script = ScriptDirectory.from_config(alembic_config())
    every = [r.revision for r in script.walk_revisions()]
    applied = [rev for report in reports for rev in report["applied"]]
    assert sorted(applied) == sorted(every)  # each revision once, by one of the processes
    assert {report["after"] for report in reports} == {head_revision()}
    db = open_database(db_url, upgrade_schema=False)
    try:
        from setu.db import current_revision

        assert current_revision(db.engine) == head_revision()
    finally:
        db.dispose()
