"""The event store: events as Parquet files under ``<data_dir>/events``.

Files are written once (temporary name, then rename) and never modified. Writing is idempotent by
``event_id``: an event already stored with the same content is skipped, so re-running the
detectors over the same positions adds nothing; an event whose content changed (an open gap or
port visit that has since ended) is stored again as a new version, and reads return the latest
version of each ``event_id``. Queries filter by type, vessel, time overlap and bounding box; events
export as GeoJSON (one Point feature per event, RFC 7946).

Columns: event_id, event_type, mmsis (list of uint32), start, end (timestamp µs UTC; end null while
open), lon, lat, evidence, details_json, parameters_json, key, label_id.

``label_id`` names the event's label in the maritime store's registry
(``<data_dir>/ais/labels``; null: the open-AIS default). :meth:`EventStore.write` turns the label
key an event carries from :func:`setu.events.run.run_detectors` into the label derived from its
positions' labels (:func:`setu.security.labels.derive`: highest classification, intersection of
releasability and purposes), once per distinct key. Files written before labels existed read
with a null ``label_id``.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from setu.errors import StoreError, ValidationError
from setu.events.model import Event, EventType
from setu.events.run import sort_events
from setu.settings import Settings

if TYPE_CHECKING:
    from setu.security.node import NodeIdentity
    from setu.store.labels import LabelRegistry

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "event_id": pl.String(),
    "event_type": pl.String(),
    "mmsis": pl.List(pl.UInt32()),
    "start": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "lon": pl.Float64(),
    "lat": pl.Float64(),
    "evidence": pl.String(),
    "details_json": pl.String(),
    "parameters_json": pl.String(),
    "key": pl.String(),
    "label_id": pl.String(),
}


@dataclass(frozen=True)
class EventQuery:
    """Filters for :meth:`EventStore.query`; every filter is optional.

    An event matches the time window when it overlaps it: it starts before ``until`` and has not
    ended before ``since`` (open events never end).
    """

    event_types: tuple[EventType, ...] = ()
    mmsis: tuple[int, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    bbox: tuple[float, float, float, float] | None = None

    def __post_init__(self) -> None:
        for value in (self.since, self.until):
            if value is not None and value.tzinfo is None:
                raise ValidationError("time filters must be timezone-aware (UTC)")
        if self.bbox is not None:
            lon_min, lat_min, lon_max, lat_max = self.bbox
            if lon_min > lon_max or lat_min > lat_max:
                raise ValidationError(
                    "bbox must be lon_min,lat_min,lon_max,lat_max with min <= max"
                )


def events_frame(events: Iterable[Event]) -> pl.DataFrame:
    """Events as a frame with :data:`EVENT_SCHEMA`."""
    rows = [
        {
            "event_id": e.event_id,
            "event_type": e.event_type.value,
            "mmsis": list(e.mmsis),
            "start": e.start,
            "end": e.end,
            "lon": e.lon,
            "lat": e.lat,
            "evidence": e.evidence,
            "details_json": json.dumps(dict(e.details), default=str, sort_keys=True),
            "parameters_json": json.dumps(dict(e.parameters), default=str, sort_keys=True),
            "key": e.key,
            "label_id": e.label_id,
        }
        for e in events
    ]
    return pl.DataFrame(rows, schema=EVENT_SCHEMA)


def events_from_frame(frame: pl.DataFrame) -> list[Event]:
    """Event records from a frame with :data:`EVENT_SCHEMA`."""
    return [
        Event(
            event_type=EventType(row["event_type"]),
            mmsis=tuple(row["mmsis"]),
            start=row["start"],
            end=row["end"],
            lon=row["lon"],
            lat=row["lat"],
            evidence=row["evidence"],
            details=json.loads(row["details_json"]),
            parameters=json.loads(row["parameters_json"]),
            key=row["key"],
            label_id=row["label_id"],
        )
        for row in frame.iter_rows(named=True)
    ]


class EventStore:
    """Events of one data directory."""

    def __init__(self, root: Path, *, labels: LabelRegistry | None = None) -> None:
        from setu.store.labels import LABELS_DIR, LabelRegistry

        self.root = root
        #: The maritime store's label registry (``<data_dir>/ais/labels`` beside ``events``).
        self.labels = labels or LabelRegistry(root.parent / "ais" / LABELS_DIR)

    @classmethod
    def open(cls, settings: Settings) -> EventStore:
        return cls(settings.data_dir / "events")

    def files(self) -> list[Path]:
        """Event files in write order (names carry a zero-padded sequence number)."""
        return sorted(self.root.glob("part-*.parquet")) if self.root.is_dir() else []

    def read(self) -> pl.DataFrame:
        """Every stored event as a frame: the latest stored version of each ``event_id``."""
        paths = self.files()
        if not paths:
            return pl.DataFrame(schema=EVENT_SCHEMA)
        frames = []
        for path in paths:
            try:
                frames.append(_conform(pl.read_parquet(path)))
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise StoreError(
                    f"cannot read stored events file {path}: {exc}; run `setu store check` to "
                    "list damaged files and `setu store repair` to quarantine them (events can "
                    "be detected again with `setu events detect`)"
                ) from exc
        frame = pl.concat(frames)
        return frame.unique(subset="event_id", keep="last", maintain_order=True)

    def write(self, events: Iterable[Event]) -> int:
        """Store events not stored yet, and new versions of stored events whose content changed
        (e.g. an open gap that has since closed); returns how many rows were written."""
        fresh = events_frame(self._labelled(sort_events(events)))
        if fresh.height == 0:
            return 0
        stored = self.read()
        fresh = fresh.join(stored, on=list(EVENT_SCHEMA), how="anti", nulls_equal=True)
        if fresh.height == 0:
            return 0
        paths = self.files()
        sequence = int(paths[-1].name.split("-")[1]) + 1 if paths else 0
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            name = f"part-{sequence:010d}-{uuid.uuid4().hex[:12]}"
            tmp = self.root / f".{name}.tmp"
            fresh.write_parquet(tmp, compression="zstd")
            os.replace(tmp, self.root / f"{name}.parquet")
        except OSError as exc:
            raise StoreError(
                f"cannot write events to {self.root}: {exc}; check space and permissions"
            ) from exc
        return fresh.height

    def _labelled(self, events: list[Event]) -> list[Event]:
        """Events with label keys replaced by the id of the derived, registered label."""
        from setu.security.node import load_node

        def node() -> NodeIdentity:
            return load_node(self.root.parent)

        return [
            e
            if e.label_id is None
            else replace(e, label_id=self.labels.resolve_key(e.label_id, node))
            for e in events
        ]

    def query(self, query: EventQuery | None = None) -> list[Event]:
        """Stored events matching the filters, sorted by start time."""
        q = query or EventQuery()
        frame = self.read()
        conditions: list[pl.Expr] = []
        if q.event_types:
            conditions.append(pl.col("event_type").is_in([t.value for t in q.event_types]))
        if q.mmsis:
            conditions.append(
                pl.col("mmsis").list.eval(pl.element().is_in(list(q.mmsis))).list.any()
            )
        if q.until is not None:
            conditions.append(pl.col("start") < q.until)
        if q.since is not None:
            conditions.append(pl.col("end").is_null() | (pl.col("end") >= q.since))
        if q.bbox is not None:
            lon_min, lat_min, lon_max, lat_max = q.bbox
            conditions.append(
                pl.col("lon").is_between(lon_min, lon_max)
                & pl.col("lat").is_between(lat_min, lat_max)
            )
        for condition in conditions:
            frame = frame.filter(condition)
        return sort_events(events_from_frame(frame))


def _conform(frame: pl.DataFrame) -> pl.DataFrame:
    """A stored frame with :data:`EVENT_SCHEMA` (``label_id`` null in files older than labels)."""
    if "label_id" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("label_id"))
    return frame.select(pl.col(name).cast(dtype) for name, dtype in EVENT_SCHEMA.items())


def to_geojson(events: Sequence[Event]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: one Point per event, the event's fields as properties."""
    features = []
    for event in events:
        props = event.to_dict()
        lon, lat = props.pop("lon"), props.pop("lat")
        features.append(
            {
                "type": "Feature",
                "id": event.event_id,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}
