"""setu's decoder against independent decoders on real recordings.

- pyais (differential): every message of every NMEA-like file under ../shared/data/ais, field by
  field, through the batch decoder's tables. Every disagreement must be one of the documented
  "Known differences from pyais" (docs/ais-fields.md); each is pinned by a regression test below.
- libais ``typeexamples.nmea`` + ``.json`` and gpsd's ``*.chk`` expected outputs (gpsd JSON;
  raw integers unless ``"scaled": true``).
"""

from __future__ import annotations

import json
import math
from collections import Counter, deque
from collections.abc import Iterator
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyais.bit_vector import bit_vector
from pyais.exceptions import UnknownPartNoException
from pyais.messages import MSG_CLASS

from setu.ais._decode_kernels import analyse_rows
from setu.ais._decode_sentences import batch_from_sentences
from setu.ais.decode import decode_batch, decode_payload
from setu.ais.layout import HEADER, LAYOUTS, Field
from setu.errors import DecodeError

pytestmark = pytest.mark.realdata

# --- pyais ------------------------------------------------------------------------------------

#: setu layout name -> pyais attribute name (same name when absent)
PYAIS_NAME = {
    "nav_status": "status", "rot_deg_per_min": "turn", "sog_knots": "speed",
    "position_accuracy": "accuracy", "cog_deg": "course", "heading_deg": "heading",
    "utc_second": "second", "cs_unit": "cs", "call_sign": "callsign", "ship_name": "shipname",
    "to_bow_m": "to_bow", "to_stern_m": "to_stern", "to_port_m": "to_port",
    "to_starboard_m": "to_starboard", "eta_month": "month", "eta_day": "day",
    "eta_hour": "hour", "eta_minute": "minute", "draught_m": "draught", "part_num": "partno",
    "vendor_id": "vendorid", "alt_m": "alt", "fi": "fid", "regional": "reserved_1",
}  # fmt: skip

#: pyais returns these 1/10-minute coordinates in minutes (divides by 10), setu in degrees
PYAIS_MINUTES = {
    (t, f"{corner}_{axis}") for t in (22, 23) for corner in ("ne", "sw") for axis in ("lon", "lat")
} | {(17, "lon"), (17, "lat")}

TEXT_FILES = (".txt", ".nmea", ".nm4", ".log", ".ais", ".aivdm", "messages")


def nmea_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(TEXT_FILES))


def pyais_decode(payload: str, fill: int) -> dict[str, Any] | None:
    msg_type = (ord(payload[0]) - 48 - (8 if payload[0] > "W" else 0)) if payload else 0
    cls = MSG_CLASS.get(msg_type)  # type: ignore[call-overload]
    if cls is None or msg_type == 0:
        return None
    try:
        return cls.from_vector(bit_vector(payload.encode(), fill)).asdict()  # type: ignore[no-any-return]
    except UnknownPartNoException:
        return None


def _raw_from_pyais(msg_type: int, f: Field, value: Any) -> Any:
    if isinstance(value, Enum):
        value = value.value
    if f.kind in ("text", "bool") or value is None:
        return value
    if f.kind == "binary":
        return value.hex()
    scale = 10.0 if (msg_type, f.name) in PYAIS_MINUTES else f.scale
    return round(value * scale)


def _classify_rot(ours: Any, theirs: Any) -> str | None:
    if theirs is None:
        return None if ours is None else "unexplained"
    if isinstance(theirs, Enum):  # pyais TurnRate: raw -128 (n/a) or +-127 (fast turn)
        raw = int(theirs.value)
        if raw in (-128, 128):
            return None if ours is None else "unexplained"
        fast = ours is not None and abs(ours) > 708 and (ours > 0) == (raw > 0)
        return None if fast else "unexplained"
    close = ours is not None and abs(ours - theirs) <= 0.5 + 1e-3
    return "rot_rounding" if close else "unexplained"


def _classify_text(f: Field, ours: Any, theirs: Any, start: int, nbits: int) -> str | None:
    if (ours or "") == theirs:
        return None
    if start + f.width > nbits:
        return "partial_field"
    if f.width % 6 and theirs.startswith(ours or ""):
        return "text_leftover_bits"
    return "text_padding" if (ours or "") == theirs.rstrip("@ ") else "unexplained"


def classify_pyais(msg_type: int, f: Field, ours: Any, theirs: Any, nbits: int) -> str | None:
    """None when equal; else the name of the documented difference (or "unexplained")."""
    if f.conv == "rot":
        return _classify_rot(ours, theirs)
    start = f.start + nbits if f.start < 0 else f.start
    if f.kind == "text":
        return _classify_text(f, ours, theirs, start, nbits)
    if msg_type == 26 and f.name in ("radio", "data"):
        same = ours == (theirs.hex() if isinstance(theirs, bytes) else theirs)
        return None if same else "type26_radio"
    if f.kind == "binary":
        return None if (ours or "") == (theirs or b"").hex() else "unexplained"
    raw = _raw_from_pyais(msg_type, f, theirs)
    if _same(ours, None if raw is None else f.convert(raw)):
        return None
    if start + f.width > nbits:
        return "partial_field"
    if msg_type == 17 and f.name in ("lon", "lat"):
        signed = raw - (1 << f.width) if raw >> (f.width - 1) else raw
        return "type17_unsigned" if _same(ours, f.convert(signed)) else "unexplained"
    return "enum_default" if isinstance(theirs, Enum) else "unexplained"


def _same(ours: Any, expected: Any) -> bool:
    if isinstance(expected, float) and isinstance(ours, float):
        return math.isclose(ours, expected, rel_tol=1e-6, abs_tol=1e-9)
    return bool(ours == expected)


def _table_rows(tables: dict[str, Any]) -> dict[tuple[int, int], dict[str, Any]]:
    rows: dict[tuple[int, int], dict[str, Any]] = {}
    for family, table in tables.items():
        for row in table.to_pylist():
            if family == "other":
                row = {**row, **json.loads(row["fields_json"])}
            rows.setdefault((row["line_no"], row["msg_hash"]), {}).update(row)
    return rows


def _nbits(payload: str, fill: int) -> int:
    return 6 * len(payload) - fill


def _compare_file(path: Path, counts: Counter[str], unexplained: list[str]) -> None:
    batch = batch_from_sentences(path.read_text(errors="replace").splitlines())
    if not len(batch):
        return
    rows = _table_rows(decode_batch(batch).tables)
    hashes = analyse_rows(np.asarray(batch.payload), batch.offsets, batch.fill_bits)[3]
    for i in range(len(batch)):
        payload, fill = batch.payload_text(i), int(batch.fill_bits[i])
        theirs = pyais_decode(payload, fill) if payload else None
        ours = rows.get((int(batch.line_no[i]), int(hashes[i])))
        if ours is None:
            counts["rejected_by_setu" if theirs is not None else "rejected_by_both"] += 1
            continue
        if theirs is None:
            counts["rejected_by_pyais"] += 1
            continue
        counts["messages"] += 1
        for f in LAYOUTS[ours["msg_type"]].fields:
            if f.kind == "spare" or f.name not in ours:
                continue
            if not all(c.holds({k: _as_int(v) for k, v in ours.items()}) for c in f.when):
                continue
            name = PYAIS_NAME.get(f.name, f.name)
            if name not in theirs:
                continue
            counts["fields"] += 1
            label = classify_pyais(
                ours["msg_type"], f, ours[f.name], theirs[name], _nbits(payload, fill)
            )
            if label is not None:
                counts[label] += 1
            if label == "unexplained":
                unexplained.append(
                    f"{path.name}: {payload},{fill} {f.name} {ours[f.name]!r} "
                    f"vs pyais {theirs[name]!r}"
                )


def _as_int(v: Any) -> Any:
    return int(v) if isinstance(v, bool) else v


def test_every_real_message_agrees_with_pyais_or_differs_as_documented(ais_data: Path) -> None:
    counts: Counter[str] = Counter()
    unexplained: list[str] = []
    for path in nmea_files(ais_data):
        _compare_file(path, counts, unexplained)
    assert not unexplained, "\n".join(unexplained[:20])
    assert counts["messages"] > 35_000 and counts["fields"] > 500_000, counts
    assert counts["rejected_by_setu"] < 40, counts


# Regression pins, one per documented difference (docs/ais-fields.md "Known differences").


def test_pyais_partial_field_is_null_in_setu() -> None:
    payload, fill = "DvjQMEiG`v00", 0  # type 20 of 72 bits: offset2 has 2 of its 12 bits
    assert decode_payload(payload, fill)["offset2"] is None
    assert pyais_decode(payload, fill)["offset2"] == 0  # type: ignore[index]


def test_pyais_partial_last_character_is_dropped_by_setu() -> None:
    payload, fill = ">IgoUswo3Q6?Ah", 4  # type 14, 40 text bits = 6 characters and 4 bits
    assert decode_payload(payload, fill)["text"] == "=08Q#4"
    assert pyais_decode(payload, fill)["text"] == "=08Q#4G"  # type: ignore[index]


def test_pyais_undefined_enum_codes_become_default_setu_keeps_code() -> None:
    payload = "C2Gajeh012;uPp5;C76=@001QQSkgKW11gW:00000001vPH21QR0"  # type 19, ship type 253
    assert decode_payload(payload, 0)["ship_type"] == 253
    assert int(pyais_decode(payload, 0)["ship_type"]) == 0  # type: ignore[index]


def test_pyais_type17_coordinates_unsigned_minutes_setu_signed_degrees() -> None:
    payload = "AwoiGRg:tOw>>9n5f9u>rOvwkraEe6ON"
    ours = decode_payload(payload, 0)
    assert ours["lon"] == pytest.approx(-54329 / 600)
    assert pyais_decode(payload, 0)["lon"] == 20781.5  # type: ignore[index]


def test_pyais_type26_radio_at_fixed_bit_setu_reads_last_20_bits() -> None:
    payload = "J?Amrcw9LwuO7b9nHgeD?SVS5U8doUvtuwAQ"  # 216 bits
    ours = decode_payload(payload, 0)
    assert (
        ours["radio"]
        == int.from_bytes(bytes(bit_vector(payload.encode(), 0).get_bytes(196, 20)), "big") >> 4
    )
    assert pyais_decode(payload, 0)["radio"] is None  # type: ignore[index]


def test_pyais_keeps_at_sign_before_trailing_spaces() -> None:
    payload = "E>jFJfjW2Tab@87TW:0000000@@OhMeL@KLqH00003wP100000000000000<"
    assert decode_payload(payload, 0)["name"] == "NEIST POINT"
    assert pyais_decode(payload, 0)["name"] == "NEIST POINT@@@@@@@"  # type: ignore[index]


def test_pyais_refuses_type24_part3_setu_keeps_header() -> None:
    payload = "H3KLehdt00000000?6ekkjm000000"
    assert decode_payload(payload, 0) == {
        "msg_type": 24,
        "repeat": 0,
        "mmsi": 230108610,
        "part_num": 3,
    }
    assert pyais_decode(payload, 0) is None


# --- gpsd JSON (libais typeexamples and gpsd .chk) --------------------------------------------

GPSD_NAME = {
    "type": "msg_type", "status": "nav_status", "turn": "rot_deg_per_min", "speed": "sog_knots",
    "accuracy": "position_accuracy", "course": "cog_deg", "heading": "heading_deg",
    "cs": "cs_unit", "callsign": "call_sign", "shipname": "ship_name", "shiptype": "ship_type",
    "to_bow": "to_bow_m", "to_stern": "to_stern_m", "to_port": "to_port_m",
    "to_starboard": "to_starboard_m", "draught": "draught_m", "vendorid": "vendor_id",
    "alt": "alt_m", "fid": "fi", "partno": "part_num",
}  # fmt: skip
_POSITION_TYPES = {1, 2, 3, 9, 18, 19, 21, 27}


def _gpsd_value(f: Field, value: Any, scaled: bool) -> Any:
    if value is None or f.kind in ("text", "bool"):
        return value if f.kind != "bool" else bool(value)
    if f.kind == "binary":
        return value.split(":", 1)[1]
    if scaled and f.scaled:
        if f.conv == "rot":
            return value
        return f.convert(round(value * f.scale))
    return f.convert(int(value))


def _gpsd_expected(
    msg_type: int, gpsd: dict[str, Any], ours: dict[str, Any]
) -> Iterator[tuple[str, Any]]:
    scaled = bool(gpsd.get("scaled"))
    for key, value in gpsd.items():
        name = GPSD_NAME.get(key, key)
        if key == "second" and msg_type in _POSITION_TYPES:
            name = "utc_second"
        if key == "timestamp" and msg_type in (4, 11):
            date, _, clock = value.rstrip("Z").partition("T")
            parts = [*map(int, date.split("-")), *map(int, clock.split(":"))]
            for part, v in zip(
                ("year", "month", "day", "hour", "minute", "second"), parts, strict=True
            ):
                yield part, LAYOUTS[msg_type].field(part).convert(v)
            continue
        if key == "eta" and msg_type == 5:
            md, _, hm = value.rstrip("Z").partition("T")
            for part, v in zip(
                ("eta_month", "eta_day", "eta_hour", "eta_minute"),
                [*map(int, md.split("-")), *map(int, hm.split(":"))],
                strict=True,
            ):
                yield part, LAYOUTS[5].field(part).convert(v)
            continue
        if name not in ours or name in {h.name for h in HEADER}:
            if name in ("msg_type", "repeat", "mmsi"):
                yield name, value
            continue
        f = next(x for x in LAYOUTS[msg_type].fields if x.name == name)
        if name == "imo":
            value = int(value)
        if name == "name" and msg_type == 21:  # gpsd joins name and name extension
            yield name, (value or "")[:20].rstrip("@ ") or None
            continue
        if name == "vendor_id":  # gpsd reads the pre-M.1371-4 42-bit vendor ID
            yield name, (value or "")[:3] or None
            continue
        if f.kind == "text" and isinstance(value, str):  # gpsd stops text at the first '@'
            yield name, ("@" in (ours[name] or "")) or value.rstrip() or None
            continue
        yield name, _gpsd_value(f, value, scaled)


#: that older gpsd's 6-bit character table differs from ITU-R M.1371 in two places (31, 39);
#: gpsd keeps leading spaces, setu strips them
GPSD_SIXBIT = str.maketrans({"_": "-", "'": "`"})
#: the gpsd release that wrote libais' typeexamples.json reports these flags inverted:
#: retransmit as "not retransmitted", type 27's position-latency bit as "current GNSS position"
LIBAIS_INVERTED = frozenset({(6, "retransmit"), (27, "gnss")})


def _gpsd_agrees(
    name: str, ours: Any, expected: Any, msg_type: int, inverted: frozenset[tuple[int, str]]
) -> bool:
    if expected is True and isinstance(ours, str):  # gpsd cut the text at '@'
        return True
    if isinstance(ours, str) and isinstance(expected, str):
        return expected.lstrip(" ") in (ours, ours.translate(GPSD_SIXBIT))
    if (msg_type, name) in inverted:
        return ours is (not expected)
    if name == "rot_deg_per_min" and isinstance(expected, float) and ours is not None:
        return abs(ours - expected) < 1e-3
    if isinstance(expected, float) and isinstance(ours, float):
        return math.isclose(ours, expected, rel_tol=1e-6, abs_tol=1e-6)
    return bool(ours == expected)


def _check_gpsd_pair(
    payload: str,
    fill: int,
    gpsd: dict[str, Any],
    bad: list[str],
    inverted: frozenset[tuple[int, str]] = frozenset(),
) -> int:
    ours = decode_payload(payload, fill)
    unfilled = decode_payload(payload, 0)  # gpsd reads fields that end inside the fill bits
    checked = 0
    for name, expected in _gpsd_expected(ours["msg_type"], gpsd, ours):
        checked += 1
        value = ours.get(name)
        if value is None and name in unfilled and unfilled[name] is not None:
            value = unfilled[name]
        if value is None and expected == 0 and name not in ("rot_deg_per_min",):
            continue  # gpsd zero-fills the optional fields a short message leaves out
        if ours["msg_type"] == 9 and name == "sog_knots" and gpsd.get("scaled"):
            expected = round(gpsd["speed"] * 10)  # gpsd scales type 9 SOG as if 1/10 knot
        if not _gpsd_agrees(name, value, expected, ours["msg_type"], inverted):
            bad.append(f"{payload},{fill} {name}: setu {value!r} gpsd {expected!r}")
    return checked


def chk_pairs(path: Path) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(payload, fill, gpsd JSON) from a gpsd .chk file, matching JSON to messages by type+MMSI."""
    recent: deque[tuple[str, int, int, int]] = deque(maxlen=8)
    pending: list[str] = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            gpsd = json.loads(line)
            if gpsd.get("class") != "AIS":
                continue
            for k, (payload, fill, t, mmsi) in enumerate(recent):
                if t == gpsd["type"] and mmsi == gpsd["mmsi"]:
                    del recent[k]
                    yield payload, fill, gpsd
                    break
        elif "VD" in line and "!" in line:
            pending = [*pending, line] if ",1,1," not in line else [line]
            batch = batch_from_sentences(pending)
            if len(batch):
                pending = []
                payload, fill = batch.payload_text(0), int(batch.fill_bits[0])
                try:
                    head = decode_payload(payload, fill)
                except DecodeError:
                    continue
                recent.append((payload, fill, int(head["msg_type"]), int(head["mmsi"])))


def test_libais_typeexamples(ais_data: Path) -> None:
    data = ais_data / "libais" / "test" / "data"
    batch = batch_from_sentences((data / "typeexamples.nmea").read_text().splitlines())
    expected = [json.loads(x) for x in (data / "typeexamples.json").read_text().splitlines()]
    assert len(batch) == len(expected) == 26
    bad: list[str] = []
    checked = sum(
        _check_gpsd_pair(
            batch.payload_text(i), int(batch.fill_bits[i]), expected[i], bad, LIBAIS_INVERTED
        )
        for i in range(len(batch))
    )
    assert not bad, "\n".join(bad)
    assert checked > 250


def test_gpsd_chk_expected_outputs(ais_data: Path) -> None:
    bad: list[str] = []
    messages = checked = 0
    for path in sorted((ais_data / "gpsd" / "test" / "daemon").glob("*.chk")):
        for payload, fill, gpsd in chk_pairs(path):
            messages += 1
            checked += _check_gpsd_pair(payload, fill, gpsd, bad)
    assert not bad, "\n".join(bad[:30])
    assert messages > 1500 and checked > 20_000
