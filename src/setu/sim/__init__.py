"""The traffic simulator: realistic AIS feeds with ground truth, for testing and exercises.

Owns scenarios (:data:`SCENARIOS`), the vessels, their sea-lane paths (``searoute``, offline) and
motion plans, the reception model (ITU-R M.1371 reporting intervals, terrestrial and satellite
receivers, outages, duplicate receptions), the NMEA it emits (IEC 61162-450 tag blocks) and the
ground truth of what it injected, plus the packaged sample feed of ``setu demo``.

May import :mod:`setu.ais` (the encoder and MID table), :mod:`setu.tracks.geo`, :mod:`setu.errors`
and the reference data of :mod:`setu.events` (ports, zones, the detectors' hysteresis helpers), so
that truth is stated in the detectors' own terms; NumPy, shapely and searoute. It does not import
the store, the ingest pipeline or the CLI.

Modules: ``fleet`` (vessels and identities), ``paths`` (routes), ``plans`` (motion),
``traffic`` (regions, receivers, background traffic), ``behaviours`` (injected events),
``scenarios``, ``reception``, ``emit`` (NMEA), ``statics``, ``truth``, ``simulation``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from setu.sim.scenarios import DEFAULT_START, SCENARIOS, Scenario
from setu.sim.simulation import Simulation, simulate

#: Scenario and seed of the packaged sample feed.
DEMO_SCENARIO, DEMO_SEED = "demo", 20250115


def _data_file(name: str) -> Path:
    return Path(str(resources.files("setu.data").joinpath(name)))


def sample_feed_path() -> Path:
    """The packaged sample feed (synthetic NMEA from the ``demo`` scenario)."""
    return _data_file("sample_feed.nmea")


def sample_truth_path() -> Path:
    """The ground truth of the packaged sample feed."""
    return _data_file("sample_truth.jsonl")


__all__ = [
    "DEFAULT_START",
    "DEMO_SCENARIO",
    "DEMO_SEED",
    "SCENARIOS",
    "Scenario",
    "Simulation",
    "sample_feed_path",
    "sample_truth_path",
    "simulate",
]
