"""Fixtures of the simulator tests: the distance-to-shore grid cached across test runs."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def shore(request: pytest.FixtureRequest) -> object:
    """The shore-distance grid, loaded once per session from pytest's cache directory (built
    there on the first run)."""
    from setu.events.shore import load_shore

    return load_shore(request.config.cache.mkdir("setu-shore-grid"))
