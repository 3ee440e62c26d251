"""Compliance with a fixed clock: due versus held, overdue and missed engagements."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from setu.coop import Cooperation

pytestmark = pytest.mark.unit


def _row(rows: list[dict], key: str) -> dict:
    return next(r for r in rows if r["mechanism"] == f"ap2009-{key}")


def test_due_versus_held_mid_year(coop: Cooperation, clock) -> None:
    clock.set(datetime(2026, 8, 1, tzinfo=UTC))
    coop.generate_calendar(2026)
    first = coop.list_engagements(year=2026, mechanism="2.4")[0]
    coop.record_meeting(
        "2.4",
        start_on=date(2026, 3, 16),
        place="Tokyo",
        host=first["host"],
        engagement_id=first["id"],
    )
    rows = coop.compliance(2026)
    fsvm = _row(rows, "2.4")
    assert (fsvm["due"], fsvm["held"], fsvm["overdue"], fsvm["missed"]) == (2, 1, 0, 0)
    assert fsvm["status"] == "on_track"  # the second slot is in September
    fmd = _row(rows, "2.1")  # January slot, nothing held by August
    assert (fmd["due"], fmd["held"], fmd["overdue"], fmd["status"]) == (1, 0, 1, "overdue")
    dnp = _row(rows, "9.1")  # December slot: not yet due
    assert dnp["status"] == "on_track" and dnp["overdue"] == 0
    assert {r["mechanism"] for r in rows} >= {"ap2009-2.1", "ap2009-3.7.1.1"}
    assert "ap2009-1.1" not in {r["mechanism"] for r in rows}
    flags = {f["mechanism"]: f["flag"] for f in coop.flags(2026)}
    assert flags["ap2009-2.1"] == "overdue"
    assert "ap2009-2.4" not in flags or flags["ap2009-2.4"] != "missed"


def test_missed_after_the_year(coop: Cooperation, clock) -> None:
    clock.set(datetime(2026, 1, 5, tzinfo=UTC))
    coop.generate_calendar(2026)
    slots = coop.list_engagements(year=2026, mechanism="2.4")
    coop.record_meeting(
        "2.4",
        start_on=date(2026, 3, 20),
        place="New Delhi",
        host="IN",
        engagement_id=slots[0]["id"],
    )
    coop.cancel(slots[1]["id"], "general election")
    dpd = coop.list_engagements(year=2026, mechanism="3.2")[0]
    coop.record_meeting(
        "3.2", start_on=date(2026, 2, 20), place="Tokyo", host="JP", engagement_id=dpd["id"]
    )
    clock.set(datetime(2027, 1, 10, tzinfo=UTC))
    rows = coop.compliance(2026)
    fsvm = _row(rows, "2.4")
    assert (fsvm["due"], fsvm["held"], fsvm["cancelled"], fsvm["missed"]) == (2, 1, 1, 1)
    assert fsvm["status"] == "missed"
    assert _row(rows, "3.2")["status"] == "met"
    fmd = _row(rows, "2.1")
    assert (fmd["missed"], fmd["status"]) == (1, "missed")
    flags = coop.flags(2026)
    assert {f["flag"] for f in flags} == {"missed"}
    assert "ap2009-3.2" not in {f["mechanism"] for f in flags}
    assert "ap2009-2.4" not in {f["mechanism"] for f in flags}  # held one, cancelled one


def test_exercise_editions_count_as_held(coop: Cooperation, clock) -> None:
    clock.set(datetime(2026, 12, 1, tzinfo=UTC))
    coop.generate_calendar(2026)
    slot = coop.list_engagements(year=2026, mechanism="3.7.1.1")[0]
    coop.create_edition(
        "jimex",
        name="JIMEX 26",
        start_on=date(2026, 6, 10),
        end_on=date(2026, 6, 14),
        host="JP",
        engagement_id=slot["id"],
    )
    row = _row(coop.compliance(2026), "3.7.1.1")
    assert (row["held"], row["status"]) == (1, "met")
    assert coop.get_engagement(slot["id"])["status"] == "held"


def test_compliance_before_generation_counts_due(coop: Cooperation, clock) -> None:
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    rows = coop.compliance(2026)
    assert _row(rows, "2.4")["due"] == 2
    assert all(r["overdue"] == 0 for r in rows)
