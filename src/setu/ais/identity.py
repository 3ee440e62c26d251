"""What an MMSI identifies, and whether an IMO number is well formed.

MMSI formats (Recommendation ITU-R M.585-9, *Assignment and use of identities in the maritime
mobile service*, Annexes 1–4). An MMSI is nine digits; ``MID`` is an allocated Maritime
Identification Digits code (:mod:`setu.ais.mid`), ``X`` any digit:

=====================  ===================  ================================================
kind                   format               note
=====================  ===================  ================================================
``ship``               ``MIDXXXXXX``        first digit 2–7
``group``              ``0MIDXXXXX``        group call of ships
``coast_station``      ``00MIDXXXX``        coast stations, incl. AIS base stations
``sar_aircraft``       ``111MIDXXX``        search-and-rescue aircraft
``handheld``           ``8MIDXXXXX``        handheld VHF transceivers with DSC and GNSS
``craft_associated``   ``98MIDXXXX``        craft associated with a parent ship (tenders…)
``aid_to_navigation``  ``99MIDXXXX``        AIS aids to navigation, physical or virtual
``sart``               ``970XXYYYY``        AIS-SART; XX manufacturer id, YYYY serial
``mob``                ``972XXYYYY``        AIS man-overboard device
``epirb``              ``974XXYYYY``        EPIRB-AIS
``invalid``            anything else        see the rules below
=====================  ===================  ================================================

Leading zeros: AIS carries the MMSI as a 30-bit integer, so the zeros are lost. An integer of
7 digits (1,000,000–9,999,999) is read as ``00MIDXXXX`` (coast station) and one of 8 digits
(10,000,000–99,999,999) as ``0MIDXXXXX`` (group); smaller ones would need an MID starting with 0.

An MMSI is ``invalid`` when

1. it is negative or above 999,999,999 (not nine digits), or
2. its leading digits match none of the formats above (e.g. ``1…`` other than ``111``, ``96…``,
   ``971…``, ``975…``, an MID position starting with 0, 1, 8 or 9), or
3. the three digits in its MID position are not allocated in the ITU MID table (e.g. ``217``,
   ``123``), or
4. it is one of the placeholder numbers unconfigured transponders are known to send
   (:data:`PLACEHOLDER_MMSIS`: 0, 1193046 = 0x123456, 123456789, 987654321 and the nine
   repeated-digit numbers 111111111 … 999999999), whatever rules 1–3 say.

IMO numbers (IMO Resolution A.1117(30), *IMO Ship Identification Number Scheme*, made mandatory
by SOLAS regulation XI-1/3): seven digits, the last a check digit equal to the sum of the first
six weighted 7, 6, 5, 4, 3, 2, modulo 10 (9074729: 9·7+0·6+7·5+4·4+7·3+2·2 = 139 → 9).

May import NumPy, PyArrow, :mod:`setu.ais.mid` and :mod:`setu.errors`.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cache

import numpy as np
import pyarrow as pa

from setu.ais.mid import mid_table
from setu.errors import ValidationError


class MmsiKind(StrEnum):
    """The kind of station an MMSI identifies (ITU-R M.585-9)."""

    SHIP = "ship"
    GROUP = "group"
    COAST_STATION = "coast_station"
    SAR_AIRCRAFT = "sar_aircraft"
    AID_TO_NAVIGATION = "aid_to_navigation"
    CRAFT_ASSOCIATED = "craft_associated"
    HANDHELD = "handheld"
    SART = "sart"
    MOB = "mob"
    EPIRB = "epirb"
    INVALID = "invalid"


PLACEHOLDER_MMSIS: frozenset[int] = frozenset(
    {0, 0x123456, 123_456_789, 987_654_321} | {d * 111_111_111 for d in range(1, 10)}
)
"""Numbers seen from unconfigured transponders; invalid even where a format would accept them
(e.g. 987654321 reads as ``98`` + MID 765, 555555555 as a ship of MID 555)."""

_PLACEHOLDER_ARRAY = np.array(sorted(PLACEHOLDER_MMSIS), dtype=np.int64)
_KINDS = tuple(MmsiKind)
_INVALID_CODE = _KINDS.index(MmsiKind.INVALID)
_KIND_NAMES = pa.array([k.value for k in _KINDS], pa.string())

# Prefix rules on the nine digits, tried in order: (prefix, kind, offset of the MID or -1).
_PREFIX_RULES: tuple[tuple[str, MmsiKind, int], ...] = (
    ("00", MmsiKind.COAST_STATION, 2),
    ("0", MmsiKind.GROUP, 1),
    ("111", MmsiKind.SAR_AIRCRAFT, 3),
    ("8", MmsiKind.HANDHELD, 1),
    ("970", MmsiKind.SART, -1),
    ("972", MmsiKind.MOB, -1),
    ("974", MmsiKind.EPIRB, -1),
    ("98", MmsiKind.CRAFT_ASSOCIATED, 2),
    ("99", MmsiKind.AID_TO_NAVIGATION, 2),
)

# The same formats as integer ranges [low, high) with the MID as (mmsi // divisor) % 1000
# (divisor 0: no MID). Leading zeros are implicit in the ranges.
_RANGE_RULES: tuple[tuple[int, int, MmsiKind, int], ...] = (
    (0, 10_000_000, MmsiKind.COAST_STATION, 10_000),
    (10_000_000, 100_000_000, MmsiKind.GROUP, 100_000),
    (111_000_000, 112_000_000, MmsiKind.SAR_AIRCRAFT, 1_000),
    (200_000_000, 800_000_000, MmsiKind.SHIP, 1_000_000),
    (800_000_000, 900_000_000, MmsiKind.HANDHELD, 100_000),
    (970_000_000, 971_000_000, MmsiKind.SART, 0),
    (972_000_000, 973_000_000, MmsiKind.MOB, 0),
    (974_000_000, 975_000_000, MmsiKind.EPIRB, 0),
    (980_000_000, 990_000_000, MmsiKind.CRAFT_ASSOCIATED, 10_000),
    (990_000_000, 1_000_000_000, MmsiKind.AID_TO_NAVIGATION, 10_000),
)


def _parse(mmsi: int) -> tuple[MmsiKind, int | None]:
    """Kind and MID (None for kinds without one) of one MMSI, by its nine digits."""
    if mmsi in PLACEHOLDER_MMSIS or not 0 <= mmsi <= 999_999_999:
        return MmsiKind.INVALID, None
    digits = f"{mmsi:09d}"
    kind, at = MmsiKind.SHIP, 0
    for prefix, rule_kind, mid_at in _PREFIX_RULES:
        if digits.startswith(prefix):
            kind, at = rule_kind, mid_at
            break
    else:
        if digits[0] not in "234567":
            return MmsiKind.INVALID, None
    if at < 0:
        return kind, None
    mid = int(digits[at : at + 3])
    return (kind, mid) if mid in mid_table() else (MmsiKind.INVALID, None)


def _as_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValidationError(f"an MMSI is an integer, got {value!r}; pass int(mmsi)")
    return int(value)


def mmsi_kind(mmsi: int) -> MmsiKind:
    """The kind of station ``mmsi`` identifies; ``MmsiKind.INVALID`` when it is none.

    >>> mmsi_kind(419000001), mmsi_kind(2191000), mmsi_kind(970012345)
    (<MmsiKind.SHIP: 'ship'>, <MmsiKind.COAST_STATION: 'coast_station'>, <MmsiKind.SART: 'sart'>)
    """
    return _parse(_as_int(mmsi))[0]


def mid_of(mmsi: int) -> int | None:
    """The allocated MID inside a valid MMSI; None for SART/MOB/EPIRB and invalid ones."""
    return _parse(_as_int(mmsi))[1]


def _int64_and_nulls(
    values: np.ndarray | pa.Array | pa.ChunkedArray,
) -> tuple[np.ndarray, np.ndarray]:
    """Integer input as int64 (nulls as 0) and its null mask; out-of-int64 values go negative."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        if not pa.types.is_integer(values.type):
            raise ValidationError(f"expected an integer array, got {values.type}; cast it first")
        nulls = values.is_null().to_numpy(zero_copy_only=False)
        array = values.fill_null(0).to_numpy(zero_copy_only=False)
    else:
        array = np.asarray(values)
        if array.dtype == np.bool_ or not np.issubdtype(array.dtype, np.integer):
            raise ValidationError(f"expected an integer array, got {array.dtype}; cast it first")
        nulls = np.zeros(array.shape, dtype=bool)
    if array.dtype == np.uint64:
        array = np.minimum(array, np.uint64(2**62))
    return array.astype(np.int64, copy=False).reshape(-1), nulls.reshape(-1)


@cache
def _allocated() -> np.ndarray:
    """True at every allocated MID, indexed 0–999 (read-only)."""
    allocated = np.zeros(1000, dtype=bool)
    allocated[list(mid_table())] = True
    allocated.setflags(write=False)
    return allocated


def _classify(mmsi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kind codes (index into :class:`MmsiKind`) and MIDs (-1: none) of int64 MMSIs."""
    kind = np.full(mmsi.shape, _INVALID_CODE, dtype=np.int8)
    mid = np.full(mmsi.shape, -1, dtype=np.int32)
    for low, high, rule_kind, divisor in _RANGE_RULES:
        hit = (mmsi >= low) & (mmsi < high)
        kind[hit] = _KINDS.index(rule_kind)
        if divisor:
            mid[hit] = (mmsi[hit] // divisor) % 1000
    bad_mid = (mid >= 0) & ~_allocated()[np.maximum(mid, 0)]
    invalid = bad_mid | np.isin(mmsi, _PLACEHOLDER_ARRAY)
    kind[invalid] = _INVALID_CODE
    mid[invalid] = -1
    return kind, mid


def mmsi_kinds(mmsi: np.ndarray | pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`mmsi_kind` of every value, vectorised: a string array (null where the input is)."""
    values, nulls = _int64_and_nulls(mmsi)
    kind, _ = _classify(values)
    return _KIND_NAMES.take(pa.array(kind.astype(np.int32), pa.int32(), mask=nulls))


def mids_of(mmsi: np.ndarray | pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`mid_of` vectorised: MIDs (int32, -1 where none) and a mask of where there is one."""
    values, nulls = _int64_and_nulls(mmsi)
    _, mid = _classify(values)
    present = (mid >= 0) & ~nulls
    return np.where(present, mid, -1).astype(np.int32), present


_IMO_WEIGHTS = (7, 6, 5, 4, 3, 2)


def imo_valid(imo: int | None) -> bool:
    """True when ``imo`` is a seven-digit IMO number whose check digit holds (0 = not available,
    None and anything else: False).

    >>> imo_valid(9074729), imo_valid(9074728)
    (True, False)
    """
    if imo is None or isinstance(imo, bool) or not 1_000_000 <= imo <= 9_999_999:
        return False
    digits = [int(c) for c in str(int(imo))]
    return sum(d * w for d, w in zip(digits[:6], _IMO_WEIGHTS, strict=True)) % 10 == digits[6]


def imo_valid_array(imo: np.ndarray | pa.Array | pa.ChunkedArray) -> pa.Array:
    """:func:`imo_valid` of every value, vectorised: a boolean array, False where null."""
    values, nulls = _int64_and_nulls(imo)
    checksum = np.zeros(values.shape, dtype=np.int64)
    for position, weight in enumerate(_IMO_WEIGHTS):
        checksum += (values // 10 ** (6 - position)) % 10 * weight
    ok = (values >= 1_000_000) & (values <= 9_999_999) & (checksum % 10 == values % 10)
    return pa.array(ok & ~nulls, pa.bool_())


__all__ = [
    "PLACEHOLDER_MMSIS",
    "MmsiKind",
    "imo_valid",
    "imo_valid_array",
    "mid_of",
    "mids_of",
    "mmsi_kind",
    "mmsi_kinds",
]
