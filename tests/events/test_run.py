"""Running detectors: registry, dedupe and order; real recordings end to end (no crash)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from setu.errors import ConfigError
from setu.events import DETECTORS, Detector, Event, EventType
from setu.events.run import make_detectors, run_detectors, sort_events
from setu.events.shore import load_shore
from setu.tracks import Tracks

T0 = datetime(2024, 9, 1, tzinfo=UTC)


def event(minutes: int, mmsi: int = 1, kind: EventType = EventType.GAP) -> Event:
    return Event(kind, (mmsi,), T0 + timedelta(minutes=minutes), None, 0.0, 0.0, "test")


@pytest.mark.unit
def test_registry_lists_detectors_by_name_and_each_follows_the_protocol() -> None:
    assert {
        "gap",
        "encounter",
        "loitering",
        "port_visit",
        "zone",
        "identity",
        "drift",
        "speed_drop",
    } <= set(DETECTORS)
    for name, cls in DETECTORS.items():
        detector = cls()
        assert isinstance(detector, Detector) and detector.name == name
    with pytest.raises(ConfigError, match="unknown detector"):
        make_detectors(["nope"])
    assert [d.name for d in make_detectors(["gap", "gap"])] == ["gap"]


@pytest.mark.unit
def test_sort_events_dedupes_by_event_id_and_orders_by_start() -> None:
    events = [event(30), event(10, 2), event(30), event(10, 1, EventType.LOITERING)]
    ordered = sort_events(events)
    assert [(e.start.minute, e.event_type.value, e.mmsis) for e in ordered] == [
        (10, "gap", (2,)),
        (10, "loitering", (1,)),
        (30, "gap", (1,)),
    ]


class Counting:
    """A detector that reports one event per segment."""

    name = "counting"

    def detect(self, tracks: Tracks) -> list[Event]:
        return [event(0, t.mmsi) for t in tracks] + [event(0, t.mmsi) for t in tracks]


@pytest.mark.unit
def test_run_detectors_segments_once_and_accepts_tables_or_tracks() -> None:
    frame = pl.DataFrame(
        {
            "mmsi": [1, 1, 2],
            "received_at": [T0, T0 + timedelta(minutes=1), T0],
            "lon": [1.0, 1.001, 5.0],
            "lat": [1.0, 1.0, 5.0],
        },
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )
    from_table = run_detectors(frame, [Counting()])
    assert [e.mmsis for e in from_table] == [(1,), (2,)]
    assert run_detectors(Tracks.from_positions(frame), [Counting()]) == from_table
    assert run_detectors(frame.head(0), [Counting()]) == []


# --- real recordings ---------------------------------------------------------------------------


def read_marinecadastre(path: Path) -> pl.DataFrame:
    """A NOAA MarineCadastre CSV as a positions frame (columns named per the data contract)."""
    raw = pl.read_csv(path, infer_schema_length=0)
    return raw.select(
        pl.col("MMSI").cast(pl.UInt32).alias("mmsi"),
        pl.col("BaseDateTime")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S", time_zone="UTC")
        .alias("received_at"),
        pl.col("LON").cast(pl.Float64).alias("lon"),
        pl.col("LAT").cast(pl.Float64).alias("lat"),
        pl.col("SOG").cast(pl.Float32).alias("sog_knots"),
        pl.col("COG").cast(pl.Float32).alias("cog_deg"),
    )


def read_dma_sample(path: Path) -> pl.DataFrame:
    """Position reports of the DMA sample: ``$PGHP`` time stamps, single-sentence messages."""
    from pyais import decode
    from pyais.exceptions import AISBaseException

    rows = []
    stamp: datetime | None = None
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        if line.startswith("$PGHP,1,"):
            f = line.split(",")
            stamp = datetime(*map(int, f[2:8]), tzinfo=UTC) + timedelta(milliseconds=int(f[8]))
        elif line.startswith("!") and ",1,1," in line and stamp is not None:
            try:
                msg = decode(line).asdict()
            except (AISBaseException, ValueError, IndexError):
                continue
            if msg.get("msg_type") in (1, 2, 3, 18, 19, 27):
                rows.append((msg["mmsi"], stamp, msg.get("lon"), msg.get("lat"), msg.get("speed")))
    return pl.DataFrame(
        rows,
        schema={
            "mmsi": pl.UInt32,
            "received_at": pl.Datetime("us", "UTC"),
            "lon": pl.Float64,
            "lat": pl.Float64,
            "sog_knots": pl.Float32,
        },
        orient="row",
    )


REAL = {
    "virginia_beach": (
        "tracktable/VirginiaBeach_2020_06_04_to_06_filtered.csv",
        read_marinecadastre,
    ),
    "ny_harbor": ("tracktable/NYHarbor_2020_12_08.csv", read_marinecadastre),
    "ny_harbor_hour": ("tracktable/NYHarbor_2020_06_30_first_hour.csv", read_marinecadastre),
    "dma": ("dma/AisAbnormal/ais-sample.txt", read_dma_sample),
}


@pytest.mark.realdata
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REAL))
def test_detectors_run_on_real_recordings(
    name: str,
    ais_data: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    relative, reader = REAL[name]
    positions = reader(ais_data / relative)
    assert positions.height > 0
    load_shore(tmp_path_factory.getbasetemp() / "shore-cache")
    tracks = Tracks.from_positions(positions)
    events = run_detectors(tracks, make_detectors(["gap", "encounter", "loitering", "port_visit"]))
    assert all(e.start.tzinfo is not None for e in events)
    assert len({e.event_id for e in events}) == len(events)
    counts = Counter(e.event_type.value for e in events)
    with capsys.disabled():
        print(
            f"\n{name}: {positions.height} positions, {len(tracks)} segments, "
            f"events {json.dumps(counts)}"
        )
    if name == "dma":  # four minutes of data: too short for any of these behaviours
        assert counts.keys() <= {"port_visit"}
    if name in ("virginia_beach", "ny_harbor"):
        visits = [e for e in events if e.event_type is EventType.PORT_VISIT]
        assert visits, "harbour traffic should visit ports"
        assert {e.details["port_country"] for e in visits} == {"United_states"}


# --- the CLI over a store ----------------------------------------------------------------------


def store_positions(frame: pl.DataFrame) -> pa.Table:
    """A positions table in the store's schema (columns not given are null)."""
    from setu.ais.schema import FAMILY_SCHEMAS

    schema = FAMILY_SCHEMAS["positions"]
    n = frame.height
    given = {
        "mmsi": frame["mmsi"],
        "received_at": frame["received_at"],
        "lon": frame["lon"],
        "lat": frame["lat"],
        "sog_knots": frame["sog_knots"],
        "msg_type": pl.Series([1] * n),
        "msg_hash": pl.Series(range(1, n + 1)),
        "line_no": pl.Series(range(1, n + 1)),
    }

    def filler(field: pa.Field) -> pa.Array:
        if field.nullable:
            return pa.nulls(n, field.type)
        zero = (
            False
            if pa.types.is_boolean(field.type)
            else ""
            if pa.types.is_string(field.type)
            else 0
        )
        return pa.array([zero] * n, field.type)

    columns = [
        given[f.name].to_arrow().cast(f.type) if f.name in given else filler(f) for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)


@pytest.mark.unit
# raised by the store's DuckDB query (setu.store.query.run_sql), not by this area
@pytest.mark.filterwarnings("ignore:Arrow output on a DB-API result:UserWarning")
def test_cli_tracks_and_detect_over_the_store(data_dir: Path) -> None:
    from typer.testing import CliRunner

    from setu.cli import app
    from setu.settings import load_settings
    from setu.store import open_store

    minutes = [*range(0, 60, 5), *range(60 + 13 * 60, 60 + 14 * 60, 5)]
    frame = pl.DataFrame(
        {
            "mmsi": [419000001] * len(minutes),
            "received_at": [T0 + timedelta(minutes=m) for m in minutes],
            "lon": [64.0 + 0.0005 * i for i in range(len(minutes))],
            "lat": [14.0] * len(minutes),
            "sog_knots": [0.5] * len(minutes),
        },
        schema_overrides={"received_at": pl.Datetime("us", "UTC"), "sog_knots": pl.Float32},
    )
    open_store(load_settings(data_dir=data_dir)).write({"positions": store_positions(frame)})
    load_shore(data_dir / "cache")
    runner = CliRunner()
    base = ["--data-dir", str(data_dir)]
    summary = runner.invoke(app, [*base, "tracks", "--json"])
    assert summary.exit_code == 0, summary.output
    (segment,) = [json.loads(line) for line in summary.stdout.splitlines()]
    assert segment["mmsi"] == 419000001 and segment["points"] == len(minutes)
    first = runner.invoke(app, [*base, "events", "detect", "--detector", "gap", "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout) == {
        "positions": len(minutes),
        "events": 1,
        "added": 1,
        "by_type": {"gap": 1},
    }
    again = runner.invoke(app, [*base, "events", "detect", "--detector", "gap", "--json"])
    assert json.loads(again.stdout)["added"] == 0
    listed = runner.invoke(app, [*base, "events", "--json", "--mmsi", "419000001"])
    (gap,) = [json.loads(line) for line in listed.stdout.splitlines()]
    assert gap["event_type"] == "gap" and gap["duration_s"] == pytest.approx(
        13 * 3600 - 5 * 60 + 5 * 60, abs=600
    )


@pytest.mark.unit
def test_with_statics_rebuilds_only_the_detectors_that_take_statics_keeping_their_config() -> None:
    from setu.events.identity import IdentityConfig, IdentityDetector
    from setu.events.run import with_statics

    statics = pl.DataFrame(
        {"mmsi": [7], "received_at": [T0], "to_bow_m": [50], "to_stern_m": [10]},
        schema_overrides={"mmsi": pl.UInt32, "received_at": pl.Datetime("us", "UTC")},
    )
    custom = IdentityDetector(IdentityConfig(min_fixes=5))
    gap = make_detectors(["gap"])[0]
    drift = make_detectors(["drift"])[0]
    rebuilt = with_statics([custom, gap, drift], statics)
    assert rebuilt[1] is gap
    assert isinstance(rebuilt[0], IdentityDetector) and rebuilt[0] is not custom
    assert rebuilt[0].config == custom.config
    assert rebuilt[2]._lengths == {7: 60.0}  # type: ignore[attr-defined]
