"""Maritime Identification Digits (MID) → flag state.

The MID is the three-digit code (201–775) that the ITU allocates to an administration or
geographical area (ITU Radio Regulations Appendix 43, Table 1, kept current in the ITU MARS
"Table of Maritime Identification Digits"). The allocation is declared once, in the package data
file ``mid_table.csv`` (columns ``mid,iso2,flag``); everything here is derived from it.

Where the MID sits inside a Maritime Mobile Service Identity depends on the kind of station
(Recommendation ITU-R M.585-9, Annexes 1–4); :mod:`setu.ais.identity` owns those formats (and
checks MIDs against this table), and this module asks it for the MID of each MMSI. Identities
without an MID — AIS-SART (``970``), man-overboard devices (``972``) and EPIRB-AIS (``974``),
which carry a manufacturer id instead — and invalid identities have no flag.

An MMSI held as an integer loses its leading zeros: a 7-digit integer is a coast station
``00MIDXXXX`` and an 8-digit integer a group call ``0MIDXXXXX`` (see :mod:`setu.ais.identity`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import pyarrow as pa

from setu.errors import ConfigError

_TABLE_FILE = "mid_table.csv"


@dataclass(frozen=True, slots=True)
class Flag:
    """The flag state an MID is allocated to: ``iso2`` is ISO 3166-1 alpha-2, ``name`` as ITU
    gives it (short form; territories as ``"Territory (Country)"``)."""

    mid: int
    iso2: str
    name: str


@cache
def mid_table() -> dict[int, Flag]:
    """Every allocated MID and its flag, read once from ``mid_table.csv``."""
    text = resources.files("setu.ais").joinpath(_TABLE_FILE).read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    table: dict[int, Flag] = {}
    for row in rows:
        mid = int(row["mid"])
        if mid in table or not 201 <= mid <= 775 or len(row["iso2"]) != 2:
            raise ConfigError(
                f"{_TABLE_FILE}: bad or duplicate row for MID {row['mid']}; "
                "reinstall setu to restore the packaged table"
            )
        table[mid] = Flag(mid=mid, iso2=row["iso2"], name=row["flag"])
    return table


def flag_for_mid(mid: int) -> Flag | None:
    """The flag an MID is allocated to, or None when the ITU has not allocated it."""
    return mid_table().get(mid)


def flag_of(mmsi: int) -> Flag | None:
    """The flag state of an MMSI, or None when it carries no (allocated) MID.

    >>> flag_of(419000001).name
    'India'
    >>> flag_of(2191000).name  # 002191000, a Danish coast station
    'Denmark'
    >>> flag_of(970012345) is None  # AIS-SART: manufacturer id, no MID
    True
    """
    from setu.ais.identity import mid_of  # identity imports this module's table at load time

    mid = mid_of(mmsi)
    return None if mid is None else flag_for_mid(mid)


@cache
def _lookup() -> tuple[np.ndarray, pa.Array, pa.Array]:
    """Index of each MID 0–999 into the flag columns (-1: not allocated), and the columns."""
    flags = list(mid_table().values())
    index = np.full(1000, -1, dtype=np.int32)
    index[[f.mid for f in flags]] = np.arange(len(flags), dtype=np.int32)
    index.setflags(write=False)
    iso2 = pa.array([f.iso2 for f in flags], pa.string())
    names = pa.array([f.name for f in flags], pa.string())
    return index, iso2, names


def flags_of(mmsi: np.ndarray | pa.Array | pa.ChunkedArray) -> pa.Table:
    """Flag of every MMSI, vectorised: a table with one row per input value and columns
    ``mid`` (uint16), ``flag_iso2`` and ``flag`` (strings), all null where :func:`flag_of` is None.

    Null inputs give null rows. Integer input only (NumPy or Arrow).
    """
    from setu.ais.identity import mids_of  # identity imports this module's table at load time

    mids, present = mids_of(mmsi)
    index, iso2, names = _lookup()
    row = np.where(present, index[np.where(present, mids, 0)], -1)
    has_flag = row >= 0
    take = pa.array(row, pa.int32(), mask=~has_flag)
    return pa.table(
        {
            "mid": pa.array(mids.astype(np.uint16), pa.uint16(), mask=~has_flag),
            "flag_iso2": iso2.take(take),
            "flag": names.take(take),
        }
    )


__all__ = ["Flag", "flag_for_mid", "flag_of", "flags_of", "mid_table"]
