"""IdentityDetector: MMSI/IMO rules, spoofing, teleport, on land, identity change; real data."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from setu.events.identity import (
    IdentityConfig,
    IdentityDetector,
)
from setu.events.model import EventType
from setu.tracks import Tracks

T0 = datetime(2024, 5, 1, tzinfo=UTC)
SHIP = 419000001


class Land:
    """Inland where lon > 80 (a fake mask)."""

    def inland(self, lon: object, lat: object, min_distance_m: float) -> np.ndarray:
        return np.asarray(lon, dtype=float) > 80.0


def frame(rows: list[tuple[int, float, float, float]], mmsi: int = SHIP, sog: float = 8.0):
    """rows: (seconds after T0, lon, lat, unused)."""
    return pl.DataFrame(
        {
            "mmsi": [mmsi] * len(rows),
            "received_at": [T0 + timedelta(seconds=r[0]) for r in rows],
            "lon": [r[1] for r in rows],
            "lat": [r[2] for r in rows],
            "sog_knots": [sog] * len(rows),
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )


def run(positions: pl.DataFrame, statics: pl.DataFrame | None = None, **cfg: object) -> list:
    detector = IdentityDetector(IdentityConfig(**cfg), statics=statics, land=Land())  # type: ignore[arg-type]
    return detector.detect(Tracks.from_positions(positions))


def of(events: list, kind: EventType) -> list:
    return [e for e in events if e.event_type is kind]


def moving(n: int, lon0: float = 70.0, t0: int = 0, step_s: int = 60) -> list:
    # 8 knots eastward at 10N: 1852 * 8 / 3600 m/s
    deg_per_s = 8 * 1852 / 3600 / 109_500
    return [(t0 + i * step_s, lon0 + deg_per_s * i * step_s, 10.0, 0.0) for i in range(n)]


@pytest.mark.unit
def test_invalid_mmsi_fires_once_and_not_ship_ranges_do_not() -> None:
    positions = pl.concat(
        [frame(moving(5), mmsi=123456789), frame(moving(5), mmsi=970010001), frame(moving(5))]
    )
    invalid = of(run(positions), EventType.INVALID_IDENTITY)
    assert [e.mmsis for e in invalid] == [(123456789,)]
    assert invalid[0].key == "mmsi"


@pytest.mark.unit
def test_invalid_imo_from_statics() -> None:
    statics = pl.DataFrame(
        {"mmsi": [SHIP, SHIP], "received_at": [T0, T0], "imo": [9074728, 9074729]},
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )
    invalid = of(run(frame(moving(5)), statics), EventType.INVALID_IDENTITY)
    assert [(e.key, e.details["imo"]) for e in invalid] == [("imo:9074728", 9074728)]


def two_ships(switch_count: int, separation_deg: float = 1.0) -> pl.DataFrame:
    """Ship A reports throughout; ship B, far away, interleaves ``switch_count // 2`` bursts."""
    a = moving(20)
    b = [(t + 30, lon + separation_deg, lat, 0.0) for t, lon, lat, _ in moving(20)]
    rows = list(a)
    bursts = switch_count // 2
    rows += b[2 : 2 + 3 * bursts : 1] if bursts else []
    return frame(sorted(rows))


@pytest.mark.unit
def test_spoofing_two_places_at_once() -> None:
    events = run(two_ships(6))
    spoof = of(events, EventType.SPOOFING)
    assert len(spoof) == 1
    assert spoof[0].details["impossible_switches"] >= 2
    assert of(events, EventType.TELEPORT) == []


@pytest.mark.unit
def test_no_spoofing_when_second_track_too_short() -> None:
    rows = [*moving(20), (330, 71.0, 10.0, 0.0), (390, 71.0, 10.0, 0.0)]
    assert of(run(frame(sorted(rows))), EventType.SPOOFING) == []


@pytest.mark.unit
def test_no_spoofing_below_jump_distance() -> None:
    # the second transmitter is 5 km away: segmented apart, but not an impossible jump
    assert of(run(two_ships(6, separation_deg=0.045)), EventType.SPOOFING) == []


@pytest.mark.unit
def test_teleport_when_vessel_continues_from_new_position() -> None:
    rows = moving(10) + moving(10, lon0=71.0, t0=600)
    teleports = of(run(frame(rows)), EventType.TELEPORT)
    assert len(teleports) == 1
    event = teleports[0]
    assert event.details["distance_m"] > 100_000
    assert event.start == T0 + timedelta(seconds=540) and event.end == T0 + timedelta(seconds=600)


@pytest.mark.unit
@pytest.mark.parametrize(("fixes_after", "fires"), [(2, False), (3, True)])
def test_teleport_needs_the_vessel_to_continue(fixes_after: int, fires: bool) -> None:
    rows = moving(10) + moving(fixes_after, lon0=71.0, t0=600)
    assert bool(of(run(frame(rows)), EventType.TELEPORT)) is fires


@pytest.mark.unit
def test_fast_craft_reporting_its_speed_is_no_teleport() -> None:
    # 0.3 deg (~33 km) in 10 min is ~107 kn implied; reported SOG 80 kn allows 120 kn
    rows = [(0, 70.0, 10.0, 0.0), (60, 70.0, 10.0, 0.0), (660, 70.3, 10.0, 0.0)]
    rows += [(660 + 60 * i, 70.3 + 0.02 * i, 10.0, 0.0) for i in range(1, 5)]
    assert of(run(frame(rows, sog=80.0)), EventType.TELEPORT) == []


@pytest.mark.unit
@pytest.mark.parametrize(("fixes", "fires"), [(2, False), (3, True)])
def test_on_land_needs_consecutive_inland_fixes(fixes: int, fires: bool) -> None:
    rows = moving(5, lon0=79.99) + [(600 + 60 * i, 81.0, 10.0, 0.0) for i in range(fixes)]
    rows += [(2000, 79.99, 10.0, 0.0)]
    found = of(run(frame(rows, sog=0.5)), EventType.ON_LAND)
    assert bool(found) is fires
    if fires:
        assert found[0].details["fixes"] == fixes


def statics_rows(times_s: list[int], names: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "mmsi": [SHIP] * len(times_s),
            "received_at": [T0 + timedelta(seconds=t) for t in times_s],
            "ship_name": names,
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )


@pytest.mark.unit
def test_name_change_underway() -> None:
    statics = statics_rows([60, 120, 600, 660], ["ALPHA", "ALPHA", "BRAVO", "BRAVO "])
    changes = of(run(frame(moving(20)), statics), EventType.IDENTITY_CHANGE)
    assert [(c.details["old"], c.details["new"]) for c in changes] == [("ALPHA", "BRAVO")]
    assert changes[0].start == T0 + timedelta(seconds=600)


@pytest.mark.unit
def test_no_change_when_moored_or_alternating_or_unconfirmed() -> None:
    moored = statics_rows([60, 120, 600, 660], ["ALPHA", "ALPHA", "BRAVO", "BRAVO"])
    assert of(run(frame(moving(20), sog=0.2), moored), EventType.IDENTITY_CHANGE) == []
    flip = statics_rows([60, 120, 180, 240], ["ALPHA", "BRAVO", "ALPHA", "BRAVO"])
    assert of(run(frame(moving(20)), flip), EventType.IDENTITY_CHANGE) == []
    once = statics_rows([60, 120, 600], ["ALPHA", "ALPHA", "BRAVO"])
    assert of(run(frame(moving(20)), once), EventType.IDENTITY_CHANGE) == []


@pytest.mark.unit
def test_report_selects_event_types() -> None:
    positions = frame(moving(10) + moving(10, lon0=71.0, t0=600), mmsi=123456789)
    events = run(positions, report=(EventType.TELEPORT,))
    assert {e.event_type for e in events} == {EventType.TELEPORT}


def tracktable(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A MarineCadastre-style CSV as contract positions and statics tables."""
    raw = pl.read_csv(path, infer_schema_length=0)
    base = raw.select(
        pl.col("MMSI").cast(pl.UInt32).alias("mmsi"),
        pl.col("BaseDateTime").str.to_datetime("%Y-%m-%dT%H:%M:%S", time_zone="UTC")
        .dt.cast_time_unit("us").alias("received_at"),
        pl.col("LON").cast(pl.Float64).alias("lon"),
        pl.col("LAT").cast(pl.Float64).alias("lat"),
        pl.col("SOG").cast(pl.Float32).alias("sog_knots"),
        (pl.col("COG").cast(pl.Float32) % 360.0).alias("cog_deg"),
        pl.col("Heading").cast(pl.Float64).cast(pl.UInt16, strict=False).alias("heading_deg"),
        pl.col("VesselName").alias("ship_name"),
        pl.col("CallSign").alias("call_sign"),
        pl.col("IMO").str.replace("IMO", "").cast(pl.UInt32, strict=False).alias("imo"),
        pl.col("VesselType").cast(pl.Float64).cast(pl.UInt8, strict=False).alias("ship_type"),
        pl.col("Length").cast(pl.Float64).cast(pl.UInt16, strict=False).alias("to_bow_m"),
        pl.lit(0, pl.UInt16).alias("to_stern_m"),
    )  # fmt: skip
    positions = base.select(
        "mmsi", "received_at", "lon", "lat", "sog_knots", "cog_deg", "heading_deg"
    )
    statics = base.select("mmsi", "received_at", "ship_name", "call_sign", "imo", "ship_type",
                          "to_bow_m", "to_stern_m")  # fmt: skip
    return positions, statics


@pytest.mark.realdata
@pytest.mark.slow
def test_realdata_tracktable_all_my_detectors(ais_data: Path) -> None:
    from setu.events.motion import DriftDetector, SpeedDropDetector
    from setu.events.zones import ZoneDetector

    fired: dict[str, Counter[str]] = {}
    for path in sorted((ais_data / "tracktable").glob("*.csv")):
        positions, statics = tracktable(path)
        tracks = Tracks.from_positions(positions)
        detectors = [
            IdentityDetector(statics=statics),
            ZoneDetector(),
            DriftDetector(statics=statics),
            SpeedDropDetector(),
        ]
        events = [e for d in detectors for e in d.detect(tracks)]
        fired[path.name] = Counter(e.event_type.value for e in events)
        for event in events:
            assert event.start.tzinfo is not None and np.isfinite(event.lon)
            assert event.end is None or event.end >= event.start
        # New York and Virginia are far from every reference zone
        assert not any(e.event_type in (EventType.ZONE_ENTRY, EventType.ZONE_EXIT) for e in events)
    print("events fired per file:", {k: dict(v) for k, v in fired.items()})
    assert len(fired) == 3


def interleaved(offset_s: int) -> pl.DataFrame:
    """Ship A every 300 s; a second transmitter ~109 km east heard ``offset_s`` after three of
    A's fixes, and A heard again ``offset_s`` after that (every switch ``offset_s`` long)."""
    a = moving(20, step_s=300)
    b = [(t + offset_s, lon + 1.0, lat, 0.0) for t, lon, lat, _ in a[4:7]]
    again = [(t + 2 * offset_s, lon, lat, 0.0) for t, lon, lat, _ in a[4:7]]
    return frame(sorted(a + b + again))


@pytest.mark.unit
def test_spoofing_evidence_gives_no_speed_from_fixes_a_second_apart() -> None:
    # "up to 1000000000 kn implied": a distance divided by a step of about zero
    [spoof] = of(run(interleaved(1)), EventType.SPOOFING)
    assert "kn implied" not in spoof.evidence
    assert "heard 1 s apart" in spoof.evidence
    assert spoof.details["max_implied_speed_knots"] is None
    assert spoof.details["min_step_s"] == 1.0


@pytest.mark.unit
def test_spoofing_evidence_gives_the_speed_over_steps_of_a_minute() -> None:
    [spoof] = of(run(interleaved(60)), EventType.SPOOFING)
    speed = spoof.details["max_implied_speed_knots"]
    assert 3_000 < speed < 4_000  # ~109 km in 60 s
    assert f"up to {speed:.0f} kn implied" in spoof.evidence
