"""Run a set of detectors over positions: segment, detect, deduplicate, sort."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from setu.errors import ConfigError
from setu.events.base import Detector
from setu.events.model import Event
from setu.tracks import SegmentConfig, Tracks

if TYPE_CHECKING:
    import polars as pl
    import pyarrow as pa


def make_detectors(
    names: Iterable[str] | None = None, *, statics: pa.Table | pl.DataFrame | None = None
) -> list[Detector]:
    """Detectors with default parameters, by name (all registered detectors when None).

    ``statics`` (the store's statics table) is handed to the detectors that accept it.
    """
    import inspect

    from setu.events import DETECTORS

    chosen = list(DETECTORS) if names is None else list(names)
    unknown = [n for n in chosen if n not in DETECTORS]
    if unknown:
        raise ConfigError(
            f"unknown detector(s) {', '.join(unknown)}; choose from {', '.join(sorted(DETECTORS))}"
        )
    made: list[Detector] = []
    for name in dict.fromkeys(chosen):
        cls = DETECTORS[name]
        wants_statics = "statics" in inspect.signature(cls).parameters
        made.append(cls(statics=statics) if wants_statics and statics is not None else cls())  # type: ignore[call-arg]
    return made


def sort_events(events: Iterable[Event]) -> list[Event]:
    """Events without duplicates (same ``event_id``: the first is kept), ordered by start time,
    type, vessels and key."""
    unique: dict[str, Event] = {}
    for event in events:
        unique.setdefault(event.event_id, event)
    return sorted(
        unique.values(), key=lambda e: (e.start, e.event_type.value, e.mmsis, e.key, e.event_id)
    )


def run_detectors(
    positions: pa.Table | pl.DataFrame | Tracks,
    detectors: Sequence[Detector] | None = None,
    *,
    segment_config: SegmentConfig | None = None,
) -> list[Event]:
    """Every event the detectors find in the positions (a "positions" table or built tracks).

    Positions are cleaned and segmented once (:meth:`Tracks.from_positions`); each detector sees
    the same tracks. The result is deduplicated by ``event_id`` and sorted.
    """
    tracks = (
        positions
        if isinstance(positions, Tracks)
        else Tracks.from_positions(positions, segment_config)
    )
    chosen = make_detectors() if detectors is None else detectors
    found: list[Event] = []
    for detector in chosen:
        found.extend(detector.detect(tracks))
    return sort_events(found)
