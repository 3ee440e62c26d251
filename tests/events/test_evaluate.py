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


def test_evaluate_positions_scores_detectors_against_injected_behaviours() -> None:
    import polars as pl

    from setu.events import GapDetector, LoiteringDetector
    from setu.events.evaluate import evaluate_positions
    from setu.events.ports import PortIndex

    class FarShore:
        def distance_m(self, lon: object, lat: object) -> object:
            import numpy as np

            return np.full(np.shape(np.atleast_1d(np.asarray(lon))), 200_000.0)

    # vessel 1 goes dark for 14 h; vessel 2 loiters for 5 h; vessel 3 sails past at 12 kn
    def fixes(mmsi: int, minutes: list[int], knots: float, lon: float) -> pl.DataFrame:
        step = knots * 1852 / 60 / 111_195
        return pl.DataFrame(
            {
                "mmsi": [mmsi] * len(minutes),
                "received_at": [T0 + timedelta(minutes=m) for m in minutes],
                "lon": [lon] * len(minutes),
                "lat": [10.0 + m * step for m in minutes],
                "sog_knots": [knots] * len(minutes),
            },
            schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
        )

    positions = pl.concat(
        [
            fixes(1, [*range(0, 120, 5), *range(120 + 14 * 60, 120 + 15 * 60, 5)], 11.0, 60.0),
            fixes(2, list(range(0, 5 * 60 + 1, 5)), 0.7, 62.0),
            fixes(3, list(range(0, 17 * 60, 5)), 12.0, 64.0),
        ]
    )
    truth = parse_truth(
        [
            truth_line("gap", [1], 115 / 60, 2 + 14),
            truth_line("loitering", [2], 0, 5),
            truth_line("gap", [3], 3, 5),
        ]
    )
    shore, ports = FarShore(), PortIndex([])
    detectors = [GapDetector(shore=shore), LoiteringDetector(shore=shore, ports=ports)]
    events, scores = evaluate_positions(positions, truth, detectors)
    by_type = {s.event_type: s for s in scores}
    assert {e.event_type for e in events} == {EventType.GAP, EventType.LOITERING}
    assert (by_type["gap"].precision, by_type["gap"].recall) == (1.0, 0.5)
    assert (by_type["loitering"].precision, by_type["loitering"].recall) == (1.0, 1.0)
