"""Shared fixtures for every test tier."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()
AIS_DATA = SHARED_DATA / "ais"


@pytest.fixture(scope="session")
def ais_data() -> Path:
    """Root of the real AIS recordings (../shared/data/ais); skips when absent."""
    if not AIS_DATA.is_dir():
        pytest.skip(f"real AIS data not found at {AIS_DATA} (clone with ../shared beside the repo)")
    return AIS_DATA


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, empty setu data directory."""
    path = tmp_path / "setu-data"
    path.mkdir()
    return path
