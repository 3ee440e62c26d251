"""Zone entry and exit: vessels crossing into and out of areas of interest.

Zones are polygons keyed by name: the user's areas of interest (a GeoJSON file or
FeatureCollection; each feature's ``properties.name`` is the zone key) and the built-in reference
zones in ``zone_data/`` (the Indian Ocean High Risk Area of 1 May 2019, the Joint War Committee
listed area JWLA-032, and the Malacca/Singapore, Hormuz and Bab-el-Mandeb straits; sources in
``zone_data/README.md`` and in each feature's properties).

Definition: a ``zone_entry`` is reported when two consecutive fixes of one segment are outside
then inside a zone, a ``zone_exit`` when they are inside then outside. A point on the boundary
counts as outside. The crossing time is interpolated along the step: the first point where the
straight line (in degrees) between the two fixes meets the zone boundary, at the same fraction of
the step's duration. A segment that starts inside a zone has no entry for it (the entry was not
observed), and one that ends inside has no exit; so per segment and zone, entries and exits
alternate. Steps across the antimeridian are not interpolated (the later fix's time is used);
zones themselves must not cross it (split such an area into two polygons).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import shapely
from shapely.geometry.base import BaseGeometry

from setu.errors import InputError, ValidationError
from setu.events.base import parameters_of, segment_codes, utc_from_us
from setu.events.model import Event, EventType

if TYPE_CHECKING:
    from setu.tracks import Tracks

#: Built-in reference zones (file stem in ``zone_data/`` = zone name).
REFERENCE_ZONES: tuple[str, ...] = (
    "indian_ocean_hra_2019",
    "jwla_032_indian_ocean",
    "malacca_singapore_straits",
    "strait_of_hormuz",
    "bab_el_mandeb",
)


@dataclass(frozen=True)
class Zone:
    """One named area: a valid (Multi)Polygon in WGS84 degrees and its GeoJSON properties."""

    name: str
    geometry: BaseGeometry
    properties: Mapping[str, Any] = field(default_factory=dict)


def _zone_from_feature(feature: Mapping[str, Any], origin: str) -> Zone:
    props = dict(feature.get("properties") or {})
    name = props.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"a zone in {origin} has no properties.name; name every feature")
    try:
        geometry = shapely.geometry.shape(feature.get("geometry") or {})
    except (ValueError, TypeError, AttributeError, KeyError) as exc:
        raise ValidationError(f"zone {name!r} in {origin}: unreadable geometry ({exc})") from exc
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        raise ValidationError(f"zone {name!r} in {origin} is a {geometry.geom_type}; use polygons")
    if not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry)
        raise ValidationError(f"zone {name!r} in {origin} is not a valid polygon ({reason})")
    shapely.prepare(geometry)
    return Zone(name.strip(), geometry, props)


def zones_from_geojson(source: str | Path | Mapping[str, Any]) -> tuple[Zone, ...]:
    """Zones from a GeoJSON file path, a FeatureCollection or a single Feature (as a dict)."""
    origin = "the GeoJSON given"
    if isinstance(source, (str, Path)):
        origin = str(source)
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read zones from {source}: {exc}") from exc
    else:
        data = source
    if not isinstance(data, Mapping):
        raise InputError(f"{origin} is not a GeoJSON object")
    if data.get("type") == "Feature":
        features: list[Mapping[str, Any]] = [data]
    elif data.get("type") == "FeatureCollection":
        features = list(data.get("features") or [])
    else:
        raise InputError(f"{origin} must be a GeoJSON Feature or FeatureCollection")
    zones = tuple(_zone_from_feature(f, origin) for f in features)
    names = [z.name for z in zones]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValidationError(f"zone names repeat in {origin}: {', '.join(duplicates)}")
    return zones


def reference_zones(names: Iterable[str] | None = None) -> tuple[Zone, ...]:
    """The built-in reference zones (all of them, or those named)."""
    chosen = REFERENCE_ZONES if names is None else tuple(names)
    unknown = [n for n in chosen if n not in REFERENCE_ZONES]
    if unknown:
        raise ValidationError(
            f"unknown reference zone(s) {', '.join(unknown)}; "
            f"choose from {', '.join(REFERENCE_ZONES)}"
        )
    folder = resources.files("setu.events").joinpath("zone_data")
    zones: list[Zone] = []
    for name in chosen:
        text = folder.joinpath(f"{name}.geojson").read_text(encoding="utf-8")
        zones.extend(zones_from_geojson(json.loads(text)))
    return tuple(zones)


@dataclass(frozen=True)
class ZoneConfig:
    """Parameters of :class:`ZoneDetector`."""

    # Built-in zones watched besides the user's (zone_data/README.md cites each one's source).
    reference: tuple[str, ...] = REFERENCE_ZONES

    def __post_init__(self) -> None:
        unknown = [n for n in self.reference if n not in REFERENCE_ZONES]
        if unknown:
            raise ValidationError(
                f"unknown reference zone(s) {', '.join(unknown)}; "
                f"choose from {', '.join(REFERENCE_ZONES)}"
            )


class ZoneDetector:
    """Entries into and exits from named zones (see the module docstring)."""

    name = "zone"

    def __init__(
        self,
        config: ZoneConfig | None = None,
        *,
        zones: Sequence[Zone] | str | Path | Mapping[str, Any] | None = None,
    ) -> None:
        self.config = config or ZoneConfig()
        user = () if zones is None else _as_zones(zones)
        watched = (*reference_zones(self.config.reference), *user)
        names = [z.name for z in watched]
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            raise ValidationError(f"zone names must be unique; repeated: {', '.join(clash)}")
        self.zones: tuple[Zone, ...] = watched
        self._tree = shapely.STRtree([z.geometry for z in watched]) if watched else None

    def detect(self, tracks: Tracks) -> list[Event]:
        frame = tracks.frame.filter(~pl.col("interpolated"))
        if frame.height < 2 or self._tree is None:
            return []
        seg = segment_codes(frame)
        lon = frame["lon"].to_numpy()
        lat = frame["lat"].to_numpy()
        t_us = frame["received_at"].dt.epoch("us").to_numpy()
        seg_ids = frame["segment_id"]  # looked up per crossing (as an array: a str per fix)
        mmsi = frame["mmsi"].to_numpy()
        events: list[Event] = []
        for zone_index, rows in self._candidates(frame, seg):
            zone = self.zones[zone_index]
            inside = np.zeros(frame.height, dtype=bool)
            inside[rows] = shapely.contains_xy(zone.geometry, lon[rows], lat[rows])
            same = np.r_[False, seg[1:] == seg[:-1]]
            changed = np.flatnonzero(same & (inside != np.r_[False, inside[:-1]]))
            for i in changed:
                entering = bool(inside[i])
                t_cross, x, y = _crossing(zone.geometry, lon, lat, t_us, int(i))
                events.append(
                    self._event(
                        zone,
                        entering,
                        int(mmsi[i]),
                        str(seg_ids[int(i)]),
                        t_cross,
                        x,
                        y,
                        int(t_us[i - 1]),
                        int(t_us[i]),
                    )
                )
        return events

    def _candidates(self, frame: pl.DataFrame, seg: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """(zone, rows) pairs: rows of the segments whose bounding box meets the zone's."""
        assert self._tree is not None
        boxes = (
            frame.with_columns(pl.Series("_seg", seg))
            .group_by("_seg", maintain_order=True)
            .agg(
                pl.col("lon").min().alias("x0"),
                pl.col("lat").min().alias("y0"),
                pl.col("lon").max().alias("x1"),
                pl.col("lat").max().alias("y1"),
            )
        )
        geoms = shapely.box(
            boxes["x0"].to_numpy(),
            boxes["y0"].to_numpy(),
            boxes["x1"].to_numpy(),
            boxes["y1"].to_numpy(),
        )
        seg_codes, zone_idx = self._tree.query(geoms, predicate="intersects")
        seg_values = boxes["_seg"].to_numpy()
        out = []
        for z in np.unique(zone_idx):
            wanted = seg_values[seg_codes[zone_idx == z]]
            out.append((int(z), np.flatnonzero(np.isin(seg, wanted))))
        return out

    def _event(
        self,
        zone: Zone,
        entering: bool,
        mmsi: int,
        segment_id: str,
        t_us: int,
        lon: float,
        lat: float,
        before_us: int,
        after_us: int,
    ) -> Event:
        verb = "entered" if entering else "left"
        when = utc_from_us(t_us)
        return Event(
            event_type=EventType.ZONE_ENTRY if entering else EventType.ZONE_EXIT,
            mmsis=(mmsi,),
            start=when,
            end=when,
            lon=lon,
            lat=lat,
            evidence=(
                f"{verb} {zone.properties.get('title', zone.name)} at "
                f"{when:%Y-%m-%d %H:%M:%S}Z (between fixes {(after_us - before_us) / 1e6:.0f} s "
                "apart)"
            ),
            details={
                "zone": zone.name,
                "zone_source": zone.properties.get("source"),
                "segment_id": segment_id,
                "fix_before_at": utc_from_us(before_us).isoformat(),
                "fix_after_at": utc_from_us(after_us).isoformat(),
                "step_duration_s": (after_us - before_us) / 1e6,
            },
            parameters=parameters_of(self.config),
            key=zone.name,
        )


def _as_zones(zones: Sequence[Zone] | str | Path | Mapping[str, Any]) -> tuple[Zone, ...]:
    if isinstance(zones, (str, Path, Mapping)):
        return zones_from_geojson(zones)
    return tuple(zones)


def _crossing(
    geometry: BaseGeometry, lon: np.ndarray, lat: np.ndarray, t_us: np.ndarray, i: int
) -> tuple[int, float, float]:
    """Interpolated (time µs, lon, lat) where the step from fix ``i - 1`` to ``i`` first meets
    the zone boundary."""
    x0, y0, x1, y1 = float(lon[i - 1]), float(lat[i - 1]), float(lon[i]), float(lat[i])
    t0, t1 = int(t_us[i - 1]), int(t_us[i])
    if abs(x1 - x0) > 180.0:
        return t1, x1, y1
    step = shapely.LineString([(x0, y0), (x1, y1)])
    coords = shapely.get_coordinates(shapely.intersection(step, geometry.boundary))
    if len(coords) == 0 or step.length == 0.0:
        return t1, x1, y1
    fractions = shapely.line_locate_point(step, shapely.points(coords), normalized=True)
    f = float(np.min(fractions))
    return t0 + round(f * (t1 - t0)), x0 + f * (x1 - x0), y0 + f * (y1 - y0)
