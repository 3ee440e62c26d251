"""``setu demo`` as a user runs it: a real process, a fresh data directory, run twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _setu(data_dir: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SETU_DATA_DIR": str(data_dir), "COLUMNS": "160"}
    return subprocess.run(
        [sys.executable, "-m", "setu", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )


def test_demo_shows_the_picture_and_its_events_and_is_idempotent(data_dir: Path) -> None:
    from setu.sim import sample_truth_path

    first = _setu(data_dir, "demo")
    assert first.returncode == 0, first.stderr
    for heading in ("Ingest summary", "Messages stored", "Vessels (", "Events: ", "try next"):
        assert heading in first.stdout

    truth_types = {
        json.loads(line)["event_type"]
        for line in sample_truth_path().read_text().splitlines()
        if line.strip()
    }
    events = _setu(data_dir, "events", "--json")
    assert events.returncode == 0, events.stderr
    found = {json.loads(line)["event_type"] for line in events.stdout.splitlines()}
    assert truth_types <= found

    count = ("sql", "SELECT count(*) AS n FROM positions", "--json")
    before = json.loads(_setu(data_dir, *count).stdout)["n"]
    assert before > 1000

    second = _setu(data_dir, "demo")
    assert second.returncode == 0, second.stderr
    assert json.loads(_setu(data_dir, *count).stdout)["n"] == before
    again = _setu(data_dir, "events", "--json")
    assert len(again.stdout.splitlines()) == len(events.stdout.splitlines())
