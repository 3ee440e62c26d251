"""Tracks + events scaling: time and peak memory at 1x, 2x, 4x traffic, and the scaling exponent.

For each traffic scale the scenario is simulated (``setu.sim``, default ``large``), written as
NMEA into a temporary directory and ingested into a MemorySink (not timed). A fresh subprocess
per scale then loads the positions (and statics), builds tracks and runs every detector; it
reports wall time and its peak RSS (``resource.getrusage``). The scaling exponent is the
least-squares slope of log(time) against log(traffic); the bar is <= 1.15 (near-linear).
The distributed run (LocalCluster, one worker process per core) at 1x is printed next to the
single-process figure.

    .venv/bin/python benchmarks/events.py [--scenario large] [--scales 1,2,4] [--seed 7]
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
BAR = 1.15


def _prepare(args: argparse.Namespace, scale: float, folder: Path) -> tuple[Path, Path | None]:
    """Positions (and statics) for one scale as Parquet files in ``folder`` (not timed)."""
    import pyarrow.parquet as pq

    positions_path = folder / f"positions-{scale:g}.parquet"
    statics_path: Path | None = folder / f"statics-{scale:g}.parquet"
    if args.scenario_module:
        sys.path.insert(0, str(HERE))
        module = importlib.import_module(args.scenario_module)
        pq.write_table(module.positions(scale, args.seed), positions_path)
        return positions_path, None
    from setu.ingest import MemorySink, ingest, sources_for
    from setu.sim import simulate

    nmea, _truth = simulate(args.scenario, seed=args.seed, scale=scale).write(
        folder / f"feed-{scale:g}.nmea"
    )
    sink = MemorySink()
    ingest(sources_for(paths=[str(nmea)]), sink)
    pq.write_table(sink.table("positions"), positions_path)
    assert statics_path is not None
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
    statics = pq.read_table(statics_arg) if statics_arg != "-" else None
    load_shore(Path(cache))
    detectors = make_detectors(statics=statics)
    started = time.perf_counter()
    if cluster == "-":
        tracks = Tracks.from_positions(positions)
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
                "positions": positions.num_rows,
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenario", default="large")
    parser.add_argument("--scenario-module", default=None)
    parser.add_argument("--scales", default="1,2,4")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-distributed", action="store_true")
    parser.add_argument("--child", nargs=4, metavar=("POSITIONS", "STATICS", "CACHE", "CLUSTER"))
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    from setu.events.shore import load_shore

    scales = [float(s) for s in args.scales.split(",")]
    with tempfile.TemporaryDirectory(prefix="setu-bench-events-") as tmp:
        folder = Path(tmp)
        load_shore(folder / "cache")
        rows = []
        for scale in scales:
            t0 = time.perf_counter()
            positions, statics = _prepare(args, scale, folder)
            print(f"prepared {scale:g}x in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
            rows.append((scale, _measure(positions, statics, folder / "cache"), positions, statics))
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
        if not args.no_distributed:
            scale, single, positions, statics = rows[0]
            dist = _measure(positions, statics, folder / "cache", "local")
            print(f"\n{scale:g}x on a LocalCluster: {dist['seconds']:.2f} s "
                  f"({dist['events']:,} events) vs single process {single['seconds']:.2f} s "
                  f"({single['events']:,} events); ratio "
                  f"{single['seconds'] / dist['seconds']:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
