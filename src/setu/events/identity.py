"""Identity anomalies: spoofing, invalid identities, identity changes, positions on land, jumps.

One :class:`IdentityDetector` reports five event types (definitions in
``docs/events-reference.md``):

- ``invalid_identity``: an MMSI that is no valid maritime identity at all (ITU-R M.585, see
  :func:`setu.ais.identity.mmsi_kind`, the rule the vessel registry uses too; identities of
  aircraft, coast stations, AIS-SARTs etc. are *not ships*, not invalid), or an IMO number in
  the statics failing its check digit (:func:`setu.ais.identity.imo_valid`).
- ``spoofing``: one MMSI at two places at once. Segmentation (:mod:`setu.tracks.segment`) puts
  physically inconsistent fixes of one MMSI into separate segments; two segments whose time spans
  overlap, each with at least ``min_fixes`` fixes, between which the reports switch at least
  ``min_switches`` times with an impossible implied speed, are two transmitters sharing an MMSI.
- ``teleport``: a single impossible jump: a segment ends, the next one of the same MMSI starts
  too far away to be reached at a plausible speed, and the vessel continues from there (the new
  segment has ``min_fixes`` fixes and the old one is not heard again while it lasts).
- ``on_land``: at least ``on_land_min_fixes`` consecutive fixes of a segment that are all at least
  ``on_land_min_inland_m`` from the sea on the GLOBE land mask (:mod:`setu.events.land`).
- ``identity_change``: the name, call sign, IMO number or ship type broadcast by one MMSI changes
  while the vessel is underway. A value counts once it is reported ``change_min_reports`` times in
  a row (so alternating values from two transmitters are not a change).

Implied speeds are great-circle distance over time. A jump is *impossible* when it is longer than
``min_jump_m`` and faster than ``max_speed_knots`` and than ``sog_factor`` times the larger SOG
reported at its two ends (fast craft report their speed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from setu.ais.identity import MmsiKind, imo_valid_array, mmsi_kinds
from setu.errors import ValidationError
from setu.events.base import parameters_of, runs, segment_codes, utc_from_us
from setu.events.model import Event, EventType
from setu.tracks.geo import KNOT_MS, haversine_m

if TYPE_CHECKING:
    from setu.events.land import LandMask
    from setu.tracks import Tracks


@dataclass(frozen=True)
class IdentityConfig:
    """Parameters of :class:`IdentityDetector`."""

    # Fastest plausible speed between two fixes without a reported SOG to back it (setu's own
    # choice: about twice the service speed of the fastest merchant ships; HSC report their SOG).
    max_speed_knots: float = 50.0
    # A jump must be longer than this to be impossible (setu's choice: far beyond GNSS error,
    # antenna offsets and the segmenter's 370 m noise allowance).
    min_jump_m: float = 10_000.0
    # As the segmenter (setu.tracks.SegmentConfig.sog_factor): fast craft keep their speed.
    sog_factor: float = 1.5
    # Shortest time between two fixes whose implied speed is reported in the evidence (setu's
    # choice: receive times are to the second and two receivers' clocks differ by seconds; over
    # a minute that changes the speed by under a tenth, over one second it is meaningless).
    # Shorter steps still count as impossible jumps; the evidence gives their time apart.
    speed_min_step_s: float = 60.0
    # Fixes a segment needs to count as a transmitter of its own (setu's choice: one or two
    # stray fixes are GNSS glitches, not a second ship).
    min_fixes: int = 3
    # Impossible switches between two concurrent segments for spoofing (A -> B -> A).
    min_switches: int = 2
    # on_land: consecutive fixes and distance from the sea. The ~1 km mask draws harbour
    # channels, estuaries and canals as land: on the New York Harbor and Virginia Beach
    # recordings (tracktable) ships in the Kills and the Elizabeth River lie up to ~10 km "inland"
    # and one in the Dismal Swamp canal ~20 km; 20 km keeps all but the last out (setu's choice).
    on_land_min_fixes: int = 3
    on_land_min_inland_m: float = 20_000.0
    # identity_change: underway means a fix within 30 min reporting >= 1 kn and a navigational
    # status other than at anchor (1) or moored (5) (ITU-R M.1371-5, Table 45).
    underway_min_knots: float = 1.0
    underway_max_fix_age_s: float = 1800.0
    change_min_reports: int = 2
    # Event types reported (all five by default).
    report: tuple[EventType, ...] = (
        EventType.INVALID_IDENTITY,
        EventType.SPOOFING,
        EventType.TELEPORT,
        EventType.ON_LAND,
        EventType.IDENTITY_CHANGE,
    )

    def __post_init__(self) -> None:
        if self.max_speed_knots <= 0 or self.min_jump_m < 0 or self.sog_factor <= 0:
            raise ValidationError("identity speed and jump limits must be positive")
        if not self.speed_min_step_s > 0:
            raise ValidationError("identity speed_min_step_s must be positive (seconds)")
        if min(self.min_fixes, self.min_switches, self.on_land_min_fixes) < 1:
            raise ValidationError("identity fix and switch counts must be at least 1")
        if self.change_min_reports < 1 or self.underway_max_fix_age_s <= 0:
            raise ValidationError("change_min_reports >= 1 and underway_max_fix_age_s > 0")


class IdentityDetector:
    """Spoofing, invalid identities, identity changes, positions on land and jumps."""

    name = "identity"

    def __init__(
        self,
        config: IdentityConfig | None = None,
        *,
        statics: pa.Table | pl.DataFrame | None = None,
        land: LandMask | None = None,
    ) -> None:
        self.config = config or IdentityConfig()
        self._statics = _statics_frame(statics)
        self._land = land

    def detect(self, tracks: Tracks) -> list[Event]:
        frame = tracks.frame.filter(~pl.col("interpolated"))
        if frame.height == 0:
            return []
        want = set(self.config.report)
        events: list[Event] = []
        if EventType.INVALID_IDENTITY in want:
            events += self._invalid_mmsi(frame) + self._invalid_imo(frame)
        if want & {EventType.SPOOFING, EventType.TELEPORT}:
            events += [e for e in self._jumps(frame) if e.event_type in want]
        if EventType.ON_LAND in want:
            events += self._on_land(frame)
        if EventType.IDENTITY_CHANGE in want:
            events += self._changes(frame)
        return events

    def _event(self, kind: EventType, mmsi: int, start_us: int, end_us: int, **rest: Any) -> Event:
        return Event(
            event_type=kind,
            mmsis=(mmsi,),
            start=utc_from_us(start_us),
            end=utc_from_us(end_us),
            parameters=parameters_of(self.config),
            **rest,
        )

    def _invalid_mmsi(self, frame: pl.DataFrame) -> list[Event]:
        per = frame.group_by("mmsi").agg(
            pl.col("received_at").min().dt.epoch("us").alias("t0"),
            pl.col("received_at").max().dt.epoch("us").alias("t1"),
            pl.col("lon").first(),
            pl.col("lat").first(),
            pl.len().alias("fixes"),
        )
        per = per.sort("mmsi")
        invalid = np.asarray(mmsi_kinds(per["mmsi"].to_numpy()).to_numpy(zero_copy_only=False))
        per = per.filter(pl.Series(invalid == MmsiKind.INVALID.value))
        out = []
        for row in per.iter_rows(named=True):
            out.append(
                self._event(
                    EventType.INVALID_IDENTITY, int(row["mmsi"]), row["t0"], row["t1"],
                    lon=float(row["lon"]), lat=float(row["lat"]),
                    evidence=f"MMSI {int(row['mmsi']):09d} is not a valid maritime identity",
                    details={"reason": "mmsi", "mmsi_digits": f"{int(row['mmsi']):09d}",
                             "fixes": row["fixes"]},
                    key="mmsi",
                )
            )  # fmt: skip
        return out

    def _invalid_imo(self, frame: pl.DataFrame) -> list[Event]:
        statics = self._statics
        if statics is None or "imo" not in statics.columns:
            return []
        imos = (
            statics.filter(pl.col("imo").is_not_null() & (pl.col("imo") != 0))
            .group_by("mmsi", "imo")
            .agg(
                pl.col("received_at").min().alias("first"),
                pl.col("received_at").max().alias("last"),
            )
            .sort("mmsi", "first")
        )
        valid = imo_valid_array(imos["imo"].cast(pl.Int64).to_numpy())
        bad = imos.filter(~pl.Series(valid.to_numpy(zero_copy_only=False)))
        out = []
        for row in _with_position(bad, frame, "first").iter_rows(named=True):
            out.append(
                self._event(
                    EventType.INVALID_IDENTITY, int(row["mmsi"]),
                    _us(row["first"]), _us(row["last"]),
                    lon=float(row["lon"]), lat=float(row["lat"]),
                    evidence=f"IMO number {row['imo']} fails the IMO check digit",
                    details={"reason": "imo", "imo": int(row["imo"])},
                    key=f"imo:{row['imo']}",
                )
            )  # fmt: skip
        return out

    def _jumps(self, frame: pl.DataFrame) -> list[Event]:
        cfg = self.config
        ordered = frame.sort("mmsi", "received_at", "segment_id")
        switches = _switches(ordered, cfg)
        if switches.height == 0:
            return []
        spans = frame.group_by("segment_id").agg(
            pl.len().alias("fixes"),
            pl.col("received_at").min().dt.epoch("us").alias("seg_start"),
            pl.col("received_at").max().dt.epoch("us").alias("seg_end"),
        )
        pairs = _pair_summary(switches, spans)
        out: list[Event] = []
        for row in pairs.iter_rows(named=True):
            concurrent = row["a_start"] < row["b_end"] and row["b_start"] < row["a_end"]
            enough = min(row["a_fixes"], row["b_fixes"]) >= cfg.min_fixes
            if concurrent and enough and row["impossible"] >= cfg.min_switches:
                out.append(self._spoofing(row))
            elif not concurrent and row["b_fixes"] >= cfg.min_fixes and row["impossible"] >= 1:
                out.append(self._teleport(row))
        return out

    def _spoofing(self, row: dict[str, Any]) -> Event:
        start = max(row["a_start"], row["b_start"])
        end = min(row["a_end"], row["b_end"])
        return self._event(
            EventType.SPOOFING, int(row["mmsi"]), start, end,
            lon=float(row["to_lon"]), lat=float(row["to_lat"]),
            evidence=(
                f"MMSI heard at two places at once: {row['impossible']} switches between two "
                f"tracks up to {row['max_distance_m'] / 1000:.0f} km apart ({_pace(row, 'up to ')})"
            ),
            details={
                "segment_ids": [row["a"], row["b"]],
                "impossible_switches": row["impossible"],
                "max_distance_m": row["max_distance_m"],
                "max_implied_speed_knots": row["max_speed_knots"],
                "min_step_s": row["min_step_s"],
                "overlap_s": (end - start) / 1e6,
            },
            key=f"{row['a']}|{row['b']}",
        )  # fmt: skip

    def _teleport(self, row: dict[str, Any]) -> Event:
        return self._event(
            EventType.TELEPORT, int(row["mmsi"]), row["from_us"], row["to_us"],
            lon=float(row["to_lon"]), lat=float(row["to_lat"]),
            evidence=(
                f"jumped {row['max_distance_m'] / 1000:.1f} km in "
                f"{(row['to_us'] - row['from_us']) / 1e6:.0f} s "
                f"{_speed_note(row)}and continued from there"
            ),
            details={
                "segment_ids": [row["a"], row["b"]],
                "from_lon": row["from_lon"], "from_lat": row["from_lat"],
                "distance_m": row["max_distance_m"],
                "duration_s": (row["to_us"] - row["from_us"]) / 1e6,
                "implied_speed_knots": row["max_speed_knots"],
            },
            key=row["b"],
        )  # fmt: skip

    def _on_land(self, frame: pl.DataFrame) -> list[Event]:
        cfg = self.config
        land = self._land
        if land is None:
            from setu.events.land import load_land_mask

            land = self._land = load_land_mask()
        lon, lat = frame["lon"].to_numpy(), frame["lat"].to_numpy()
        inland = land.inland(lon, lat, cfg.on_land_min_inland_m)
        starts, ends = runs(segment_codes(frame), inland)
        keep = (ends - starts + 1) >= cfg.on_land_min_fixes
        t_us = frame["received_at"].dt.epoch("us").to_numpy()
        mmsi, seg_ids = frame["mmsi"].to_numpy(), frame["segment_id"].to_numpy()
        out = []
        for s, e in zip(starts[keep], ends[keep], strict=True):
            out.append(
                self._event(
                    EventType.ON_LAND, int(mmsi[s]), int(t_us[s]), int(t_us[e]),
                    lon=float(np.median(lon[s : e + 1])), lat=float(np.median(lat[s : e + 1])),
                    evidence=(
                        f"{e - s + 1} consecutive fixes at least "
                        f"{cfg.on_land_min_inland_m / 1000:.0f} km inland"
                    ),
                    details={"segment_id": str(seg_ids[s]), "fixes": int(e - s + 1),
                             "min_inland_m": cfg.on_land_min_inland_m},
                    key=str(seg_ids[s]),
                )
            )  # fmt: skip
        return out

    def _changes(self, frame: pl.DataFrame) -> list[Event]:
        statics = self._statics
        if statics is None:
            return []
        statics = statics.filter(pl.col("mmsi").is_in(frame["mmsi"].unique().implode()))
        changes = [
            _attribute_changes(statics, name, self.config.change_min_reports)
            for name in ("ship_name", "call_sign", "imo", "ship_type")
            if name in statics.columns
        ]
        if not changes:
            return []
        found = _with_position(pl.concat(changes), frame, "received_at", self.config)
        out = []
        for row in found.filter(pl.col("underway")).iter_rows(named=True):
            t = _us(row["received_at"])
            out.append(
                self._event(
                    EventType.IDENTITY_CHANGE, int(row["mmsi"]), t, t,
                    lon=float(row["lon"]), lat=float(row["lat"]),
                    evidence=f"{row['attribute']} changed from {row['old']!r} to {row['new']!r} "
                    f"while underway ({row['speed_knots']:.1f} kn)",
                    details={"attribute": row["attribute"], "old": row["old"], "new": row["new"],
                             "speed_knots": row["speed_knots"]},
                    key=row["attribute"],
                )
            )  # fmt: skip
        return out


def _us(value: Any) -> int:
    return int(value.timestamp() * 1_000_000) if hasattr(value, "timestamp") else int(value)


def _statics_frame(statics: pa.Table | pl.DataFrame | None) -> pl.DataFrame | None:
    if statics is None:
        return None
    frame = statics if isinstance(statics, pl.DataFrame) else pl.from_arrow(statics)
    if not isinstance(frame, pl.DataFrame) or not {"mmsi", "received_at"} <= set(frame.columns):
        raise ValidationError("statics must be a table with at least mmsi and received_at")
    return frame.filter(pl.col("received_at").is_not_null()).with_columns(
        pl.col("mmsi").cast(pl.UInt32), pl.col("received_at").cast(pl.Datetime("us", "UTC"))
    )


def _switches(ordered: pl.DataFrame, cfg: IdentityConfig) -> pl.DataFrame:
    """Consecutive fixes of one MMSI (in time order) that belong to different segments, with the
    implied speed between them and whether it is impossible."""
    n = ordered.height
    mmsi = ordered["mmsi"].to_numpy()
    seg = ordered["segment_id"].to_numpy()
    idx = np.flatnonzero((mmsi[1:] == mmsi[:-1]) & (seg[1:] != seg[:-1])) + 1
    if n < 2 or len(idx) == 0:
        return pl.DataFrame()
    lon, lat = ordered["lon"].to_numpy(), ordered["lat"].to_numpy()
    t_us = ordered["received_at"].dt.epoch("us").to_numpy()
    sog = ordered["sog_knots"].cast(pl.Float64).fill_null(0.0).to_numpy()
    prev = idx - 1
    distance = haversine_m(lon[prev], lat[prev], lon[idx], lat[idx])
    dt = (t_us[idx] - t_us[prev]) / 1e6
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(dt > 0, distance / np.maximum(dt, 1e-9) / KNOT_MS, np.inf)
    allowed = np.maximum(cfg.max_speed_knots, cfg.sog_factor * np.maximum(sog[prev], sog[idx]))
    impossible = (distance > cfg.min_jump_m) & (speed > allowed)
    # a speed is reported only over a step long enough for receive-time error not to dominate
    reported = np.where(dt >= cfg.speed_min_step_s, speed, np.nan)
    first, second = seg[prev], seg[idx]
    a = np.where(first < second, first, second)
    b = np.where(first < second, second, first)
    return pl.DataFrame(
        {
            "mmsi": mmsi[idx], "a": a, "b": b, "from_seg": first,
            "from_us": t_us[prev], "to_us": t_us[idx],
            "from_lon": lon[prev], "from_lat": lat[prev], "to_lon": lon[idx], "to_lat": lat[idx],
            "distance_m": distance, "step_s": dt, "impossible": impossible,
            "speed_knots": pl.Series(reported, dtype=pl.Float64, nan_to_null=True),
        }
    )  # fmt: skip


def _pair_summary(switches: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """One row per (MMSI, segment pair) with impossible switches: counts, the first impossible
    switch, and both segments' spans and sizes (``a`` is the earlier-starting segment)."""
    bad = switches.filter(pl.col("impossible"))
    pairs = bad.group_by("mmsi", "a", "b", maintain_order=True).agg(
        pl.len().alias("impossible"),
        pl.col("distance_m").max().alias("max_distance_m"),
        pl.col("speed_knots").max().alias("max_speed_knots"),
        pl.col("step_s").min().alias("min_step_s"),
        pl.col("from_us").first(), pl.col("to_us").first(),
        pl.col("from_lon").first(), pl.col("from_lat").first(),
        pl.col("to_lon").first(), pl.col("to_lat").first(),
        pl.col("from_seg").first(),
    )  # fmt: skip
    for side in ("a", "b"):
        pairs = pairs.join(
            spans.rename({"fixes": f"{side}_fixes", "seg_start": f"{side}_start",
                          "seg_end": f"{side}_end", "segment_id": side}),
            on=side, how="left",
        )  # fmt: skip
    # orient each pair so that "a" is the segment the first impossible switch leaves
    flip = pl.col("from_seg") != pl.col("a")
    swapped = {}
    for x, y in (("a", "b"), ("a_fixes", "b_fixes"), ("a_start", "b_start"), ("a_end", "b_end")):
        swapped[x] = pl.when(flip).then(pl.col(y)).otherwise(pl.col(x))
        swapped[y] = pl.when(flip).then(pl.col(x)).otherwise(pl.col(y))
    return pairs.with_columns(**swapped).sort("mmsi", "from_us")


def _pace(row: dict[str, Any], prefix: str) -> str:
    """The implied speed of a jump, or how far apart in time its fixes were heard when every
    step was too short for a speed to mean anything."""
    if row["max_speed_knots"] is None:
        return f"heard {row['min_step_s']:.0f} s apart"
    return f"{prefix}{row['max_speed_knots']:.0f} kn implied"


def _speed_note(row: dict[str, Any]) -> str:
    """``"(N kn implied) "`` for a jump with a reportable speed, else nothing (its time in
    seconds is in the evidence already)."""
    speed = row["max_speed_knots"]
    return "" if speed is None else f"({speed:.0f} kn implied) "


def _attribute_changes(statics: pl.DataFrame, name: str, min_reports: int) -> pl.DataFrame:
    """Confirmed changes of one static attribute per MMSI: rows (mmsi, received_at of the first
    report of the new value, attribute, old, new)."""
    value = pl.col(name)
    if statics.schema[name] == pl.String:
        value = value.str.to_uppercase().str.replace_all(r"\s+", " ").str.strip_chars()
    values = (
        statics.select("mmsi", "received_at", value.cast(pl.String).alias("value"))
        .filter(pl.col("value").is_not_null() & ~pl.col("value").is_in(["", "0"]))
        .sort("mmsi", "received_at")
        .with_columns(pl.struct("mmsi", "value").rle_id().alias("_run"))
    )
    confirmed = (
        values.group_by("_run", maintain_order=True)
        .agg(pl.col("mmsi").first(), pl.col("value").first(), pl.col("received_at").first(),
             pl.len().alias("n"))
        .filter(pl.col("n") >= min_reports)
        .with_columns(pl.col("value").shift(1).over("mmsi").alias("old"))
        .filter(pl.col("old").is_not_null() & (pl.col("old") != pl.col("value")))
    )  # fmt: skip
    return confirmed.select(
        "mmsi", "received_at", pl.lit(name).alias("attribute"), "old", pl.col("value").alias("new")
    )


def _with_position(
    rows: pl.DataFrame, frame: pl.DataFrame, time_col: str, cfg: IdentityConfig | None = None
) -> pl.DataFrame:
    """``rows`` with the nearest fix of the same MMSI (lon, lat, speed, nav status) and, when a
    config is given, whether the vessel was underway then; rows of MMSIs without fixes drop."""
    if rows.height == 0:
        return rows.with_columns(
            pl.lit(None, pl.Float64).alias("lon"), pl.lit(None, pl.Float64).alias("lat"),
            pl.lit(None, pl.Float64).alias("speed_knots"), pl.lit(False).alias("underway"),
        )  # fmt: skip
    fixes = frame.select(
        "mmsi",
        pl.col("received_at").alias("_fix_at"),
        "lon", "lat", "speed_knots", "nav_status",
    ).sort("_fix_at")  # fmt: skip
    tolerance = None if cfg is None else f"{int(cfg.underway_max_fix_age_s * 1e6)}us"
    joined = rows.sort(time_col).join_asof(
        fixes, left_on=time_col, right_on="_fix_at", by="mmsi", strategy="nearest",
        tolerance=tolerance,
        check_sortedness=False,  # both sides are sorted by time above
    )  # fmt: skip
    joined = joined.filter(pl.col("lon").is_not_null())
    if cfg is None:
        return joined
    underway = (pl.col("speed_knots") >= cfg.underway_min_knots) & ~pl.col("nav_status").is_in(
        [1, 5]
    ).fill_null(False)
    return joined.with_columns(underway.fill_null(False).alias("underway"))
