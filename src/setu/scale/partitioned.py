"""Detection in one process with memory bounded by a day and a batch of vessels, not the range.

:func:`detect_partitioned` runs the plan of the distributed run (:mod:`setu.scale`) step by step
in this process, keeping what passes between steps in Parquet files in a scratch directory:

1. **By day.** Each stored day is read once (:func:`setu.scale.plan.day_windows`) and cut into
   vessel buckets (:func:`setu.scale.plan.split_by_bucket`); each piece is written out.
2. **By batch of vessels.** Consecutive buckets are grouped into batches of about
   ``positions_per_batch`` positions. A batch's tracks are built over the whole range (a
   vessel's history is never cut: see :mod:`setu.scale`), the per-vessel detectors
   (:data:`setu.scale.run.PER_VESSEL`) run on them, and the fixes that decide gaps
   (:func:`setu.scale.plan.reduce_for_gaps`), the encounter grid and the vessels' label runs
   (:func:`setu.events.run.label_runs`) are kept. With ``statics_by_batch`` the store's statics
   are cut into the same buckets (every file read once) and the detectors that take statics are
   rebuilt per batch with their batch's statics: they use a vessel's statics only together with
   its own fixes, so the events are those of all statics at once, and memory holds one batch's.
3. **Gaps** run once on the reduced fixes of every batch, as in the distributed run.
4. **Encounters** run once on the grid of every vessel
   (:meth:`setu.events.EncounterDetector.detect_grid`), which pairs one slice of time at a time;
   that is the "same instant" partitioning the distributed run does with tiles and halos,
   without the halo (a slice holds every vessel at its grid times).
5. Other detectors (not known to be per vessel) would need every position at once; they are
   refused with a message that names them. Gap and encounter events take the labels of their
   vessels' positions (:func:`setu.events.run.label_events`) from the kept label runs.

The events are merged by id exactly as :func:`setu.events.run.run_detectors` does, so they are
the events of the single-process run and of the distributed run. Peak memory is the largest of:
one day's positions (or one statics file), one batch's tracks, all reduced gap fixes, and the
encounter grid (five columns per vessel every 10 minutes).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from setu.errors import ConfigError, StoreError
from setu.events.base import Detector
from setu.events.model import Event
from setu.events.run import (
    label_events,
    label_runs,
    make_detectors,
    run_detectors,
    sort_events,
    with_statics,
)
from setu.scale.plan import day_windows, reduce_for_gaps, split_by_bucket, track_input
from setu.scale.run import Roles
from setu.tracks import TRACK_SCHEMA, SegmentConfig, Tracks

if TYPE_CHECKING:
    from setu.store import MaritimeStore

#: Vessel buckets the days are cut into (setu's choice: a batch can be as small as 1/64 of the
#: vessels, and a 30-day store makes 64 files per day of a few MB each).
BUCKETS = 64

#: Positions per batch of vessels (setu's choice: the tracks of 4 million positions take about
#: 2 GB).
POSITIONS_PER_BATCH = 4_000_000

#: Columns of the encounter grid kept between steps (what pairing reads).
_GRID_COLUMNS = ("mmsi", "received_at", "lon", "lat", "speed_knots")


@dataclass(frozen=True)
class PartitionedRun:
    """What :func:`detect_partitioned` found and how it cut the work."""

    events: list[Event]
    positions: int
    days: int
    batches: int


def detect_partitioned(
    store: MaritimeStore,
    detectors: Sequence[Detector] | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    mmsi: Sequence[int] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    segment_config: SegmentConfig | None = None,
    positions_per_batch: int = POSITIONS_PER_BATCH,
    buckets: int = BUCKETS,
    scratch_dir: Path | None = None,
    statics_by_batch: bool = True,
    progress: Callable[[str], None] | None = None,
) -> PartitionedRun:
    """Every event the detectors find in the store's positions (filtered as
    :meth:`MaritimeStore.positions` filters), one day and one batch of vessels at a time.

    The events are those of :func:`setu.events.run.run_detectors` over the same positions, with
    the detectors that take statics given the store's statics (``statics_by_batch``, read batch
    by batch; such detectors are rebuilt from their config) or as they are (False).
    Intermediate tables go to a temporary directory under ``scratch_dir`` (default: the system
    temporary directory), removed at the end.
    """
    if positions_per_batch < 1 or buckets < 1:
        raise ConfigError("positions_per_batch and buckets must be at least 1")
    chosen = list(make_detectors() if detectors is None else detectors)
    roles = Roles.of(chosen)
    if roles.whole:
        names = ", ".join(sorted(str(getattr(d, "name", d)) for d in roles.whole))
        raise ConfigError(
            f"detector(s) {names} need every position at once; run them without partitioning"
        )
    say = progress or (lambda _text: None)
    try:
        with tempfile.TemporaryDirectory(prefix="setu-detect-", dir=scratch_dir) as tmp:
            scratch = _Scratch(Path(tmp))
            windows = day_windows(store.days("positions"), start, end)
            sizes = [0] * buckets
            for k, window in enumerate(windows, 1):
                say(f"reading day {k} of {len(windows)} ({window[0]:%Y-%m-%d})")
                table = store.positions(mmsi=mmsi, bbox=bbox, start=window[0], end=window[1])
                for b, piece in enumerate(split_by_bucket(track_input(table), buckets)):
                    if piece.height:
                        scratch.write("positions", b, k, piece)
                        sizes[b] += piece.height
            if statics_by_batch:
                say("reading statics")
                _spill_statics(store, scratch, buckets)
            batches = _batches(sizes, positions_per_batch)
            events: list[Event] = []
            for k, batch in enumerate(batches, 1):
                say(f"tracks and per-vessel events, batch {k} of {len(batches)}")
                per_vessel = roles.per_vessel
                if statics_by_batch:
                    statics = scratch.read_relaxed("statics", batch, _statics_schema())
                    per_vessel = tuple(with_statics(per_vessel, statics))
                events += _vessel_batch(scratch, batch, k, roles, per_vessel, segment_config)
            shared: list[Event] = []
            for i, gaps in enumerate(roles.gaps):
                say("gaps and coverage holes")
                fixes = scratch.read(f"gaps{i}", schema=TRACK_SCHEMA)
                shared += gaps.detect(Tracks(fixes.sort(["segment_id", "received_at"])))
            for i, encounters in enumerate(roles.encounters):
                say("encounters")
                grid = scratch.read(f"grid{i}", schema={c: TRACK_SCHEMA[c] for c in _GRID_COLUMNS})
                shared += encounters.detect_grid(grid)
            events += label_events(shared, scratch.read("labels"))
    except OSError as exc:
        raise StoreError(
            f"cannot keep intermediate tables in {scratch_dir or tempfile.gettempdir()}: {exc}; "
            "free space there or point TMPDIR at a larger disk"
        ) from exc
    return PartitionedRun(sort_events(events), sum(sizes), len(windows), len(batches))


def _batches(sizes: Sequence[int], limit: int) -> list[list[int]]:
    """Consecutive non-empty buckets grouped so that each group holds at most ``limit`` rows
    (a bucket larger than that is a group of its own)."""
    out: list[list[int]] = []
    total = 0
    for b, n in enumerate(sizes):
        if n == 0:
            continue
        if out and total + n <= limit:
            out[-1].append(b)
            total += n
        else:
            out.append([b])
            total = n
    return out


def _spill_statics(store: MaritimeStore, scratch: _Scratch, buckets: int) -> None:
    """Every statics file of the store, cut into vessel buckets (file order kept)."""
    for k, path in enumerate(store.files("statics")):
        try:
            table = pq.read_table(path)
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(
                f"cannot read {path}: {exc}; check the store with `setu store check`"
            ) from exc
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        for b, piece in enumerate(split_by_bucket(frame, buckets)):
            if piece.height:
                scratch.write("statics", b, k, piece)


def _statics_schema() -> dict[str, pl.DataType]:
    from setu.store.schemas import table_schema

    empty = pl.from_arrow(table_schema("statics").empty_table())
    assert isinstance(empty, pl.DataFrame)
    return dict(empty.schema)


def _vessel_batch(
    scratch: _Scratch,
    batch: Sequence[int],
    k: int,
    roles: Roles,
    per_vessel: Sequence[Detector],
    segment_config: SegmentConfig | None,
) -> list[Event]:
    """Tracks of one batch of vessels over the whole range: their per-vessel events; the gap
    fixes, encounter grid and label runs are written out for the later steps."""
    positions = pl.concat([scratch.read("positions", b) for b in batch], how="vertical")
    tracks = Tracks.from_positions(positions, segment_config)
    del positions
    events = run_detectors(tracks, per_vessel) if per_vessel else []
    if "label_id" in tracks.frame.columns:  # open AIS too: an event names every label it used
        scratch.write("labels", k, 0, label_runs(tracks.frame))
    for i, gaps in enumerate(roles.gaps):
        window_s, min_gap_s = gaps.config.coverage_window_s, gaps.config.min_gap_s
        scratch.write(f"gaps{i}", k, 0, reduce_for_gaps(tracks.frame, window_s, min_gap_s))
    for i, encounters in enumerate(roles.encounters):
        cfg = encounters.config
        grid = tracks.resample(cfg.interval_s, cfg.max_interpolation_gap_s).frame
        scratch.write(f"grid{i}", k, 0, grid.select(_GRID_COLUMNS))
    return events


@dataclass(frozen=True)
class _Scratch:
    """Parquet files under one directory: ``<kind>/<part>/<piece>.parquet``."""

    root: Path

    def write(self, kind: str, part: int, piece: int, frame: pl.DataFrame) -> None:
        folder = self.root / kind / f"{part:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(folder / f"{piece:05d}.parquet", compression="lz4")

    def read_relaxed(
        self, kind: str, parts: Sequence[int], schema: dict[str, pl.DataType]
    ) -> pl.DataFrame:
        """Every piece of ``kind`` in ``parts``, columns unified (files written from tables of
        different schema versions); an empty frame with ``schema`` when there is none."""
        files = [f for p in parts for f in sorted((self.root / kind / f"{p:05d}").glob("*"))]
        if not files:
            return pl.DataFrame(schema=schema)
        return pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")

    def read(
        self, kind: str, part: int | None = None, *, schema: dict[str, pl.DataType] | None = None
    ) -> pl.DataFrame:
        """Every piece of ``kind`` (of one ``part`` when given), in part and piece order; an
        empty frame with ``schema`` when there is none."""
        folder = self.root / kind
        parts = [folder / f"{part:05d}"] if part is not None else sorted(folder.glob("*"))
        files = [f for p in parts for f in sorted(p.glob("*.parquet"))]
        if not files:
            return pl.DataFrame(schema=schema)
        return pl.scan_parquet(files).collect()
