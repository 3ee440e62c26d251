"""Distance to shore from a coarse global grid derived once from ``global-land-mask``.

``global-land-mask`` holds a 1 km (1/120°) land/ocean mask of the whole Earth (GLOBE data,
NOAA NGDC); importing it decompresses about 1 GB. Instead this module streams the mask out of the
package's ``.npz`` file row block by row block (a few MB in memory at a time), reduces it to a
0.1° grid where a cell is land when any of its 144 pixels is land, and computes for every cell the
great-circle distance from its centre to the nearest land cell centre (vector-propagation distance
transform, longitude wrapping at the antimeridian).

The result (1800 × 3600 cells, units of 100 m) is kept in memory once per process and, when a
cache directory is given, saved as ``shore_distance_v1.npy`` there (13 MB; the CLI uses
``<data_dir>/cache``), so later runs load it in milliseconds. Building takes a few seconds.

Resolution: ±8 km (half a cell diagonal at the equator) — adequate for the 20 nm and 50 nm
thresholds it serves. Lakes count as land in the source mask.
"""

from __future__ import annotations

import io
import math
import threading
import zipfile
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
from numba import njit

from setu.errors import StoreError
from setu.events.land import mask_path
from setu.tracks.geo import EARTH_RADIUS_M

CELL_DEG = 0.1
_BLOCK = 12  # 1/120° pixels per 0.1° cell
_UNIT_M = 100.0
_CACHE_NAME = "shore_distance_v1.npy"


class ShoreDistance(Protocol):
    """Anything that answers "how far from shore is this point", in metres."""

    def distance_m(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.float64]: ...


def coarse_land_grid() -> npt.NDArray[np.bool_]:
    """0.1° land grid (row 0 = northernmost band, column 0 = 180°W): True where any land."""
    from numpy.lib import format as npformat

    try:
        with zipfile.ZipFile(mask_path()) as archive, archive.open("mask.npy") as stream:
            version = npformat.read_magic(stream)
            reader = (
                npformat.read_array_header_1_0
                if version == (1, 0)
                else npformat.read_array_header_2_0
            )
            shape, _fortran, _dtype = reader(stream)
            rows, cols = int(shape[0]) // _BLOCK, int(shape[1]) // _BLOCK
            land = np.zeros((rows, cols), dtype=np.bool_)
            for r in range(rows):
                raw = stream.read(_BLOCK * int(shape[1]))
                ocean = np.frombuffer(raw, dtype=np.bool_).reshape(_BLOCK, cols, _BLOCK)
                land[r] = ~ocean.all(axis=(0, 2))  # the mask is True on the ocean
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise StoreError(
            f"cannot read the global land mask: {exc}; reinstall global-land-mask"
        ) from exc
    return land


@njit(cache=False)
def _cell_distance(i1: int, j1: int, i2: int, j2: int, rows: int, cols: int) -> float:
    lat1 = math.radians(90.0 - (i1 + 0.5) * 180.0 / rows)
    lat2 = math.radians(90.0 - (i2 + 0.5) * 180.0 / rows)
    dlon = math.radians((j2 - j1) * 360.0 / cols)
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, a)))


@njit(cache=False)
def _relax(src_i, src_j, dist, i, j, ni, nj, rows, cols):  # type: ignore[no-untyped-def]
    si = src_i[ni, nj]
    if si < 0:
        return
    sj = src_j[ni, nj]
    d = _cell_distance(i, j, si, sj, rows, cols)
    if d < dist[i, j]:
        dist[i, j] = d
        src_i[i, j] = si
        src_j[i, j] = sj


@njit(cache=False)
def _propagate(land):  # type: ignore[no-untyped-def]
    rows, cols = land.shape
    src_i = np.full((rows, cols), -1, np.int32)
    src_j = np.full((rows, cols), -1, np.int32)
    dist = np.full((rows, cols), np.inf)
    for i in range(rows):
        for j in range(cols):
            if land[i, j]:
                src_i[i, j] = i
                src_j[i, j] = j
                dist[i, j] = 0.0
    for _ in range(2):
        for i in range(rows):
            for j in range(cols):
                for di, dj in ((-1, -1), (-1, 0), (-1, 1), (0, -1)):
                    ni = i + di
                    if 0 <= ni < rows:
                        _relax(src_i, src_j, dist, i, j, ni, (j + dj) % cols, rows, cols)
            for j in range(cols - 1, -1, -1):
                _relax(src_i, src_j, dist, i, j, i, (j + 1) % cols, rows, cols)
        for i in range(rows - 1, -1, -1):
            for j in range(cols - 1, -1, -1):
                for di, dj in ((1, 1), (1, 0), (1, -1), (0, 1)):
                    ni = i + di
                    if 0 <= ni < rows:
                        _relax(src_i, src_j, dist, i, j, ni, (j + dj) % cols, rows, cols)
            for j in range(cols):
                _relax(src_i, src_j, dist, i, j, i, (j - 1) % cols, rows, cols)
    return dist


def build_distance_grid() -> npt.NDArray[np.uint16]:
    """Distance to the nearest land cell for every 0.1° cell, in units of 100 m."""
    dist = _propagate(coarse_land_grid())
    return np.minimum(np.round(dist / _UNIT_M), np.iinfo(np.uint16).max).astype(np.uint16)


class ShoreGrid:
    """Distance to shore looked up in the 0.1° grid (see the module docstring)."""

    def __init__(self, grid: npt.NDArray[np.uint16]) -> None:
        self.grid = grid
        self._rows, self._cols = grid.shape

    def distance_m(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.float64]:
        lon_a = np.asarray(lon, dtype=np.float64)
        lat_a = np.asarray(lat, dtype=np.float64)
        i = np.clip(((90.0 - lat_a) / 180.0 * self._rows).astype(np.int64), 0, self._rows - 1)
        j = np.clip(((lon_a + 180.0) / 360.0 * self._cols).astype(np.int64), 0, self._cols - 1)
        return np.asarray(self.grid[i, j], dtype=np.float64) * _UNIT_M


_LOCK = threading.Lock()
_LOADED: list[ShoreGrid] = []


def load_shore(cache_dir: Path | None = None) -> ShoreGrid:
    """The shore-distance grid: from memory, else from ``cache_dir``, else built; saved into
    ``cache_dir`` when given and not there yet."""
    with _LOCK:
        if _LOADED:
            shore = _LOADED[0]
        else:
            grid = _read_cache(cache_dir) if cache_dir is not None else None
            shore = ShoreGrid(build_distance_grid() if grid is None else grid)
            _LOADED.append(shore)
        if cache_dir is not None and not (cache_dir / _CACHE_NAME).is_file():
            _write_cache(cache_dir, shore.grid)
        return shore


def _read_cache(cache_dir: Path) -> npt.NDArray[np.uint16] | None:
    path = cache_dir / _CACHE_NAME
    if not path.is_file():
        return None
    try:
        grid = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if grid.shape != (180 * 10, 360 * 10) or grid.dtype != np.uint16:
        return None
    return np.asarray(grid)


def _write_cache(cache_dir: Path, grid: npt.NDArray[np.uint16]) -> None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        np.save(buffer, grid, allow_pickle=False)
        tmp = cache_dir / f".{_CACHE_NAME}.tmp"
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(cache_dir / _CACHE_NAME)
    except OSError as exc:
        raise StoreError(f"cannot write the shore-distance cache in {cache_dir}: {exc}") from exc
