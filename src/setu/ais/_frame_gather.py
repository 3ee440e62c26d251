"""Numba helpers that turn framed sentences into the contiguous buffers of a PayloadBatch."""

from __future__ import annotations

import numpy as np

from setu.ais._frame_fields import kernel


@kernel
def copy_ranges(src, starts, ends, dst, dst_offsets, rows):
    """Copy ``src[starts[j]:ends[j]]`` to ``dst`` at ``dst_offsets[rows[j]]`` for every ``j``."""
    for j in range(len(rows)):
        r = rows[j]
        o = dst_offsets[r]
        s = starts[j]
        for k in range(ends[j] - s):
            dst[o + k] = src[s + k]


def gather_payloads(
    single_src: np.ndarray,
    single_starts: np.ndarray,
    single_ends: np.ndarray,
    multi_src: np.ndarray,
    multi_starts: np.ndarray,
    multi_ends: np.ndarray,
    is_multi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate payloads in output order: (payload uint8, offsets int64 of length n+1).

    Row ``r`` of the output is the next multi-part payload when ``is_multi[r]``, else the next
    single-sentence payload; each kind keeps its own order.
    """
    n = len(is_multi)
    lengths = np.empty(n, np.int64)
    multi_rows = np.flatnonzero(is_multi)
    single_rows = np.flatnonzero(~is_multi) if len(multi_rows) else np.arange(n)
    lengths[single_rows] = single_ends - single_starts
    lengths[multi_rows] = multi_ends - multi_starts
    offsets = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    payload = np.empty(int(offsets[-1]), np.uint8)
    copy_ranges(single_src, single_starts, single_ends, payload, offsets, single_rows)
    if len(multi_rows):
        copy_ranges(multi_src, multi_starts, multi_ends, payload, offsets, multi_rows)
    return payload, offsets
