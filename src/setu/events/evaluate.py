"""Evaluation of the detectors against ground truth: precision and recall per event type.

Ground truth is the simulator's JSON Lines file, one object per injected behaviour::

    {"event_type": "gap", "mmsi": [int, ...], "start": ISO-8601, "end": ISO-8601 or null,
     "lon": float, "lat": float, "details": {...}}

A detected event *matches* a truth record when they have the same event type, share at least
one vessel (both vessels for a two-vessel event such as an encounter) and their time spans
overlap once each is widened by ``tolerance_s`` on both sides (an open span runs to infinity).
Matching is one-to-one: candidate pairs are taken in order of decreasing time overlap, and each
truth record and each detection is used at most once. Then, per type,
``precision = matched detections / detections`` and ``recall = matched truth / truth``
(``None`` when the denominator is zero).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from setu.errors import InputError
from setu.events.model import Event, EventType

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa

    from setu.events.base import Detector


@dataclass(frozen=True)
class Truth:
    """One injected behaviour."""

    event_type: EventType
    mmsis: tuple[int, ...]
    start: datetime
    end: datetime | None
    lon: float
    lat: float
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TypeScore:
    """Scores of one event type."""

    event_type: str
    truth: int
    detected: int
    matched: int

    @property
    def precision(self) -> float | None:
        return self.matched / self.detected if self.detected else None

    @property
    def recall(self) -> float | None:
        return self.matched / self.truth if self.truth else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_type": self.event_type,
            "truth": self.truth,
            "detected": self.detected,
            "matched": self.matched,
            "precision": self.precision,
            "recall": self.recall,
        }


def _time(value: Any, where: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{where}: {value!r} is not an ISO-8601 time") from exc
    if parsed.tzinfo is None:
        raise InputError(f"{where}: time {value!r} has no UTC offset; write it as ...Z")
    return parsed


def parse_truth(lines: Iterable[str], origin: str = "truth") -> list[Truth]:
    """Truth records from JSON Lines text (blank lines are skipped)."""
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{origin}:{number}"
        try:
            obj = json.loads(line)
            records.append(
                Truth(
                    event_type=EventType(obj["event_type"]),
                    mmsis=tuple(sorted(int(m) for m in obj["mmsi"])),
                    start=_time(obj["start"], where),
                    end=None if obj.get("end") is None else _time(obj["end"], where),
                    lon=float(obj["lon"]),
                    lat=float(obj["lat"]),
                    details=dict(obj.get("details") or {}),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(
                f"{where}: not a ground-truth record ({exc}); see setu.events.evaluate"
            ) from exc
    return records


def load_truth(path: Path) -> list[Truth]:
    """Truth records from a JSON Lines file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read ground truth {path}: {exc}") from exc
    return parse_truth(text.splitlines(), str(path))


def _overlap_s(
    a: tuple[datetime, datetime | None], b: tuple[datetime, datetime | None], tolerance_s: float
) -> float | None:
    """Seconds of overlap of two spans each widened by ``tolerance_s`` (None: no overlap)."""
    inf = float("inf")
    a0, a1 = a[0].timestamp() - tolerance_s, inf if a[1] is None else a[1].timestamp() + tolerance_s
    b0, b1 = b[0].timestamp() - tolerance_s, inf if b[1] is None else b[1].timestamp() + tolerance_s
    overlap = min(a1, b1) - max(a0, b0)
    return overlap if overlap >= 0 else None


def _same_vessels(event: Event, truth: Truth) -> bool:
    if len(truth.mmsis) == 2 and event.event_type is EventType.ENCOUNTER:
        return set(truth.mmsis) == set(event.mmsis)
    return bool(set(truth.mmsis) & set(event.mmsis))


def match(
    events: Sequence[Event], truth: Sequence[Truth], tolerance_s: float = 3600.0
) -> list[tuple[int, int]]:
    """One-to-one (event index, truth index) matches (see the module docstring)."""
    candidates = []
    for i, event in enumerate(events):
        for j, record in enumerate(truth):
            if event.event_type is not record.event_type or not _same_vessels(event, record):
                continue
            overlap = _overlap_s((event.start, event.end), (record.start, record.end), tolerance_s)
            if overlap is not None:
                candidates.append((-overlap, i, j))
    used_events: set[int] = set()
    used_truth: set[int] = set()
    pairs = []
    for _neg, i, j in sorted(candidates):
        if i not in used_events and j not in used_truth:
            used_events.add(i)
            used_truth.add(j)
            pairs.append((i, j))
    return sorted(pairs)


def score(
    events: Sequence[Event],
    truth: Sequence[Truth],
    event_types: Iterable[EventType] | None = None,
    tolerance_s: float = 3600.0,
) -> list[TypeScore]:
    """Precision and recall per event type (the given types, else every type seen)."""
    pairs = match(events, truth, tolerance_s)
    types = (
        list(event_types)
        if event_types is not None
        else sorted(
            {e.event_type for e in events} | {t.event_type for t in truth}, key=lambda t: t.value
        )
    )
    scores = []
    for kind in types:
        matched = sum(1 for i, _ in pairs if events[i].event_type is kind)
        scores.append(
            TypeScore(
                event_type=kind.value,
                truth=sum(1 for t in truth if t.event_type is kind),
                detected=sum(1 for e in events if e.event_type is kind),
                matched=matched,
            )
        )
    return scores


def evaluate_positions(
    positions: pa.Table | pl.DataFrame,
    truth: Sequence[Truth],
    detectors: Sequence[Detector] | None = None,
    tolerance_s: float = 3600.0,
) -> tuple[list[Event], list[TypeScore]]:
    """Run the detectors over positions and score what they find against the truth.

    Scores cover the event types the truth mentions plus every type that was detected.
    """
    from setu.events.run import run_detectors

    events = run_detectors(positions, detectors)
    return events, score(events, truth, tolerance_s=tolerance_s)
