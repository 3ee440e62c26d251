"""Batch and single-message decoding on hand-built messages, and properties (Hypothesis)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyais import encode_dict
from pyais.bit_vector import bit_vector

from setu.ais._decode_generic import sixbit_value
from setu.ais._decode_sentences import batch_from_sentences
from setu.ais._decode_tables import _take_text
from setu.ais.batch import NO_TIME, PayloadBatch
from setu.ais.decode import FAMILY_SCHEMAS, DecodeResult, decode_batch, decode_payload
from setu.ais.layout import LAYOUTS
from setu.ais.reasons import Reason
from setu.errors import ConfigError, DecodeError

pytestmark = pytest.mark.unit

ARMOUR = "0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw"


def sentence(payload: str, fill: int = 0, talker: str = "AIVDM", tag: str = "") -> str:
    body = f"{talker},1,1,,A,{payload},{fill}"
    checksum = 0
    for ch in body.encode():
        checksum ^= ch
    return f"{tag}!{body}*{checksum:02X}"


def batch_of(*payloads: str | tuple[str, int]) -> PayloadBatch:
    lines = [sentence(*p) if isinstance(p, tuple) else sentence(p) for p in payloads]
    return batch_from_sentences(lines)


def one_row(result: DecodeResult, family: str) -> dict[str, Any]:
    rows = result.tables[family].to_pylist()
    assert len(rows) == 1, {k: t.num_rows for k, t in result.tables.items()}
    return rows[0]


def encoded(fields: dict[str, Any]) -> list[str]:
    return list(encode_dict(fields, talker_id="AI", radio_channel="A", seq_id=1))


# --- known messages -----------------------------------------------------------------------------


def test_type1_known_values() -> None:
    # ITU/gpsd example: a Class A report off San Francisco
    row = one_row(decode_batch(batch_of("15M67FC000G?ufbE`FepT@3n00Sa")), "positions")
    assert row["mmsi"] == 366053209 and row["msg_type"] == 1 and row["repeat"] == 0
    assert row["lon"] == pytest.approx(-122.341618, abs=1e-6)
    assert row["lat"] == pytest.approx(37.802118, abs=1e-6)
    assert row["sog_knots"] == 0.0 and row["cog_deg"] == pytest.approx(219.3)
    assert row["heading_deg"] == 1 and row["utc_second"] == 59
    assert row["nav_status"] == 3 and row["rot_deg_per_min"] == 0.0
    assert row["talker"] == "AIVDM" and row["channel"] == "A" and row["checksum_ok"]
    assert row["cs_unit"] is None and row["gnss"] is None


def test_not_available_values_are_null() -> None:
    lines = encoded(
        {"type": 1, "mmsi": 211000001, "lon": 181, "lat": 91, "speed": 102.3, "course": 360,
         "heading": 511, "second": 60, "turn": -128}
    )  # fmt: skip
    row = one_row(decode_batch(batch_from_sentences(lines)), "positions")
    for name in ("lon", "lat", "sog_knots", "cog_deg", "heading_deg", "utc_second"):
        assert row[name] is None, name
    assert row["rot_deg_per_min"] is None


@pytest.mark.parametrize(
    ("turn", "expected"), [(0, 0.0), (10, (10 / 4.733) ** 2), (-50, -((50 / 4.733) ** 2))]
)
def test_rot_follows_the_4733_formula(turn: int, expected: float) -> None:
    lines = encoded({"type": 1, "mmsi": 211000001, "turn": round(expected, 6)})
    row = one_row(decode_batch(batch_from_sentences(lines)), "positions")
    assert row["rot_deg_per_min"] == pytest.approx(expected, rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("raw", [127, -127])
def test_rot_fast_turn_without_indicator_keeps_sign_beyond_708(raw: int) -> None:
    payload = decode_payload("15M67FC000G?ufbE`FepT@3n00Sa")
    assert payload["rot_deg_per_min"] == 0.0
    lines = encoded({"type": 1, "mmsi": 211000001, "turn": raw})
    row = one_row(decode_batch(batch_from_sentences(lines)), "positions")
    assert abs(row["rot_deg_per_min"]) > 708 and (row["rot_deg_per_min"] > 0) == (raw > 0)


def test_type27_scaling_and_not_available() -> None:
    lines = encoded({"type": 27, "mmsi": 230108610, "lon": 24.963, "lat": 60.163, "speed": 12,
                     "course": 30, "gnss": 1})  # fmt: skip
    row = one_row(decode_batch(batch_from_sentences(lines)), "positions")
    assert row["lon"] == pytest.approx(24.963, abs=1 / 600) and row["sog_knots"] == 12.0
    assert row["cog_deg"] == 30.0 and row["gnss"] is True
    lines = encoded({"type": 27, "mmsi": 230108610, "lon": 181, "lat": 91, "speed": 63,
                     "course": 511})  # fmt: skip
    row = one_row(decode_batch(batch_from_sentences(lines)), "positions")
    assert [row[k] for k in ("lon", "lat", "sog_knots", "cog_deg")] == [None] * 4


def test_type5_static_and_voyage() -> None:
    lines = encoded(
        {"type": 5, "mmsi": 249190000, "imo": 9383663, "callsign": "9HMQ9",
         "shipname": "RUTH THERESA", "ship_type": 80, "to_bow": 78, "to_stern": 23, "to_port": 1,
         "to_starboard": 17, "epfd": 1, "month": 2, "day": 16, "hour": 18, "minute": 0,
         "draught": 7.8, "destination": "BOSTON,USA", "dte": 0}
    )  # fmt: skip
    row = one_row(decode_batch(batch_from_sentences(lines)), "statics")
    assert row["ship_name"] == "RUTH THERESA" and row["call_sign"] == "9HMQ9"
    assert row["destination"] == "BOSTON,USA" and row["imo"] == 9383663
    assert row["draught_m"] == pytest.approx(7.8) and row["eta_month"] == 2
    assert (row["to_bow_m"], row["to_stern_m"], row["to_port_m"], row["to_starboard_m"]) == (
        78, 23, 1, 17,
    )  # fmt: skip
    assert row["part_num"] is None and row["vendor_id"] is None


def test_type5_eta_and_draught_not_available_are_null() -> None:
    lines = encoded({"type": 5, "mmsi": 249190000, "month": 0, "day": 0, "hour": 24,
                     "minute": 60, "draught": 0, "imo": 0})  # fmt: skip
    row = one_row(decode_batch(batch_from_sentences(lines)), "statics")
    for name in ("eta_month", "eta_day", "eta_hour", "eta_minute", "draught_m", "imo"):
        assert row[name] is None, name
    assert row["ship_name"] is None and row["destination"] is None


def test_type24_parts_and_auxiliary_craft() -> None:
    part_a = encoded({"type": 24, "mmsi": 338085237, "partno": 0, "shipname": "SAND DOLLAR"})
    part_b = encoded({"type": 24, "mmsi": 338085237, "partno": 1, "ship_type": 37,
                      "vendorid": "GRM", "model": 2, "serial": 12345, "callsign": "WDG2814",
                      "to_bow": 8, "to_stern": 3, "to_port": 2, "to_starboard": 1})  # fmt: skip
    aux = encoded({"type": 24, "mmsi": 983191049, "partno": 1, "ship_type": 37,
                   "callsign": "DINGY", "mothership_mmsi": 338085237})  # fmt: skip
    rows = decode_batch(batch_from_sentences(part_a + part_b + aux)).tables["statics"]
    a, b, c = rows.to_pylist()
    assert a["part_num"] == 0 and a["ship_name"] == "SAND DOLLAR" and a["call_sign"] is None
    assert b["part_num"] == 1 and b["ship_name"] is None and b["vendor_id"] == "GRM"
    assert (b["model"], b["serial"], b["call_sign"], b["ship_type"]) == (2, 12345, "WDG2814", 37)
    assert (b["to_bow_m"], b["to_starboard_m"], b["mothership_mmsi"]) == (8, 1, None)
    assert c["mothership_mmsi"] == 338085237 and c["to_bow_m"] is None


def test_type19_goes_to_positions_and_statics() -> None:
    payload = "C5N3SRgPEnJGEBT>NhWAwwo862PaLELTBJ:V00000000S0D:R220"
    result = decode_batch(batch_of(payload))
    pos, sta = one_row(result, "positions"), one_row(result, "statics")
    assert pos["mmsi"] == sta["mmsi"] == 367059850
    assert pos["sog_knots"] == pytest.approx(8.7) and pos["lon"] == pytest.approx(-88.810392)
    assert sta["ship_name"] == "CAPT.J.RIMES" and sta["ship_type"] == 70
    assert pos["msg_hash"] == sta["msg_hash"]


def test_base_station_time() -> None:
    row = one_row(decode_batch(batch_of("403OviQuMGCqWrRO9>E6fE700@GO")), "base_stations")
    assert (row["year"], row["month"], row["day"]) == (2007, 5, 14)
    assert row["station_time"].isoformat() == "2007-05-14T19:57:39+00:00"


def test_base_station_time_null_when_not_available() -> None:
    row = one_row(decode_batch(batch_of("403Ovl@000Htt<tSF0l4Q@100`Pq")), "base_stations")
    assert row["year"] is None and row["hour"] is None and row["station_time"] is None
    assert row["lon"] is None and row["lat"] is None


def test_other_family_json_holds_every_field() -> None:
    # type 21 aid to navigation, from the DMA AisLib sample
    payload = "E>jQMD:Q7a2h97QUah@@@@@@@@@?i3KK>r0KP20@@@Uf@0"
    row = one_row(decode_batch(batch_of((payload, 4))), "other")
    fields = json.loads(row["fields_json"])
    layout_names = {f.name for f in LAYOUTS[21].fields if f.kind != "spare"} - {
        "msg_type", "repeat", "mmsi",
    }  # fmt: skip
    assert set(fields) == layout_names
    assert row["msg_type"] == 21


def test_binary_message_data_as_hex() -> None:
    fields = decode_payload("803Ovrh0EP:024`@02PN04da=3V<>N0000", 4)
    assert (fields["dac"], fields["fi"]) == (1, 22)
    assert fields["data_bits"] == 6 * 34 - 4 - 56 == 144
    independent = bit_vector(b"803Ovrh0EP:024`@02PN04da=3V<>N0000", 4).get_bytes(56, 144)
    assert fields["data"] == independent.hex() == "0280084a1000281e004b2934398c39e00000"


# --- rejects --------------------------------------------------------------------------------------


def test_unknown_types_and_short_messages_are_rejected() -> None:
    batch = batch_of("0000000000", "L000000000", "15M67FC000G", "5000000000000000")
    result = decode_batch(batch)
    assert result.rejects.column("reason").to_pylist() == [
        Reason.UNKNOWN_MSG_TYPE, Reason.UNKNOWN_MSG_TYPE, Reason.BAD_BIT_COUNT,
        Reason.BAD_BIT_COUNT,
    ]  # fmt: skip
    assert result.rejects.column("raw").to_pylist()[2] == "15M67FC000G"
    assert sum(t.num_rows for t in result.tables.values()) == 0


def test_short_but_decodable_type5_is_kept(ais_data: Path) -> None:
    lines = (ais_data / "gfw-ais-tools" / "sample" / "bad-type5.nmea").read_text().splitlines()
    result = decode_batch(batch_from_sentences(lines))
    statics = result.tables["statics"].to_pylist()
    assert result.rejects.num_rows == 0 and len(statics) == 3
    short = next(r for r in statics if r["dte"] is None)
    assert short["destination"] == "DODEW" and short["draught_m"] is not None


def test_type24_part_a_of_160_bits_is_kept_shorter_is_rejected() -> None:
    lines = encoded({"type": 24, "mmsi": 338085237, "partno": 0, "shipname": "SAND DOLLAR"})
    payload = lines[0].split(",")[5]
    ok = decode_batch(batch_of((payload[:27], 2)))  # 27 * 6 - 2 = 160 bits
    assert one_row(ok, "statics")["ship_name"] == "SAND DOLLAR"
    bad = decode_batch(batch_of((payload[:26], 0)))  # 156 bits
    assert bad.rejects.column("reason").to_pylist() == [Reason.BAD_BIT_COUNT]


def test_decode_payload_errors() -> None:
    with pytest.raises(DecodeError, match="unknown_msg_type"):
        decode_payload("0000000")
    with pytest.raises(DecodeError, match="bad_bit_count"):
        decode_payload("15M67FC")
    with pytest.raises(DecodeError, match="armour"):
        decode_payload("15M67FC000G?ufbE`FepT@3n00S~")
    with pytest.raises(DecodeError, match="fill bits"):
        decode_payload("15M67FC000G?ufbE`FepT@3n00Sa", 6)


# --- tables, columns, families --------------------------------------------------------------------


def test_empty_batch_gives_every_family_with_its_schema() -> None:
    result = decode_batch(batch_from_sentences([]))
    assert set(result.tables) == set(FAMILY_SCHEMAS)
    for name, table in result.tables.items():
        assert table.num_rows == 0 and table.schema == FAMILY_SCHEMAS[name]
    assert result.rejects.num_rows == 0


def test_families_filter_and_unknown_family() -> None:
    result = decode_batch(batch_of("15M67FC000G?ufbE`FepT@3n00Sa"), families=frozenset({"statics"}))
    assert list(result.tables) == ["statics"] and result.tables["statics"].num_rows == 0
    with pytest.raises(ConfigError, match="unknown AIS families"):
        decode_batch(batch_of(), families=frozenset({"tracks"}))


def test_common_columns_from_the_batch() -> None:
    tag = "\\s:2573485,c:1384257600*0E\\"
    batch = batch_from_sentences([sentence("15M67FC000G?ufbE`FepT@3n00Sa", tag=tag)])
    row = one_row(decode_batch(batch), "positions")
    assert row["station"] == "2573485" and row["line_no"] == 1
    assert row["received_at"].isoformat() == "2013-11-12T12:00:00+00:00"
    assert batch.received_at_us[0] != NO_TIME


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def test_msg_hash_is_fnv1a_of_payload_and_fill_digit() -> None:
    result = decode_batch(batch_of(("15M67FC000G?ufbE`FepT@3n00Sa", 0), ("E>jHC=c6:W2h22R`@2:", 4)))
    assert one_row(result, "positions")["msg_hash"] == fnv1a64(b"15M67FC000G?ufbE`FepT@3n00Sa0")


def test_decode_batch_does_not_mutate_its_input() -> None:
    batch = batch_of("15M67FC000G?ufbE`FepT@3n00Sa", "403OviQuMGCqWrRO9>E6fE700@GO")
    before = [a.copy() for a in (batch.payload, batch.offsets, batch.fill_bits, batch.line_no)]
    decode_batch(batch)
    after = (batch.payload, batch.offsets, batch.fill_bits, batch.line_no)
    assert all(np.array_equal(x, y) for x, y in zip(before, after, strict=True))


# --- properties -------------------------------------------------------------------------------


def _as_plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _agree(batch: PayloadBatch, result: DecodeResult) -> int:
    """Every decoded row equals decode_payload of its payload; returns rows checked."""
    by_row: dict[tuple[int, int], dict[str, Any]] = {}
    for family, table in result.tables.items():
        for row in table.to_pylist():
            if family == "other":
                row = {**row, **json.loads(row.pop("fields_json"))}
            by_row.setdefault((row["line_no"], row["msg_hash"]), {}).update(row)
    checked = 0
    for i in range(len(batch)):
        try:
            single = decode_payload(batch.payload_text(i), int(batch.fill_bits[i]))
        except DecodeError:
            continue
        row = next(r for (line, _), r in by_row.items() if line == batch.line_no[i])
        for key, value in single.items():
            if key in row:
                ours = row[key]
                if isinstance(value, float) and ours is not None:
                    assert ours == pytest.approx(value, rel=1e-6), key
                else:
                    assert _as_plain(ours) == value, key
        checked += 1
    return checked


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.text(ARMOUR, min_size=0, max_size=90), st.integers(0, 5)),
        min_size=1,
        max_size=12,
    )
)
def test_random_payloads_never_crash_and_batch_equals_single(
    messages: list[tuple[str, int]],
) -> None:
    batch = batch_of(*[(p, f) for p, f in messages if p])
    result = decode_batch(batch)
    decoded = len({(r["line_no"]) for t in result.tables.values() for r in t.to_pylist()})
    assert decoded + result.rejects.num_rows == len(batch)
    _agree(batch, result)


@settings(max_examples=200, deadline=None)
@given(
    mmsi=st.integers(1, 999_999_999),
    lon=st.integers(-180 * 600_000, 180 * 600_000),
    lat=st.integers(-90 * 600_000, 90 * 600_000),
    speed=st.integers(0, 1022),
    course=st.integers(0, 3599),
    heading=st.integers(0, 359),
    second=st.integers(0, 59),
    msg_type=st.sampled_from([1, 18]),
)
def test_pyais_encoded_positions_round_trip(
    mmsi: int, lon: int, lat: int, speed: int, course: int, heading: int, second: int,
    msg_type: int,
) -> None:  # fmt: skip
    fields = {"type": msg_type, "mmsi": mmsi, "lon": lon / 600_000, "lat": lat / 600_000,
              "speed": speed / 10, "course": course / 10, "heading": heading,
              "second": second}  # fmt: skip
    row = one_row(decode_batch(batch_from_sentences(encoded(fields))), "positions")
    assert row["mmsi"] == mmsi and row["msg_type"] == msg_type
    assert row["lon"] == pytest.approx(lon / 600_000, abs=1e-7)
    assert row["lat"] == pytest.approx(lat / 600_000, abs=1e-7)
    assert row["sog_knots"] == pytest.approx(speed / 10, abs=1e-4)
    assert row["cog_deg"] == pytest.approx(course / 10, abs=1e-4)
    assert (row["heading_deg"], row["utc_second"]) == (heading, second)


@settings(max_examples=100, deadline=None)
@given(
    mmsi=st.integers(1, 999_999_999),
    name=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -", min_size=1, max_size=20),
    call=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=7),
    dest=st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ ,.", min_size=1, max_size=20),
    draught=st.integers(1, 255),
)
def test_pyais_encoded_statics_round_trip(
    mmsi: int, name: str, call: str, dest: str, draught: int
) -> None:
    fields = {"type": 5, "mmsi": mmsi, "shipname": name, "callsign": call, "destination": dest,
              "draught": draught / 10, "imo": 1234567}  # fmt: skip
    row = one_row(decode_batch(batch_from_sentences(encoded(fields))), "statics")
    assert row["ship_name"] == (name.strip() or None)
    assert row["call_sign"] == call and row["destination"] == (dest.strip() or None)
    assert row["draught_m"] == pytest.approx(draught / 10, abs=1e-4)


@pytest.mark.realdata
def test_batch_equals_single_message_path_on_real_data(ais_data: Path) -> None:
    path = ais_data / "dma" / "AisLib" / "stream_example.txt"
    batch = batch_from_sentences(path.read_text().splitlines())
    assert _agree(batch, decode_batch(batch)) > 4000


def test_arrow_types_of_decoded_tables() -> None:
    result = decode_batch(batch_of("15M67FC000G?ufbE`FepT@3n00Sa"))
    assert result.tables["positions"].schema == FAMILY_SCHEMAS["positions"]
    assert result.rejects.schema.field("received_at").type == pa.timestamp("us", tz="UTC")


def test_other_family_header_reads_repeat_and_mmsi_from_bits_6_to_37() -> None:
    # regression: the "other" table once computed mmsi/repeat from the wrong bits
    payload = "=nq@w7AlOpV<"  # type 13 with repeat 3
    row = one_row(decode_batch(batch_of(payload)), "other")
    single = decode_payload(payload)
    assert (
        (row["repeat"], row["mmsi"]) == (single["repeat"], single["mmsi"]) == (3, 462700317)
    )  # as pyais


@given(st.binary(max_size=90))
def test_single_message_dearmouring_matches_the_kernel_rule(payload: bytes) -> None:
    expected = 0
    for ch in payload:
        v = ch - 48
        expected = (expected << 6) | ((v - 8 if v > 40 else v) & 63)
    assert sixbit_value(payload) == expected


@pytest.mark.parametrize(
    "values",
    [
        pa.array(["AIVDM", "BSVDM", "ABVDO"] * 3),
        pa.array(["A", "B", None, "A"]),
        pa.array(["A", "B", "A", "B"]).slice(1),
        pa.array(["AB", "C", "DE"]),
        pa.array(["", "", ""]),
        pa.array([None, None], pa.string()),
    ],
)
def test_common_text_columns_take_rows_of_any_string_column(values: pa.Array) -> None:
    idx = np.array([i for i in (0, 2, 1, 0) if i < len(values)], np.int64)
    taken = _take_text(values, idx)
    taken.validate(full=True)
    assert taken.type == pa.string()
    assert taken.to_pylist() == [values.to_pylist()[i] for i in idx]
