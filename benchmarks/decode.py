"""Decode throughput: setu against pyais (and aiscat when installed), file to Parquet.

Builds a file of ``--repeat`` copies of the DMA sample (``../shared/data/ais/dma/AisAbnormal/
ais-sample.txt``, 26,146 AIS sentences per copy) in a temporary directory, then runs each decoder
in its own subprocess (so peak memory is measured separately) on one core:

- setu: file → ``frame_chunk`` + ``Reassembler`` in chunks → ``decode_batch`` → one Parquet
  file per family (``pyarrow.parquet.ParquetWriter``); Numba compile time is excluded by a warm-up
  on the first lines of the sample before the clock starts;
- pyais: ``pyais.FileReaderStream`` → ``decode().asdict()`` → the same four families as Arrow
  tables (``pa.Table.from_pylist``; rare types as a JSON column) → Parquet;
- aiscat (GPL-3.0 C++ peer) when ``aiscat`` is on PATH: file → JSON lines, timed as is.

Prints messages per second for each, setu's ratio to each peer, and setu's peak RSS.

    python benchmarks/decode.py --repeat 40        # the 1M-sentence run
    python benchmarks/decode.py --lines 20000      # a quick run on the first 20,000 lines
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "ais" / "dma" / "AisAbnormal" / "ais-sample.txt"
CHUNK_BYTES = 8 << 20


def build_input(directory: Path, repeat: int, lines: int | None) -> Path:
    text = SAMPLE.read_bytes()
    if not text.endswith(b"\n"):
        text += b"\n"
    path = directory / "ais-input.txt"
    with path.open("wb") as out:
        for _ in range(repeat):
            out.write(text)
    if lines is not None:
        kept = path.read_bytes().split(b"\n")[:lines]
        path.write_bytes(b"\n".join(kept) + b"\n")
    return path


def _chunks(path: Path) -> Any:
    with path.open("rb") as f:
        rest = b""
        while block := f.read(CHUNK_BYTES):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield block[:cut]
        if rest:
            yield rest + b"\n"


def run_setu(path: Path, out: Path) -> int:
    import pyarrow.parquet as pq

    from setu.ais.decode import FAMILY_SCHEMAS, decode_batch
    from setu.ais.reassembly import Reassembler
    from setu.ais.sentences import frame_chunk

    warm = b"".join(SAMPLE.read_bytes().splitlines(keepends=True)[:3000])
    decode_batch(Reassembler().push(frame_chunk(warm))[0])  # compile outside the clock

    writers = {f: pq.ParquetWriter(out / f"{f}.parquet", s) for f, s in FAMILY_SCHEMAS.items()}
    reassembler, carry, line_no, messages = Reassembler(), None, 1, 0
    stages = dict.fromkeys(("read+frame+reassemble", "decode", "parquet"), 0.0)
    start = tick = time.perf_counter()
    for buf in _chunks(path):
        framed = frame_chunk(buf, first_line_no=line_no, carry=carry)
        carry, line_no = framed.carry, framed.last_line_no + 1
        batch, _ = reassembler.push(framed)
        tick = _lap(stages, "read+frame+reassemble", tick)
        result = decode_batch(batch)
        messages += len(batch) - result.rejects.num_rows
        tick = _lap(stages, "decode", tick)
        for family, table in result.tables.items():
            writers[family].write_table(table)
        tick = _lap(stages, "parquet", tick)
    reassembler.flush()
    for writer in writers.values():
        writer.close()
    _lap(stages, "parquet", tick)
    return _report(messages, time.perf_counter() - start, stages)


def _lap(stages: dict[str, float], name: str, tick: float) -> float:
    now = time.perf_counter()
    stages[name] += now - tick
    return now


_PYAIS_FAMILY = {1: "positions", 2: "positions", 3: "positions", 18: "positions",
                 19: "positions", 27: "positions", 5: "statics", 24: "statics",
                 4: "base_stations", 11: "base_stations"}  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    return int(value) if hasattr(value, "value") and isinstance(value, int) else value


def run_pyais(path: Path, out: Path) -> int:
    import pyais
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows: dict[str, list[dict[str, Any]]] = {"other": []}
    start = time.perf_counter()
    messages = 0
    stages = dict.fromkeys(("read+decode+asdict", "arrow+parquet"), 0.0)
    for msg in pyais.FileReaderStream(str(path)):
        try:
            fields = msg.decode().asdict()
        except Exception:  # pyais raises on undecodable messages; setu counts them as rejects
            continue
        messages += 1
        family = _PYAIS_FAMILY.get(fields["msg_type"], "other")
        plain = {k: _plain(v) for k, v in fields.items()}
        if family == "other":
            plain = {"msg_type": plain["msg_type"], "fields_json": json.dumps(plain, default=str)}
        rows.setdefault(family, []).append(plain)
    tick = _lap(stages, "read+decode+asdict", start)
    for family, records in rows.items():
        if records:
            pq.write_table(pa.Table.from_pylist(records), out / f"pyais-{family}.parquet")
    _lap(stages, "arrow+parquet", tick)
    return _report(messages, time.perf_counter() - start, stages)


def run_aiscat(path: Path, out: Path) -> int:
    exe = shutil.which("aiscat")
    assert exe is not None
    start = time.perf_counter()
    with path.open("rb") as src, (out / "aiscat.jsonl").open("wb") as dst:
        subprocess.run([exe, "-j"], stdin=src, stdout=dst, check=True)
    seconds = time.perf_counter() - start
    messages = sum(1 for _ in (out / "aiscat.jsonl").open("rb"))
    return _report(messages, seconds)


def _report(messages: int, seconds: float, stages: dict[str, float] | None = None) -> int:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = {"messages": messages, "seconds": seconds, "peak_rss_kb": peak_kb}
    print(json.dumps({**report, "stages": stages or {}}))
    return 0


WORKERS = {"setu": run_setu, "pyais": run_pyais, "aiscat": run_aiscat}


def _spawn(worker: str, path: Path, out: Path) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", worker, "--file", str(path), "--out", str(out)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="copies of the DMA sample")
    parser.add_argument("--lines", type=int, default=None, help="keep only the first N lines")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return WORKERS[args.worker](args.file, args.out)
    with tempfile.TemporaryDirectory(prefix="setu-bench-") as tmp:
        directory = Path(tmp)
        repeat = args.repeat if args.lines is None else max(1, args.lines // 80_000 + 1)
        path = build_input(directory, repeat, args.lines)
        size_mb = path.stat().st_size / 1e6
        print(f"input: {path.name}, {size_mb:.0f} MB, {repeat} x {SAMPLE.name}")
        results = {}
        for name in ("setu", "pyais", "aiscat"):
            if name == "aiscat" and shutil.which("aiscat") is None:
                print("aiscat: not installed (optional GPL-3.0 peer), skipped")
                continue
            (directory / name).mkdir()
            results[name] = _spawn(name, path, directory / name)
            r = results[name]
            rate = r["messages"] / r["seconds"]
            print(f"{name:7s} {r['messages']:>9,d} msgs {r['seconds']:7.2f} s {rate:>12,.0f} msg/s"
                  f"  peak RSS {r['peak_rss_kb'] / 1024:7.0f} MB")  # fmt: skip
            for stage, seconds in r["stages"].items():
                print(
                    f"        {stage:24s} {seconds:6.2f} s  ({r['messages'] / seconds:,.0f} msg/s)"
                )
        setu_rate = results["setu"]["messages"] / results["setu"]["seconds"]
        for name, r in results.items():
            if name != "setu":
                print(f"setu / {name}: {setu_rate / (r['messages'] / r['seconds']):.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
