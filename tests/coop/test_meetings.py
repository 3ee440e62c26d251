"""Meetings with delegations, outcomes and action items; overdue alerts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from setu.coop import Cooperation, DelegationIn, OutcomeIn
from setu.errors import NotFoundError, StateError, ValidationError

pytestmark = pytest.mark.unit


def _meeting(coop: Cooperation, **extra) -> dict:
    return coop.record_meeting(
        "3.2",
        start_on=date(2026, 2, 16),
        end_on=date(2026, 2, 17),
        place="New Delhi",
        host="IN",
        agenda=["Review of the Annual Calendar", "Defence equipment cooperation"],
        delegations=[
            DelegationIn("IN", "Defence Secretary", "Secretary", 8),
            DelegationIn("JP", "Administrative Vice-Minister of Defense", "Vice-Minister", 6),
        ],
        outcomes=[
            OutcomeIn("decision", "Hold the next dialogue in Tokyo"),
            OutcomeIn("information", "Briefing on the revised defence strategy"),
            OutcomeIn("action", "Exchange draft terms of reference for staff talks"),
        ],
        summary="Annual Defence Policy Dialogue",
        **extra,
    )


def test_meeting_record(coop: Cooperation) -> None:
    meeting = _meeting(coop, classification="RESTRICTED")
    assert meeting["mechanism"] == "ap2009-3.2"
    assert [d["party"] for d in meeting["delegations"]] == ["IN", "JP"]
    assert [o["kind"] for o in meeting["outcomes"]] == ["decision", "information", "action"]
    assert meeting["classification"] == "RESTRICTED"
    assert all(d["classification"] == "RESTRICTED" for d in meeting["delegations"])
    assert coop.get_meeting(meeting["id"])["agenda"][0] == "Review of the Annual Calendar"
    assert len(coop.list_meetings(mechanism="3.2")) == 1


def test_meeting_marks_engagement_held(coop: Cooperation) -> None:
    coop.generate_calendar(2026)
    slot = coop.list_engagements(year=2026, mechanism="3.2")[0]
    _meeting(coop, engagement_id=slot["id"])
    held = coop.get_engagement(slot["id"])
    assert held["status"] == "held" and held["start_on"] == date(2026, 2, 16)
    with pytest.raises(StateError):
        coop.cancel(slot["id"], "too late")
    other = coop.list_engagements(year=2026, mechanism="2.1")[0]
    with pytest.raises(ValidationError, match="another mechanism"):
        _meeting(coop, engagement_id=other["id"])


def test_meeting_validation(coop: Cooperation) -> None:
    with pytest.raises(ValidationError, match="before its start"):
        coop.record_meeting(
            "3.2", start_on=date(2026, 2, 2), end_on=date(2026, 2, 1), place="x", host="IN"
        )
    with pytest.raises(ValidationError, match="host"):
        coop.record_meeting("3.2", start_on=date(2026, 2, 2), place="x", host="US")
    with pytest.raises(ValidationError, match="outcome kind"):
        coop.record_meeting(
            "3.2",
            start_on=date(2026, 2, 2),
            place="x",
            host="IN",
            outcomes=[OutcomeIn("rumour", "x")],
        )
    with pytest.raises(NotFoundError):
        coop.record_meeting("99.9", start_on=date(2026, 2, 2), place="x", host="IN")


def test_action_items_and_overdue_alerts(coop: Cooperation, clock) -> None:
    clock.set(datetime(2026, 2, 17, 12, tzinfo=UTC))
    meeting = _meeting(coop)
    action_outcome = meeting["outcomes"][2]["id"]
    a = coop.add_action_item(
        meeting["id"],
        text="Send draft ToR",
        owner="MoD (India), International Cooperation",
        due_on=date(2026, 3, 31),
        outcome_id=action_outcome,
    )
    b = coop.add_action_item(
        meeting["id"], text="Nominate liaison officer", owner="MOD (Japan)", due_on=date(2026, 5, 1)
    )
    assert a["status"] == "open" and not a["overdue"]
    clock.set(datetime(2026, 4, 10, tzinfo=UTC))
    overdue = coop.list_action_items(overdue=True)
    assert [i["id"] for i in overdue] == [a["id"]]
    assert overdue[0]["days_overdue"] == 10
    alerts = [x for x in coop.alerts() if x["kind"] == "action_item"]
    assert [x["id"] for x in alerts] == [a["id"]]
    coop.update_action_item(a["id"], status="in_progress")
    assert coop.list_action_items(overdue=True)[0]["status"] == "in_progress"
    done = coop.update_action_item(a["id"], status="done")
    assert done["closed_at"] == clock() and not done["overdue"]
    assert coop.list_action_items(overdue=True) == []
    with pytest.raises(StateError, match="cannot become"):
        coop.update_action_item(a["id"], status="cancelled")
    moved = coop.update_action_item(b["id"], due_on=date(2026, 6, 1), owner="JSO, MOD (Japan)")
    assert moved["owner"] == "JSO, MOD (Japan)"
    assert [i["id"] for i in coop.list_action_items(status="open")] == [b["id"]]
    with pytest.raises(ValidationError, match="outcome"):
        coop.add_action_item(
            meeting["id"], text="x", owner="y", due_on=date(2026, 6, 1), outcome_id=99999
        )


def test_alerts_include_overdue_engagements(coop: Cooperation, clock) -> None:
    clock.set(datetime(2026, 3, 1, tzinfo=UTC))
    coop.generate_calendar(2026)
    kinds = {(a["kind"], a["mechanism"]) for a in coop.alerts()}
    assert ("engagement_overdue", "ap2009-2.1") in kinds  # 15 January slot, not held
    assert ("engagement_overdue", "ap2009-9.1") not in kinds
