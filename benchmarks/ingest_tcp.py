"""The sustained rate a live TCP ingest keeps up with, and file ingest throughput for scale.

Usage: ``.venv/bin/python benchmarks/ingest_tcp.py [--seconds S] [--max-rate N]``.

For each rate of the ramp (50k, 100k, 200k, … sentences/s, doubling) a feeder process
(:mod:`setu.ingest.feeder`) serves that many AIS type 1 sentences per second over TCP on
127.0.0.1 for a few seconds while the full pipeline (line chunking, framing, reassembly,
decoding, receive-time stamping) ingests them into a counting sink. A step is *kept up with* when
every sentence is accepted and the feeder ended no more than 0.5 s behind its schedule: TCP
backpressure from a slow reader makes its sends block, and it ends only once the reader has
seen the end of the stream, so the lag covers the reader catching up. The ramp stops at the
first step that fails; "achieved/s" shows when the feeder itself is the limit. One warm-up run
first (Numba kernels, imports).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from setu.ingest import FileSource, IngestSummary, TcpSource, ingest

SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ais" / "dma"
SAMPLE = SAMPLE / "AisAbnormal" / "ais-sample.txt"
MAX_LAG_S = 0.5


class CountingSink:
    """Counts accepted rows (keeps nothing, so memory stays flat at any rate)."""

    def __init__(self) -> None:
        self.rows = 0

    def write(self, tables: Mapping[str, pa.Table], rejects: pa.Table) -> None:
        self.rows += sum(t.num_rows for t in tables.values())


def step(rate: int, seconds: float) -> dict[str, float]:
    """One step of the ramp at ``rate`` sentences/s; returns what was measured."""
    count = int(rate * seconds)
    feeder = ["-m", "setu.ingest.feeder", "tcp", "--port", "0"]
    proc = subprocess.Popen(
        [sys.executable, *feeder, "--rate", str(rate), "--count", str(count)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline().split()[1])
    sink = CountingSink()
    stop = threading.Event()
    result: list[IngestSummary] = []
    runner = threading.Thread(
        target=lambda: result.append(ingest([TcpSource("127.0.0.1", port)], sink, stop=stop))
    )
    runner.start()
    out, _ = proc.communicate(timeout=seconds * 20 + 30)
    report = json.loads(out.strip().splitlines()[-1])
    deadline = time.monotonic() + 30
    while sink.rows < count and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    runner.join(30)
    return {
        "rate": rate,
        "sent": report["sent"],
        "accepted": sink.rows,
        "lag_s": report["lag_s"],
        "achieved": report["sent"] / max(report["elapsed_s"], 1e-9),
    }


def file_throughput(repeat: int = 20) -> tuple[int, float]:
    """Messages/s of the same pipeline reading the DMA sample repeated from a file."""
    import tempfile

    data = SAMPLE.read_bytes() * repeat
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "feed.txt"
        path.write_bytes(data)
        start = time.perf_counter()
        summary = ingest([FileSource(path)], CountingSink())
        return summary.messages, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per ramp step")
    parser.add_argument("--max-rate", type=int, default=3_200_000, help="highest rate tried")
    args = parser.parse_args()
    seconds, max_rate = args.seconds, args.max_rate
    step(20_000, 0.5)  # warm-up: Numba kernels, imports
    if SAMPLE.is_file():
        messages, elapsed = file_throughput()
        print(f"file ingest (DMA sample x20): {messages / elapsed:,.0f} msg/s ({messages:,} msgs)")
    print(f"{'rate/s':>10} {'achieved/s':>11} {'sent':>10} {'accepted':>10} {'lag s':>7}")
    kept = 0
    rate = 50_000
    while rate <= max_rate:
        r = step(rate, seconds)
        ok = r["accepted"] == r["sent"] and r["lag_s"] <= MAX_LAG_S
        print(
            f"{rate:>10,} {r['achieved']:>11,.0f} {r['sent']:>10,} {r['accepted']:>10,} "
            f"{r['lag_s']:>7.2f}  {'ok' if ok else 'FELL BEHIND'}"
        )
        if not ok:
            break
        kept = rate
        rate *= 2
    print(f"sustained TCP ingest rate kept up with: {kept:,} msg/s" if kept else "none kept up")


if __name__ == "__main__":
    main()
