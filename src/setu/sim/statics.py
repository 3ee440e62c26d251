"""Static and voyage data columns (types 5 and 24) of heard static reports."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from setu.sim.emit import Compiled

_I = npt.NDArray[np.int64]
#: ITU-R M.1371-5 message 5 "AIS version indicator": 2 = compliant with M.1371-5.
AIS_VERSION = 2
#: EPFD 1 = GPS (M.1371-5 Table 51).
EPFD_GPS = 1
#: Class B CS vendor ids (3 characters, as in message 24 part B).
_VENDORS = ("SRT", "CMT", "TRM", "GRM")


def _per_actor(c: Compiled, attr: str) -> npt.NDArray:
    return np.array([getattr(a.vessel, attr) for a in c.world.actors], dtype=object)


def _names(c: Compiled, actor: _I, t: _I) -> npt.NDArray:
    names = _per_actor(c, "name")[actor]
    for k, a in enumerate(c.world.actors):
        if a.vessel.renames:
            rows = np.flatnonzero(actor == k)
            names[rows] = [a.vessel.name_at(float(x)) for x in t[rows]]
    return names


def _eta(c: Compiled, actor: _I) -> dict[str, npt.NDArray]:
    """ETA fields (n/a where the vessel broadcasts none), rounded to the minute."""
    fields = ("eta_month", "eta_day", "eta_hour", "eta_minute")
    table = np.full((len(c.world.actors), 4), np.nan)
    for k, a in enumerate(c.world.actors):
        if a.vessel.eta is not None:
            eta = a.vessel.eta + timedelta(seconds=30)
            table[k] = (eta.month, eta.day, eta.hour, eta.minute)
    return {name: table[actor, i] for i, name in enumerate(fields)}


def static_columns(c: Compiled, kind: str, actor: _I, t: _I) -> dict[str, npt.NDArray]:
    """Encoder columns of the static reports ``kind`` ("type5", "type24a", "type24b")."""
    base: dict[str, npt.NDArray] = {"mmsi": c.mmsi[actor]}
    if kind == "type24a":
        return {**base, "part_num": np.zeros(len(actor)), "ship_name": _names(c, actor, t)}
    dims = {
        f: _per_actor(c, f)[actor].astype(np.float64)
        for f in ("to_bow_m", "to_stern_m", "to_port_m", "to_starboard_m")
    }
    common = {
        **base, **dims,
        "ship_type": _per_actor(c, "ship_type")[actor].astype(np.float64),
        "call_sign": _per_actor(c, "call_sign")[actor],
    }  # fmt: skip
    if kind == "type24b":
        serial = (c.mmsi[actor] * 7919) % 1_000_000
        return {
            **common, "part_num": np.ones(len(actor)),
            "vendor_id": np.array(_VENDORS, dtype=object)[c.mmsi[actor] % len(_VENDORS)],
            "model": (c.mmsi[actor] % 7 + 1).astype(np.float64), "serial": serial,
            "epfd": np.full(len(actor), EPFD_GPS),
        }  # fmt: skip
    imo = _per_actor(c, "imo")[actor].astype(np.float64)
    return {
        **common, **_eta(c, actor),
        "ais_version": np.full(len(actor), AIS_VERSION),
        "imo": np.where(imo > 0, imo, np.nan),
        "ship_name": _names(c, actor, t),
        "epfd": np.full(len(actor), EPFD_GPS),
        "draught_m": _per_actor(c, "draught_m")[actor].astype(np.float64),
        "destination": _per_actor(c, "destination")[actor],
        "dte": np.zeros(len(actor), dtype=bool),
    }  # fmt: skip
