"""Stable 64-bit hashes over byte spans, compiled with Numba."""

from __future__ import annotations

import numpy as np
from numba import njit

FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)


@njit(cache=True, nogil=True)
def fnv1a_spans(data: np.ndarray, offsets: np.ndarray) -> np.ndarray:  # pragma: no cover - jit
    """FNV-1a 64 of ``data[offsets[i]:offsets[i+1]]`` for every i."""
    n = len(offsets) - 1
    out = np.empty(n, np.uint64)
    for i in range(n):
        h = FNV_OFFSET
        for j in range(offsets[i], offsets[i + 1]):
            h = (h ^ np.uint64(data[j])) * FNV_PRIME
        out[i] = h
    return out
