"""Run a set of detectors over positions: segment, detect, label, deduplicate, sort.

Each event gets the label key of the positions it was derived from (:func:`with_source_labels`);
the event store turns the key into the derived label (:mod:`setu.events.store`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
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


def with_statics(detectors: Sequence[Detector], statics: pa.Table | pl.DataFrame) -> list[Detector]:
    """The detectors, each one that takes statics rebuilt from its config with ``statics`` (the
    others as they are)."""
    import inspect

    out: list[Detector] = []
    for detector in detectors:
        cls = type(detector)
        if "statics" not in inspect.signature(cls).parameters:
            out.append(detector)
        elif hasattr(detector, "config"):
            out.append(cls(detector.config, statics=statics))  # type: ignore[call-arg]
        else:
            out.append(cls(statics=statics))  # type: ignore[call-arg]
    return out


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
    return sort_events(with_source_labels(found, tracks))


#: Separates the label ids of a label key (``a+b``); an empty member is the open-AIS default.
LABEL_KEY_SEPARATOR = "+"


def label_key(label_ids: Iterable[str | None]) -> str | None:
    """The key of a set of label ids: None when all are open AIS (null), the id when there is
    one, else the sorted distinct ids joined by ``+`` (open AIS as an empty member)."""
    members = {part for ident in label_ids for part in (ident or "").split(LABEL_KEY_SEPARATOR)}
    if members <= {""}:
        return None
    if len(members) == 1:
        return members.pop()
    return LABEL_KEY_SEPARATOR.join(sorted(members))


def with_source_labels(events: Sequence[Event], tracks: Tracks) -> list[Event]:
    """``events`` with the label key of the positions each comes from: the fixes of its vessels
    between its start and end (to the end of the data while open); an event none of whose
    vessels' fixes fall in that span takes every label of its vessels (never fewer inputs).

    Labels are looked up per run of equal labels of one vessel, not per fix: with every fix
    open AIS (the usual case) nothing is computed and every key is None."""
    if not events or "label_id" not in tracks.frame.columns:  # a hand-built frame: open AIS
        return list(events)
    labels = tracks.frame["label_id"]
    if labels.null_count() == len(labels):
        return list(events)
    return label_events(events, label_runs(tracks.frame))


def label_events(events: Sequence[Event], runs: pl.DataFrame) -> list[Event]:
    """:func:`with_source_labels` from the vessels' label runs (:func:`label_runs`; the runs of
    several sets of whole vessels may be concatenated)."""
    if not events or runs.height == 0 or runs["label_id"].null_count() == runs.height:
        return list(events)
    by_vessel: dict[int, list[tuple[object, object, str | None]]] = {}
    for mmsi, label, first, last in runs.iter_rows():
        by_vessel.setdefault(int(mmsi), []).append((first, last, label))
    out = []
    for event in events:
        spans = [span for m in event.mmsis for span in by_vessel.get(m, [])]
        inside = [
            label
            for first, last, label in spans
            if (event.end is None or first <= event.end) and last >= event.start  # type: ignore[operator]
        ]
        key = label_key(inside if inside else [label for _, _, label in spans])
        out.append(replace(event, label_id=key) if key is not None else event)
    return out


def label_runs(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per run of consecutive fixes of one vessel with one label: mmsi, label_id,
    first and last fix time (none for a frame without labels)."""
    import polars as pl

    fixes = frame.select("mmsi", "received_at", "label_id").sort("mmsi", "received_at")
    change = (pl.col("mmsi") != pl.col("mmsi").shift(1)) | ~pl.col("label_id").eq_missing(
        pl.col("label_id").shift(1)
    )
    return (
        fixes.with_columns(change.fill_null(True).cum_sum().alias("_run"))
        .group_by("_run", maintain_order=True)
        .agg(
            pl.col("mmsi").first(),
            pl.col("label_id").first(),
            pl.col("received_at").first().alias("_first"),
            pl.col("received_at").last().alias("_last"),
        )
        .drop("_run")
    )
