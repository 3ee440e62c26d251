"""Decode throughput: setu against pyais and aiscat, file to Parquet, on one core.

Builds a file of ``--repeat`` copies of the DMA sample (``../shared/data/ais/dma/AisAbnormal/
ais-sample.txt``: 80,246 lines, 26,077 AIS messages per copy) in a temporary directory, then runs
each decoder in its own subprocess (so peak memory is measured separately), pinned to one CPU
(``--cpu``; ``--cpu -1`` leaves the scheduler free):

- setu: file read in chunks of the ingest size → ``frame_chunk`` → ``Reassembler`` →
  ``decode_batch`` → one Parquet file per family. Numba compile time is excluded by a warm-up on
  the sample before the clock starts.
- pyais: ``pyais.FileReaderStream`` → ``decode().asdict()`` → the same four family tables
  (``pa.Table.from_pylist`` with setu's schema under pyais' field names; rare types as a JSON
  column; columns pyais does not decode, such as the message hash, left null) → Parquet.
- aiscat (``pip install aiscat``: GPL-3.0 Python bindings of the AIS-catcher C++ decoder, with
  no command-line tool of its own; an optional benchmark peer, never a dependency of setu):
  ``aiscat.Decoder`` fed reads of the same size → dicts → the same tables → Parquet. Skipped,
  with a note, when it is not installed.

Every side writes with the settings of the maritime store (``src/setu/store/dataset.py``): zstd,
row groups of 256,000 rows, dictionary encoding on every column but those whose values rarely
repeat (times, line numbers, hashes, positions, radio; ``--dictionary all`` encodes them too),
and the system allocator. Peers get their rows in batches of 65,536 messages, so their memory
stays bounded too. The input repeats one sample, so file sizes favour dictionaries more than
real data would. On this workload Parquet encoding is markedly slower on PyArrow's default
allocator (mimalloc) than on the system's malloc, which the store therefore uses;
``--memory-pool default`` shows the difference.

Prints, per decoder, messages per second for the whole pipeline and for decoding alone (file →
Arrow tables for setu, file → dicts for the peers), the time per stage, peak RSS, and setu's
ratios to each peer. The machine's noise can move one run by 10 %: ``--runs 3`` takes the median.

    python benchmarks/decode.py                     # 40 copies: 3.2M lines, 1.04M messages
    python benchmarks/decode.py --cpu -1            # the same, not pinned
    python benchmarks/decode.py --runs 3            # median of three runs per decoder
    python benchmarks/decode.py --cpu -1 --threads  # Parquet encoded beside the decoding
    python benchmarks/decode.py --memory-pool system  # Parquet writers on malloc (see above)
    python benchmarks/decode.py --repeat 125 --peers none   # 10M lines, setu only (memory)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from importlib.util import find_spec
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT.parent / "shared" / "data" / "ais" / "dma" / "AisAbnormal" / "ais-sample.txt"
#: The ingest pipeline's read size (setu.ingest.sources.DEFAULT_CHUNK_BYTES).
CHUNK_BYTES = 4 << 20
#: Parquet settings of MaritimeStore (src/setu/store/dataset.py, ``_write_file``).
COMPRESSION = "zstd"
ROW_GROUP_ROWS = 256_000
#: Messages a peer decodes before its rows become Arrow tables.
PEER_BATCH = 65_536
#: Columns whose values rarely repeat within a row group: dictionary encoding of these costs
#: time and, once the dictionary page overflows, buys nothing (``--dictionary selective``).
#: The store's own list (src/setu/store/dataset.py), so the benchmark writes as the store does.
from setu.store.dataset import NO_DICTIONARY_COLUMNS as HIGH_CARDINALITY  # noqa: E402

PEERS = ("pyais", "aiscat")


def build_input(directory: Path, repeat: int) -> Path:
    text = SAMPLE.read_bytes()
    if not text.endswith(b"\n"):
        text += b"\n"
    path = directory / "ais-input.txt"
    with path.open("wb") as out:
        for _ in range(repeat):
            out.write(text)
    return path


def _chunks(path: Path) -> Iterator[memoryview]:
    """Whole-line chunks of about CHUNK_BYTES (the last one ends with a line break)."""
    with path.open("rb", buffering=0) as f:
        rest = b""
        while block := f.read(CHUNK_BYTES):
            block = rest + block if rest else block
            cut = block.rfind(b"\n") + 1
            rest = block[cut:]
            if cut:
                yield memoryview(block)[:cut]
        if rest:
            yield memoryview(rest + b"\n")


class FamilyWriters:
    """One Parquet file per family, written in row groups of ROW_GROUP_ROWS as the store does.

    With ``--threads``, each row group is encoded in a background thread (PyArrow releases the
    GIL) while the caller goes on decoding; at most one row group waits, so memory stays bounded.
    """

    def __init__(self, out: Path, prefix: str, args: argparse.Namespace) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        from setu.ais.decode import FAMILY_SCHEMAS

        def use_dictionary(schema: Any) -> bool | list[str]:
            return args.dictionary == "all" or [
                c for c in schema.names if c not in HIGH_CARDINALITY
            ]

        pool = None
        if args.memory_pool != "default":
            pool = getattr(pa, f"{args.memory_pool}_memory_pool")()

        self.writers = {
            family: pq.ParquetWriter(
                out / f"{prefix}-{family}.parquet",
                schema,
                compression=COMPRESSION,
                use_dictionary=use_dictionary(schema),
                memory_pool=pool,
            )
            for family, schema in FAMILY_SCHEMAS.items()
        }
        self.buffers: dict[str, list[Any]] = {family: [] for family in FAMILY_SCHEMAS}
        self.rows = dict.fromkeys(FAMILY_SCHEMAS, 0)
        self.pool = ThreadPoolExecutor(1) if args.threads else None
        self.pending: Future[None] | None = None

    def write(self, family: str, table: Any) -> None:
        self.buffers[family].append(table)
        self.rows[family] += table.num_rows
        if self.rows[family] >= ROW_GROUP_ROWS:
            self._flush(family)

    def _flush(self, family: str) -> None:
        import pyarrow as pa

        if self.rows[family]:
            table = pa.concat_tables(self.buffers[family])
            write = self.writers[family].write_table
            if self.pool is None:
                write(table, row_group_size=ROW_GROUP_ROWS)
            else:
                self._wait()
                self.pending = self.pool.submit(write, table, row_group_size=ROW_GROUP_ROWS)
        self.buffers[family], self.rows[family] = [], 0

    def _wait(self) -> None:
        if self.pending is not None:
            self.pending.result()
            self.pending = None

    def close(self) -> None:
        for family in self.writers:
            self._flush(family)
        self._wait()
        for writer in self.writers.values():
            writer.close()
        if self.pool is not None:
            self.pool.shutdown()


def _lap(stages: dict[str, float], name: str, tick: float) -> float:
    now = time.perf_counter()
    stages[name] += now - tick
    return now


def run_setu(path: Path, out: Path, args: argparse.Namespace) -> int:
    from setu.ais.decode import decode_batch
    from setu.ais.reassembly import Reassembler
    from setu.ais.sentences import frame_chunk

    decode_batch(Reassembler().push(frame_chunk(SAMPLE.read_bytes()))[0])  # compile first
    _reset_peak_rss()  # the compiler's memory is not the pipeline's

    writers = FamilyWriters(out, "setu", args)
    reassembler, carry, line_no, messages = Reassembler(), None, 1, 0
    stages = dict.fromkeys(("read", "frame+reassemble", "decode", "parquet"), 0.0)
    start = tick = time.perf_counter()
    for buf in _chunks(path):
        tick = _lap(stages, "read", tick)
        framed = frame_chunk(buf, first_line_no=line_no, carry=carry)  # type: ignore[arg-type]
        carry, line_no = framed.carry, framed.last_line_no + 1
        batch, _ = reassembler.push(framed)
        tick = _lap(stages, "frame+reassemble", tick)
        result = decode_batch(batch)
        messages += len(batch) - result.rejects.num_rows
        tick = _lap(stages, "decode", tick)
        for family, table in result.tables.items():
            writers.write(family, table)
        tick = _lap(stages, "parquet", tick)
    reassembler.flush()
    writers.close()
    _lap(stages, "parquet", tick)
    seconds = time.perf_counter() - start
    return _report(out, messages, seconds, seconds - stages["parquet"], stages)


_FAMILY_OF = {1: "positions", 2: "positions", 3: "positions", 18: "positions",
              19: "positions", 27: "positions", 5: "statics", 24: "statics",
              4: "base_stations", 11: "base_stations"}  # fmt: skip

#: setu column -> field name of each peer (columns a peer does not decode stay null).
_COMMON = {"mmsi": ("mmsi", "mmsi"), "msg_type": ("msg_type", "type"), "repeat": ("repeat",) * 2,
           "channel": (None, "channel")}  # fmt: skip
_FIELDS: dict[str, dict[str, tuple[str | None, str | None]]] = {
    "positions": {
        "nav_status": ("status", "status"), "rot_deg_per_min": ("turn", "turn"),
        "sog_knots": ("speed", "speed"), "position_accuracy": ("accuracy", "accuracy"),
        "lon": ("lon", "lon"), "lat": ("lat", "lat"), "cog_deg": ("course", "course"),
        "heading_deg": ("heading", "heading"), "utc_second": ("second", "second"),
        "maneuver": ("maneuver", "maneuver"), "raim": ("raim", "raim"),
        "radio": ("radio", "radio"), "cs_unit": ("cs", "cs"), "display": ("display", "display"),
        "dsc": ("dsc", "dsc"), "band": ("band", "band"), "msg22": ("msg22", "msg22"),
        "assigned": ("assigned", "assigned"), "gnss": ("gnss", "gnss"),
    },
    "statics": {
        "ais_version": ("ais_version", "ais_version"), "imo": ("imo", "imo"),
        "call_sign": ("callsign", "callsign"), "ship_name": ("shipname", "shipname"),
        "ship_type": ("ship_type", "shiptype"), "to_bow_m": ("to_bow", "to_bow"),
        "to_stern_m": ("to_stern", "to_stern"), "to_port_m": ("to_port", "to_port"),
        "to_starboard_m": ("to_starboard", "to_starboard"), "epfd": ("epfd", "epfd"),
        "eta_month": ("month", None), "eta_day": ("day", None), "eta_hour": ("hour", None),
        "eta_minute": ("minute", None), "draught_m": ("draught", "draught"),
        "destination": ("destination", "destination"), "dte": ("dte", "dte"),
        "part_num": ("partno", "partno"), "vendor_id": ("vendorid", "vendorid"),
        "model": ("model", "model"), "serial": ("serial", "serial"),
        "mothership_mmsi": ("mothership_mmsi", "mothership_mmsi"),
    },
    "base_stations": {
        "year": ("year", "year"), "month": ("month", "month"), "day": ("day", "day"),
        "hour": ("hour", "hour"), "minute": ("minute", "minute"), "second": ("second", "second"),
        "position_accuracy": ("accuracy", "accuracy"), "lon": ("lon", "lon"),
        "lat": ("lat", "lat"), "epfd": ("epfd", "epfd"), "raim": ("raim", "raim"),
        "radio": ("radio", "radio"),
    },
    "other": {"fields_json": ("fields_json", "fields_json")},
}  # fmt: skip


class PeerTables:
    """Turns a peer's message dicts into setu's family tables, one batch at a time."""

    def __init__(self, peer: str) -> None:
        import pyarrow as pa

        from setu.ais.decode import FAMILY_SCHEMAS

        side = PEERS.index(peer)
        self.type_key: str = _COMMON["msg_type"][side] or "msg_type"
        self.schemas = FAMILY_SCHEMAS
        self.sources: dict[str, dict[str, str]] = {}
        self.peer_schemas: dict[str, Any] = {}
        for family, schema in FAMILY_SCHEMAS.items():
            mapping = {col: keys[side] for col, keys in {**_COMMON, **_FIELDS[family]}.items()}
            self.sources[family] = {c: k for c, k in mapping.items() if k is not None}
            self.peer_schemas[family] = pa.schema(
                [pa.field(k, schema.field(c).type) for c, k in self.sources[family].items()]
            )
        self.rows: dict[str, list[dict[str, Any]]] = {family: [] for family in FAMILY_SCHEMAS}

    def add(self, fields: dict[str, Any]) -> None:
        family = _FAMILY_OF.get(fields[self.type_key], "other")
        if family == "other":
            fields = {**fields, "fields_json": json.dumps(fields, default=str)}
        self.rows[family].append(fields)

    def drain(self) -> Iterator[tuple[str, Any]]:
        import pyarrow as pa

        for family, rows in self.rows.items():
            if not rows:
                continue
            peer = pa.Table.from_pylist(rows, schema=self.peer_schemas[family])
            schema, sources = self.schemas[family], self.sources[family]
            columns = [
                peer.column(sources[f.name]) if f.name in sources else _missing(f, len(rows))
                for f in schema
            ]
            yield family, pa.Table.from_arrays(columns, schema=schema)
            self.rows[family] = []


def _missing(field: Any, n: int) -> Any:
    """A column the peer does not decode: null, or a zero value where setu never has nulls."""
    import pyarrow as pa

    if field.nullable:
        return pa.nulls(n, field.type)
    zero = False if pa.types.is_boolean(field.type) else "" if pa.types.is_string(field.type) else 0
    return pa.repeat(pa.scalar(zero, field.type), n)


def _peer_pipeline(peer: str, messages_of: Any, out: Path, args: argparse.Namespace) -> int:
    tables, writers = PeerTables(peer), FamilyWriters(out, peer, args)
    stages = dict.fromkeys(("read+decode to dicts", "arrow+parquet"), 0.0)
    messages = pending = 0
    start = tick = time.perf_counter()
    for fields in messages_of():
        tables.add(fields)
        messages += 1
        pending += 1
        if pending == PEER_BATCH:
            tick = _lap(stages, "read+decode to dicts", tick)
            for family, table in tables.drain():
                writers.write(family, table)
            tick = _lap(stages, "arrow+parquet", tick)
            pending = 0
    tick = _lap(stages, "read+decode to dicts", tick)
    for family, table in tables.drain():
        writers.write(family, table)
    writers.close()
    _lap(stages, "arrow+parquet", tick)
    seconds = time.perf_counter() - start
    return _report(out, messages, seconds, stages["read+decode to dicts"], stages)


def run_pyais(path: Path, out: Path, args: argparse.Namespace) -> int:
    import pyais

    def messages() -> Iterator[dict[str, Any]]:
        for msg in pyais.FileReaderStream(str(path)):
            try:
                yield msg.decode().asdict()
            except Exception:  # pyais raises on what setu counts as a reject
                continue

    return _peer_pipeline("pyais", messages, out, args)


def run_aiscat(path: Path, out: Path, args: argparse.Namespace) -> int:
    import aiscat

    def messages() -> Iterator[dict[str, Any]]:
        decoder = aiscat.Decoder()
        with path.open("rb", buffering=0) as f:
            while buf := f.read(CHUNK_BYTES):  # aiscat keeps partial lines itself
                decoder.feed(buf)
                while (msg := decoder.next()) is not None:
                    yield msg

    return _peer_pipeline("aiscat", messages, out, args)


def _reset_peak_rss() -> None:
    """Start the peak RSS count afresh (Linux: writing 5 to clear_refs resets VmHWM)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss_kb() -> int:
    """VmHWM from /proc (honours a reset), else the process's maximum RSS."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _report(
    out: Path, messages: int, seconds: float, decode_s: float, stages: dict[str, float]
) -> int:
    peak_kb = _peak_rss_kb()
    parquet_bytes = sum(p.stat().st_size for p in out.glob("*.parquet"))
    report = {"messages": messages, "seconds": seconds, "decode_seconds": decode_s}
    print(json.dumps({**report, "peak_rss_kb": peak_kb, "parquet_bytes": parquet_bytes,
                      "stages": stages}))  # fmt: skip
    return 0


WORKERS = {"setu": run_setu, "pyais": run_pyais, "aiscat": run_aiscat}


def _spawn(worker: str, path: Path, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--worker", worker, "--file", str(path), "--out", str(out),
           "--cpu", str(args.cpu), "--dictionary", args.dictionary,
           "--memory-pool", args.memory_pool, *(["--threads"] if args.threads else [])]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _print_result(name: str, r: dict[str, Any]) -> None:
    n, rate = r["messages"], r["messages"] / r["seconds"]
    print(f"{name:7s} {n:>10,d} msgs {r['seconds']:7.2f} s {rate:>11,.0f} msg/s to Parquet, "
          f"{n / r['decode_seconds']:>11,.0f} msg/s decoding  "
          f"peak RSS {r['peak_rss_kb'] / 1024:5.0f} MB, "
          f"Parquet {r['parquet_bytes'] / 1e6:.1f} MB")  # fmt: skip
    for stage, seconds in r["stages"].items():
        print(f"        {stage:22s} {seconds:6.2f} s  ({n / max(seconds, 1e-9):>12,.0f} msg/s)")


def _print_ratios(results: dict[str, dict[str, Any]]) -> None:
    setu = results["setu"]
    for name, r in results.items():
        if name == "setu":
            continue
        whole = (setu["messages"] / setu["seconds"]) / (r["messages"] / r["seconds"])
        decoding = (setu["messages"] / setu["decode_seconds"]) / (
            r["messages"] / r["decode_seconds"]
        )
        print(f"setu / {name}: {whole:5.1f}x to Parquet, {decoding:5.1f}x decoding")


def _worker(args: argparse.Namespace) -> int:
    if args.cpu >= 0:
        os.sched_setaffinity(0, {args.cpu})
    return WORKERS[args.worker](args.file, args.out, args)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="copies of the DMA sample")
    parser.add_argument("--cpu", type=int, default=0, help="CPU to pin each run to; -1: none")
    parser.add_argument("--peers", default="pyais,aiscat", help="comma-separated, or 'none'")
    parser.add_argument("--runs", type=int, default=1, help="runs per decoder; the median counts")
    parser.add_argument("--memory-pool", choices=("default", "system", "jemalloc", "mimalloc"),
                        default="system", help="allocator of the Parquet writers in every "
                        "run (default: the system allocator, as the store writes)")  # fmt: skip
    parser.add_argument("--threads", action="store_true",
                        help="encode Parquet in a background thread (for --cpu -1)")  # fmt: skip
    parser.add_argument("--dictionary", choices=("all", "selective"), default="selective",
                        help="Parquet dictionary encoding: every column, or all but the "
                        "high-cardinality ones (as the store)")  # fmt: skip
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return _worker(args)
    peers = [] if args.peers == "none" else [p for p in args.peers.split(",") if p]
    if unknown := set(peers) - set(PEERS):
        parser.error(f"unknown peers {sorted(unknown)}; choose from {', '.join(PEERS)}")
    with tempfile.TemporaryDirectory(prefix="setu-bench-") as tmp:
        directory = Path(tmp)
        path = build_input(directory, args.repeat)
        size_mb = path.stat().st_size / 1e6
        lines = SAMPLE.read_bytes().count(b"\n") * args.repeat
        pin = f"pinned to CPU {args.cpu}" if args.cpu >= 0 else "not pinned"
        pin += ", Parquet in a background thread" if args.threads else ""
        pin += f", {args.memory_pool} memory pool" if args.memory_pool != "default" else ""
        print(f"input: {size_mb:.0f} MB, {args.repeat} x {SAMPLE.name} "
              f"({lines:,d} lines); {pin}; Parquet {COMPRESSION}, row groups "
              f"{ROW_GROUP_ROWS:,d}, dictionary: {args.dictionary}")  # fmt: skip
        names = []
        for name in ("setu", *peers):
            if find_spec(name) is None:
                print(f"{name}: not installed, skipped (pip install {name})")
                continue
            (directory / name).mkdir()
            names.append(name)
        # Runs alternate between decoders, so a burst of load elsewhere hits all of them alike.
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        for _ in range(max(args.runs, 1)):
            for name in names:
                runs[name].append(_spawn(name, path, directory / name, args))
        results = {}
        for name in names:
            results[name] = sorted(runs[name], key=lambda r: r["seconds"])[len(runs[name]) // 2]
            _print_result(name, results[name])
        _print_ratios(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
