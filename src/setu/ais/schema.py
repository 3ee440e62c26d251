"""Arrow schemas of the decoded AIS tables, derived from :mod:`setu.ais.layout`.

One table per message *family*; every table starts with :data:`COMMON_COLUMNS`. The order of a
family's own columns is the data contract (:data:`FAMILY_COLUMNS`); their Arrow types come from
the layout fields that feed them (:func:`column_type`):

- ``bool`` flags → ``bool``; text → ``string``;
- unscaled integers → the smallest unsigned/signed Arrow integer holding every feeding field;
- scaled values (or a column fed by both scaled and unscaled fields) → ``float32``, or
  ``float64`` when a raw field is wider than 16 bits (positions in 1/10 000 minute keep their
  full resolution);
- ``base_stations.station_time`` is derived from year…second (null when any part is n/a or the
  date is invalid).

Family ``other`` has one column of its own, ``fields_json``: a JSON object of every decoded field
of the message except the header (``msg_type``, ``repeat``, ``mmsi`` are columns), keyed by the
layout field names; binary fields are hex strings with a ``<name>_bits`` bit count beside them.

May import :mod:`setu.ais.layout` and PyArrow only.
"""

from __future__ import annotations

import pyarrow as pa

from setu.ais.layout import FAMILIES, LAYOUTS, Family, Field, family_types

TIMESTAMP = pa.timestamp("us", tz="UTC")

#: Columns every family table starts with, in this order.
COMMON_COLUMNS: tuple[pa.Field, ...] = (
    pa.field("received_at", TIMESTAMP),
    pa.field("mmsi", pa.uint32(), nullable=False),
    pa.field("msg_type", pa.uint8(), nullable=False),
    pa.field("repeat", pa.uint8(), nullable=False),
    pa.field("station", pa.string()),
    pa.field("channel", pa.string()),
    pa.field("talker", pa.string()),
    pa.field("line_no", pa.int64(), nullable=False),
    pa.field("checksum_ok", pa.bool_(), nullable=False),
    pa.field("msg_hash", pa.uint64(), nullable=False),
)

COMMON_DESCRIPTIONS: dict[str, str] = {
    "received_at": "receive time (tag block c:, $PGHP, …), null when unknown",
    "mmsi": "source MMSI (bits 8–37)",
    "msg_type": "message type (bits 0–5)",
    "repeat": "repeat indicator (bits 6–7)",
    "station": "receiving station (tag block s:) or null",
    "channel": "VHF channel (A/B) or null",
    "talker": "sentence talker and formatter, e.g. AIVDM, BSVDM",
    "line_no": "1-based line number of the message's first fragment",
    "checksum_ok": "every fragment's NMEA checksum matched",
    "msg_hash": "FNV-1a 64 of the armoured payload followed by the fill-bits digit",
}

#: The data contract: each family's own columns, in order (after the common columns).
FAMILY_COLUMNS: dict[Family, tuple[str, ...]] = {
    "positions": (
        "nav_status", "rot_deg_per_min", "sog_knots", "position_accuracy", "lon", "lat",
        "cog_deg", "heading_deg", "utc_second", "maneuver", "raim", "radio", "cs_unit",
        "display", "dsc", "band", "msg22", "assigned", "gnss",
    ),
    "statics": (
        "ais_version", "imo", "call_sign", "ship_name", "ship_type", "to_bow_m", "to_stern_m",
        "to_port_m", "to_starboard_m", "epfd", "eta_month", "eta_day", "eta_hour",
        "eta_minute", "draught_m", "destination", "dte", "part_num", "vendor_id", "model",
        "serial", "mothership_mmsi",
    ),
    "base_stations": (
        "year", "month", "day", "hour", "minute", "second", "station_time",
        "position_accuracy", "lon", "lat", "epfd", "raim", "radio",
    ),
    "other": ("fields_json",),
}  # fmt: skip

#: Columns computed from other columns rather than read from bits.
DERIVED_COLUMNS: dict[tuple[Family, str], tuple[pa.DataType, str]] = {
    ("base_stations", "station_time"): (TIMESTAMP, "UTC time of the report from year…second"),
    ("other", "fields_json"): (pa.string(), "JSON object of every decoded field of the message"),
}


def feeding_fields(family: Family, column: str) -> list[tuple[int, Field]]:
    """``(msg_type, field)`` pairs of the layout that fill ``column`` of ``family``."""
    return [
        (t, f)
        for t in family_types(family)
        for f in LAYOUTS[t].fields
        if f.name == column and f.kind != "spare"
    ]


def _int_type(fields: list[Field]) -> pa.DataType:
    width = max(f.width for f in fields)
    if any(f.kind == "int" for f in fields):
        return pa.int8() if width <= 8 else pa.int16() if width <= 16 else pa.int32()
    return pa.uint8() if width <= 8 else pa.uint16() if width <= 16 else pa.uint32()


def column_type(family: Family, column: str) -> pa.DataType:
    """The Arrow type of a family column, derived from the fields feeding it."""
    derived = DERIVED_COLUMNS.get((family, column))
    if derived is not None:
        return derived[0]
    fields = [f for _, f in feeding_fields(family, column)]
    if not fields:
        raise KeyError(f"no layout field feeds {family}.{column}")
    kinds = {f.kind for f in fields}
    if kinds <= {"text", "binary"}:
        return pa.string()
    if kinds == {"bool"}:
        return pa.bool_()
    if any(f.scaled for f in fields) or len(kinds) > 1:
        wide = any(f.scaled and f.width > 16 for f in fields)
        return pa.float64() if wide else pa.float32()
    return _int_type(fields)


def _family_schema(family: Family) -> pa.Schema:
    own = [pa.field(c, column_type(family, c)) for c in FAMILY_COLUMNS[family]]
    return pa.schema([*COMMON_COLUMNS, *own])


#: Arrow schema of each family table.
FAMILY_SCHEMAS: dict[str, pa.Schema] = {fam: _family_schema(fam) for fam in FAMILIES}


def family_of_column_types() -> dict[str, dict[str, pa.DataType]]:
    """``{family: {column: type}}`` for the family's own columns (handy for docs/tests)."""
    return {
        fam: {c: FAMILY_SCHEMAS[fam].field(c).type for c in FAMILY_COLUMNS[fam]} for fam in FAMILIES
    }
