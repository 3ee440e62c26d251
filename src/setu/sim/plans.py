"""Motion plans: where along its path each vessel is at any time, and what it reports.

A plan is a list of knots ``(t_s, s_m)`` — seconds from the start of the simulation and metres
along the vessel's path — with the vessel moving at constant speed between consecutive knots, and
per interval the navigational status it reports and the offset of its heading from its course
(0 for a vessel steering its course; e.g. 90 for one drifting beam-on). Before its first knot a
vessel waits at its first position; after the last, at its last.

:class:`PlanBuilder` writes one vessel's plan in the words of a voyage (hold, sail, ramp up and
down); :class:`Plans` evaluates all plans at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from setu.errors import ConfigError
from setu.tracks.geo import KNOT_MS, NM_M

_F = npt.NDArray[np.float64]
_TIME_SPAN_S = 1.0e9  # spacing of vessels in the global time key (longer than any plan)
_FAR_S = 4.0e8  # the padding knots before/after every plan

#: ITU-R M.1371-5 Table 45 navigational status codes used by the simulator.
UNDER_WAY, AT_ANCHOR, MOORED, FISHING = 0, 1, 5, 7


@dataclass
class PlanBuilder:
    """Builds one vessel's plan from its current time and distance along the path."""

    t: float
    s: float = 0.0
    knots_t: list[float] = field(default_factory=list)
    knots_s: list[float] = field(default_factory=list)
    status: list[int] = field(default_factory=list)
    heading_offset: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.knots_t.append(self.t)
        self.knots_s.append(self.s)

    def _knot(self, t: float, s: float, status: int, heading_offset: float) -> PlanBuilder:
        if t <= self.t:
            raise ConfigError("plan knots must move forward in time")
        self.status.append(status)
        self.heading_offset.append(heading_offset)
        self.knots_t.append(t)
        self.knots_s.append(s)
        self.t, self.s = t, s
        return self

    def hold(self, until_t: float, status: int = MOORED) -> PlanBuilder:
        """Stay where it is until ``until_t`` (no-op if that is not later)."""
        if until_t <= self.t:
            return self
        return self._knot(until_t, self.s, status, 0.0)

    def sail(
        self, distance_m: float, speed_knots: float, status: int = UNDER_WAY, heading_offset=0.0
    ) -> PlanBuilder:
        """Move ``distance_m`` further along the path at ``speed_knots``."""
        if distance_m <= 0:
            return self
        duration = distance_m / (speed_knots * KNOT_MS)
        return self._knot(self.t + duration, self.s + distance_m, status, heading_offset)

    def sail_for(
        self, duration_s: float, speed_knots: float, status: int = UNDER_WAY, heading_offset=0.0
    ) -> PlanBuilder:
        """Move for ``duration_s`` at ``speed_knots``."""
        return self._knot(
            self.t + duration_s, self.s + duration_s * speed_knots * KNOT_MS, status,
            heading_offset,
        )  # fmt: skip

    def voyage(self, to_s: float, cruise_knots: float, *, arrive: bool = True) -> PlanBuilder:
        """Leave (5 kn for the first 2 nm), cruise, and when ``arrive`` slow down for the last
        3 nm (6 kn, then 3 kn for the last 0.5 nm) to stop at ``to_s``: no step from above 7 kn
        to below 1 kn anywhere."""
        remaining = to_s - self.s
        if remaining <= 0:
            return self
        if remaining < 6 * NM_M:
            return self.sail(remaining, min(cruise_knots, 5.0))
        self.sail(2 * NM_M, min(cruise_knots, 5.0))
        tail = 3 * NM_M if arrive else 0.0
        self.sail(to_s - self.s - tail, cruise_knots)
        if arrive:
            self.sail(2.5 * NM_M, min(cruise_knots, 6.0)).sail(0.5 * NM_M, 3.0)
        return self


@dataclass(frozen=True)
class State:
    """Vessel states at given times: distance along the path, speed and reporting attributes."""

    s_m: _F
    speed_knots: _F
    status: npt.NDArray[np.uint8]
    heading_offset: _F


@dataclass(frozen=True)
class Plans:
    """The plans of all vessels, concatenated (index ``i`` = the i-th plan given)."""

    key: _F
    s: _F
    speed_knots: _F  # of the interval starting at each knot
    status: npt.NDArray[np.uint8]
    heading_offset: _F
    first: npt.NDArray[np.int64]

    @classmethod
    def build(cls, builders: Sequence[PlanBuilder]) -> Plans:
        keys, ss, speeds, statuses, offsets, firsts = [], [], [], [], [], []
        n = 0
        for i, b in enumerate(builders):
            t = np.array([-_FAR_S, *b.knots_t, _FAR_S], dtype=np.float64)
            s = np.array([b.knots_s[0], *b.knots_s, b.knots_s[-1]], dtype=np.float64)
            hold_first = MOORED if not b.status else (b.status[0] if s[1] == s[2] else MOORED)
            hold_last = b.status[-1] if b.status and s[-2] == s[-3] else MOORED
            status = np.array([hold_first, *b.status, hold_last, hold_last], dtype=np.uint8)
            offset = np.array([0.0, *b.heading_offset, 0.0, 0.0])
            dt = np.diff(t)
            speed = np.r_[np.diff(s) / dt / KNOT_MS, 0.0]
            keys.append(i * _TIME_SPAN_S + t)
            ss.append(s)
            speeds.append(speed)
            statuses.append(status)
            offsets.append(offset)
            firsts.append(n)
            n += len(t)
        return cls(
            np.concatenate(keys), np.concatenate(ss), np.concatenate(speeds),
            np.concatenate(statuses), np.concatenate(offsets), np.array(firsts, dtype=np.int64),
        )  # fmt: skip

    def at(self, vessel: npt.ArrayLike, t_s: npt.ArrayLike) -> State:
        """States of ``vessel`` (plan indices) at ``t_s`` (seconds from the start)."""
        v = np.asarray(vessel, dtype=np.int64)
        t = np.clip(np.asarray(t_s, dtype=np.float64), -_FAR_S + 1, _FAR_S - 1)
        key = v * _TIME_SPAN_S + t
        k = np.searchsorted(self.key, key, side="right") - 1
        s = self.s[k] + (key - self.key[k]) * self.speed_knots[k] * KNOT_MS
        return State(s, self.speed_knots[k], self.status[k], self.heading_offset[k])

    def time_at_distance(self, vessel: int, s_m: npt.ArrayLike) -> _F:
        """The first time (s from the start) vessel ``vessel`` reaches each distance ``s_m``
        (the end of its plan for distances it never reaches)."""
        end = self.first[vessel + 1] if vessel + 1 < len(self.first) else len(self.key)
        kt = self.key[self.first[vessel] : end] - vessel * _TIME_SPAN_S
        ks = self.s[self.first[vessel] : end]
        sv = np.asarray(s_m, dtype=np.float64)
        j = np.searchsorted(ks, sv, side="left")
        j = np.clip(j, 1, len(ks) - 1)
        ds = ks[j] - ks[j - 1]
        frac = np.where(ds > 0, (sv - ks[j - 1]) / np.where(ds > 0, ds, 1.0), 0.0)
        out = kt[j - 1] + np.clip(frac, 0.0, 1.0) * (kt[j] - kt[j - 1])
        return np.where(sv <= ks[0], kt[1], out)
