"""Tracks + events scaling: time and peak memory at 1x, 2x, 4x traffic, the scaling exponent and
the memory ratio; and a multi-day run of ``setu events detect`` (``--days``).

For each traffic scale the scenario is simulated (``setu.sim``, default ``large``), written as
NMEA into a temporary directory and ingested into a MemorySink (not timed; ``--data DIR`` keeps
the prepared tables for the next run). A fresh subprocess per scale then loads the positions (and
statics), builds tracks and runs every detector; it reports wall time and its peak RSS
(``resource.getrusage``; the positions table is released once the tracks are built, as the
detectors read the tracks only). The scaling exponent is the least-squares slope of log(time)
against log(traffic) (bar: <= 1.1); the memory bar is a peak at 4x of at most 4.5 times the 1x
peak. The distributed run (LocalCluster, one worker process per core) at 1x is printed next to the
single-process figure.

``--days N`` simulates N days of the scenario as one world (the same vessels throughout: voyages
end and ships stay moored, so ports fill up), ingests it into a store with ``setu ingest`` and
runs ``setu events detect`` over it in one process (by day and batch of vessels, the default),
each in a subprocess whose time and peak RSS are reported (bar: the detection within 16 GB).

    .venv/bin/python benchmarks/events.py [--scenario large] [--scales 1,2,4] [--seed 7]
    .venv/bin/python benchmarks/events.py --days 30 --data /var/tmp/setu-month
    .venv/bin/python benchmarks/events.py --scenario-module synthetic_traffic  # no setu.sim

``--scenario-module`` names a module importable from benchmarks/ whose ``positions(scale, seed)``
returns a positions table (used where the simulator is not available).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BAR = 1.1
MEMORY_BAR = 4.5
MONTH_BAR_MB = 16 * 1024


def _prepare(args: argparse.Namespace, scale: float, folder: Path) -> tuple[Path, Path | None]:
    """Positions (and statics) for one scale as Parquet files in ``folder`` (not timed; kept
    from an earlier run with the same scenario and seed)."""
    import pyarrow.parquet as pq

    tag = f"{args.scenario_module or args.scenario}-{args.seed}-{scale:g}"
    positions_path = folder / f"positions-{tag}.parquet"
    statics_path: Path | None = folder / f"statics-{tag}.parquet"
    if args.scenario_module:
        if not positions_path.exists():
            sys.path.insert(0, str(HERE))
            module = importlib.import_module(args.scenario_module)
            pq.write_table(module.positions(scale, args.seed), positions_path)
        return positions_path, None
    assert statics_path is not None
    if positions_path.exists() and statics_path.exists():
        return positions_path, statics_path
    from setu.ingest import MemorySink, ingest, sources_for
    from setu.sim import simulate

    nmea, _truth = simulate(args.scenario, seed=args.seed, scale=scale).write(
        folder / f"feed-{tag}.nmea"
    )
    sink = MemorySink()
    ingest(sources_for(paths=[str(nmea)]), sink)
    pq.write_table(sink.table("positions"), positions_path)
    pq.write_table(sink.table("statics"), statics_path)
    nmea.unlink()
    return positions_path, statics_path


def _child(argv: list[str]) -> None:
    """Subprocess body: tracks + all detectors on one positions file; prints one JSON line."""
    import resource

    import pyarrow.parquet as pq

    from setu.events.run import make_detectors, run_detectors
    from setu.events.shore import load_shore
    from setu.tracks import Tracks

    positions_path, statics_arg, cache, cluster = argv
    positions = pq.read_table(positions_path)
    rows = positions.num_rows
    statics = pq.read_table(statics_arg) if statics_arg != "-" else None
    load_shore(Path(cache))
    detectors = make_detectors(statics=statics)
    started = time.perf_counter()
    if cluster == "-":
        tracks = Tracks.from_positions(positions)
        del positions  # the detectors read the tracks only
        events = run_detectors(tracks, detectors)
        vessels = len(tracks.mmsis)
    else:
        from setu.scale import detect_distributed, open_client

        with open_client(cluster) as client:
            started = time.perf_counter()  # cluster start-up is not the work
            events = detect_distributed(positions, detectors, client=client, cache_dir=Path(cache))
        vessels = len(set(positions["mmsi"].to_pylist()))
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "positions": rows,
                "vessels": vessels,
                "seconds": seconds,
                "peak_mb": peak_kb / 1024,
                "events": len(events),
            }
        )
    )


def _measure(positions: Path, statics: Path | None, cache: Path, cluster: str = "-") -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(positions)]
    cmd += [str(statics) if statics else "-", str(cache), cluster]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"measurement failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def exponent(scales: list[float], seconds: list[float]) -> float:
    """Least-squares slope of log(seconds) against log(scale)."""
    xs = [math.log(s) for s in scales]
    ys = [math.log(t) for t in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den


def _scaling(args: argparse.Namespace, folder: Path) -> None:
    from setu.events.shore import load_shore

    cache = folder / "cache"
    load_shore(cache)
    rows = []
    for scale in [float(s) for s in args.scales.split(",")]:
        t0 = time.perf_counter()
        positions, statics = _prepare(args, scale, folder)
        print(f"prepared {scale:g}x in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
        rows.append((scale, _measure(positions, statics, cache), positions, statics))
    source = args.scenario_module or f"setu.sim {args.scenario!r}"
    print(f"\ntracks + all events, single process ({source}, seed {args.seed})")
    print(f"{'traffic':>7} {'positions':>10} {'vessels':>8} {'seconds':>8} "
          f"{'pos/s':>9} {'peak MB':>8} {'events':>7}")  # fmt: skip
    for scale, r, _p, _s in rows:
        rate = r["positions"] / r["seconds"]
        print(f"{scale:>6g}x {r['positions']:>10,} {r['vessels']:>8,} {r['seconds']:>8.2f} "
              f"{rate:>9,.0f} {r['peak_mb']:>8.0f} {r['events']:>7,}")  # fmt: skip
    if len(rows) > 1:
        k = exponent([r[0] for r in rows], [r[1]["seconds"] for r in rows])
        verdict = "meets" if k <= BAR else "misses"
        print(f"scaling exponent {k:.2f} ({verdict} the bar <= {BAR})")
        (s0, first, _p, _s), (s1, last, _q, _t) = rows[0], rows[-1]
        ratio = last["peak_mb"] / first["peak_mb"]
        verdict = ""
        if s1 == 4 * s0:
            verdict = (
                " (" + ("meets" if ratio <= MEMORY_BAR else "misses") + f" the bar <= {MEMORY_BAR})"
            )
        print(f"peak memory at {s1:g}x = {ratio:.2f} x the peak at {s0:g}x{verdict}")
    if not args.no_distributed:
        scale, single, positions, statics = rows[0]
        dist = _measure(positions, statics, cache, "local")
        print(f"\n{scale:g}x on a LocalCluster: {dist['seconds']:.2f} s "
              f"({dist['events']:,} events) vs single process {single['seconds']:.2f} s "
              f"({single['events']:,} events); ratio "
              f"{single['seconds'] / dist['seconds']:.2f}x")  # fmt: skip


def _run_cli(argv: list[str]) -> None:
    """Subprocess body: one ``setu`` command; its peak RSS and exit code as the last line of
    stderr."""
    import resource

    from setu.cli import main

    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"peak_mb": peak_kb / 1024, "code": code}), file=sys.stderr)


def _cli(*argv: str) -> tuple[dict, dict, float]:
    """Run ``setu ARGV --json`` in a subprocess: (its JSON output, its peak and code, seconds)."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--run-cli", *argv, "--json"]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    status = json.loads(done.stderr.strip().splitlines()[-1])
    if status["code"] != 0:
        raise SystemExit(f"setu {' '.join(argv)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), status, seconds


def _days(args: argparse.Namespace, folder: Path) -> None:
    """``--days N``: N days of the scenario through ``setu ingest`` and ``setu events detect``."""
    data = folder / f"store-{args.scenario}-{args.seed}-{args.days}d"
    feed = folder / f"feed-{args.scenario}-{args.seed}-{args.days}d.nmea.gz"
    if not (data / "ais" / "positions").is_dir():
        if not feed.exists():
            from setu.sim.scenarios import DEFAULT_START, SCENARIOS
            from setu.sim.simulation import Simulation
            from setu.sim.traffic import REGIONS, Builder

            spec = SCENARIOS[args.scenario]
            t0 = time.perf_counter()
            builder = Builder(spec.name, args.seed, DEFAULT_START, args.days * 86_400.0,
                              REGIONS[spec.region])  # fmt: skip
            spec.build(builder, 1.0)
            sim = Simulation(builder.world())
            partial = feed.with_name(feed.name.replace(".nmea.gz", ".partial.nmea.gz"))
            sim.write(partial)  # renamed once whole: an interrupted run starts again
            partial.rename(feed)
            print(f"simulated {args.days} days ({sim.vessels:,} vessels, "
                  f"{sim.stats.sentences:,} sentences) in {time.perf_counter() - t0:.0f} s",
                  file=sys.stderr)  # fmt: skip
        ingested, peak, seconds = _cli("--data-dir", str(data), "ingest", str(feed))
        print(f"ingested in {seconds:.0f} s (peak {peak['peak_mb']:,.0f} MB): "
              f"{json.dumps(ingested)[:300]}", file=sys.stderr)  # fmt: skip
    from setu.events.shore import load_shore

    load_shore(data / "cache")
    found, peak, seconds = _cli("--data-dir", str(data), "events", "detect")
    positions = found["positions"]
    verdict = "meets" if peak["peak_mb"] <= MONTH_BAR_MB else "misses"
    print(f"\nsetu events detect over {args.days} days of {args.scenario!r} (seed {args.seed}), "
          "one process, by day and batch of vessels")  # fmt: skip
    print(f"{'days':>5} {'positions':>12} {'seconds':>9} {'pos/s':>9} {'peak MB':>8} {'events':>8}")
    print(f"{args.days:>5} {positions:>12,} {seconds:>9.0f} {positions / seconds:>9,.0f} "
          f"{peak['peak_mb']:>8,.0f} {found['events']:>8,}")  # fmt: skip
    print(f"events by type: {found['by_type']}")
    print(f"peak {peak['peak_mb'] / 1024:.1f} GB ({verdict} the bar <= {MONTH_BAR_MB // 1024} GB)")


def main() -> None:
    if sys.argv[1:2] == ["--run-cli"]:  # subprocess body of _cli: the rest is a setu command
        _run_cli(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="large")
    parser.add_argument("--scenario-module", default=None)
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--days", type=int, default=None, help="multi-day run instead of scales")
    parser.add_argument("--data", type=Path, default=None, help="keep prepared inputs here")
    parser.add_argument("--no-distributed", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("POSITIONS", "STATICS", "CACHE", "CLUSTER"))
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    with tempfile.TemporaryDirectory(prefix="setu-bench-events-") as tmp:
        folder = args.data or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        if args.days:
            _days(args, folder)
        else:
            _scaling(args, folder)


if __name__ == "__main__":
    main()
