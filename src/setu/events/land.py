"""Lazy access to a global 30-arc-second land mask, one 1° tile at a time.

``global-land-mask`` ships the GLOBE land/ocean mask (NOAA NGDC, 30 arc-seconds ≈ 0.93 km per
pixel) as one compressed array of 21600 × 43200 pixels; importing the package decompresses all of
it (about 1 GB in memory). :class:`GlobeLandMask` instead streams the compressed array once per
request, top row first, and keeps only the 1° × 1° tiles (120 × 120 pixels) that the queried
points need; a tile that is all ocean or all land is kept as a single flag. Streaming stops at the
southernmost tile asked for, so a query costs at most one pass over the file (about 2 s) and a few
kilobytes per coastal tile. Tiles stay loaded for the life of the object; :func:`load_land_mask`
returns one shared object per process.

The source marks most lakes and wide rivers as land.
"""

from __future__ import annotations

import importlib.util
import math
import threading
import zipfile
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from setu.errors import StoreError

#: Mask pixels per degree (30 arc-seconds) and the full mask's shape.
PIXELS_PER_DEG = 120
_ROWS, _COLS = 180 * PIXELS_PER_DEG, 360 * PIXELS_PER_DEG
_TILE = PIXELS_PER_DEG
#: Height of one pixel in metres (1/120° of a great circle on the mean-radius sphere).
PIXEL_M = 2 * math.pi * 6_371_008.8 / 360.0 / PIXELS_PER_DEG

#: Largest window half-width in pixels (so that a window touches at most 2 × 2 tiles).
MAX_WINDOW_PX = _TILE // 2 - 1

_Tile = npt.NDArray[np.bool_] | bool


class LandMask(Protocol):
    """Answers "is this point well inland", for many points at once."""

    def inland(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike, min_distance_m: float
    ) -> npt.NDArray[np.bool_]: ...


def mask_path() -> Path:
    """The GLOBE land mask file shipped by the global-land-mask package."""
    spec = importlib.util.find_spec("global_land_mask")
    if spec is None or spec.origin is None:
        raise StoreError(
            "the global-land-mask package is missing; install it (pip install global-land-mask)"
        )
    return Path(spec.origin).parent / "globe_combined_mask_compressed.npz"


def pixel_index(
    lon: npt.ArrayLike, lat: npt.ArrayLike
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Row (0 at 90°N) and column (0 at 180°W) of the mask pixel holding each point."""
    lat_a = np.asarray(lat, dtype=np.float64)
    lon_a = np.asarray(lon, dtype=np.float64)
    rows = np.clip(np.floor((90.0 - lat_a) * PIXELS_PER_DEG), 0, _ROWS - 1).astype(np.int64)
    cols = np.floor((lon_a + 180.0) * PIXELS_PER_DEG).astype(np.int64) % _COLS
    return rows, cols


class GlobeLandMask:
    """The GLOBE land mask, loaded tile by tile on demand (see the module docstring)."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._tiles: dict[tuple[int, int], _Tile] = {}
        self._lock = threading.Lock()

    @property
    def tiles_loaded(self) -> int:
        return len(self._tiles)

    def is_land(self, lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
        """True where the pixel under each point is land."""
        return self.inland(lon, lat, 0.0)

    def inland(
        self, lon: npt.ArrayLike, lat: npt.ArrayLike, min_distance_m: float
    ) -> npt.NDArray[np.bool_]:
        """True where every pixel within ``min_distance_m`` (north-south and east-west, a
        square window) of the point is land: the point is at least that far from the sea, to
        the mask's resolution. The window is capped at :data:`MAX_WINDOW_PX` pixels each way
        (about 54 km north-south)."""
        lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
        lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
        out = np.zeros(lon_a.shape, dtype=bool)
        ok = np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lat_a) <= 90.0)
        if not ok.any():
            return out
        rows, cols = pixel_index(lon_a[ok], lat_a[ok])
        k_row = min(math.ceil(max(min_distance_m, 0.0) / PIXEL_M), MAX_WINDOW_PX)
        cos_lat = np.maximum(np.cos(np.radians(lat_a[ok])), 1e-6)
        k_col = np.minimum(np.ceil(max(min_distance_m, 0.0) / (PIXEL_M * cos_lat)), MAX_WINDOW_PX)
        k_col = k_col.astype(np.int64)
        self._ensure(rows, cols, k_row, k_col)
        result = np.array(
            [
                self._window_all_land(int(r), int(c), k_row, int(k))
                for r, c, k in zip(rows, cols, k_col, strict=True)
            ],
            dtype=bool,
        )
        out[ok] = result
        return out

    def _window_all_land(self, r: int, c: int, k_row: int, k_col: int) -> bool:
        centre = self._tiles[(r // _TILE, c // _TILE)]
        if centre is False or (not isinstance(centre, bool) and not centre[r % _TILE, c % _TILE]):
            return False
        r0, r1 = max(r - k_row, 0), min(r + k_row, _ROWS - 1)
        for tr in range(r0 // _TILE, r1 // _TILE + 1):
            rs = slice(
                max(r0, tr * _TILE) - tr * _TILE, min(r1, tr * _TILE + _TILE - 1) - tr * _TILE + 1
            )
            for col in _column_spans(c - k_col, c + k_col):
                tc, cs = col
                tile = self._tiles[(tr, tc)]
                if tile is True:
                    continue
                if tile is False or not bool(tile[rs, cs].all()):
                    return False
        return True

    def _ensure(
        self,
        rows: npt.NDArray[np.int64],
        cols: npt.NDArray[np.int64],
        k_row: int,
        k_col: npt.NDArray[np.int64],
    ) -> None:
        wanted: set[tuple[int, int]] = set()
        tr0 = np.clip(rows - k_row, 0, _ROWS - 1) // _TILE
        tr1 = np.clip(rows + k_row, 0, _ROWS - 1) // _TILE
        tc0 = ((cols - k_col) % _COLS) // _TILE
        tc1 = ((cols + k_col) % _COLS) // _TILE
        for a in (tr0, tr1):
            for b in (tc0, tc1):
                wanted.update(zip(a.tolist(), b.tolist(), strict=True))
        with self._lock:
            missing = wanted - self._tiles.keys()
            if missing:
                self._tiles.update(_stream_tiles(self._path or mask_path(), missing))

    def __repr__(self) -> str:
        return f"GlobeLandMask(tiles_loaded={self.tiles_loaded})"


def _column_spans(c0: int, c1: int) -> list[tuple[int, slice]]:
    """(tile column, slice within the tile) pieces of the pixel columns c0..c1, wrapping at
    the antimeridian."""
    spans = []
    c = c0
    while c <= c1:
        wrapped = c % _COLS
        tc = wrapped // _TILE
        start = wrapped - tc * _TILE
        length = min(_TILE - start, c1 - c + 1)
        spans.append((tc, slice(start, start + length)))
        c += length
    return spans


def _stream_tiles(path: Path, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], _Tile]:
    """Read the wanted tiles in one pass over the compressed mask (True = land in the result;
    the file stores True = ocean)."""
    from numpy.lib import format as npformat

    by_row: dict[int, list[int]] = {}
    for tr, tc in wanted:
        by_row.setdefault(tr, []).append(tc)
    last = max(by_row)
    found: dict[tuple[int, int], _Tile] = {}
    try:
        with zipfile.ZipFile(path) as archive, archive.open("mask.npy") as stream:
            version = npformat.read_magic(stream)
            reader = (
                npformat.read_array_header_1_0
                if version == (1, 0)
                else npformat.read_array_header_2_0
            )
            shape, fortran, dtype = reader(stream)
            if tuple(shape) != (_ROWS, _COLS) or fortran or dtype != np.bool_:
                raise ValueError(f"unexpected mask layout {shape} {dtype}")
            for tr in range(last + 1):
                raw = stream.read(_TILE * _COLS)
                if tr not in by_row:
                    continue
                band = np.frombuffer(raw, dtype=np.bool_).reshape(_TILE, _COLS)
                for tc in by_row[tr]:
                    land = ~band[:, tc * _TILE : (tc + 1) * _TILE]
                    found[(tr, tc)] = True if land.all() else False if not land.any() else land
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise StoreError(
            f"cannot read the global land mask at {path}: {exc}; reinstall global-land-mask"
        ) from exc
    return found


_SHARED: list[GlobeLandMask] = []
_SHARED_LOCK = threading.Lock()


def load_land_mask() -> GlobeLandMask:
    """The process-wide land mask (tiles are read lazily, when points need them)."""
    with _SHARED_LOCK:
        if not _SHARED:
            _SHARED.append(GlobeLandMask())
        return _SHARED[0]
