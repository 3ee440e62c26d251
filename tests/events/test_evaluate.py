"""Evaluation: parsing ground truth, one-to-one matching, precision and recall."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from setu.errors import InputError
from setu.events import Event, EventType
from setu.events.evaluate import match, parse_truth, score

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def truth_line(kind: str, mmsis: list[int], start_h: float, end_h: float | None) -> str:
    return json.dumps(
        {
            "event_type": kind,
            "mmsi": mmsis,
            "start": (T0 + timedelta(hours=start_h)).isoformat().replace("+00:00", "Z"),
            "end": None if end_h is None else (T0 + timedelta(hours=end_h)).isoformat(),
            "lon": 60.0,
            "lat": 10.0,
            "details": {},
        }
    )


def ev(kind: EventType, mmsis: tuple[int, ...], start_h: float, end_h: float | None) -> Event:
    end = None if end_h is None else T0 + timedelta(hours=end_h)
    return Event(kind, mmsis, T0 + timedelta(hours=start_h), end, 60.0, 10.0, "x")


pytestmark = pytest.mark.unit


def test_parse_truth_reads_the_simulator_format_and_reports_bad_lines() -> None:
    records = parse_truth(
        [truth_line("gap", [5], 1, None), "", truth_line("encounter", [9, 3], 2, 5)]
    )
    assert [r.event_type for r in records] == [EventType.GAP, EventType.ENCOUNTER]
    assert records[0].end is None and records[1].mmsis == (3, 9)
    with pytest.raises(InputError, match="truth:1"):
        parse_truth(['{"event_type": "gap"}'])
    with pytest.raises(InputError, match="UTC offset"):
        parse_truth([truth_line("gap", [5], 1, 2).replace("Z", "")])


def test_matching_needs_type_vessel_and_time_overlap_and_is_one_to_one() -> None:
    truth = parse_truth(
        [
            truth_line("gap", [1], 10, 24),
            truth_line("encounter", [2, 3], 5, 8),
            truth_line("loitering", [4], 0, 6),
        ]
    )
    events = [
        ev(EventType.GAP, (1,), 10, None),  # open but overlapping: match
        ev(EventType.GAP, (1,), 11, 23),  # second detection of the same gap: unmatched
        ev(EventType.ENCOUNTER, (2, 7), 5, 8),  # wrong partner
        ev(EventType.LOITERING, (4,), 8.5, 12),  # starts 2.5 h after the truth ends
    ]
    assert match(events, truth) == [(0, 0)]
    assert match(events, truth, tolerance_s=2 * 3600) == [(0, 0), (3, 2)]
    scores = {s.event_type: s for s in score(events, truth)}
    assert scores["gap"].precision == 0.5 and scores["gap"].recall == 1.0
    assert scores["encounter"].precision == 0.0 and scores["encounter"].recall == 0.0
    assert scores["loitering"].to_dict()["matched"] == 0


def test_scores_are_undefined_without_truth_or_detections() -> None:
    only = score([], [], event_types=[EventType.PORT_VISIT])
    assert only[0].precision is None and only[0].recall is None
