"""Events: what the detectors find in vessel tracks, and where events are kept.

Owns the event record (:mod:`setu.events.model`), the detectors (one small class per behaviour,
each with a frozen config whose defaults cite their sources), running a set of detectors over
positions (:mod:`setu.events.run`), the event store under ``<data_dir>/events``
(:mod:`setu.events.store`) and the reference data detectors share: world ports
(:mod:`setu.events.ports`) and distance to shore (:mod:`setu.events.shore`).

May import :mod:`setu.tracks`, :mod:`setu.errors`, :mod:`setu.settings`, NumPy, Polars, PyArrow,
shapely, h3 and the data packages searoute and global-land-mask. It does not import the store,
the CLI or any web code: detectors take :class:`~setu.tracks.Tracks`, built from tables.

:data:`DETECTORS` maps each detector's name to its class; every class can be built without
arguments (defaults) and has ``detect(tracks) -> list[Event]``; detectors that use vessel statics
(ship type, dimensions) take them as a ``statics=`` keyword argument.
"""

from __future__ import annotations

from setu.events.base import Detector
from setu.events.encounters import EncounterConfig, EncounterDetector
from setu.events.gaps import GapConfig, GapDetector
from setu.events.identity import IdentityDetector
from setu.events.loitering import LoiteringConfig, LoiteringDetector
from setu.events.model import Event, EventType, event_id_for
from setu.events.motion import DriftDetector, SpeedDropDetector
from setu.events.ports import PortVisitConfig, PortVisitDetector
from setu.events.zones import ZoneDetector

#: Detector name -> detector class (``setu events detect --detector NAME``).
DETECTORS: dict[str, type[Detector]] = {
    GapDetector.name: GapDetector,
    EncounterDetector.name: EncounterDetector,
    LoiteringDetector.name: LoiteringDetector,
    PortVisitDetector.name: PortVisitDetector,
    ZoneDetector.name: ZoneDetector,
    IdentityDetector.name: IdentityDetector,
    DriftDetector.name: DriftDetector,
    SpeedDropDetector.name: SpeedDropDetector,
}

__all__ = [
    "DETECTORS",
    "Detector",
    "DriftDetector",
    "EncounterConfig",
    "EncounterDetector",
    "Event",
    "EventType",
    "GapConfig",
    "GapDetector",
    "IdentityDetector",
    "LoiteringConfig",
    "LoiteringDetector",
    "PortVisitConfig",
    "PortVisitDetector",
    "SpeedDropDetector",
    "ZoneDetector",
    "event_id_for",
]
