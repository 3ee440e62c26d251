"""The Annual Calendar: generation with alternation, officers' changes, iCalendar export."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from icalendar import Calendar

from setu.coop import Cooperation
from setu.errors import NotFoundError, StateError, ValidationError

pytestmark = pytest.mark.unit


def _by_mech(rows: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["mechanism"], []).append(row)
    return out


def test_generate_2026_from_cadences(coop: Cooperation) -> None:
    rows = coop.generate_calendar(2026)
    by = _by_mech(rows)
    scheduled = {m["key"] for m in coop.list_mechanisms(scheduled=True)}
    assert set(by) == scheduled
    assert all(r["status"] == "proposed" and r["year"] == 2026 for r in rows)
    # "Annual" -> one slot; "Basically twice a year" -> two about six months apart.
    assert len(by["ap2009-2.1"]) == 1
    twice = sorted(by["ap2009-2.4"], key=lambda r: r["slot"])
    assert len(twice) == 2
    assert (twice[1]["start_on"] - twice[0]["start_on"]).days in range(178, 187)
    assert twice[0]["host"] != twice[1]["host"]
    # Occasional and unspecified items are not scheduled.
    assert "ap2009-3.7.1.3" not in by and "ap2009-1.1" not in by
    # Idempotent.
    assert coop.generate_calendar(2026) == []
    assert len(coop.list_engagements(year=2026)) == len(rows)


def test_hosts_alternate_between_years(coop: Cooperation) -> None:
    coop.generate_calendar(2026)
    coop.generate_calendar(2027)
    for key in ("ap2009-2.1", "ap2009-3.2", "ap2009-9.1"):
        hosts = [r["host"] for r in coop.list_engagements(mechanism=key)]
        assert len(hosts) == 2 and set(hosts) == {"IN", "JP"}
    # Anchor: the plan was adopted in New Delhi in 2009, so odd years are India's.
    assert coop.list_engagements(year=2027, mechanism="2.1")[0]["host"] == "IN"


def test_naval_exercise_alternates_waters(coop: Cooperation) -> None:
    coop.generate_calendar(2026)
    coop.generate_calendar(2027)
    places = [r["place"] for r in coop.list_engagements(mechanism="3.7.1.1")]
    assert sorted(places) == ["off India", "off Japan"]
    first = coop.list_engagements(year=2026, mechanism="3.7.1.1")[0]
    assert first["kind"] == "exercise"
    assert (first["end_on"] - first["start_on"]).days == 4  # five-day exercise


def test_alternation_follows_the_last_meeting(coop: Cooperation) -> None:
    coop.record_meeting("2.1", start_on=date(2025, 3, 7), place="New Delhi", host="IN")
    coop.record_meeting("3.2", start_on=date(2025, 2, 1), place="Tokyo", host="JP")
    coop.generate_calendar(2026)
    assert coop.list_engagements(year=2026, mechanism="2.1")[0]["host"] == "JP"
    assert coop.list_engagements(year=2026, mechanism="3.2")[0]["host"] == "IN"


def test_schedule_move_hold_resume_cancel(coop: Cooperation, clock) -> None:
    coop.generate_calendar(2026)
    eid = coop.list_engagements(year=2026, mechanism="2.4")[0]["id"]
    row = coop.schedule(eid, date(2026, 3, 23), date(2026, 3, 24), place="Tokyo", host="JP")
    assert (row["status"], row["place"], row["host"]) == ("scheduled", "Tokyo", "JP")
    clock.advance(hours=1)
    row = coop.move(eid, date(2026, 4, 6))
    assert (row["start_on"], row["end_on"]) == (date(2026, 4, 6), date(2026, 4, 7))
    row = coop.hold(eid, "awaiting ministers' availability")
    assert row["status"] == "on_hold"
    with pytest.raises(StateError, match="on_hold"):
        coop.hold(eid, "again")
    assert coop.resume(eid)["status"] == "scheduled"
    row = coop.cancel(eid, "overtaken by the summit")
    assert row["status"] == "cancelled"
    with pytest.raises(StateError, match="cancelled"):
        coop.move(eid, date(2026, 5, 1))
    history = coop.get_engagement(eid)
    actions = [c["action"] for c in history["changes"]]
    assert actions == ["generated", "schedule", "move", "hold", "resume", "cancel"]
    assert all(c["actor"] == "desk.officer" for c in history["changes"])
    assert history["sequence"] == 5


def test_change_rules(coop: Cooperation) -> None:
    coop.generate_calendar(2026)
    eid = coop.list_engagements(year=2026, mechanism="2.1")[0]["id"]
    with pytest.raises(ValidationError, match="before start"):
        coop.schedule(eid, date(2026, 3, 5), date(2026, 3, 1))
    with pytest.raises(ValidationError, match="2026 calendar"):
        coop.move(eid, date(2027, 1, 3))
    with pytest.raises(ValidationError, match="why"):
        coop.cancel(eid, " ")
    with pytest.raises(NotFoundError):
        coop.hold(99999, "x")
    with pytest.raises(ValidationError, match="year"):
        coop.generate_calendar(26)


def _parse(data: bytes) -> Calendar:
    cal = Calendar.from_ical(data)
    assert cal["VERSION"] == "2.0"
    assert str(cal["PRODID"]).startswith("-//setu//")
    return cal


def test_ical_export_per_year(coop: Cooperation, clock) -> None:
    rows = coop.generate_calendar(2026)
    eid = coop.list_engagements(year=2026, mechanism="2.4")[0]["id"]
    coop.schedule(eid, date(2026, 3, 23), date(2026, 3, 24), place="Tokyo")
    cancelled = coop.list_engagements(year=2026, mechanism="2.5")[0]["id"]
    coop.cancel(cancelled, "postponed to 2027")
    text = coop.export_ical(year=2026)
    assert text.startswith(b"BEGIN:VCALENDAR\r\n") and b"\r\nEND:VCALENDAR\r\n" in text
    cal = _parse(text)
    events = cal.walk("VEVENT")
    assert len(events) == len(rows)
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    for event in events:
        assert event["DTSTAMP"].dt == clock()
        assert isinstance(event["DTSTART"].dt, date) and not isinstance(
            event["DTSTART"].dt, datetime
        )
        assert event["DTEND"].dt > event["DTSTART"].dt
    by_uid = {str(e["UID"]): e for e in events}
    fsvm = by_uid["ap2009-2.4-2026-1@setu.coop"]
    assert fsvm["DTSTART"].dt == date(2026, 3, 23)
    assert fsvm["DTEND"].dt == date(2026, 3, 25)  # exclusive end of an all-day event
    assert str(fsvm["STATUS"]) == "CONFIRMED" and str(fsvm["LOCATION"]) == "Tokyo"
    assert int(fsvm["SEQUENCE"]) == 1
    assert "Classification: UNCLASSIFIED" in str(fsvm["DESCRIPTION"])
    assert str(by_uid["ap2009-2.5-2026-1@setu.coop"]["STATUS"]) == "CANCELLED"


def test_ical_export_per_mechanism(coop: Cooperation) -> None:
    coop.generate_calendar(2026)
    coop.generate_calendar(2027)
    cal = _parse(coop.export_ical(mechanism="2.4"))
    events = cal.walk("VEVENT")
    assert len(events) == 4
    assert {e["DTSTART"].dt.year for e in events} == {2026, 2027}
    assert "Foreign Secretary" in str(cal["X-WR-CALNAME"])
    with pytest.raises(ValidationError, match="--year"):
        coop.export_ical()


def test_mechanism_planning_defaults_can_change(coop: Cooperation) -> None:
    coop.update_mechanism(
        "2.7",
        cadence="annual",
        slots_per_year=1,
        preferred_month=11,
        anchor_year=2026,
        anchor_host="JP",
    )
    rows = coop.generate_calendar(2026)
    msd = [r for r in rows if r["mechanism"] == "ap2009-2.7"]
    assert len(msd) == 1
    assert msd[0]["start_on"] == date(2026, 11, 15) and msd[0]["host"] == "JP"
    with pytest.raises(ValidationError, match="1–12"):
        coop.update_mechanism("2.7", preferred_month=13)
    with pytest.raises(ValidationError, match="unknown"):
        coop.update_mechanism("2.7", text="rewritten")


def test_fixed_clock_is_used(coop: Cooperation, clock) -> None:
    clock.set(datetime(2026, 2, 2, tzinfo=UTC))
    row = coop.generate_calendar(2026)[0]
    assert row["created_at"] == datetime(2026, 2, 2, tzinfo=UTC)
