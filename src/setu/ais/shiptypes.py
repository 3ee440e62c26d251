"""Ship and cargo type codes (ITU-R M.1371-5, Annex 8, Table 53) as text.

Codes 20–29, 40–49, 60–99 carry a second digit for the hazardous cargo category
(1: X / category A, 2: Y / B, 3: Z / C, 4: OS / D); 0 means "all ships of this type".
"""

from __future__ import annotations

import pyarrow as pa

_FIRST_DIGIT = {
    2: "Wing in ground (WIG)",
    4: "High speed craft (HSC)",
    6: "Passenger",
    7: "Cargo",
    8: "Tanker",
    9: "Other type",
}
_SECOND_DIGIT = {
    0: "",
    1: ", hazardous category A",
    2: ", hazardous category B",
    3: ", hazardous category C",
    4: ", hazardous category D",
    9: ", no additional information",
}
_SPECIAL = {
    0: "Not available",
    30: "Fishing",
    31: "Towing",
    32: "Towing: length > 200 m or breadth > 25 m",
    33: "Dredging or underwater operations",
    34: "Diving operations",
    35: "Military operations",
    36: "Sailing",
    37: "Pleasure craft",
    50: "Pilot vessel",
    51: "Search and rescue vessel",
    52: "Tug",
    53: "Port tender",
    54: "Anti-pollution equipment",
    55: "Law enforcement",
    56: "Spare - local vessel",
    57: "Spare - local vessel",
    58: "Medical transport",
    59: "Noncombatant ship (RR Resolution No. 18)",
}


def ship_type_text(code: int | None) -> str | None:
    """Text for a ship type code; None for null, "Reserved" for unallocated codes."""
    if code is None:
        return None
    if code in _SPECIAL:
        return _SPECIAL[code]
    first, second = divmod(int(code), 10)
    if first in _FIRST_DIGIT and code < 100:
        extra = _SECOND_DIGIT.get(second, ", reserved for future use")
        return _FIRST_DIGIT[first] + extra
    if 100 <= code <= 199:
        return "Reserved for regional use"
    return "Reserved for future use"


SHIP_TYPE_TEXT: dict[int, str] = {c: ship_type_text(c) or "" for c in range(256)}


def ship_type_texts(codes: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Vectorised :func:`ship_type_text` (lookup over the 256 possible codes)."""
    import pyarrow.compute as pc

    values = pa.array([SHIP_TYPE_TEXT[c] for c in range(256)], pa.string())
    idx = pc.cast(codes, pa.int64())
    return pc.take(values, idx)
