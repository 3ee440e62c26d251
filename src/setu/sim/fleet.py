"""Vessels: kinds, speeds, dimensions and valid identities.

The mix and the figures are typical of merchant traffic in the northern Indian Ocean:

- speeds: container ships and general cargo 12-18 kn, tankers 11-14 kn (service speeds after
  slow steaming, UNCTAD Review of Maritime Transport 2023 ch. 3), ferries and passenger ships
  14-20 kn, tugs 8-11 kn, trawlers 2.5-4.5 kn while fishing (FAO fishing gear fact sheets),
  pleasure craft 6-10 kn;
- dimensions: length overall and beam ranges of each class (Panamax/Aframax bounds for the big
  ones); AIS splits them into distances from the GNSS antenna to bow, stern, port, starboard;
- flags: Maritime Identification Digits (ITU MID table) of the registries most seen there —
  Panama, Liberia, Marshall Islands, Singapore, Malta, Hong Kong, Greece, India, UAE, Bahamas;
  small craft and fishing boats fly the flag of the coast they work from;
- identities: MMSIs ``MIDXXXXXX`` (ITU-R M.585-9 Annex 1), IMO numbers with a valid check digit
  (IMO Resolution A.1117(30)) for every Class A ship of 300 GT or more, call signs starting with
  the flag's ITU prefix, names drawn from common words.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

#: Flag MIDs (ITU MID table) with a call-sign prefix (ITU RR Appendix 42) and a weight.
FLAGS: tuple[tuple[int, str, float], ...] = (
    (352, "3E", 0.10), (370, "H9", 0.06), (636, "D5", 0.13), (538, "V7", 0.12),
    (563, "9V", 0.09), (566, "9V", 0.04), (248, "9H", 0.06), (477, "VR", 0.07),
    (241, "SV", 0.04), (419, "AU", 0.10), (470, "A6", 0.04), (311, "C6", 0.04),
    (412, "BQ", 0.05), (431, "JD", 0.02), (403, "HZ", 0.02), (463, "AP", 0.02),
)  # fmt: skip

_WORDS = (
    "OCEAN", "STAR", "PRIDE", "GLORY", "SPIRIT", "PEARL", "FORTUNE", "HARMONY", "EAGLE",
    "VOYAGER", "MERIDIAN", "BREEZE", "HORIZON", "LOTUS", "CORAL", "ORIENT", "MONSOON", "SAGAR",
    "DEEP", "BLUE", "GOLDEN", "SILVER", "NOBLE", "GRACE", "VALOUR", "UNITY", "ZENITH", "ATLAS",
    "AURORA", "TRIDENT", "NEPTUNE", "JADE", "RUBY", "SAPPHIRE", "SUMMIT", "VIKRAM", "MAITRI",
)  # fmt: skip


@dataclass(frozen=True)
class Kind:
    """A class of vessel: AIS class, ship type code range, speed and size ranges."""

    name: str
    ais_class: str  # "A" or "B"
    ship_types: tuple[int, ...]
    speed_knots: tuple[float, float]
    length_m: tuple[float, float]
    beam_ratio: tuple[float, float]  # beam / length
    draught_m: tuple[float, float]
    has_imo: bool


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("cargo", "A", (70, 71, 74, 79), (12.0, 18.0), (120, 330), (0.13, 0.16), (7, 14), True),
        Kind(
            "tanker", "A", (80, 81, 82, 84), (11.0, 14.0), (150, 330), (0.16, 0.19), (8, 20), True
        ),
        Kind("passenger", "A", (60, 69), (14.0, 20.0), (80, 200), (0.14, 0.17), (4, 7), True),
        Kind("tug", "A", (52,), (8.0, 11.0), (24, 36), (0.3, 0.36), (3, 5), False),
        Kind("fishing", "B", (30,), (2.5, 4.5), (12, 28), (0.25, 0.3), (2, 4), False),
        Kind("fishing_a", "A", (30,), (2.5, 4.5), (24, 45), (0.22, 0.26), (3, 6), True),
        Kind("pleasure", "B", (37,), (6.0, 10.0), (8, 20), (0.28, 0.33), (1, 2), False),
    )
}

#: Background traffic mix (share of vessels) for voyages between ports.
VOYAGE_MIX: dict[str, float] = {
    "cargo": 0.50, "tanker": 0.30, "passenger": 0.06, "tug": 0.08, "pleasure": 0.06,
}  # fmt: skip


@dataclass(frozen=True)
class Vessel:
    """One simulated vessel: its identity and statics as it broadcasts them."""

    mmsi: int
    kind: str
    ais_class: str
    imo: int
    name: str
    call_sign: str
    ship_type: int
    to_bow_m: int
    to_stern_m: int
    to_port_m: int
    to_starboard_m: int
    draught_m: float
    destination: str
    eta: datetime | None = None
    #: (seconds from the start, new name): renames broadcast from then on
    renames: tuple[tuple[float, str], ...] = ()

    @property
    def length_m(self) -> int:
        return self.to_bow_m + self.to_stern_m

    def name_at(self, t_s: float) -> str:
        name = self.name
        for when, new in self.renames:
            if t_s >= when:
                name = new
        return name


def imo_check_digit(six: int) -> int:
    """Check digit of an IMO number's first six digits (IMO Resolution A.1117(30))."""
    digits = [int(d) for d in f"{six:06d}"]
    return sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10


def make_imo(rng: np.random.Generator) -> int:
    """A valid seven-digit IMO number (9xxxxxx, as for ships built since the 1990s)."""
    six = int(rng.integers(900_000, 999_999))
    return six * 10 + imo_check_digit(six)


class IdentityPool:
    """Unique MMSIs, IMO numbers and names for one simulation."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._mmsis: set[int] = set()
        self._imos: set[int] = set()
        self._names: set[str] = set()

    def flag(self, mid: int | None = None) -> tuple[int, str]:
        if mid is not None:
            prefix = next((p for m, p, _w in FLAGS if m == mid), "XX")
            return mid, prefix
        weights = np.array([w for _m, _p, w in FLAGS])
        k = int(self._rng.choice(len(FLAGS), p=weights / weights.sum()))
        return FLAGS[k][0], FLAGS[k][1]

    def mmsi(self, mid: int) -> int:
        while True:
            value = mid * 1_000_000 + int(self._rng.integers(100_000, 999_999))
            if value not in self._mmsis:
                self._mmsis.add(value)
                return value

    def imo(self) -> int:
        while True:
            value = make_imo(self._rng)
            if value not in self._imos:
                self._imos.add(value)
                return value

    def name(self) -> str:
        while True:
            a, b = self._rng.choice(_WORDS, size=2, replace=False)
            number, pick = int(self._rng.integers(1, 100)), float(self._rng.random())
            name = (
                f"{a} {b}" if pick < 0.4 else f"{a} {number}" if pick < 0.6 else f"{a} {b} {number}"
            )
            if name not in self._names and len(name) <= 20:
                self._names.add(name)
                return name

    def call_sign(self, prefix: str) -> str:
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        tail = "".join(self._rng.choice(list(letters + "0123456789"), size=7 - len(prefix) - 1))
        return prefix + str(self._rng.choice(list(letters))) + tail

    def vessel(self, kind_name: str, *, destination: str = "", mid: int | None = None) -> Vessel:
        kind = KINDS[kind_name]
        rng = self._rng
        mid_, prefix = self.flag(mid)
        length = float(rng.uniform(*kind.length_m))
        beam = max(3.0, length * float(rng.uniform(*kind.beam_ratio)))
        bow = round(length * float(rng.uniform(0.75, 0.88)))
        port = round(beam / 2)
        return Vessel(
            mmsi=self.mmsi(mid_),
            kind=kind_name,
            ais_class=kind.ais_class,
            imo=self.imo() if kind.has_imo else 0,
            name=self.name(),
            call_sign=self.call_sign(prefix),
            ship_type=int(rng.choice(kind.ship_types)),
            to_bow_m=min(bow, 511),
            to_stern_m=min(round(length) - bow, 511),
            to_port_m=min(port, 63),
            to_starboard_m=min(round(beam) - port, 63),
            draught_m=round(float(rng.uniform(*kind.draught_m)), 1),
            destination=destination[:20].upper(),
        )

    def cruise_knots(self, kind_name: str) -> float:
        lo, hi = KINDS[kind_name].speed_knots
        return round(float(self._rng.uniform(lo, hi)), 1)


def renamed(vessel: Vessel, at_s: float, new_name: str) -> Vessel:
    """The vessel broadcasting ``new_name`` from ``at_s`` on."""
    return replace(vessel, renames=(*vessel.renames, (at_s, new_name)))
