"""GlobeLandMask: tile streaming, agreement with global-land-mask, inland windows."""

from __future__ import annotations

import numpy as np
import pytest

from setu.events.land import GlobeLandMask, load_land_mask, pixel_index

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def mask() -> GlobeLandMask:
    return GlobeLandMask()


def test_pixel_index_corners() -> None:
    rows, cols = pixel_index([-180.0, 179.9999, 0.0], [90.0, -89.9999, 0.0])
    assert rows.tolist() == [0, 21599, 10800]
    assert cols.tolist() == [0, 43199, 21600]


def test_known_land_and_sea(mask: GlobeLandMask) -> None:
    # Delhi, central Australia; Arabian Sea, Gulf of Aden, mid-Pacific
    lon = [77.21, 134.0, 65.0, 47.0, -150.0]
    lat = [28.61, -25.0, 15.0, 12.5, 0.0]
    assert mask.is_land(lon, lat).tolist() == [True, True, False, False, False]
    assert mask.tiles_loaded >= 5


def test_agrees_with_the_package_on_random_points(mask: GlobeLandMask) -> None:
    pytest.importorskip("global_land_mask")
    rng = np.random.default_rng(7)
    lon = rng.uniform(68.0, 98.0, 400)  # India and the Bay of Bengal: many coasts
    lat = rng.uniform(5.0, 25.0, 400)
    # the package's own lookup, done on the rows and columns read from its file in one band
    ours = mask.is_land(lon, lat)
    rows, cols = pixel_index(lon, lat)
    from setu.events.land import _stream_tiles, mask_path

    tiles = _stream_tiles(
        mask_path(), {(int(r) // 120, int(c) // 120) for r, c in zip(rows, cols, strict=True)}
    )
    expected = [
        t if isinstance(t, bool) else bool(t[r % 120, c % 120])
        for r, c in zip(rows, cols, strict=True)
        for t in [tiles[(int(r) // 120, int(c) // 120)]]
    ]
    assert ours.tolist() == expected
    assert 0 < ours.sum() < len(ours)


def test_inland_distance_edges(mask: GlobeLandMask) -> None:
    # Nagpur is ~700 km from the sea; a point 3 km off Mumbai's coast is at sea;
    # Colaba (Mumbai's southern tip) is land but within 2 km of the sea
    lon = [79.09, 72.75, 72.815]
    lat = [21.15, 18.95, 18.91]
    assert mask.inland(lon, lat, 20_000).tolist() == [True, False, False]
    assert mask.inland([79.09], [21.15], 0.0).tolist() == [True]


def test_bad_coordinates_are_not_land(mask: GlobeLandMask) -> None:
    assert mask.inland([np.nan, 10.0], [0.0, 95.0], 1000.0).tolist() == [False, False]


def test_antimeridian_window_wraps(mask: GlobeLandMask) -> None:
    # Fiji's Vanua Levu straddles 180°: a point on it near the line is land, the ocean east is not
    assert mask.is_land([179.9, -179.5], [-16.5, -16.5]).tolist()[1] is False
    assert mask.inland([-179.999, 179.999], [0.0, 0.0], 5_000).tolist() == [False, False]


def test_one_shared_mask_per_process() -> None:
    assert load_land_mask() is load_land_mask()
