"""Vectorised encoding of AIS messages into armoured payloads and NMEA 0183 lines.

The bit positions come from the one layout declaration (:data:`setu.ais.layout.LAYOUTS`); this
module only inverts each field's rule. Values are given in the units of the decoded tables
(``sog_knots``, ``lon``/``lat`` in degrees, ``cog_deg``, ``heading_deg``, ``rot_deg_per_min``,
``draught_m``, text as ``str``); NaN (or a missing column) means "not available" and is written as
the field's not-available raw value. Whole columns are encoded at once with NumPy, so millions of
messages take seconds.

Sentences follow IEC 61162-1 / NMEA 0183 (``!AIVDM,count,number,seq,channel,payload,fill*hh``)
with at most :data:`MAX_PAYLOAD_CHARS` payload characters per sentence (the 82-character line
limit), optionally preceded by an IEC 61162-450 tag block ``\\s:station,c:unix_seconds*hh\\``
on every sentence of the message.

Supported here: the types a traffic simulator emits in volume — 1, 2, 3 (Class A position),
18 (Class B position), 5 (static and voyage data) and 24 (Class B static, parts A and B).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from setu.ais.layout import LAYOUTS, Field
from setu.errors import DecodeError

#: Message types this module encodes.
ENCODABLE_TYPES: tuple[int, ...] = (1, 2, 3, 5, 18, 24)
#: Payload characters per sentence (60 chars keep a tagged-free sentence within 82 bytes).
MAX_PAYLOAD_CHARS = 60
_BITS = {1: 168, 2: 168, 3: 168, 5: 424, 18: 168, 24: 168}
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Lines:
    """Ragged byte lines: ``data[offsets[i]:offsets[i + 1]]`` is line ``i`` (newline included;
    a multi-sentence message is one entry holding all its sentences)."""

    data: _U8
    offsets: npt.NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @classmethod
    def from_matrix(cls, matrix: _U8) -> Lines:
        """Lines of one width from a (rows, width) matrix."""
        rows, width = matrix.shape
        return cls(
            np.ascontiguousarray(matrix).reshape(-1),
            np.arange(rows + 1, dtype=np.int64) * width,
        )

    @classmethod
    def concat(cls, parts: Sequence[Lines]) -> Lines:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls(np.empty(0, np.uint8), np.zeros(1, np.int64))
        data = np.concatenate([p.data for p in parts])
        shifts = np.cumsum([0] + [len(p.data) for p in parts[:-1]])
        offsets = np.concatenate(
            [parts[0].offsets[:1]] + [p.offsets[1:] + s for p, s in zip(parts, shifts, strict=True)]
        )
        return cls(data, offsets)

    def take(self, order: npt.ArrayLike) -> Lines:
        """The lines at ``order`` (indices), in that order."""
        idx = np.asarray(order, dtype=np.int64)
        starts, ends = self.offsets[idx], self.offsets[idx + 1]
        lengths = ends - starts
        offsets = np.zeros(len(idx) + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        gather = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1])
        return Lines(self.data[gather], offsets)

    def tobytes(self) -> bytes:
        return self.data[self.offsets[0] : self.offsets[-1]].tobytes()

    def __iter__(self) -> Iterator[bytes]:
        raw = self.tobytes()
        base = int(self.offsets[0])
        for a, b in zip(self.offsets[:-1], self.offsets[1:], strict=True):
            yield raw[a - base : b - base]


def _column(columns: Mapping[str, Any], name: str, n: int) -> npt.NDArray[Any] | None:
    if name not in columns:
        return None
    value = columns[name]
    if isinstance(value, str | bytes):
        return np.full(n, value, dtype=object)
    arr = np.asarray(value)
    if arr.ndim == 0:
        arr = np.full(n, arr.item(), dtype=arr.dtype if arr.dtype != object else object)
    if len(arr) != n:
        raise DecodeError(f"column {name!r} has {len(arr)} values, expected {n}")
    return arr


def _na_raw(f: Field) -> int:
    if f.na:
        return f.na[0]
    if f.na_from is not None:
        return f.na_from
    return 0


def _raw_numbers(f: Field, values: npt.NDArray[Any] | None, n: int) -> npt.NDArray[np.int64]:
    """Raw integers of a numeric/bool field (two's complement not yet applied)."""
    if values is None:
        return np.full(n, _na_raw(f), np.int64)
    if f.kind == "bool":
        return np.asarray(values).astype(bool).astype(np.int64)
    x = np.asarray(values, dtype=np.float64)
    missing = ~np.isfinite(x)
    x = np.where(missing, 0.0, x)
    if f.conv == "rot":
        raw = np.sign(x) * np.minimum(np.rint(4.733 * np.sqrt(np.abs(x))), 127)
    else:
        raw = np.rint(x * f.scale)
    lo, hi = (-(1 << (f.width - 1)), (1 << (f.width - 1)) - 1) if f.kind == "int" else (
        0, (1 << f.width) - 1)  # fmt: skip
    out = np.clip(raw, lo, hi).astype(np.int64)
    return np.where(missing, _na_raw(f), out)


def _sixbit_text(values: npt.NDArray[Any] | None, n: int, n_chars: int) -> _U8:
    """ITU 6-bit codes of text values, padded with '@' (code 0), shape (n, n_chars)."""
    if values is None:
        return np.zeros((n, n_chars), np.uint8)
    text = [("" if v is None else str(v)).upper()[:n_chars] for v in values]
    raw = (
        np.array([t.encode("ascii", "replace") for t in text], dtype=f"S{n_chars}")
        .view(np.uint8)
        .reshape(n, n_chars)
    )
    codes = np.where(raw >= 64, raw - 64, raw).astype(np.uint8)
    codes = np.where((raw >= 96) | ((raw > 0) & (raw < 32)), ord("?"), codes)
    return (codes & 63).astype(np.uint8)


def _condition_mask(f: Field, raws: Mapping[str, npt.NDArray[np.int64]], n: int) -> np.ndarray:
    mask = np.ones(n, dtype=bool)
    for cond in f.when:
        raw = raws.get(cond.field)
        if raw is None:
            return np.zeros(n, dtype=bool)
        mask &= (raw // cond.divisor == cond.equals) != cond.negate
    return mask


def _write_bits(bits: _U8, start: int, width: int, raw: npt.NDArray[np.int64], mask: Any) -> None:
    unsigned = raw.astype(np.int64) & ((1 << width) - 1)
    shifts = np.arange(width - 1, -1, -1, dtype=np.int64)
    field_bits = ((unsigned[:, None] >> shifts) & 1).astype(np.uint8)
    if mask is True:
        bits[:, start : start + width] = field_bits
    else:
        bits[mask, start : start + width] = field_bits[mask]


def payload_bits(msg_type: int, columns: Mapping[str, Any], n: int) -> _U8:
    """The message bits, shape (n, bits), from columns of field values (see module docstring).

    ``msg_type`` is written into every row; ``mmsi`` is required.
    """
    if msg_type not in ENCODABLE_TYPES:
        raise DecodeError(f"cannot encode message type {msg_type}; choose from {ENCODABLE_TYPES}")
    if "mmsi" not in columns:
        raise DecodeError("encoding needs an mmsi column")
    layout = LAYOUTS[msg_type]
    bits = np.zeros((n, _BITS[msg_type]), np.uint8)
    raws: dict[str, npt.NDArray[np.int64]] = {}
    given = dict(columns)
    given["msg_type"] = np.full(n, msg_type)
    for f in layout.fields:
        if f.kind in ("spare", "binary"):
            continue
        mask: Any = True if not f.when else _condition_mask(f, raws, n)
        values = _column(given, f.name, n)
        if f.kind == "text":
            codes = _sixbit_text(values, n, f.width // 6)
            text_bits = np.unpackbits(codes[:, :, None], axis=2)[:, :, 2:].reshape(n, f.width)
            if mask is True:
                bits[:, f.start : f.start + f.width] = text_bits
            else:
                bits[mask, f.start : f.start + f.width] = text_bits[mask]
            continue
        raw = _raw_numbers(f, values, n)
        raws[f.name] = raw
        _write_bits(bits, f.start, f.width, raw, mask)
    return bits


def armour(bits: _U8) -> tuple[_U8, int]:
    """Armoured payload characters (n, chars) of message bits (n, bits) and the fill bits."""
    n, width = bits.shape
    fill = (-width) % 6
    if fill:
        bits = np.concatenate([bits, np.zeros((n, fill), np.uint8)], axis=1)
    weights = np.array([32, 16, 8, 4, 2, 1], dtype=np.uint8)
    sixes = (bits.reshape(n, -1, 6) * weights).sum(axis=2).astype(np.uint8)
    return (sixes + 48 + np.where(sixes >= 40, 8, 0)).astype(np.uint8), fill


def encode_payloads(msg_type: int, columns: Mapping[str, Any], n: int) -> tuple[_U8, int]:
    """Armoured payloads (n, chars) and fill bits of ``n`` messages of one type."""
    return armour(payload_bits(msg_type, columns, n))


def _ascii(text: str, n: int) -> _U8:
    return np.broadcast_to(np.frombuffer(text.encode("ascii"), np.uint8), (n, len(text)))


def _checksum_hex(body: _U8) -> _U8:
    x = np.bitwise_xor.reduce(body, axis=1) if body.shape[1] else np.zeros(len(body), np.uint8)
    return np.stack([_HEX[x >> 4], _HEX[x & 15]], axis=1)


def _digits(values: npt.NDArray[np.int64], width: int) -> _U8:
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + 48).astype(np.uint8)


def _tag_block(station: _U8, unix_s: npt.NDArray[np.int64]) -> _U8:
    n = len(unix_s)
    if n and (unix_s.min() < 1_000_000_000 or unix_s.max() > 9_999_999_999):
        raise DecodeError("tag-block times must be 10-digit unix seconds (2001-2286)")
    body = np.concatenate([_ascii("s:", n), station, _ascii(",c:", n), _digits(unix_s, 10)], axis=1)
    return np.concatenate(
        [_ascii("\\", n), body, _ascii("*", n), _checksum_hex(body), _ascii("\\", n)], axis=1
    )


def _fixed_bytes(values: Any, n: int, what: str) -> _U8:
    arr = np.asarray(values, dtype="S")
    if arr.ndim == 0:
        arr = np.full(n, arr.item(), dtype=arr.dtype)
    width = arr.dtype.itemsize
    out = arr.view(np.uint8).reshape(n, width) if n else np.zeros((0, width), np.uint8)
    if n and (out == 0).any():
        raise DecodeError(f"{what} values must all have the same length (pad them)")
    return out


def nmea_lines(
    payload: _U8,
    fill_bits: int,
    *,
    talker: str = "AIVDM",
    channel: Any = "A",
    seq_id: Any = 0,
    station: Any = None,
    unix_s: Any = None,
) -> Lines:
    """NMEA lines of armoured payloads (one entry per message, all its sentences).

    ``channel`` ("A"/"B"), ``seq_id`` (0-9, used by multi-sentence messages), ``station`` and
    ``unix_s`` may be scalars or one value per message; with ``station`` and ``unix_s`` every
    sentence carries the tag block ``\\s:station,c:unix_s*hh\\``. Station ids of one call must
    have equal length.
    """
    n, n_chars = payload.shape
    if len(talker) != 5 or not talker.isascii():
        raise DecodeError(f"talker {talker!r} must be 5 ASCII characters, e.g. AIVDM")
    chan = _fixed_bytes(channel, n, "channel")
    seq = _digits(np.broadcast_to(np.asarray(seq_id, np.int64) % 10, (n,)), 1)
    tag = None
    if station is not None and unix_s is not None:
        tag = _tag_block(
            _fixed_bytes(station, n, "station"), np.broadcast_to(np.asarray(unix_s, np.int64), (n,))
        )
    count = max(1, -(-n_chars // MAX_PAYLOAD_CHARS))
    if count > 9:
        raise DecodeError("a message may span at most 9 sentences")
    pieces = []
    for k in range(count):
        chunk = payload[:, k * MAX_PAYLOAD_CHARS : (k + 1) * MAX_PAYLOAD_CHARS]
        fill = fill_bits if k == count - 1 else 0
        seq_part = seq if count > 1 else np.zeros((n, 0), np.uint8)
        body = np.concatenate(
            [_ascii(f"{talker},{count},{k + 1},", n), seq_part, _ascii(",", n), chan,
             _ascii(",", n), chunk, _ascii(f",{fill}", n)], axis=1,
        )  # fmt: skip
        parts = [] if tag is None else [tag]
        parts += [_ascii("!", n), body, _ascii("*", n), _checksum_hex(body), _ascii("\n", n)]
        pieces.append(np.concatenate(parts, axis=1))
    return Lines.from_matrix(np.concatenate(pieces, axis=1))


def encode_nmea(
    msg_type: int,
    columns: Mapping[str, Any],
    n: int,
    *,
    talker: str = "AIVDM",
    channel: Any = "A",
    seq_id: Any = 0,
    station: Any = None,
    unix_s: Any = None,
) -> Lines:
    """NMEA lines of ``n`` messages of one type (see :func:`payload_bits`, :func:`nmea_lines`)."""
    payload, fill = encode_payloads(msg_type, columns, n)
    return nmea_lines(
        payload, fill, talker=talker, channel=channel, seq_id=seq_id, station=station,
        unix_s=unix_s,
    )  # fmt: skip


__all__ = [
    "ENCODABLE_TYPES",
    "MAX_PAYLOAD_CHARS",
    "Lines",
    "armour",
    "encode_nmea",
    "encode_payloads",
    "nmea_lines",
    "payload_bits",
]
