"""The layout declaration is complete and consistent, and everything derived from it agrees."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from setu.ais.layout import FAMILIES, HEADER, LAYOUTS, rot_from_raw
from setu.ais.schema import (
    COMMON_COLUMNS,
    DERIVED_COLUMNS,
    FAMILY_COLUMNS,
    FAMILY_SCHEMAS,
    render_field_reference,
)

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[2] / "docs" / "ais-fields.md"

#: the data contract, written out independently of the derivation rules
CONTRACT: dict[str, dict[str, pa.DataType]] = {
    "positions": {
        "nav_status": pa.uint8(), "rot_deg_per_min": pa.float32(), "sog_knots": pa.float32(),
        "position_accuracy": pa.bool_(), "lon": pa.float64(), "lat": pa.float64(),
        "cog_deg": pa.float32(), "heading_deg": pa.uint16(), "utc_second": pa.uint8(),
        "maneuver": pa.uint8(), "raim": pa.bool_(), "radio": pa.uint32(), "cs_unit": pa.bool_(),
        "display": pa.bool_(), "dsc": pa.bool_(), "band": pa.bool_(), "msg22": pa.bool_(),
        "assigned": pa.bool_(), "gnss": pa.bool_(),
    },
    "statics": {
        "ais_version": pa.uint8(), "imo": pa.uint32(), "call_sign": pa.string(),
        "ship_name": pa.string(), "ship_type": pa.uint8(), "to_bow_m": pa.uint16(),
        "to_stern_m": pa.uint16(), "to_port_m": pa.uint8(), "to_starboard_m": pa.uint8(),
        "epfd": pa.uint8(), "eta_month": pa.uint8(), "eta_day": pa.uint8(),
        "eta_hour": pa.uint8(), "eta_minute": pa.uint8(), "draught_m": pa.float32(),
        "destination": pa.string(), "dte": pa.bool_(), "part_num": pa.uint8(),
        "vendor_id": pa.string(), "model": pa.uint8(), "serial": pa.uint32(),
        "mothership_mmsi": pa.uint32(),
    },
    "base_stations": {
        "year": pa.uint16(), "month": pa.uint8(), "day": pa.uint8(), "hour": pa.uint8(),
        "minute": pa.uint8(), "second": pa.uint8(),
        "station_time": pa.timestamp("us", tz="UTC"), "position_accuracy": pa.bool_(),
        "lon": pa.float64(), "lat": pa.float64(), "epfd": pa.uint8(), "raim": pa.bool_(),
        "radio": pa.uint32(),
    },
    "other": {"fields_json": pa.string()},
}  # fmt: skip

COMMON = {
    "received_at": pa.timestamp("us", tz="UTC"), "mmsi": pa.uint32(), "msg_type": pa.uint8(),
    "repeat": pa.uint8(), "station": pa.string(), "channel": pa.string(),
    "talker": pa.string(), "line_no": pa.int64(), "checksum_ok": pa.bool_(),
    "msg_hash": pa.uint64(),
}  # fmt: skip


def test_every_message_type_1_to_27_is_declared() -> None:
    assert sorted(LAYOUTS) == list(range(1, 28))
    for t, lay in LAYOUTS.items():
        assert lay.msg_type == t
        assert lay.fields[:3] == HEADER


@pytest.mark.parametrize("family", FAMILIES)
def test_family_schema_is_the_data_contract(family: str) -> None:
    schema = FAMILY_SCHEMAS[family]
    assert {f.name: f.type for f in schema} == {**COMMON, **CONTRACT[family]}
    assert schema.names == [*COMMON, *CONTRACT[family]]
    assert [f.name for f in COMMON_COLUMNS] == list(COMMON)


@pytest.mark.parametrize("msg_type", sorted(LAYOUTS))
def test_fields_cover_every_bit_and_unconditional_ones_do_not_overlap(msg_type: int) -> None:
    lay = LAYOUTS[msg_type]
    fixed = [f for f in lay.fields if f.start >= 0]
    end = max(f.start + f.width for f in fixed if not f.variable) if fixed else 0
    covered = {b for f in fixed for b in range(f.start, f.start + f.width)}
    assert set(range(end)) <= covered, f"type {msg_type}: bits {set(range(end)) - covered}"
    owner: dict[int, str] = {}
    for f in fixed:
        if f.when:
            continue
        for b in range(f.start, f.start + f.width):
            assert b not in owner, f"type {msg_type}: {f.name} overlaps {owner[b]} at bit {b}"
            owner[b] = f.name
    assert lay.min_bits <= lay.max_bits


@pytest.mark.parametrize("msg_type", sorted(LAYOUTS))
def test_conditional_fields_depend_on_unconditional_integer_fields(msg_type: int) -> None:
    lay = LAYOUTS[msg_type]
    plain = {f.name for f in lay.fields if not f.when and f.kind in ("uint", "bool")}
    for f in lay.fields:
        for cond in f.when:
            assert cond.field in plain, f"type {msg_type}: {f.name} depends on {cond.field}"
        assert f.start + f.width <= lay.max_bits or f.start < 0


@pytest.mark.parametrize("msg_type", sorted(LAYOUTS))
def test_field_names_are_unique_per_condition(msg_type: int) -> None:
    seen: set[tuple[str, tuple[object, ...]]] = set()
    for f in LAYOUTS[msg_type].fields:
        key = (f.name, f.when)
        assert key not in seen, f"type {msg_type} declares {f.name} twice under one condition"
        seen.add(key)


def test_every_field_of_a_columnar_type_has_a_column() -> None:
    header = {f.name for f in HEADER}
    for t, lay in LAYOUTS.items():
        columnar = [fam for fam in lay.families if fam != "other"]
        if not columnar:
            continue
        columns = {c for fam in columnar for c in FAMILY_COLUMNS[fam]}
        for f in lay.fields:
            if f.kind != "spare" and f.name not in header:
                assert f.name in columns, f"type {t} field {f.name} has no column"


def test_every_column_is_fed_by_the_layout_or_derived() -> None:
    for fam in FAMILIES:
        types = [t for t, lay in LAYOUTS.items() if fam in lay.families]
        for c in FAMILY_COLUMNS[fam]:
            fed = any(f.name == c for t in types for f in LAYOUTS[t].fields)
            assert fed or (fam, c) in DERIVED_COLUMNS, f"{fam}.{c}"


def test_not_available_values_follow_m1371() -> None:
    t1, t27 = LAYOUTS[1], LAYOUTS[27]
    assert t1.field("lon").convert(181 * 600_000) is None
    assert t1.field("lat").convert(91 * 600_000) is None
    assert t1.field("sog_knots").convert(1023) is None
    assert t1.field("cog_deg").convert(3600) is None
    assert t1.field("heading_deg").convert(511) is None
    assert t1.field("rot_deg_per_min").convert(-128) is None
    assert [t1.field("utc_second").convert(s) for s in (59, 60, 61, 62, 63)] == [59] + [None] * 4
    assert t27.field("sog_knots").convert(63) is None
    assert t27.field("cog_deg").convert(511) is None
    assert t27.field("lon").convert(181 * 600) is None
    assert t27.field("lat").convert(91 * 600) is None
    assert t27.field("lon").convert(-600) == -1.0


def test_rot_rule() -> None:
    assert rot_from_raw(0) == 0.0
    assert rot_from_raw(126) == pytest.approx((126 / 4.733) ** 2)
    assert rot_from_raw(-126) == pytest.approx(-((126 / 4.733) ** 2))
    assert rot_from_raw(127) == pytest.approx(720.0, abs=0.1) and rot_from_raw(127) > 708
    assert rot_from_raw(-127) < -708


def test_committed_field_reference_matches_the_generator() -> None:
    assert DOC.read_text() == render_field_reference(), (
        "docs/ais-fields.md is stale: regenerate it with "
        "python -c 'from setu.ais.schema import render_field_reference as r; "
        'open("docs/ais-fields.md", "w").write(r())\''
    )


def test_field_reference_mentions_every_field() -> None:
    text = render_field_reference()
    for lay in LAYOUTS.values():
        assert f"### Type {lay.msg_type}: {lay.name}" in text
        for f in lay.fields:
            if f.kind != "spare":
                assert f"`{f.name}`" in text
