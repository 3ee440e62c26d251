"""The event record: what a detector tells a watch officer.

An :class:`Event` is immutable and typed. Its ``event_id`` is deterministic — a hash of the
identifying fields (type, vessels, start time, detector parameters' identity) — so that re-runs and
a partner node deduplicate the same behaviour to the same id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """Every kind of event setu detects (definitions and thresholds: README, "Events")."""

    GAP = "gap"
    COVERAGE_HOLE = "coverage_hole"
    ENCOUNTER = "encounter"
    LOITERING = "loitering"
    PORT_VISIT = "port_visit"
    ZONE_ENTRY = "zone_entry"
    ZONE_EXIT = "zone_exit"
    SPOOFING = "spoofing"
    INVALID_IDENTITY = "invalid_identity"
    IDENTITY_CHANGE = "identity_change"
    ON_LAND = "on_land"
    TELEPORT = "teleport"
    DRIFT = "drift"
    SPEED_DROP = "speed_drop"


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("event times must be timezone-aware UTC")
    return value.isoformat()


def event_id_for(
    event_type: EventType, mmsis: tuple[int, ...], start: datetime, key: str = ""
) -> str:
    """Deterministic id: SHA-256 over type, sorted vessels, start time (µs) and a detector key.

    ``key`` distinguishes events of one type that can start at the same instant for the same
    vessels (e.g. the zone name for zone entries). 20 hex characters (80 bits).
    """
    start_us = int(start.timestamp() * 1_000_000)
    text = f"{event_type.value}|{','.join(str(m) for m in sorted(mmsis))}|{start_us}|{key}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Event:
    """One detected behaviour.

    - ``mmsis``: the vessel(s) involved (two for an encounter), sorted
    - ``start`` / ``end``: UTC; ``end`` is None for an event still open at the end of the data
    - ``lon`` / ``lat``: representative position (WGS84 degrees)
    - ``evidence``: a short human summary of why it fired
    - ``details``: measured values (durations, distances, speeds) with units in the keys
    - ``parameters``: the detector parameters used, so the event can be reproduced
    - ``label_id``: the event's confidentiality label, the id of a label in the store's registry
      (None: the open-AIS default). :func:`setu.events.run.run_detectors` sets the label *key* of
      the positions the event comes from (one id, or ``a+b+…`` when they differ; an empty
      member is open AIS) and :meth:`setu.events.store.EventStore.write` stores the derived
      label's id. Not part of ``event_id``: the same behaviour has one id whoever labels it.
    """

    event_type: EventType
    mmsis: tuple[int, ...]
    start: datetime
    end: datetime | None
    lon: float
    lat: float
    evidence: str
    details: Mapping[str, Any] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)
    key: str = ""
    label_id: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or (self.end is not None and self.end.tzinfo is None):
            raise ValueError("event times must be timezone-aware UTC")
        object.__setattr__(self, "mmsis", tuple(sorted(int(m) for m in self.mmsis)))

    @property
    def event_id(self) -> str:
        return event_id_for(self.event_type, self.mmsis, self.start, self.key)

    @property
    def duration_s(self) -> float | None:
        return None if self.end is None else (self.end - self.start).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (ISO-8601 times)."""
        return {
            "event_id": self.event_id,
            "event_type": self.event_type.value,
            "mmsis": list(self.mmsis),
            "start": _iso(self.start),
            "end": _iso(self.end),
            "duration_s": self.duration_s,
            "lon": self.lon,
            "lat": self.lat,
            "evidence": self.evidence,
            "details": json.loads(json.dumps(dict(self.details), default=str)),
            "parameters": json.loads(json.dumps(dict(self.parameters), default=str)),
            "key": self.key,
            "label_id": self.label_id,
        }
