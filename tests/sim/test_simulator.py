"""The simulator: determinism, truth format, clean ingest, physical plausibility, the sample."""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from setu.ais.identity import imo_valid
from setu.ais.mid import flag_for_mid
from setu.errors import ConfigError
from setu.events.evaluate import load_truth, parse_truth
from setu.ingest import MemorySink, ingest, sources_for
from setu.sim import SCENARIOS, sample_feed_path, sample_truth_path, simulate
from setu.sim.fleet import imo_check_digit
from setu.sim.reception import report_interval_s
from setu.sim.sample import write_sample

pytestmark = pytest.mark.unit


def test_every_named_scenario_exists() -> None:
    assert set(SCENARIOS) == {
        "quiet-arabian-sea", "dark-rendezvous", "loiterer", "mmsi-spoofing", "hra-crossing",
        "large", "demo",
    }  # fmt: skip
    with pytest.raises(ConfigError, match="unknown scenario"):
        simulate("nowhere", seed=1)
    with pytest.raises(ConfigError, match="scale"):
        simulate("demo", seed=1, scale=0)


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    first = b"".join(simulate("demo", seed=5).sentences())
    again = simulate("demo", seed=5)
    assert b"".join(again.sentences()) == first
    assert simulate("demo", seed=5).truth == again.truth
    assert b"".join(simulate("demo", seed=6).sentences()) != first


def test_truth_is_valid_and_written_beside_the_feed(tmp_path: Path) -> None:
    sim = simulate("demo", seed=2)
    nmea, truth = sim.write(tmp_path / "feed.nmea.gz")
    assert truth == tmp_path / "feed.truth.jsonl" and nmea.stat().st_size > 0
    records = load_truth(truth)
    assert len(records) == len(sim.truth) > 5
    assert parse_truth(json.dumps(r) for r in sim.truth) == records
    assert all(r.start.tzinfo is not None for r in records)


def test_output_ingests_without_rejects_and_every_sentence_is_accounted(tmp_path: Path) -> None:
    sim = simulate("quiet-arabian-sea", seed=3, scale=0.1)
    nmea, _ = sim.write(tmp_path / "quiet.nmea")
    sink = MemorySink()
    summary = ingest(sources_for(paths=[str(nmea)]), sink)
    assert sink.rejects().num_rows == 0
    messages = sum(sim.stats.messages.values())
    assert summary.messages == messages
    assert nmea.read_bytes().count(b"\n") == sim.stats.sentences
    positions = pl.from_arrow(sink.table("positions"))
    assert positions["station"].null_count() == 0
    # duplicate receptions: the same payload heard by two receivers at the same second
    heard_twice = 0
    for family in ("positions", "statics"):
        table = pl.from_arrow(sink.table(family))
        per = table.group_by("msg_hash", "received_at").agg(pl.col("station").n_unique())
        heard_twice += per.filter(pl.col("station") > 1).height
    assert heard_twice == sim.stats.duplicates > 0


def test_identities_are_valid_for_normal_traffic() -> None:
    sim = simulate("quiet-arabian-sea", seed=1, scale=0.2)
    normal = [a.vessel for a in sim.world.actors if a.normal]
    assert len({v.mmsi for v in normal}) == len(normal)
    assert all(flag_for_mid(v.mmsi // 1_000_000) is not None for v in normal)
    assert all(imo_valid(v.imo) for v in normal if v.imo)
    assert Counter(v.ais_class for v in normal)["B"] > 0
    assert {v.kind for v in normal} >= {"cargo", "tanker", "fishing"}
    assert imo_check_digit(907472) == 9  # IMO 9074729, the example of IMO Res. A.1117(30)


def test_reporting_intervals_follow_itu_r_m1371() -> None:
    classes = np.array(["A", "A", "A", "A", "A", "B", "B"])
    speed = np.array([0.0, 10.0, 16.0, 30.0, 2.0, 1.0, 8.0])
    status = np.array([5, 0, 0, 0, 1, 0, 0], dtype=np.uint8)
    assert report_interval_s(classes, speed, status).tolist() == [180, 10, 6, 2, 180, 180, 30]


def test_normal_traffic_is_physically_plausible(shore: object) -> None:
    from setu.events.land import load_land_mask
    from setu.events.ports import load_ports

    sim = simulate("quiet-arabian-sea", seed=4, scale=0.3)
    c = sim.compiled
    normal = np.flatnonzero([a.normal for a in sim.world.actors])
    t = np.arange(0.0, sim.world.duration_s, 600.0)
    actor = np.repeat(normal, len(t))
    state = c.plans.at(actor, np.tile(t, len(normal)))
    lon, lat, _ = c.paths.locate(actor, state.s_m)
    assert state.speed_knots.max() <= 22.0
    far = load_ports().nearest(lon, lat, 10_000.0)[0] < 0
    on_land = load_land_mask().is_land(lon[far], lat[far])
    assert on_land.mean() < 0.01, f"{on_land.sum()} of {far.sum()} positions on land"


def test_packaged_sample_is_the_demo_scenario_byte_for_byte(tmp_path: Path) -> None:
    feed, truth = write_sample(tmp_path)
    assert feed.read_bytes() == sample_feed_path().read_bytes()
    assert truth.read_bytes() == sample_truth_path().read_bytes()
    assert sample_feed_path().stat().st_size < 1_100_000
    kinds = {r.event_type.value for r in load_truth(sample_truth_path())}
    assert len(kinds) >= 5


def test_voyages_slow_down_in_steps_and_paths_interpolate_by_distance() -> None:
    from setu.sim.paths import Paths
    from setu.sim.plans import PlanBuilder, Plans

    plan = PlanBuilder(t=0.0).voyage(50_000.0, 14.0).hold(1e6)
    speeds = Plans.build([plan]).speed_knots[1:-2]
    assert speeds.max() == 14.0 and speeds[-1] == 0.0
    for before, after in pairwise(speeds):
        assert not (before > 7.0 and after < 1.0)
    paths = Paths.build(
        [np.array([[60.0, 10.0], [61.0, 10.0]]), np.array([[0.0, 0.0], [0.0, 1.0]])]
    )
    lon, lat, course = paths.locate(np.array([0, 1, 1]), np.array([0.0, 55_597.0, 1e9]))
    assert lon[0] == 60.0 and abs(lat[1] - 0.5) < 1e-3 and lat[2] == 1.0
    assert round(course[0]) == 90 and round(course[1]) == 0
