"""Throughput of AIS framing + reassembly on the DMA sample repeated (default 40 times).

Usage: ``.venv/bin/python benchmarks/frame.py [repeat] [chunk_mib]``. Prints lines/s and
messages/s, excluding Numba compilation (one warm-up run first; the kernels are cached on disk).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from setu.ais.reassembly import Reassembler
from setu.ais.sentences import FrameCarry, frame_chunk

SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "ais" / "dma"
SAMPLE = SAMPLE / "AisAbnormal" / "ais-sample.txt"


def run(buf: bytes, chunk_bytes: int) -> tuple[int, int, float]:
    """Frame and reassemble ``buf`` in line-aligned chunks; (lines, messages, seconds)."""
    start = time.perf_counter()
    reassembler = Reassembler()
    carry: FrameCarry | None = None
    line_no = 1
    lines = messages = pos = 0
    while pos < len(buf):
        end = len(buf)
        if pos + chunk_bytes < len(buf):
            end = buf.rfind(b"\n", pos, pos + chunk_bytes) + 1 or len(buf)
        framed = frame_chunk(buf[pos:end], first_line_no=line_no, carry=carry)
        batch, _rejects = reassembler.push(framed)
        carry, line_no = framed.carry, framed.last_line_no + 1
        lines += framed.lines
        messages += len(batch)
        pos = end
    reassembler.flush()
    return lines, messages, time.perf_counter() - start


def main() -> None:
    repeat = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    chunk_mib = float(sys.argv[2]) if len(sys.argv) > 2 else 4.0
    sample = SAMPLE.read_bytes()
    run(sample, 1 << 20)  # warm-up: loads (or compiles) the Numba kernels
    buf = sample * repeat
    best = min((run(buf, int(chunk_mib * (1 << 20))) for _ in range(3)), key=lambda r: r[2])
    lines, messages, seconds = best
    print(f"{lines:,} lines, {messages:,} messages in {seconds:.3f} s (best of 3)")
    print(f"{lines / seconds / 1e6:.2f} M lines/s, {messages / seconds / 1e6:.2f} M messages/s")


if __name__ == "__main__":
    main()
