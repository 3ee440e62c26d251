"""Numba kernels of the batch decoder: de-armouring, hashing and table-driven bit extraction.

The kernels know nothing about message types: :mod:`setu.ais._decode_plan` turns the layout into
per-type tables (start bit, width, signedness, scale, "not available" values) indexed by message
type, and the kernels apply them to every row of a batch in one compiled loop.
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: "no such value" sentinel in the na/na_from tables
NO_NA = np.iinfo(np.int64).max
FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)


@nb.njit(cache=True, nogil=True)
def analyse_rows(
    payload: np.ndarray, offsets: np.ndarray, fill: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One pass over the batch: 6-bit values, message type, bit count and hash per row.

    De-armouring follows ITU-R M.1371 Annex 8 / IEC 61162-1 (character - 48, minus 8 more above
    40); the hash is FNV-1a 64 of the armoured payload bytes followed by the ASCII fill-bits digit;
    the type is 0 for an empty payload.
    """
    n = offsets.shape[0] - 1
    six = np.empty(payload.shape[0], np.uint8)
    types = np.zeros(n, np.uint8)
    nbits = np.zeros(n, np.int64)
    for j in range(payload.shape[0]):
        v = np.int32(payload[j]) - 48
        if v > 40:
            v -= 8
        six[j] = v & 63
    for i in range(n):
        length = offsets[i + 1] - offsets[i]
        bits = 6 * length - np.int64(fill[i])
        nbits[i] = bits if bits > 0 else 0
        if length > 0:
            types[i] = six[offsets[i]]
    return six, types, nbits, _hashes(payload, offsets, fill)


@nb.njit(cache=True, nogil=True, inline="always")
def _fnv(h: np.uint64, payload: np.ndarray, start: int, end: int) -> np.uint64:
    for j in range(start, end):
        h = (h ^ np.uint64(payload[j])) * FNV_PRIME
    return h


@nb.njit(cache=True, nogil=True)
def _hashes(payload: np.ndarray, offsets: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """FNV-1a 64 of each row's payload and fill digit, two rows at a time.

    Each byte costs a multiply that waits for the previous one; hashing two rows in one loop
    lets the two chains overlap, which halves the time.
    """
    n = offsets.shape[0] - 1
    hashes = np.empty(n, np.uint64)
    for i in range(0, n - 1, 2):
        s1, s2, e2 = offsets[i], offsets[i + 1], offsets[i + 2]
        common = min(s2 - s1, e2 - s2)
        h1 = FNV_OFFSET
        h2 = FNV_OFFSET
        for j in range(common):
            h1 = (h1 ^ np.uint64(payload[s1 + j])) * FNV_PRIME
            h2 = (h2 ^ np.uint64(payload[s2 + j])) * FNV_PRIME
        h1 = _fnv(h1, payload, s1 + common, s2)
        h2 = _fnv(h2, payload, s2 + common, e2)
        hashes[i] = (h1 ^ np.uint64(48 + fill[i])) * FNV_PRIME
        hashes[i + 1] = (h2 ^ np.uint64(48 + fill[i + 1])) * FNV_PRIME
    if n % 2:
        h = _fnv(FNV_OFFSET, payload, offsets[n - 1], offsets[n])
        hashes[n - 1] = (h ^ np.uint64(48 + fill[n - 1])) * FNV_PRIME
    return hashes


@nb.njit(cache=True, nogil=True, inline="always")
def _bits(six: np.ndarray, base: int, start: int, width: int) -> np.int64:
    c0 = start // 6
    c1 = (start + width - 1) // 6
    acc = np.int64(0)
    for c in range(c0, c1 + 1):
        acc = (acc << 6) | np.int64(six[base + c])
    shift = (c1 + 1) * 6 - (start + width)
    return (acc >> shift) & ((np.int64(1) << width) - 1)


@nb.njit(cache=True, nogil=True)
def extract_numeric(
    six: np.ndarray,
    offsets: np.ndarray,
    nbits: np.ndarray,
    types: np.ndarray,
    rows: np.ndarray,
    starts: np.ndarray,
    widths: np.ndarray,
    signed: np.ndarray,
    na1: np.ndarray,
    na2: np.ndarray,
    na_from: np.ndarray,
    max_chars: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Raw integer value and validity of every numeric column for the given rows.

    Tables are ``[msg_type, column]``; width 0 means the type has no such field. A value is
    valid when all its bits are in the message and it is not a "not available" value. Returns
    ``raw`` int32 ``[column, row]`` (0 where absent) and ``valid`` bool ``[column, row]``. Only the
    first ``max_chars`` characters of a row are read (the end of the plan's furthest field).
    """
    ncol = starts.shape[1]
    m = rows.shape[0]
    raw = np.empty((ncol, m), np.int32)
    valid = np.empty((ncol, m), np.bool_)
    words = np.zeros(max_chars // 10 + 2, np.int64)
    for k in range(m):
        r = rows[k]
        t = types[r]
        nb_ = nbits[r]
        base = offsets[r]
        _load_words(six, base, min(offsets[r + 1] - base, max_chars), words)
        for c in range(ncol):
            w = widths[t, c]
            s = starts[t, c]
            if s < 0:
                s += nb_
            if w == 0 or s < 0 or s + w > nb_ or s + w > 6 * max_chars:
                raw[c, k] = 0
                valid[c, k] = False
                continue
            v = _word_bits(words, s, w)
            if signed[t, c] and (v >> (w - 1)) & 1:
                v -= np.int64(1) << w
            raw[c, k] = v
            valid[c, k] = not (v == na1[t, c] or v == na2[t, c] or v >= na_from[t, c])
    return raw, valid


@nb.njit(cache=True, nogil=True, inline="always")
def _load_words(six: np.ndarray, base: int, n: int, words: np.ndarray) -> None:
    """Pack ``n`` 6-bit characters into 60-bit words (10 characters each, zero padded)."""
    nw = (n + 9) // 10
    for w in range(nw):
        acc = np.int64(0)
        first = 10 * w
        for c in range(first, first + 10):
            acc = (acc << 6) | (np.int64(six[base + c]) if c < n else np.int64(0))
        words[w] = acc
    words[nw] = 0


@nb.njit(cache=True, nogil=True, inline="always")
def _word_bits(words: np.ndarray, start: int, width: int) -> np.int64:
    w0 = start // 60
    off = start - 60 * w0
    end = off + width
    if end <= 60:
        return (words[w0] >> (60 - end)) & ((np.int64(1) << width) - 1)
    hi = words[w0] & ((np.int64(1) << (60 - off)) - 1)
    return (hi << (end - 60)) | (words[w0 + 1] >> (120 - end))


@nb.njit(cache=True, nogil=True)
def extract_text(
    six: np.ndarray,
    offsets: np.ndarray,
    nbits: np.ndarray,
    types: np.ndarray,
    rows: np.ndarray,
    starts: np.ndarray,
    nchars: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Decode one 6-bit text column (start/nchars indexed by msg type) into Arrow buffers.

    Returns UTF-8 data, int32 offsets (m + 1) and validity; leading spaces and trailing ``@``
    and spaces are stripped, an empty result is null, characters cut by the end of the message
    are dropped.
    """
    m = rows.shape[0]
    total = 0
    for k in range(m):
        total += nchars[types[rows[k]]]
    data = np.empty(total, np.uint8)
    offs = np.zeros(m + 1, np.int32)
    valid = np.zeros(m, np.bool_)
    pos = 0
    for k in range(m):
        r = rows[k]
        t = types[r]
        s = starts[t]
        n = nchars[t]
        avail = (nbits[r] - s) // 6 if nbits[r] > s else 0
        if avail < n:
            n = avail
        keep = 0
        lead = -1
        for j in range(n):
            v = _bits(six, offsets[r], s + 6 * j, 6)
            ch = v + 64 if v < 32 else v
            if lead < 0 and ch == 32:
                continue
            if lead < 0:
                lead = j
            data[pos + j - lead] = ch
            if ch != 64 and ch != 32:
                keep = j - lead + 1
        pos += keep
        offs[k + 1] = pos
        valid[k] = keep > 0
    return data[:pos], offs, valid
