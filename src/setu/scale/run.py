"""The distributed detector run on a Dask cluster (see :mod:`setu.scale` for the design).

:func:`detect_distributed` takes a maritime store (read on the workers, one task per stored day)
or an in-memory positions table, and the same detectors as
:func:`setu.events.run.run_detectors`; it returns the same events. :func:`open_client` connects
to a cluster by name: ``local`` (a :class:`~distributed.LocalCluster` on this machine) or a
scheduler address.
"""

from __future__ import annotations

import operator
import os
import pickle
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from setu.errors import ConfigError, SetuError
from setu.events.base import Detector
from setu.events.encounters import EncounterDetector, close_pair_keys
from setu.events.gaps import GapDetector
from setu.events.model import Event
from setu.events.run import label_events, label_runs, make_detectors, run_detectors, sort_events
from setu.scale.plan import (
    day_windows,
    halo_tiles,
    reduce_for_gaps,
    split_by_bucket,
    track_input,
    vessels_of_pairs,
)
from setu.tracks import TRACK_SCHEMA, SegmentConfig, Tracks

if TYPE_CHECKING:
    import pyarrow as pa
    from distributed import Client, Future

    from setu.store import MaritimeStore

#: Detectors whose events for a vessel depend on that vessel's positions (and statics) alone.
PER_VESSEL: frozenset[str] = frozenset(
    {"loitering", "port_visit", "zone", "identity", "drift", "speed_drop"}
)

#: Size of the spatial tiles in which encounter candidates are searched (degrees; setu's own
#: choice: large against the 500 m halo, small against an ocean basin).
TILE_DEG = 1.0


@dataclass(frozen=True)
class Roles:
    """The detectors of one run, by how they are distributed."""

    per_vessel: tuple[Detector, ...] = ()
    gaps: tuple[GapDetector, ...] = ()
    encounters: tuple[EncounterDetector, ...] = ()
    whole: tuple[Detector, ...] = ()

    @classmethod
    def of(cls, detectors: Sequence[Detector]) -> Roles:
        per, gaps, enc, whole = [], [], [], []
        for d in detectors:
            if isinstance(d, GapDetector):
                gaps.append(d)
            elif isinstance(d, EncounterDetector):
                enc.append(d)
            elif getattr(d, "name", None) in PER_VESSEL:
                per.append(d)
            else:
                whole.append(d)
        return cls(tuple(per), tuple(gaps), tuple(enc), tuple(whole))


@dataclass(frozen=True)
class VesselPart:
    """What the per-vessel stage leaves on a worker for one bucket of vessels."""

    events: list[Event]
    gap_fixes: tuple[pl.DataFrame, ...]
    grids: tuple[pl.DataFrame, ...]
    #: label runs of the bucket's vessels (:func:`setu.events.run.label_runs`); None: no labels
    labels: pl.DataFrame | None = None


# -- connecting ----------------------------------------------------------------------------------


@contextmanager
def open_client(
    cluster: str, *, n_workers: int | None = None, processes: bool = True
) -> Iterator[Client]:
    """A Dask client: ``local`` starts a LocalCluster on 127.0.0.1 (``n_workers`` worker
    processes, default one per core, one thread each); ``tcp://HOST:PORT`` (or ``tls://``)
    connects to a running scheduler. Closed (and the local cluster stopped) on exit."""
    from distributed import Client, LocalCluster

    if cluster == "local":
        workers = n_workers or os.cpu_count() or 1
        threads = max(1, (os.cpu_count() or 1) // workers)
        env = {"POLARS_MAX_THREADS": str(threads), "NUMBA_NUM_THREADS": str(threads)}
        try:
            # worker processes listen on loopback only; threads talk in-process. The
            # scheduler's HTTP endpoint takes any free port (two clusters may run at once).
            where: dict[str, Any] = {"host": "127.0.0.1", "env": env} if processes else {}
            local = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=processes,
                dashboard_address="127.0.0.1:0" if processes else ":0",
                **where,
            )
        except (OSError, RuntimeError) as exc:
            raise ConfigError(f"cannot start a local Dask cluster: {exc}") from exc
        with local, Client(local) as client:
            yield client
        return
    if not cluster.startswith(("tcp://", "tls://", "inproc://")):
        raise ConfigError(
            f"--cluster {cluster!r}: use 'local' or a scheduler address such as tcp://10.0.0.5:8786"
        )
    try:
        client = Client(cluster, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise ConfigError(
            f"cannot reach the Dask scheduler at {cluster}: {exc}; start one with "
            "`dask scheduler` and workers with `dask worker ADDRESS`"
        ) from exc
    with client:
        yield client


# -- worker tasks --------------------------------------------------------------------------------


def _read_day(
    store: MaritimeStore,
    window: tuple[datetime, datetime],
    mmsi: Sequence[int] | None,
    bbox: tuple[float, float, float, float] | None,
    buckets: int,
) -> list[pl.DataFrame]:
    table = store.positions(mmsi=mmsi, bbox=bbox, start=window[0], end=window[1])
    return split_by_bucket(track_input(table), buckets)


def _concat(pieces: Sequence[pl.DataFrame]) -> pl.DataFrame:
    kept = [p for p in pieces if p.width]
    return pl.concat(kept, how="diagonal_relaxed") if kept else pl.DataFrame()


@lru_cache(maxsize=4)
def _roles(blob: bytes) -> Roles:
    """The detectors of a run, unpickled once per worker process. They travel as bytes:
    detectors keep unpicklable caches (locks, loaded grids) once used, so the objects a worker
    has used are never sent on."""
    roles = pickle.loads(blob)
    if not isinstance(roles, Roles):
        raise ConfigError("the detectors sent to the worker did not unpickle as detectors")
    return roles


def _vessel_stage(
    pieces: Sequence[pl.DataFrame], blob: bytes, segment_config: SegmentConfig | None
) -> VesselPart:
    roles = _roles(blob)
    positions = _concat(pieces)
    if positions.height == 0:
        return VesselPart([], tuple(_empty_track() for _ in roles.gaps), ())
    tracks = Tracks.from_positions(positions, segment_config)
    events = run_detectors(tracks, roles.per_vessel) if roles.per_vessel else []
    gap_fixes = tuple(
        reduce_for_gaps(tracks.frame, g.config.coverage_window_s, g.config.min_gap_s)
        for g in roles.gaps
    )
    grids = tuple(
        tracks.resample(e.config.interval_s, e.config.max_interpolation_gap_s).frame
        for e in roles.encounters
    )
    # every vessel's runs, open AIS too: an event of a labelled and an open vessel names both
    labels = label_runs(tracks.frame) if "label_id" in tracks.frame.columns else None
    return VesselPart(events, gap_fixes, grids, labels)


def _empty_track() -> pl.DataFrame:
    return pl.DataFrame(schema=TRACK_SCHEMA)


def _events_of(part: VesselPart) -> list[Event]:
    return part.events


def _labels_of(part: VesselPart) -> pl.DataFrame | None:
    return part.labels


def _gap_fixes_of(part: VesselPart, index: int) -> pl.DataFrame:
    return part.gap_fixes[index] if part.gap_fixes else _empty_track()


def _gap_stage(frames: Sequence[pl.DataFrame], blob: bytes, index: int) -> list[Event]:
    roles = _roles(blob)
    frame = (
        pl.concat([f for f in frames if f.height], how="vertical")
        if any(f.height for f in frames)
        else _empty_track()
    )
    return roles.gaps[index].detect(Tracks(frame))


def _tile_split(part: VesselPart, index: int, reach_m: float, parts: int) -> list[pl.DataFrame]:
    grid = part.grids[index] if part.grids else _empty_track()
    points = grid.select("received_at", "mmsi", "lon", "lat", "speed_knots")
    tiled = halo_tiles(points, TILE_DEG, reach_m, parts)
    split = tiled.partition_by("_part", as_dict=True)
    empty = points.clear()
    return [split[(p,)].drop("_part") if (p,) in split else empty for p in range(parts)]


def _candidates(pieces: Sequence[pl.DataFrame], reach_m: float) -> pl.DataFrame:
    points = _concat(pieces)
    if points.height == 0:
        return pl.DataFrame(schema={"mmsi_a": pl.UInt32, "mmsi_b": pl.UInt32})
    return close_pair_keys(points, reach_m)


def _pair_split(part: VesselPart, index: int, vessels: list[set[int]]) -> list[pl.DataFrame]:
    grid = part.grids[index] if part.grids else _empty_track()
    return [grid.filter(pl.col("mmsi").is_in(sorted(v))) for v in vessels]


def _pair_stage(
    pieces: Sequence[pl.DataFrame], blob: bytes, index: int, pairs: pl.DataFrame
) -> list[Event]:
    roles = _roles(blob)
    grid = _concat(pieces)
    if grid.height == 0:
        return []
    wanted = {
        (int(a), int(b))
        for a, b in zip(pairs["mmsi_a"].to_list(), pairs["mmsi_b"].to_list(), strict=True)
    }
    found = roles.encounters[index].detect(Tracks(grid.sort(["segment_id", "received_at"])))
    return [e for e in found if tuple(e.mmsis) in wanted]


def _whole_stage(
    pieces: Sequence[pl.DataFrame], blob: bytes, segment_config: SegmentConfig | None
) -> list[Event]:
    roles = _roles(blob)
    positions = _concat(pieces)
    if positions.height == 0:
        return []
    return run_detectors(positions, roles.whole, segment_config=segment_config)


def _warm(cache_dir: str | None) -> None:
    from setu.events.shore import load_shore

    load_shore(Path(cache_dir) if cache_dir else None)


# -- orchestration -------------------------------------------------------------------------------


def detect_distributed(
    source: MaritimeStore | pa.Table | pl.DataFrame,
    detectors: Sequence[Detector] | None = None,
    *,
    client: Client,
    start: datetime | None = None,
    end: datetime | None = None,
    mmsi: Sequence[int] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    segment_config: SegmentConfig | None = None,
    partitions: int | None = None,
    cache_dir: Path | None = None,
) -> list[Event]:
    """Every event the detectors find, computed on the cluster behind ``client``; the same
    events (ids and fields) as :func:`setu.events.run.run_detectors` over the same positions.

    ``source`` is a store (``start``/``end``/``mmsi``/``bbox`` filter it as
    :meth:`MaritimeStore.positions` does; workers must see its data directory) or a positions
    table (filters do not apply). ``partitions``: vessel buckets and tile partitions (default:
    two per worker). ``cache_dir`` holds the distance-to-shore grid (built once when absent).
    """
    chosen = list(make_detectors() if detectors is None else detectors)
    roles = Roles.of(chosen)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    buckets = partitions or 2 * workers
    if buckets < 1:
        raise ConfigError("partitions must be at least 1")
    try:
        _warm(str(cache_dir) if cache_dir else None)
        client.run(_warm, str(cache_dir) if cache_dir else None)
        pieces = _inputs(client, source, buckets, start, end, mmsi, bbox)
        try:
            blob = pickle.dumps(roles)
        except (TypeError, AttributeError, pickle.PicklingError) as exc:
            raise ConfigError(
                f"the detectors cannot be sent to the workers ({exc}); pass detectors that "
                "have not run yet (e.g. from make_detectors)"
            ) from exc
        [roles_f] = client.scatter([blob], broadcast=True, hash=False)
        vessel_parts = [
            client.submit(_vessel_stage, pieces[b], roles_f, segment_config, pure=False)
            for b in range(buckets)
        ]
        futures = [client.submit(_events_of, v) for v in vessel_parts]
        if roles.whole:
            flat = [f for per_bucket in pieces for f in per_bucket]
            futures.append(client.submit(_whole_stage, flat, roles_f, segment_config))
        # gap and encounter events take their vessels' labels from the buckets' label runs
        shared = []
        for i in range(len(roles.gaps)):
            fixes = [client.submit(_gap_fixes_of, v, i) for v in vessel_parts]
            shared.append(client.submit(_gap_stage, fixes, roles_f, i))
        for i in range(len(roles.encounters)):
            shared += _encounter_futures(client, vessel_parts, roles, roles_f, i, buckets)
        labels = client.gather([client.submit(_labels_of, v) for v in vessel_parts])
        found: list[Event] = []
        for events in client.gather(futures):
            found.extend(events)
        unlabelled = [e for events in client.gather(shared) for e in events]
        runs = [f for f in labels if f is not None]
        found += label_events(unlabelled, pl.concat(runs)) if runs else unlabelled
    except SetuError:
        raise
    except (OSError, TimeoutError) as exc:
        raise ConfigError(f"the Dask cluster failed: {exc}; check that workers are up") from exc
    return sort_events(found)


def _inputs(
    client: Client,
    source: MaritimeStore | pa.Table | pl.DataFrame,
    buckets: int,
    start: datetime | None,
    end: datetime | None,
    mmsi: Sequence[int] | None,
    bbox: tuple[float, float, float, float] | None,
) -> list[list[Any]]:
    """Per vessel bucket, the futures of its positions: one piece per stored day for a store
    (read on the workers), one scattered piece for a table."""
    from setu.store import MaritimeStore

    if isinstance(source, MaritimeStore):
        windows = day_windows(source.days("positions"), start, end)
        days = [
            client.submit(_read_day, source, w, mmsi, bbox, buckets, pure=False) for w in windows
        ]
        return [[client.submit(operator.getitem, d, b) for d in days] for b in range(buckets)]
    frame = track_input(source)
    return [[f] for f in client.scatter(split_by_bucket(frame, buckets), hash=False)]


def _encounter_futures(
    client: Client,
    vessel_parts: list[Future],
    roles: Roles,
    roles_f: Future,
    index: int,
    parts: int,
) -> list[Future]:
    """Candidate pairs by space (tiles with a halo, per day), then each pair bucket runs the
    detector on the resampled tracks of its vessels."""
    reach_m = roles.encounters[index].config.max_distance_m
    splits = [client.submit(_tile_split, v, index, reach_m, parts) for v in vessel_parts]
    candidates = [
        client.submit(_candidates, [client.submit(operator.getitem, s, p) for s in splits], reach_m)
        for p in range(parts)
    ]
    frames = [f for f in client.gather(candidates) if f.height]
    pairs = pl.concat(frames).unique() if frames else pl.DataFrame()
    if pairs.height == 0:
        return []
    vessels, keyed = vessels_of_pairs(pairs, parts)
    [vessels_f] = client.scatter([vessels], broadcast=True, hash=False)
    psplits = [client.submit(_pair_split, v, index, vessels_f) for v in vessel_parts]
    return [
        client.submit(
            _pair_stage,
            [client.submit(operator.getitem, s, p) for s in psplits],
            roles_f,
            index,
            keyed.filter(pl.col("_bucket") == p),
        )
        for p in range(parts)
        if vessels[p]
    ]
