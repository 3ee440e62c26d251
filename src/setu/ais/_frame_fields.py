"""Numba parsing primitives of NMEA framing: numbers, dates, tag blocks, ``$PGHP``, AIS fields.

Every function works on a ``uint8`` view of the input and a half-open byte range ``[p, e)`` and
returns plain scalars, so the framing loop in :mod:`setu.ais._frame_scan` stays allocation-free.
Times are µs since the Unix epoch, UTC; :data:`NO_TIME` marks "unknown".
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

from setu.ais.batch import NO_TIME
from setu.ais.reasons import Reason

#: Decorator of the framing kernels. They never allocate, so they are compiled without Numba's
#: reference-counting runtime (``_nrt=False``): with it, every call that passes arrays between
#: the small helpers below pays atomic reference-count updates, which cost more than the parsing.
_KERNEL_OPTIONS: dict[str, Any] = {"cache": True, "nogil": True, "_nrt": False}
kernel = njit(**_KERNEL_OPTIONS)
#: The same for helpers of the per-line hot path, inlined into their callers.
inline_kernel = njit(**_KERNEL_OPTIONS, inline="always")

# Reject codes used inside the kernels (0 = accepted); REASON_BY_CODE maps them back.
OK = 0
R_NOT_NMEA = 1
R_NOT_AIS = 2
R_LINE_TOO_LONG = 3
R_MALFORMED = 4
R_BAD_CHECKSUM = 5
R_BAD_TAG_BLOCK = 6
R_BAD_PGHP = 7
R_BAD_PAYLOAD_CHAR = 8
R_BAD_FILL_BITS = 9
R_EMPTY_PAYLOAD = 10
R_IMPLAUSIBLE_TIME = 11

REASON_BY_CODE: tuple[Reason, ...] = (
    Reason.NOT_NMEA,  # code 0 means "not rejected"; this slot only keeps codes aligned
    Reason.NOT_NMEA,
    Reason.NOT_AIS,
    Reason.LINE_TOO_LONG,
    Reason.MALFORMED_SENTENCE,
    Reason.BAD_CHECKSUM,
    Reason.BAD_TAG_BLOCK,
    Reason.BAD_PGHP,
    Reason.BAD_PAYLOAD_CHAR,
    Reason.BAD_FILL_BITS,
    Reason.EMPTY_PAYLOAD,
    Reason.IMPLAUSIBLE_TIME,
)

#: Number of distinct talker codes: two printable ASCII characters (33..126) times VDM/VDO.
TALKER_CODES = 95 * 95 * 2

_US = 1_000_000
#: A time that was written out but cannot be right (a year past 9999, a number of seconds too
#: large for µs): later than any receive-time window, so the sentence carrying it is rejected as
#: IMPLAUSIBLE_TIME instead of falling back to another time.
TIME_OUT_OF_RANGE = np.iinfo(np.int64).max
# Seconds beyond this (the year 287,000) do not fit in µs: they are TIME_OUT_OF_RANGE.
_MAX_SECONDS = 9_000_000_000_000
# Tag block ``c:`` in milliseconds has exactly 13 digits (2001-09-09 to 2286-11-20); any other
# length is seconds. A length rule cannot turn an out-of-range number of seconds (an 11- or
# 12-digit value, years 5138 to 33658) into a plausible date, as a magnitude threshold would.
_MS_DIGITS = 13

# ITU-R M.1371 Annex 8 6-bit armour: '0'..'W' and '`'..'w'.
ARMOUR = np.zeros(256, np.bool_)
ARMOUR[48:88] = True
ARMOUR[96:120] = True
#: Bytes of a payload field: 0 armour, 2 its end (``,`` ``*`` or a backslash), 1 anything else.
PAYLOAD_CLASS = np.where(ARMOUR, 0, 1).astype(np.uint8)
PAYLOAD_CLASS[[44, 42, 92]] = 2

_HEX = np.full(256, -1, np.int16)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"abcdef"):
    _HEX[_c] = 10 + _i


@kernel
def is_digit(b: int) -> bool:
    return 48 <= b <= 57


@kernel
def parse_uint(a, p, e):
    """Digits at ``a[p:e]``: (value, end); value is -1 for no digits or more than 18."""
    v = 0
    q = p
    while q < e and 48 <= a[q] <= 57:
        v = v * 10 + (a[q] - 48)
        q += 1
    if q == p or q - p > 18:
        return -1, q
    return v, q


@kernel
def field_uint(a, p, e):
    """The whole field ``a[p:e]`` as an unsigned integer, or -1 when empty or not all digits."""
    v, q = parse_uint(a, p, e)
    if q != e:
        return -1
    return v


@inline_kernel
def days_from_civil(y, m, d):
    """Days since 1970-01-01 of a proleptic Gregorian date.

    The era-based algorithm of Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms".
    """
    if m <= 2:
        y -= 1
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


@inline_kernel
def month_days(y, m):
    if m == 2:
        leap = (y % 4 == 0 and y % 100 != 0) or y % 400 == 0
        return 29 if leap else 28
    if m == 4 or m == 6 or m == 9 or m == 11:
        return 30
    return 31


@inline_kernel
def epoch_us(y, mo, d, h, mi, s, us):
    """µs since the epoch of a UTC civil time (years 1..9999; before 1970 is negative).

    NO_TIME when the month, day, hour, minute, second or fraction is out of range (not a time);
    TIME_OUT_OF_RANGE for a year outside 1..9999 (a time, but not a possible one). Whether a
    time is plausible is decided later, against the receive-time window.
    """
    if mo < 1 or mo > 12 or d < 1 or d > month_days(y, mo):
        return NO_TIME
    if h < 0 or h > 23 or mi < 0 or mi > 59 or s < 0 or s > 60 or us < 0 or us >= _US:
        return NO_TIME
    if y < 1 or y > 9999:
        return TIME_OUT_OF_RANGE
    secs = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60 + s
    return secs * _US + us


@kernel
def parse_fraction_us(a, p, e):
    """Digits after a decimal point as µs (extra digits beyond 6 are ignored): (µs, end)."""
    us = 0
    scale = 100_000
    q = p
    while q < e and 48 <= a[q] <= 57:
        us += (a[q] - 48) * scale
        scale //= 10
        q += 1
    return us, q


@kernel
def parse_unix(a, p, e, allow_ms):
    """Unix seconds ``123[.456]`` at ``a[p:]``: (µs, end); NO_TIME when there are no digits.

    With ``allow_ms`` an integer of exactly 13 digits is milliseconds (tag block ``c:``, see
    ``_MS_DIGITS``). Seconds too large for µs give TIME_OUT_OF_RANGE.
    """
    v, q = parse_uint(a, p, e)
    if q == p:
        return NO_TIME, q
    digits = q - p
    us = 0
    if q < e and a[q] == 46 and q + 1 < e and 48 <= a[q + 1] <= 57:
        us, q = parse_fraction_us(a, q + 1, e)
    if v < 0 or v > _MAX_SECONDS:
        return TIME_OUT_OF_RANGE, q
    if allow_ms and digits == _MS_DIGITS:
        return v * 1000 + us // 1000, q
    return v * _US + us, q


@kernel
def _two(a, p):
    return (a[p] - 48) * 10 + (a[p + 1] - 48)


@kernel
def _all_digits(a, p, n):
    i = p
    while i < p + n and 48 <= a[i] <= 57:
        i += 1
    return i == p + n


@kernel
def parse_iso(a, p, e):
    """``YYYY-MM-DD[T ]hh:mm:ss[.ffffff][Z]`` (or ``hh.mm.ss`` as in tag ``T:``): (µs, end)."""
    if e - p < 19 or a[p + 4] != 45 or a[p + 7] != 45:
        return NO_TIME, p
    sep = a[p + 13]
    if (a[p + 10] != 84 and a[p + 10] != 32) or (sep != 58 and sep != 46) or a[p + 16] != sep:
        return NO_TIME, p
    for k in (0, 5, 8, 11, 14, 17):
        if not _all_digits(a, p + k, 4 if k == 0 else 2):
            return NO_TIME, p
    y = _two(a, p) * 100 + _two(a, p + 2)
    q = p + 19
    us = 0
    if q + 1 < e and a[q] == 46 and 48 <= a[q + 1] <= 57:
        us, q = parse_fraction_us(a, q + 1, e)
    if q < e and a[q] == 90:
        q += 1
    t = epoch_us(
        y, _two(a, p + 5), _two(a, p + 8), _two(a, p + 11), _two(a, p + 14), _two(a, p + 17), us
    )
    return t, q


@inline_kernel
def hex_byte(a, p, e):
    """Two hex digits at ``a[p:p+2]`` as 0..255, or -1."""
    if p + 1 >= e:
        return -1
    hi = _HEX[a[p]]
    lo = _HEX[a[p + 1]]
    if hi < 0 or lo < 0:
        return -1
    return hi * 16 + lo


@inline_kernel
def find_byte(a, p, e, b):
    """Position of the first ``b`` in ``a[p:e]``, or ``e``."""
    while p < e and a[p] != b:
        p += 1
    return p


@kernel
def parse_group(a, p, e):
    """Tag block ``g:`` value ``n-m-id``: (num, total, id), all -1 when malformed."""
    n, q = parse_uint(a, p, e)
    if n < 1 or q >= e or a[q] != 45:
        return -1, -1, -1
    m, q = parse_uint(a, q + 1, e)
    if m < 1 or n > m or q >= e or a[q] != 45:
        return -1, -1, -1
    gid = field_uint(a, q + 1, e)
    if gid < 0:
        return -1, -1, -1
    return n, m, gid


@kernel
def parse_old_group(a, k, ke, ve_start, ve):
    """IEC 61162-450 first-edition group key ``<n>G<m>`` with the id as value."""
    g = find_byte(a, k, ke, 71)
    if g == ke:
        return -1, -1, -1
    n = field_uint(a, k, g)
    m = field_uint(a, g + 1, ke)
    gid = field_uint(a, ve_start, ve)
    if n < 1 or m < n or gid < 0:
        return -1, -1, -1
    return n, m, gid


@inline_kernel
def tag_checksum(a, p, e):
    """Tag block ``\\body*hh\\`` at ``a[p]``: (close, body_end, checksum_ok).

    ``close`` is the position of the closing backslash (-1 when there is none); ``body_end`` is
    the position of ``*`` or of the closing backslash when the checksum is missing.
    """
    x = 0
    q = p + 1
    while q < e and a[q] != 42 and a[q] != 92:
        x ^= a[q]
        q += 1
    if q >= e:
        return -1, q, False
    if a[q] == 92:
        return q, q, False
    close = find_byte(a, q + 1, e, 92)
    if close >= e:
        return -1, q, False
    ok = close == q + 3 and hex_byte(a, q + 1, e) == x
    return close, q, ok
