"""The bit layouts of AIS message types 1–27, declared once.

Source: ITU-R M.1371-5 (02/2014), Annex 8 (message descriptions, tables 46–87), cross-checked
against the public AIVDM/AIVDO protocol notes of the gpsd project. Every other part of the
decoder is derived from the declarations here: the batch decoder (:mod:`setu.ais.decode`), the
single-message decoder, the Arrow schemas (:mod:`setu.ais.schema`), the field reference
``docs/ais-fields.md`` (:func:`setu.ais.schema.render_field_reference`) and the tests.

A :class:`Field` says where its bits are (``start``, ``width``; a negative ``start`` counts from
the end of the message), how to read them (``kind``), how to scale the raw integer
(``value = raw / scale``, or the ``rot`` rule below), which raw values mean "not available"
(decoded as null), and under which condition it is present (``when``: every :class:`Cond` must
hold, e.g. type 24 part B carries either dimensions or, for auxiliary craft, a mothership MMSI).

Rules shared by every field:

- a number or flag is decoded only when all its bits are inside the message, otherwise it is
  null; text and binary fields are cut to the whole characters / bits present (``variable``
  marks the fields whose length varies by design; a binary field with ``tail`` stops that many
  bits before the end of the message, e.g. type 26 data before its communication state);
- a message shorter than its type's ``min_bits`` (or the ``part_min_bits`` of its part) is
  rejected (``BAD_BIT_COUNT``); longer messages are decoded and the extra bits ignored;
- text is ITU 6-bit ASCII with trailing ``@`` padding and spaces and leading spaces stripped;
  empty text is null;
- binary fields are lower-case hex, the last byte zero-padded on the right when the bit count
  is not a multiple of 8 (``data_bits`` gives the exact count);
- rate of turn (``conv="rot"``): ROT_AIS = 4.733·sqrt(ROT) with ROT in °/min, so
  ROT = sign·(ROT_AIS/4.733)²; raw 0 → 0.0; raw ±127 ("turning more than 5°/30 s, no turn
  indicator") follows the same formula and decodes to ±720.0 °/min, so ``abs(rot) > 708`` (the
  largest exact rate, raw 126) identifies it; raw -128 ("not available") is null.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["uint", "int", "bool", "text", "binary", "spare"]
Family = Literal["positions", "statics", "base_stations", "other"]

FAMILIES: tuple[Family, ...] = ("positions", "statics", "base_stations", "other")


@dataclass(frozen=True)
class Cond:
    """``(value of field // divisor == equals) != negate`` — a field's presence condition."""

    field: str
    equals: int
    divisor: int = 1
    negate: bool = False

    def holds(self, values: dict[str, object]) -> bool:
        raw = values.get(self.field)
        if not isinstance(raw, int):
            return False
        return (raw // self.divisor == self.equals) != self.negate

    def describe(self) -> str:
        lhs = self.field if self.divisor == 1 else f"{self.field} // {self.divisor}"
        return f"{lhs} {'!=' if self.negate else '=='} {self.equals}"


@dataclass(frozen=True)
class Field:
    """One field of a message type's bit layout."""

    name: str
    start: int
    width: int
    kind: Kind
    description: str = ""
    scale: float = 1.0
    unit: str = ""
    na: tuple[int, ...] = ()
    na_from: int | None = None
    conv: Literal["linear", "rot"] = "linear"
    variable: bool = False
    tail: int = 0
    when: tuple[Cond, ...] = ()

    @property
    def scaled(self) -> bool:
        return self.conv == "rot" or self.scale != 1.0

    def is_na(self, raw: int) -> bool:
        """True when ``raw`` is this field's "not available" value."""
        return raw in self.na or (self.na_from is not None and raw >= self.na_from)

    def convert(self, raw: int) -> int | float | bool | None:
        """The decoded value of a raw integer (uint/int/bool kinds)."""
        if self.is_na(raw):
            return None
        if self.kind == "bool":
            return bool(raw)
        if self.conv == "rot":
            return rot_from_raw(raw)
        if self.scale != 1.0:
            return raw / self.scale
        return raw


def rot_from_raw(raw: int) -> float:
    """Rate of turn in °/min from the signed 8-bit ROT_AIS (see the module docstring)."""
    mag = (abs(raw) / 4.733) ** 2
    return mag if raw >= 0 else -mag


@dataclass(frozen=True)
class MessageLayout:
    """The layout of one message type."""

    msg_type: int
    name: str
    families: tuple[Family, ...]
    min_bits: int
    max_bits: int
    fields: tuple[Field, ...]
    leniency: str = ""
    part_min_bits: tuple[tuple[Cond, int], ...] = ()

    def required_bits(self, values: dict[str, object]) -> int:
        """Minimum message length given the already decoded header/part fields."""
        for cond, bits in self.part_min_bits:
            if cond.holds(values):
                return bits
        return self.min_bits

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


# --- field constructors (keep the table below readable) -------------------------------------


def _u(name: str, start: int, width: int, desc: str, **kw: object) -> Field:
    return Field(name, start, width, "uint", desc, **kw)  # type: ignore[arg-type]


def _i(name: str, start: int, width: int, desc: str, **kw: object) -> Field:
    return Field(name, start, width, "int", desc, **kw)  # type: ignore[arg-type]


def _b(name: str, start: int, desc: str, **kw: object) -> Field:
    return Field(name, start, 1, "bool", desc, **kw)  # type: ignore[arg-type]


def _t(name: str, start: int, width: int, desc: str, **kw: object) -> Field:
    return Field(name, start, width, "text", desc, **kw)  # type: ignore[arg-type]


def _x(name: str, start: int, width: int, desc: str, **kw: object) -> Field:
    return Field(name, start, width, "binary", desc, variable=True, **kw)  # type: ignore[arg-type]


def _s(start: int, width: int, desc: str = "spare / reserved, not decoded") -> Field:
    return Field(f"spare_{start}", start, width, "spare", desc)


_DEG = 600_000.0  # 1/10 000 minute per degree
_DEG10 = 600.0  # 1/10 minute per degree
_LON_NA = (181 * 600_000,)
_LAT_NA = (91 * 600_000,)
_LON10_NA = (181 * 600,)
_LAT10_NA = (91 * 600,)

# fmt: off
HEADER: tuple[Field, ...] = (
    _u("msg_type", 0, 6, "message type 1–27"),
    _u("repeat", 6, 2, "repeat indicator 0–3 (3 = do not repeat)"),
    _u("mmsi", 8, 30, "source MMSI"),
)


def _lon(start: int, desc: str = "longitude, East positive") -> Field:
    return _i("lon", start, 28, desc, scale=_DEG, unit="deg", na=_LON_NA)


def _lat(start: int, desc: str = "latitude, North positive") -> Field:
    return _i("lat", start, 27, desc, scale=_DEG, unit="deg", na=_LAT_NA)


def _area(start: int, when: tuple[Cond, ...] = ()) -> tuple[Field, ...]:
    """NE/SW corners of a rectangle in 1/10 minute (types 22 and 23)."""
    out = []
    for k, (corner, axis, width) in enumerate(
        (("ne", "lon", 18), ("ne", "lat", 17), ("sw", "lon", 18), ("sw", "lat", 17))
    ):
        where = "north-east" if corner == "ne" else "south-west"
        desc = f"{where} corner {'longitude' if axis == 'lon' else 'latitude'}"
        offset = start + 35 * (k // 2) + 18 * (k % 2)
        out.append(
            _i(f"{corner}_{axis}", offset, width, desc, scale=_DEG10, unit="deg", when=when)
        )
    return tuple(out)


def _dims(start: int, when: tuple[Cond, ...] = ()) -> tuple[Field, ...]:
    return (
        _u("to_bow_m", start, 9, "reference point to bow", unit="m", when=when),
        _u("to_stern_m", start + 9, 9, "reference point to stern", unit="m", when=when),
        _u("to_port_m", start + 18, 6, "reference point to port side", unit="m", when=when),
        _u("to_starboard_m", start + 24, 6, "reference point to starboard", unit="m", when=when),
    )


_EPFD = "position fixing device (0 undefined, 1 GPS, 2 GLONASS, 3 combined, 7 surveyed, …)"
_SECOND = "UTC second of the fix; 60 n/a, 61 manual, 62 dead reckoning, 63 inoperative (null)"
_RADIO19 = "communication state (SOTDMA/ITDMA), raw"
_RADIO20 = "communication state selector (1 bit) and state (19 bits), raw"


def _position_core(base: int) -> tuple[Field, ...]:
    """SOG .. second, common to types 1–3 (base 50) and 18/19 (base 46)."""
    return (
        _u("sog_knots", base, 10, "speed over ground; 102.2 means 102.2 or more", scale=10.0,
             unit="knots", na=(1023,)),
        _b("position_accuracy", base + 10, "1 = high (<= 10 m, DGNSS)"),
        _lon(base + 11),
        _lat(base + 39),
        _u("cog_deg", base + 66, 12, "course over ground", scale=10.0, unit="deg", na=(3600,)),
        _u("heading_deg", base + 78, 9, "true heading", unit="deg", na=(511,)),
        _u("utc_second", base + 87, 6, _SECOND, unit="s", na_from=60),
    )


_T1 = (
    _u("nav_status", 38, 4, "navigational status (0 under way using engine … 15 undefined)"),
    _i("rot_deg_per_min", 42, 8, "rate of turn, right positive (see ROT rule)", conv="rot",
         unit="deg/min", na=(-128,)),
    *_position_core(50),
    _u("maneuver", 143, 2, "special manoeuvre indicator (0 n/a, 1 no, 2 yes)"),
    _s(145, 3),
    _b("raim", 148, "RAIM in use"),
    _u("radio", 149, 19, _RADIO19),
)

_T4 = (
    _u("year", 38, 14, "UTC year", na=(0,)),
    _u("month", 52, 4, "UTC month", na=(0,)),
    _u("day", 56, 5, "UTC day", na=(0,)),
    _u("hour", 61, 5, "UTC hour", na=(24,)),
    _u("minute", 66, 6, "UTC minute", na=(60,)),
    _u("second", 72, 6, "UTC second", na_from=60),
    _b("position_accuracy", 78, "1 = high (<= 10 m)"),
    _lon(79),
    _lat(107),
    _u("epfd", 134, 4, _EPFD),
    _s(138, 10),
    _b("raim", 148, "RAIM in use"),
    _u("radio", 149, 19, _RADIO19),
)

_T5 = (
    _u("ais_version", 38, 2, "AIS version (0 = ITU-R M.1371-1, 1 = -3, 2 = -5)"),
    _u("imo", 40, 30, "IMO ship identification number (0 n/a)", na=(0,)),
    _t("call_sign", 70, 42, "call sign, 7 characters"),
    _t("ship_name", 112, 120, "name, 20 characters"),
    _u("ship_type", 232, 8, "type of ship and cargo (0 n/a)"),
    *_dims(240),
    _u("epfd", 270, 4, _EPFD),
    _u("eta_month", 274, 4, "ETA month (0 n/a)", na=(0,)),
    _u("eta_day", 278, 5, "ETA day (0 n/a)", na=(0,)),
    _u("eta_hour", 283, 5, "ETA hour (24 n/a)", na=(24,)),
    _u("eta_minute", 288, 6, "ETA minute (60 n/a)", na=(60,)),
    _u("draught_m", 294, 8, "max. present static draught (0 n/a)", scale=10.0, unit="m", na=(0,)),
    _t("destination", 302, 120, "destination, 20 characters"),
    _b("dte", 422, "data terminal equipment not ready (0 = available)"),
    _s(423, 1),
)

_ADDRESSED = (
    _u("seqno", 38, 2, "sequence number 0–3"),
    _u("dest_mmsi", 40, 30, "destination MMSI"),
    _b("retransmit", 70, "retransmitted"),
    _s(71, 1),
)

_T6 = (
    *_ADDRESSED,
    _u("dac", 72, 10, "designated area code"),
    _u("fi", 82, 6, "function identifier"),
    _x("data", 88, 920, "application data, hex"),
)


def _acks() -> tuple[Field, ...]:
    out: list[Field] = [_s(38, 2)]
    for k in range(4):
        start = 40 + 32 * k
        out.append(_u(f"mmsi{k + 1}", start, 30, f"MMSI of destination {k + 1}"))
        out.append(_u(f"mmsiseq{k + 1}", start + 30, 2, f"sequence number {k + 1}"))
    return tuple(out)


_T8 = (
    _s(38, 2),
    _u("dac", 40, 10, "designated area code"),
    _u("fi", 50, 6, "function identifier"),
    _x("data", 56, 952, "application data, hex"),
)

_T9 = (
    _u("alt_m", 38, 12, "altitude (GNSS); 4094 means 4094 or higher", unit="m", na=(4095,)),
    _u("sog_knots", 50, 10, "speed over ground (1 knot steps); 1022 means 1022 or more",
         unit="knots", na=(1023,)),
    _b("position_accuracy", 60, "1 = high (<= 10 m)"),
    _lon(61),
    _lat(89),
    _u("cog_deg", 116, 12, "course over ground", scale=10.0, unit="deg", na=(3600,)),
    _u("utc_second", 128, 6, _SECOND, unit="s", na_from=60),
    _u("regional", 134, 8, "altitude sensor (bit 0) and regional bits, raw"),
    _b("dte", 142, "data terminal equipment not ready"),
    _s(143, 3),
    _b("assigned", 146, "assigned mode"),
    _b("raim", 147, "RAIM in use"),
    _u("radio", 148, 20, _RADIO20),
)

_T15 = (
    _s(38, 2),
    _u("mmsi1", 40, 30, "interrogated MMSI 1"),
    _u("type1_1", 70, 6, "first message type requested from MMSI 1"),
    _u("offset1_1", 76, 12, "slot offset of the first reply"),
    _s(88, 2),
    _u("type1_2", 90, 6, "second message type requested from MMSI 1"),
    _u("offset1_2", 96, 12, "slot offset of the second reply"),
    _s(108, 2),
    _u("mmsi2", 110, 30, "interrogated MMSI 2"),
    _u("type2_1", 140, 6, "message type requested from MMSI 2"),
    _u("offset2_1", 146, 12, "slot offset of its reply"),
    _s(158, 2),
)

_T16 = (
    _s(38, 2),
    _u("mmsi1", 40, 30, "destination A MMSI"),
    _u("offset1", 70, 12, "destination A slot offset"),
    _u("increment1", 82, 10, "destination A increment"),
    _u("mmsi2", 92, 30, "destination B MMSI"),
    _u("offset2", 122, 12, "destination B slot offset"),
    _u("increment2", 134, 10, "destination B increment"),
)

_T17 = (
    _s(38, 2),
    _i("lon", 40, 18, "reference station longitude", scale=_DEG10, unit="deg", na=_LON10_NA),
    _i("lat", 58, 17, "reference station latitude", scale=_DEG10, unit="deg", na=_LAT10_NA),
    _s(75, 5),
    _x("data", 80, 736, "DGNSS correction data (ITU-R M.823), hex"),
)

_T18 = (
    _s(38, 8, "reserved for regional applications"),
    *_position_core(46),
    _s(139, 2, "reserved for regional applications"),
    _b("cs_unit", 141, "1 = Class B CS (carrier sense) unit, 0 = SOTDMA unit"),
    _b("display", 142, "integrated display for messages 12 and 14"),
    _b("dsc", 143, "DSC function"),
    _b("band", 144, "can use the whole marine band"),
    _b("msg22", 145, "frequency management via message 22"),
    _b("assigned", 146, "assigned mode"),
    _b("raim", 147, "RAIM in use"),
    _u("radio", 148, 20, _RADIO20),
)

_T19 = (
    _s(38, 8, "reserved for regional applications"),
    *_position_core(46),
    _s(139, 4, "reserved for regional applications"),
    _t("ship_name", 143, 120, "name, 20 characters"),
    _u("ship_type", 263, 8, "type of ship and cargo"),
    *_dims(271),
    _u("epfd", 301, 4, _EPFD),
    _b("raim", 305, "RAIM in use"),
    _b("dte", 306, "data terminal equipment not ready"),
    _b("assigned", 307, "assigned mode"),
    _s(308, 4),
)


def _slots() -> tuple[Field, ...]:
    out: list[Field] = [_s(38, 2)]
    for k in range(4):
        start = 40 + 30 * k
        n = k + 1
        out += [
            _u(f"offset{n}", start, 12, f"reserved slot offset {n}"),
            _u(f"number{n}", start + 12, 4, f"number of slots {n}"),
            _u(f"timeout{n}", start + 16, 3, f"time-out {n}, minutes"),
            _u(f"increment{n}", start + 19, 11, f"increment {n}"),
        ]
    return tuple(out)


_T21 = (
    _u("aid_type", 38, 5, "type of aid to navigation (0 n/a, 1 reference point, …)"),
    _t("name", 43, 120, "name, 20 characters"),
    _b("position_accuracy", 163, "1 = high (<= 10 m)"),
    _lon(164),
    _lat(192),
    *_dims(219),
    _u("epfd", 249, 4, _EPFD),
    _u("utc_second", 253, 6, _SECOND, unit="s", na_from=60),
    _b("off_position", 259, "off position (floating aids)"),
    _u("regional", 260, 8, "reserved for regional applications, raw"),
    _b("raim", 268, "RAIM in use"),
    _b("virtual_aid", 269, "virtual aid to navigation"),
    _b("assigned", 270, "assigned mode"),
    _s(271, 1),
    _t("name_ext", 272, 88, "name extension, up to 14 characters", variable=True),
)

_ADDR = (Cond("addressed", 1),)
_BCAST = (Cond("addressed", 0),)

_T22 = (
    _s(38, 2),
    _u("channel_a", 40, 12, "channel A number (ITU-R M.1084)"),
    _u("channel_b", 52, 12, "channel B number"),
    _u("txrx", 64, 4, "Tx/Rx mode (0 TxA/TxB RxA/RxB, 1 TxA RxA/RxB, 2 TxB RxA/RxB)"),
    _b("power", 68, "low power"),
    *_area(69, _BCAST),
    _u("dest1", 69, 30, "addressed station 1 MMSI", when=_ADDR),
    _u("dest2", 104, 30, "addressed station 2 MMSI", when=_ADDR),
    _b("addressed", 139, "1 = addressed to two stations, 0 = broadcast to an area"),
    _b("band_a", 140, "channel A bandwidth 12.5 kHz"),
    _b("band_b", 141, "channel B bandwidth 12.5 kHz"),
    _u("zonesize", 142, 3, "transitional zone size, nautical miles - 1"),
    _s(145, 23),
)

_T23 = (
    _s(38, 2),
    *_area(40),
    _u("station_type", 110, 4, "station type addressed"),
    _u("ship_type", 114, 8, "ship and cargo type addressed"),
    _s(122, 22),
    _u("txrx", 144, 2, "Tx/Rx mode"),
    _u("interval", 146, 4, "reporting interval code"),
    _u("quiet", 150, 4, "quiet time, minutes"),
    _s(154, 6),
)

_A = (Cond("part_num", 0),)
_B = (Cond("part_num", 1),)
_AUX = (Cond("part_num", 1), Cond("mmsi", 98, divisor=10_000_000))
_NOT_AUX = (Cond("part_num", 1), Cond("mmsi", 98, divisor=10_000_000, negate=True))

_T24 = (
    _u("part_num", 38, 2, "part number: 0 = part A (name), 1 = part B (type, vendor, dims)"),
    _t("ship_name", 40, 120, "name, 20 characters", when=_A),
    _u("ship_type", 40, 8, "type of ship and cargo", when=_B),
    _t("vendor_id", 48, 18, "manufacturer's ID, 3 characters", when=_B),
    _u("model", 66, 4, "unit model code", when=_B),
    _u("serial", 70, 20, "unit serial number", when=_B),
    _t("call_sign", 90, 42, "call sign, 7 characters", when=_B),
    *_dims(132, _NOT_AUX),
    _u("mothership_mmsi", 132, 30, "mothership MMSI (auxiliary craft, MMSI 98xxxxxxx)", when=_AUX),
    _u("epfd", 162, 4, _EPFD + " (M.1371-5 part B)", when=_B),
)

_S = (Cond("structured", 1),)
_U = (Cond("structured", 0),)


def _binary_msg(tail: int, max_bits: int) -> tuple[Field, ...]:
    """Types 25 and 26: addressed/structured flags pick where app_id and data start."""
    data_desc = "binary data, hex"
    out: list[Field] = [
        _b("addressed", 38, "addressed to dest_mmsi"),
        _b("structured", 39, "binary data starts with a 16-bit application ID"),
        _u("dest_mmsi", 40, 30, "destination MMSI", when=_ADDR),
        _u("app_id", 70, 16, "application ID (DAC 10 bits, FI 6 bits)", when=_ADDR + _S),
        _u("app_id", 40, 16, "application ID (DAC 10 bits, FI 6 bits)", when=_BCAST + _S),
    ]
    for start, when in ((86, _ADDR + _S), (70, _ADDR + _U), (56, _BCAST + _S), (40, _BCAST + _U)):
        out.append(_x("data", start, max_bits - tail - start, data_desc, tail=tail, when=when))
    if tail:
        out.append(_u("radio", -tail, tail, _RADIO20))
    return tuple(out)


_T10 = (_s(38, 2), _u("dest_mmsi", 40, 30, "destination MMSI"), _s(70, 2))
_T12 = (*_ADDRESSED, _t("text", 72, 936, "safety related text", variable=True))
_T14 = (_s(38, 2), _t("text", 40, 968, "safety related text", variable=True))

_T27 = (
    _b("position_accuracy", 38, "1 = high (<= 10 m)"),
    _b("raim", 39, "RAIM in use"),
    _u("nav_status", 40, 4, "navigational status"),
    _i("lon", 44, 18, "longitude, East positive", scale=_DEG10, unit="deg", na=_LON10_NA),
    _i("lat", 62, 17, "latitude, North positive", scale=_DEG10, unit="deg", na=_LAT10_NA),
    _u("sog_knots", 79, 6, "speed over ground (1 knot steps)", unit="knots", na=(63,)),
    _u("cog_deg", 85, 9, "course over ground (1 degree steps)", unit="deg", na=(511,)),
    _b("gnss", 94, "position latency: 0 = current GNSS position, 1 = older than 5 s"),
    _s(95, 1),
)


def _layout(
    msg_type: int,
    name: str,
    families: tuple[Family, ...],
    bits: tuple[int, int],
    fields: tuple[Field, ...],
    leniency: str = "",
    part_min_bits: tuple[tuple[Cond, int], ...] = (),
) -> MessageLayout:
    return MessageLayout(
        msg_type, name, families, bits[0], bits[1], HEADER + fields, leniency, part_min_bits
    )


_POS: tuple[Family, ...] = ("positions",)
_OTHER: tuple[Family, ...] = ("other",)
_STA: tuple[Family, ...] = ("statics",)
_BASE: tuple[Family, ...] = ("base_stations",)
_SHORT_POS = "accepted from 149 bits (through RAIM): the radio state is null when cut"
_SHORT_5 = (
    "accepted from 302 bits (through draught): destination is cut to the whole characters "
    "present and dte is null when missing, as pyais and gpsd do for the 400-422-bit messages "
    "seen in real feeds (gfw-ais-tools bad-type5.nmea)"
)
_SHORT_24 = (
    "part A needs 160 bits (its 8 spare bits are often left out), part B 162 (the EPFD and "
    "spare bits added by M.1371-5 are often left out; EPFD is then null); parts 2 and 3 are "
    "not defined: only the header and part_num are decoded"
)
_ACKS = "1 to 4 acknowledged MMSIs: the absent ones are null"

LAYOUTS: dict[int, MessageLayout] = {lay.msg_type: lay for lay in (
    _layout(1, "Position report Class A (SOTDMA)", _POS, (149, 168), _T1, _SHORT_POS),
    _layout(2, "Position report Class A (SOTDMA, assigned)", _POS, (149, 168), _T1, _SHORT_POS),
    _layout(3, "Position report Class A (ITDMA)", _POS, (149, 168), _T1, _SHORT_POS),
    _layout(4, "Base station report", _BASE, (149, 168), _T4, _SHORT_POS),
    _layout(5, "Static and voyage related data", _STA, (302, 424), _T5, _SHORT_5),
    _layout(6, "Binary addressed message", _OTHER, (88, 1008), _T6),
    _layout(7, "Binary acknowledge", _OTHER, (70, 168), _acks(), _ACKS),
    _layout(8, "Binary broadcast message", _OTHER, (56, 1008), _T8),
    _layout(9, "Standard SAR aircraft position report", _OTHER, (148, 168), _T9),
    _layout(10, "UTC/date inquiry", _OTHER, (70, 72), _T10),
    _layout(11, "UTC/date response", _BASE, (149, 168), _T4, _SHORT_POS),
    _layout(12, "Addressed safety related message", _OTHER, (72, 1008), _T12),
    _layout(13, "Safety related acknowledge", _OTHER, (70, 168), _acks(), _ACKS),
    _layout(14, "Safety related broadcast message", _OTHER, (40, 1008), _T14),
    _layout(15, "Interrogation", _OTHER, (88, 160), _T15,
            "1 to 3 requests: the absent ones are null"),
    _layout(16, "Assigned mode command", _OTHER, (92, 144), _T16,
            "1 or 2 destinations: destination B is null when absent"),
    _layout(17, "DGNSS broadcast binary message", _OTHER, (80, 816), _T17),
    _layout(18, "Standard Class B CS position report", _POS, (148, 168), _T18,
            "accepted from 148 bits: the radio state is null when cut"),
    _layout(19, "Extended Class B equipment position report", ("positions", "statics"),
            (308, 312), _T19),
    _layout(20, "Data link management message", _OTHER, (70, 160), _slots(),
            "1 to 4 reservations: the absent ones are null"),
    _layout(21, "Aid-to-navigation report", _OTHER, (272, 360), _T21,
            "the name extension is present only when the message is longer than 272 bits"),
    _layout(22, "Channel management", _OTHER, (145, 168), _T22),
    _layout(23, "Group assignment command", _OTHER, (154, 160), _T23),
    _layout(24, "Static data report (Class B)", _STA, (40, 168), _T24, _SHORT_24,
            ((_A[0], 160), (_B[0], 162))),
    _layout(25, "Single slot binary message", _OTHER, (40, 168), _binary_msg(0, 168)),
    _layout(26, "Multiple slot binary message with communications state", _OTHER, (60, 1064),
            _binary_msg(20, 1064)),
    _layout(27, "Position report for long-range applications", _POS, (95, 168), _T27,
            "accepted from 95 bits (the last bit is spare)"),
)}

# fmt: on


def family_types(family: Family) -> tuple[int, ...]:
    """Message types whose rows go into ``family``."""
    return tuple(t for t, lay in LAYOUTS.items() if family in lay.families)
