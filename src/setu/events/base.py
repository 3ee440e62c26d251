"""The detector protocol and helpers shared by the detectors.

A detector is a small class: its parameters come in the constructor (a frozen dataclass config
whose defaults cite their sources), the work is done in one ``detect`` method that takes
:class:`~setu.tracks.Tracks` and returns :class:`~setu.events.model.Event` records.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
import polars as pl

if TYPE_CHECKING:
    from setu.events.model import Event
    from setu.tracks import Tracks

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@runtime_checkable
class Detector(Protocol):
    """Finds one kind of behaviour in tracks."""

    name: str

    def detect(self, tracks: Tracks) -> list[Event]: ...


def utc_from_us(value: int | np.integer[Any]) -> datetime:
    """A timezone-aware UTC datetime from microseconds since the epoch."""
    return _EPOCH + timedelta(microseconds=int(value))


def parameters_of(config: object) -> dict[str, Any]:
    """A detector config as a plain dict (stored with each event so it can be reproduced)."""
    if is_dataclass(config) and not isinstance(config, type):
        return asdict(config)
    raise TypeError("detector configs are dataclass instances")


def segment_codes(frame: pl.DataFrame) -> npt.NDArray[np.int64]:
    """Integer code per row, changing where ``segment_id`` changes (frame sorted by segment)."""
    return frame.select(pl.col("segment_id").rle_id()).to_series().to_numpy().astype(np.int64)


def runs(
    group: npt.NDArray[Any], mask: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Start and end (inclusive) row indices of maximal runs where ``mask`` is True and
    ``group`` does not change. Rows must be ordered by group, then time."""
    n = len(mask)
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    m = np.asarray(mask, dtype=bool)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = group[1:] != group[:-1]
    prev = np.zeros(n, dtype=bool)
    prev[1:] = m[:-1]
    starts = np.flatnonzero(m & (new_group | ~prev))
    nxt = np.zeros(n, dtype=bool)
    nxt[:-1] = m[1:] & ~new_group[1:]
    ends = np.flatnonzero(m & ~nxt)
    return starts.astype(np.int64), ends.astype(np.int64)


def hysteresis(
    group: npt.NDArray[Any], on: npt.NDArray[np.bool_], off: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """State per row that switches on where ``on``, off where ``off`` and otherwise keeps the
    previous row's state within the group (starting off). ``on`` wins where both hold."""
    n = len(on)
    code = np.where(on, 1, np.where(off, 0, -1)).astype(np.int8)
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = group[1:] != group[:-1]
    code = np.where(new_group & (code < 0), 0, code)
    idx = np.where(code >= 0, np.arange(n), 0)
    np.maximum.accumulate(idx, out=idx)
    return code[idx] == 1
