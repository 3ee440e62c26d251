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


# --- the field reference (docs/ais-fields.md is generated from here) --------------------------

#: Where setu and pyais 3.3 disagree on real data, and why (pinned in test_decode_oracles.py).
KNOWN_PYAIS_DIFFERENCES: tuple[tuple[str, str], ...] = (
    (
        "not available",
        "pyais returns the raw sentinel (lon 181, lat 91, speed 102.3, course "
        "360, heading 511, second 60–63, turn -128); setu returns null",
    ),
    (
        "rot_rounding",
        "pyais rounds the rate of turn to whole °/min and returns ±127/-128 as a "
        "TurnRate enum; setu keeps the unrounded value (±720.0 for ±127, null for -128)",
    ),
    (
        "partial_field",
        "a field cut by the end of the message: pyais decodes the bits that are "
        "there, right-aligned (a number, or a last character from 2–4 bits); setu returns null "
        "for the number and drops the incomplete character",
    ),
    (
        "text_leftover_bits",
        "a text field whose width is not a multiple of 6 (type 21 name "
        "extension, 88 bits): pyais turns the 4 leftover bits into a character, setu ignores them",
    ),
    (
        "text_padding",
        "pyais strips '@' only at the very end, then spaces, so 'NAME@@@ ' stays "
        "'NAME@@@'; setu strips any run of trailing '@' and spaces",
    ),
    (
        "enum_default",
        "pyais replaces codes outside its enums (ship type 39, 253; station type "
        "8; interval 13) with the enum's default; setu keeps the code",
    ),
    (
        "type17_unsigned",
        "pyais reads type 17 longitude/latitude unsigned and in minutes; setu "
        "reads them signed, in degrees",
    ),
    (
        "minutes",
        "pyais returns the 1/10-minute corners of types 22 and 23 in minutes; setu in degrees",
    ),
    (
        "type26_radio",
        "pyais reads the type 26 communication state at the fixed bit 1044 (null "
        "for every shorter message) and its data up to there; setu reads the last 20 bits",
    ),
    (
        "type24_part3",
        "pyais raises on type 24 with part number 2 or 3; setu emits a statics row "
        "with the header and part_num only",
    ),
    (
        "short messages",
        "pyais decodes any length (missing fields None); setu rejects messages "
        "shorter than the type's minimum below as bad_bit_count",
    ),
)

#: Where gpsd's JSON (scaled or not) differs, found on gpsd's .chk files and libais' examples.
KNOWN_GPSD_DIFFERENCES: tuple[tuple[str, str], ...] = (
    ("zero fill", "gpsd reports optional fields a short message leaves out as 0; setu as null"),
    (
        "fill bits",
        "gpsd reads a field that ends inside the fill bits; setu stops at the last data bit",
    ),
    (
        "text",
        "gpsd cuts text at the first '@' and keeps leading spaces; older releases also "
        "map 6-bit codes 31 and 39 to '-' and '`'",
    ),
    (
        "vendor id",
        "gpsd reads the type 24 vendor ID as the pre-M.1371-4 42-bit field; setu as "
        "the 18-bit manufacturer ID followed by model and serial",
    ),
    ("type 21 name", "gpsd appends the name extension to the name; setu keeps name_ext apart"),
    (
        "older releases",
        "the gpsd that wrote libais' typeexamples.json inverts type 6 "
        "retransmit and type 27 gnss, and divides type 9 SOG by 10 in scaled output",
    ),
)


def _fmt_na(f: Field) -> str:
    parts = [str(v) for v in f.na]
    if f.na_from is not None:
        parts.append(f">= {f.na_from}")
    return ", ".join(parts)


def _fmt_scale(f: Field) -> str:
    if f.conv == "rot":
        return "ROT rule"
    return "" if f.scale == 1.0 else f"/ {f.scale:g}"


def _type_section(msg_type: int) -> list[str]:
    lay = LAYOUTS[msg_type]
    out = [
        f"### Type {msg_type}: {lay.name}",
        "",
        f"Family: {', '.join(lay.families)}. Bits: {lay.min_bits} minimum, {lay.max_bits} "
        "standard." + (f" {lay.leniency[0].upper()}{lay.leniency[1:]}." if lay.leniency else ""),
        "",
        "| field | bits | kind | scale | unit | n/a → null | when | description |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in lay.fields:
        if f.kind == "spare":
            continue
        end = f"{f.start + f.width - 1}" if f.start >= 0 else "end"
        bits = f"{f.start}–{end}" if f.start >= 0 else f"last {f.width}"
        if f.variable:
            bits += " (variable)"
        when = " and ".join(c.describe() for c in f.when)
        out.append(
            f"| `{f.name}` | {bits} | {f.kind} | {_fmt_scale(f)} | {f.unit} | {_fmt_na(f)} | "
            f"{when} | {f.description} |"
        )
    return [*out, ""]


def _family_section(family: Family) -> list[str]:
    out = [f"### {family}", "", "| column | Arrow type | from types |", "|---|---|---|"]
    for c in FAMILY_COLUMNS[family]:
        derived = DERIVED_COLUMNS.get((family, c))
        src = derived[1] if derived else ", ".join(str(t) for t, _ in feeding_fields(family, c))
        out.append(f"| `{c}` | {FAMILY_SCHEMAS[family].field(c).type} | {src} |")
    return [*out, ""]


def render_field_reference() -> str:
    """The Markdown of ``docs/ais-fields.md``, generated from the layout and the schemas."""
    from setu.ais import layout

    intro = (layout.__doc__ or "").split("\n\n", 1)[1].strip()
    common = [f"| `{f.name}` | {f.type} | {COMMON_DESCRIPTIONS[f.name]} |" for f in COMMON_COLUMNS]
    lines = [
        "# AIS fields decoded by setu",
        "",
        "Generated by `setu.ais.schema.render_field_reference()` from `setu/ais/layout.py`; "
        "do not edit by hand (a test compares this file with the generator).",
        "",
        intro,
        "",
        "## Tables",
        "",
        "Every table starts with the common columns:",
        "",
        "| column | Arrow type | meaning |",
        "|---|---|---|",
        *common,
        "",
        *[line for fam in FAMILIES for line in _family_section(fam)],
        "## Message types",
        "",
        *[line for t in sorted(LAYOUTS) for line in _type_section(t)],
        "## Known differences from pyais",
        "",
        *[f"- **{k}**: {v}." for k, v in KNOWN_PYAIS_DIFFERENCES],
        "",
        "## Known differences from gpsd",
        "",
        *[f"- **{k}**: {v}." for k, v in KNOWN_GPSD_DIFFERENCES],
        "",
    ]
    return "\n".join(lines)
