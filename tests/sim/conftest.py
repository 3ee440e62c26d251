"""Fixtures of the simulator tests: the distance-to-shore grid cached across test runs."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def shore(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> object:
    """The shore-distance grid, loaded once per session from pytest's cache directory (built
    there on the first run; in a temporary directory when the cache plugin is off)."""
    from setu.events.shore import load_shore

    cache = getattr(request.config, "cache", None)
    folder = (
        cache.mkdir("setu-shore-grid") if cache is not None else tmp_path_factory.mktemp("shore")
    )
    return load_shore(folder)
