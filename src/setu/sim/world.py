"""What a scenario builds: transmitters (vessels with paths and plans), receivers, outages.

An :class:`Actor` is one AIS transmitter: a vessel's identity, the polyline it follows, its motion
plan, when it transmits (``active`` window and ``silences`` where its AIS is switched off) and
whether it is ordinary background traffic (``normal``; the physical-plausibility checks apply to
those). Two actors may broadcast the same MMSI (a cloned identity).

A :class:`World` is everything needed to generate the feed and its ground truth.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from setu.sim.fleet import Vessel
from setu.sim.plans import PlanBuilder


@dataclass(frozen=True)
class Station:
    """A terrestrial AIS receiver: 8-character id (tag-block ``s:``), position and range."""

    name: str
    lon: float
    lat: float
    range_m: float


@dataclass(frozen=True)
class Outage:
    """Receivers deaf over a disc for a time (a coverage hole): nothing inside is received."""

    lon: float
    lat: float
    radius_m: float
    start_s: float
    end_s: float


@dataclass
class Actor:
    """One AIS transmitter (see the module docstring)."""

    vessel: Vessel
    path: npt.NDArray[np.float64]
    plan: PlanBuilder
    active: tuple[float, float] = (-math.inf, math.inf)
    silences: tuple[tuple[float, float], ...] = ()
    normal: bool = True
    #: statics sent by this transmitter (False for a clone that only sends positions)
    sends_statics: bool = True


@dataclass
class World:
    """A scenario, ready to be turned into NMEA and truth."""

    scenario: str
    seed: int
    start: datetime
    duration_s: float
    actors: list[Actor]
    stations: list[Station]
    outages: list[Outage] = field(default_factory=list)
    #: truth records of injected behaviours (the truth JSONL format)
    injected: list[dict[str, Any]] = field(default_factory=list)
    #: zones whose crossings the truth records (None: the zone detector's reference zones)
    zone_names: tuple[str, ...] | None = None
