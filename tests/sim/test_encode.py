"""The NMEA encoder against pyais: its decoder reads what we write, its encoder writes the same."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyais import decode, encode_dict
from pyais.constants import ShipType

from setu.ais.encode import Lines, encode_nmea, encode_payloads
from setu.errors import DecodeError
from setu.ingest import MemorySink, ingest, sources_for

pytestmark = pytest.mark.unit

_TEXT = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -.", max_size=20).map(str.strip)
_MMSI = st.integers(1, 999_999_999)

position = st.fixed_dictionaries(
    {
        "msg_type": st.sampled_from([1, 2, 3]),
        "mmsi": _MMSI,
        "nav_status": st.integers(0, 15),
        "sog_knots": st.integers(0, 1022).map(lambda v: v / 10),
        "position_accuracy": st.booleans(),
        "lon": st.integers(-180 * 600_000, 180 * 600_000).map(lambda v: v / 600_000),
        "lat": st.integers(-90 * 600_000, 90 * 600_000).map(lambda v: v / 600_000),
        "cog_deg": st.integers(0, 3599).map(lambda v: v / 10),
        "heading_deg": st.integers(0, 359),
        "utc_second": st.integers(0, 59),
        "raim": st.booleans(),
        "radio": st.integers(0, (1 << 19) - 1),
    }
)


def _one(msg_type: int, fields: dict) -> str:
    lines = encode_nmea(msg_type, {k: [v] for k, v in fields.items()}, 1)
    return lines.tobytes().decode()


@settings(max_examples=150, deadline=None)
@given(position)
def test_position_reports_match_pyais_both_ways(msg: dict) -> None:
    fields = {k: v for k, v in msg.items() if k != "msg_type"}
    text = _one(msg["msg_type"], fields)
    ours = decode(text.strip()).asdict()
    assert ours["mmsi"] == msg["mmsi"] and ours["status"] == msg["nav_status"]
    assert math.isclose(ours["speed"], msg["sog_knots"], abs_tol=1e-6)
    assert math.isclose(ours["lon"], msg["lon"], abs_tol=1e-6)
    assert math.isclose(ours["lat"], msg["lat"], abs_tol=1e-6)
    assert math.isclose(ours["course"], msg["cog_deg"], abs_tol=1e-6)
    assert ours["heading"] == msg["heading_deg"] and ours["second"] == msg["utc_second"]
    theirs = encode_dict(
        {"type": msg["msg_type"], "mmsi": msg["mmsi"], "status": msg["nav_status"],
         "turn": -128, "speed": msg["sog_knots"], "accuracy": msg["position_accuracy"],
         "lon": msg["lon"], "lat": msg["lat"], "course": msg["cog_deg"],
         "heading": msg["heading_deg"], "second": msg["utc_second"], "maneuver": 0,
         "raim": msg["raim"], "radio": msg["radio"]},
        talker_id="AI",
    )  # fmt: skip
    # pyais writes the type field of its types 2 and 3 as 1: compare the bits after it
    assert text.strip().split(",")[5][1:] == theirs[0].split(",")[5][1:]
    assert ours["msg_type"] == msg["msg_type"]


class_b = st.fixed_dictionaries(
    {
        "mmsi": _MMSI,
        "sog_knots": st.integers(0, 1022).map(lambda v: v / 10),
        "lon": st.integers(-180 * 600_000, 180 * 600_000).map(lambda v: v / 600_000),
        "lat": st.integers(-90 * 600_000, 90 * 600_000).map(lambda v: v / 600_000),
        "cog_deg": st.integers(0, 3599).map(lambda v: v / 10),
        "utc_second": st.integers(0, 59),
        "cs_unit": st.booleans(),
        "dsc": st.booleans(),
    }
)


@settings(max_examples=100, deadline=None)
@given(class_b)
def test_class_b_reports_match_pyais(msg: dict) -> None:
    text = _one(18, {**msg, "heading_deg": float("nan")})
    theirs = encode_dict(
        {"type": 18, "mmsi": msg["mmsi"], "speed": msg["sog_knots"], "lon": msg["lon"],
         "lat": msg["lat"], "course": msg["cog_deg"], "heading": 511, "second": msg["utc_second"],
         "cs": msg["cs_unit"], "dsc": msg["dsc"]},
        talker_id="AI",
    )  # fmt: skip
    assert text.strip().split(",")[5] == theirs[0].split(",")[5]
    assert decode(text.strip()).asdict()["heading"] == 511


statics = st.fixed_dictionaries(
    {
        "mmsi": _MMSI,
        "imo": st.integers(1_000_000, 9_999_999),
        "call_sign": st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", max_size=7),
        "ship_name": _TEXT,
        # pyais keeps only the codes of its ShipType enum (others become 0 or the type's base)
        "ship_type": st.sampled_from(sorted(int(v) for v in ShipType if int(v) > 0)),
        "to_bow_m": st.integers(0, 511),
        "to_stern_m": st.integers(0, 511),
        "to_port_m": st.integers(0, 63),
        "to_starboard_m": st.integers(0, 63),
        "draught_m": st.integers(1, 255).map(lambda v: v / 10),
        "destination": _TEXT,
    }
)


@settings(max_examples=100, deadline=None)
@given(statics)
def test_type5_matches_pyais_both_ways(msg: dict) -> None:
    text = _one(5, {**msg, "eta_month": 3, "eta_day": 9, "eta_hour": 14, "eta_minute": 30})
    parts = [line for line in text.split("\n") if line]
    assert len(parts) == 2 and parts[0].startswith("!AIVDM,2,1,0,A,")
    ours = decode(*parts).asdict()
    assert ours["imo"] == msg["imo"] and ours["shipname"] == msg["ship_name"]
    assert ours["callsign"] == msg["call_sign"] and ours["destination"] == msg["destination"]
    assert ours["to_bow"] == msg["to_bow_m"] and math.isclose(ours["draught"], msg["draught_m"])
    theirs = encode_dict(
        {"type": 5, "mmsi": msg["mmsi"], "imo": msg["imo"], "callsign": msg["call_sign"],
         "shipname": msg["ship_name"], "ship_type": msg["ship_type"], "to_bow": msg["to_bow_m"],
         "to_stern": msg["to_stern_m"], "to_port": msg["to_port_m"],
         "to_starboard": msg["to_starboard_m"], "month": 3, "day": 9, "hour": 14, "minute": 30,
         "draught": msg["draught_m"], "destination": msg["destination"]},
        talker_id="AI",
    )  # fmt: skip
    assert "".join(p.split(",")[5] for p in parts) == "".join(t.split(",")[5] for t in theirs)


@settings(max_examples=60, deadline=None)
@given(statics, st.booleans())
def test_type24_parts_match_pyais(msg: dict, part_b: bool) -> None:
    if part_b:
        fields = {k: msg[k] for k in ("mmsi", "ship_type", "call_sign", "to_bow_m", "to_stern_m",
                                      "to_port_m", "to_starboard_m")}  # fmt: skip
        text = _one(24, {**fields, "part_num": 1, "vendor_id": "SRT", "model": 2, "serial": 12345})
        theirs = encode_dict(
            {"type": 24, "mmsi": msg["mmsi"], "partno": 1, "ship_type": msg["ship_type"],
             "vendorid": "SRT", "model": 2, "serial": 12345, "callsign": msg["call_sign"],
             "to_bow": msg["to_bow_m"], "to_stern": msg["to_stern_m"],
             "to_port": msg["to_port_m"], "to_starboard": msg["to_starboard_m"]},
            talker_id="AI",
        )  # fmt: skip
    else:
        text = _one(24, {"mmsi": msg["mmsi"], "part_num": 0, "ship_name": msg["ship_name"]})
        theirs = encode_dict(
            {"type": 24, "mmsi": msg["mmsi"], "partno": 0, "shipname": msg["ship_name"]},
            talker_id="AI",
        )  # fmt: skip
    assert text.strip().split(",")[5] == theirs[0].split(",")[5]


def test_tag_blocks_and_vectorised_rows_go_through_setu_ingest(tmp_path: Path) -> None:
    n = 3
    lines = encode_nmea(
        1, {"mmsi": [419000001, 419000002, 419000003], "lon": [72.5, 72.6, np.nan],
            "lat": [18.9, 19.0, np.nan], "sog_knots": [12.3, np.nan, 0.0]},
        n, station=["INBOM001", "INBOM001", "SAIS0001"],
        unix_s=[1736899200, 1736899210, 1736899220],
    )  # fmt: skip
    assert isinstance(lines, Lines) and len(lines) == n and len(list(lines)) == n
    feed = tmp_path / "three.nmea"
    feed.write_bytes(lines.tobytes())
    sink = MemorySink()
    summary = ingest(sources_for(paths=[str(feed)]), sink, strict=True)
    assert summary.messages == n
    table = sink.table("positions").to_pylist()
    assert [r["mmsi"] for r in table] == [419000001, 419000002, 419000003]
    assert table[0]["station"] == "INBOM001" and table[2]["lon"] is None
    assert table[1]["sog_knots"] is None and table[1]["received_at"].timestamp() == 1736899210


def test_misuse_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="cannot encode message type 4"):
        encode_payloads(4, {"mmsi": [1]}, 1)
    with pytest.raises(DecodeError, match="mmsi"):
        encode_payloads(1, {"lon": [1.0]}, 1)
    with pytest.raises(DecodeError, match="same length"):
        encode_nmea(1, {"mmsi": [1, 2]}, 2, station=["A", "BB"], unix_s=[1736899200] * 2)
