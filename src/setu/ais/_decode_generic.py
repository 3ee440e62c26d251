"""Single-message decoding straight from the layout, in plain Python.

Used for the rare message types of family ``other`` and for :func:`setu.ais.decode.decode_payload`.
It reads the same :class:`~setu.ais.layout.Field` declarations as the batch kernels but with
Python integers, so the two implementations check each other in the tests.
"""

from __future__ import annotations

from setu.ais.layout import LAYOUTS, Field, MessageLayout
from setu.ais.reasons import Reason

Value = int | float | bool | str | None


_SIX = bytes((c - 48 - (8 if c > 88 else 0)) & 63 for c in range(256))  # as the kernel
_BIN6 = [format(v, "06b") for v in range(64)]


def sixbit_value(payload: bytes) -> int:
    """The armoured payload as one big integer of ``6 * len(payload)`` bits."""
    if not payload:
        return 0
    return int("".join([_BIN6[v] for v in payload.translate(_SIX)]), 2)


class _Bits:
    def __init__(self, payload: bytes, fill_bits: int) -> None:
        total = 6 * len(payload)
        self.nbits = max(total - fill_bits, 0)
        self.value = sixbit_value(payload) >> (total - self.nbits)

    def get(self, start: int, width: int) -> int | None:
        if start < 0 or start + width > self.nbits:
            return None
        return (self.value >> (self.nbits - start - width)) & ((1 << width) - 1)

    def text(self, start: int, width: int) -> str | None:
        n = min(width // 6, (self.nbits - start) // 6) if self.nbits > start else 0
        if n <= 0:
            return None
        raw = self.get(start, 6 * n)
        assert raw is not None
        codes = [(raw >> (6 * (n - 1 - k))) & 63 for k in range(n)]
        text = "".join([chr(v + 64 if v < 32 else v) for v in codes]).rstrip("@ ").lstrip(" ")
        return text or None

    def binary(self, f: Field) -> tuple[str | None, int]:
        end = min(f.start + f.width, self.nbits - f.tail)
        count = end - f.start
        if count <= 0:
            return None, 0
        raw = self.get(f.start, count)
        assert raw is not None
        pad = -count % 8
        return format(raw << pad, f"0{(count + pad) // 4}x"), count


def _numeric(bits: _Bits, f: Field) -> int | None:
    start = f.start + bits.nbits if f.start < 0 else f.start
    raw = bits.get(start, f.width)
    if raw is not None and f.kind == "int" and raw >> (f.width - 1):
        raw -= 1 << f.width
    return raw


#: per message type, the numeric fields without a condition: decoded first, conditions use them
_PLAIN: dict[int, tuple[Field, ...]] = {
    t: tuple(f for f in lay.fields if not f.when and f.kind in ("uint", "int", "bool"))
    for t, lay in LAYOUTS.items()
}


def _decode_fields(bits: _Bits, layout: MessageLayout) -> dict[str, Value] | Reason:
    raw: dict[str, object] = {f.name: _numeric(bits, f) for f in _PLAIN[layout.msg_type]}
    if bits.nbits < layout.required_bits(raw):
        return Reason.BAD_BIT_COUNT
    out: dict[str, Value] = {}
    for f in layout.fields:
        if f.kind == "spare" or (f.when and not all(c.holds(raw) for c in f.when)):
            continue
        if f.kind == "binary":
            out[f.name], out[f"{f.name}_bits"] = bits.binary(f)
        elif f.kind == "text":
            out[f.name] = bits.text(f.start, f.width)
        else:
            value = raw[f.name] if f.name in raw and not f.when else _numeric(bits, f)
            out[f.name] = None if value is None else f.convert(value)  # type: ignore[arg-type]
    return out


def decode_message(payload: bytes, fill_bits: int) -> dict[str, Value] | Reason:
    """Every field of one message (layout names), or the reason it cannot be decoded."""
    bits = _Bits(payload, fill_bits)
    msg_type = bits.get(0, 6)
    if msg_type is None:
        return Reason.BAD_BIT_COUNT
    layout = LAYOUTS.get(msg_type)
    if layout is None:
        return Reason.UNKNOWN_MSG_TYPE
    return _decode_fields(bits, layout)
