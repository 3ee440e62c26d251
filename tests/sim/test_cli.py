"""``setu simulate`` and ``setu evaluate`` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from setu.cli import app, main

pytestmark = pytest.mark.unit
runner = CliRunner()


def test_simulate_writes_feed_and_truth_and_reports_counts(tmp_path: Path) -> None:
    out = tmp_path / "demo.nmea"
    result = runner.invoke(app, ["simulate", "--scenario", "demo", "--seed", "4", "--out",
                                 str(out), "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["vessels"] > 10 and counts["sentences"] == out.read_bytes().count(b"\n")
    assert (tmp_path / "demo.truth.jsonl").is_file()
    assert counts["truth_records"]["encounter"] == 1
    table = runner.invoke(app, ["simulate", "--scenario", "demo", "--out", str(out)])
    assert table.exit_code == 0 and "sentences" in table.output


def test_simulate_rejects_an_unknown_scenario(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--scenario", "atlantis", "--out", str(tmp_path / "x.nmea")])
    assert exc.value.code == 2


def test_evaluate_scenario_seeds_json_and_table(tmp_path: Path, shore: object) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    result = runner.invoke(app, [*data, "evaluate", "--scenario", "demo", "--seed", "1",
                                 "--seed", "2", "--json", "--fail-under", "0.95"])  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["seed"] for r in rows] == [1, 2]
    assert all(s["precision"] == 1.0 and s["recall"] == 1.0 for r in rows for s in r["scores"])
    table = runner.invoke(app, [*data, "evaluate", "--scenario", "demo", "--seed", "3"])
    assert table.exit_code == 0 and "precision" in table.output and "speed_drop" in table.output


def test_evaluate_a_feed_against_a_truth_file_and_fail_under(tmp_path: Path, shore: object) -> None:
    from setu.sim import sample_feed_path, sample_truth_path

    data = ["--data-dir", str(tmp_path / "data")]
    feed = ["--nmea", str(sample_feed_path()), "--truth", str(sample_truth_path())]
    ok = runner.invoke(app, [*data, "evaluate", *feed, "--json", "--fail-under", "0.95"])
    assert ok.exit_code == 0, ok.output
    # a truth file missing half the records: recall and precision fall, --fail-under trips
    partial = tmp_path / "partial.truth.jsonl"
    lines = sample_truth_path().read_text(encoding="utf-8").splitlines()
    partial.write_text("\n".join(lines[::2]) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main([*data, "evaluate", "--nmea", str(sample_feed_path()), "--truth", str(partial),
              "--fail-under", "0.95"])  # fmt: skip
    assert exc.value.code == 5


def test_evaluate_needs_a_scenario_or_a_feed_with_truth(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--data-dir", str(tmp_path), "evaluate", "--nmea", "feed.nmea"])
    assert exc.value.code == 2
