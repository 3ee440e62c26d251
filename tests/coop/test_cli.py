"""`setu coop …` through typer's CliRunner: the desk officer's flows, tables and --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from setu.cli import app
from setu.errors import NotFoundError, StateError

pytestmark = pytest.mark.unit


@pytest.fixture
def run(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SETU_ACTOR", "desk.officer")
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(
            app, ["--data-dir", str(tmp_path / "data"), "--database-url", db_url, *args]
        )
        if ok:
            assert result.exit_code == 0, (result.output, result.exception)
        return result

    return invoke


def _json(result) -> object:
    return json.loads(result.stdout)


def test_agreements_and_mechanisms(run) -> None:
    table = run("coop", "agreements", "list")
    assert "jd-2008" in table.stdout and "acsa-2020" in table.stdout
    rows = _json(run("coop", "agreements", "list", "--json"))
    assert rows[0]["key"] == "jd-2008" and len(rows) == 8
    shown = _json(run("coop", "agreements", "show", "jd-2025", "--json"))
    assert shown["signed_on"] == "2025-08-29"
    assert shown["lineage"]["rests_on"] == ["jd-2008"]
    mechs = _json(run("coop", "mechanisms", "list", "--section", "2", "--json"))
    assert len(mechs) == 9
    assert _json(run("coop", "mechanisms", "show", "2.4", "--json"))["cadence"] == "twice_a_year"
    run(
        "coop",
        "agreements",
        "create",
        "--key",
        "x-2027",
        "--title",
        "Test arrangement",
        "--signed-on",
        "2027-02-01",
    )
    run("coop", "agreements", "relate", "x-2027", "implements", "jd-2025")
    updated = _json(run("coop", "agreements", "update", "x-2027", "--status", "in_force", "--json"))
    assert updated["status"] == "in_force"
    missing = run("coop", "agreements", "show", "nope", ok=False)
    assert isinstance(missing.exception, NotFoundError)


def test_calendar_flow_and_export(run, tmp_path: Path) -> None:
    generated = _json(run("coop", "calendar", "generate", "--year", "2026", "--json"))
    assert len(generated) == 18
    eid = next(r["id"] for r in generated if r["mechanism"] == "ap2009-2.4")
    run(
        "coop",
        "calendar",
        "schedule",
        str(eid),
        "--start",
        "2026-03-23",
        "--end",
        "2026-03-24",
        "--place",
        "Tokyo",
    )
    moved = _json(run("coop", "calendar", "move", str(eid), "--start", "2026-03-30", "--json"))
    assert moved["start_on"] == "2026-03-30" and moved["end_on"] == "2026-03-31"
    run("coop", "calendar", "hold", str(eid), "--reason", "ministerial schedule")
    run("coop", "calendar", "resume", str(eid))
    other = next(r["id"] for r in generated if r["mechanism"] == "ap2009-2.5")
    run("coop", "calendar", "cancel", str(other), "--reason", "merged with 2+2")
    again = run("coop", "calendar", "cancel", str(other), "--reason", "x", ok=False)
    assert isinstance(again.exception, StateError)
    history = _json(run("coop", "calendar", "show", str(eid), "--json"))
    assert [c["action"] for c in history["changes"]][-2:] == ["hold", "resume"]
    assert "Calendar 2026" in run("coop", "calendar", "list", "--year", "2026").stdout
    out = tmp_path / "calendar-2026.ics"
    run("coop", "calendar", "export", "--year", "2026", "--out", str(out))
    cal = Calendar.from_ical(out.read_bytes())
    assert len(cal.walk("VEVENT")) == 18
    per_mech = run("coop", "calendar", "export", "--mechanism", "3.7.1.1")
    assert Calendar.from_ical(per_mech.stdout).walk("VEVENT")[0]["LOCATION"] == "off Japan"


def test_meetings_actions_compliance_alerts(run, tmp_path: Path) -> None:
    generated = _json(run("coop", "calendar", "generate", "--year", "2026", "--json"))
    dpd = next(r for r in generated if r["mechanism"] == "ap2009-3.2")
    meeting = _json(
        run(
            "coop",
            "meetings",
            "create",
            "--mechanism",
            "3.2",
            "--start",
            "2026-02-16",
            "--place",
            "Tokyo",
            "--host",
            dpd["host"],
            "--agenda",
            "Calendar review",
            "--delegation",
            "IN|Defence Secretary|Secretary",
            "--delegation",
            "JP|Administrative Vice-Minister|Vice-Minister",
            "--outcome",
            "decision|Next round in New Delhi",
            "--outcome",
            "action|Exchange ToR",
            "--engagement",
            str(dpd["id"]),
            "--json",
        )
    )
    assert len(meeting["delegations"]) == 2
    item = _json(
        run(
            "coop",
            "actions",
            "add",
            str(meeting["id"]),
            "--text",
            "Exchange ToR",
            "--owner",
            "MoD (India)",
            "--due",
            "2026-03-01",
            "--json",
        )
    )
    assert item["overdue"] is True  # the clock is the real one, well past 1 March 2026
    overdue = _json(run("coop", "actions", "list", "--overdue", "--json"))
    assert [i["id"] for i in overdue] == [item["id"]]
    alerts = _json(run("coop", "alerts", "--json"))
    assert any(a["kind"] == "action_item" for a in alerts)
    run("coop", "actions", "update", str(item["id"]), "--status", "done")
    assert _json(run("coop", "actions", "list", "--overdue", "--json")) == []
    report = _json(run("coop", "compliance", "--year", "2026", "--json"))
    row = next(r for r in report["mechanisms"] if r["mechanism"] == "ap2009-3.2")
    assert (row["due"], row["held"], row["status"]) == (1, 1, "met")
    table = run("coop", "compliance", "--year", "2026").stdout
    assert "Compliance 2026" in table and "met" in table
    listed = _json(run("coop", "meetings", "list", "--json"))
    assert listed[0]["id"] == meeting["id"]
    assert _json(run("coop", "meetings", "show", str(meeting["id"]), "--json"))["host"]


def test_exercises(run, tmp_path: Path) -> None:
    area = tmp_path / "area.geojson"
    area.write_text(
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [
                    [[139.3, 35.0], [139.8, 35.0], [139.8, 35.3], [139.3, 35.3], [139.3, 35.0]]
                ],
            }
        )
    )
    made = _json(
        run(
            "coop",
            "exercises",
            "create",
            "--series",
            "jimex",
            "--name",
            "JIMEX 27",
            "--start",
            "2027-06-01",
            "--end",
            "2027-06-05",
            "--host",
            "JP",
            "--area-name",
            "Sagami Bay",
            "--area",
            str(area),
            "--unit",
            "IN|Indian Navy|INS Shivalik",
            "--json",
        )
    )
    assert made["units"][0]["unit"] == "INS Shivalik"
    assert len(_json(run("coop", "exercises", "list", "--series", "jimex", "--json"))) == 1
    fc = json.loads(run("coop", "exercises", "export").stdout)
    assert fc["features"][0]["properties"]["name"] == "JIMEX 27"
    series = _json(run("coop", "exercises", "series", "--json"))
    assert next(s for s in series if s["key"] == "jimex")["editions"] == 1
    seeded = _json(run("coop", "seed", "--json"))
    assert seeded == {"agreements": 0, "relations": 0, "mechanisms": 0, "exercise_series": 0}
