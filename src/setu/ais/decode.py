"""Vectorised decoding of AIS payloads into one Arrow table per message family.

:func:`decode_batch` takes a :class:`~setu.ais.batch.PayloadBatch` and returns a
:class:`DecodeResult`: the tables ``positions``, ``statics``, ``base_stations`` and ``other``
(schemas in :mod:`setu.ais.schema`) and the rejected messages. The three columnar families are
decoded for the whole batch at once by Numba kernels driven by tables built from
:mod:`setu.ais.layout` (no Python loop per message); family ``other`` (rare types) goes through
the plain-Python single-message decoder. Rows keep the order of the batch within each table.

Rejects: message type 0 or above 27 → ``unknown_msg_type``; a message shorter than its type's
minimum (see the layout's ``min_bits``/``part_min_bits``) → ``bad_bit_count``. Rejects are
reported for the whole batch whatever ``families`` asks for.

May import :mod:`setu.ais` siblings, NumPy, Numba, PyArrow and :mod:`setu.errors`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from setu.ais._decode_generic import decode_message
from setu.ais._decode_kernels import analyse_rows, extract_numeric
from setu.ais._decode_tables import build_family_table, common_columns
from setu.ais.batch import NO_TIME, REJECT_SCHEMA, PayloadBatch
from setu.ais.layout import FAMILIES, LAYOUTS, Cond
from setu.ais.reasons import Reason
from setu.ais.schema import FAMILY_SCHEMAS
from setu.errors import ConfigError, DecodeError

__all__ = ["FAMILY_SCHEMAS", "DecodeResult", "decode_batch", "decode_payload"]


@dataclass(frozen=True)
class DecodeResult:
    """Decoded tables by family name, and the messages that could not be decoded."""

    tables: dict[str, pa.Table]
    rejects: pa.Table


@dataclass(frozen=True)
class _Rows:
    """Per-row facts of a batch shared by every family."""

    six: np.ndarray
    types: np.ndarray
    nbits: np.ndarray
    ok: np.ndarray
    msg_hash: np.ndarray


def _min_bits_table() -> np.ndarray:
    table = np.zeros(64, np.int64)
    for t, lay in LAYOUTS.items():
        table[t] = lay.min_bits
    return table


_MIN_BITS = _min_bits_table()
_KNOWN = np.array([t in LAYOUTS for t in range(64)])
#: Per family, which of the 64 message types belong to it.
_MEMBERS = {
    family: np.array([t in LAYOUTS and family in LAYOUTS[t].families for t in range(64)])
    for family in FAMILIES
}


def _cond_mask(cond: Cond, values: np.ndarray, present: np.ndarray) -> np.ndarray:
    hit = (values // cond.divisor) == cond.equals
    return present & (hit != cond.negate)


def _part_rules() -> tuple[tuple[int, Cond, int, tuple[np.ndarray, ...], int], ...]:
    """(type, condition, bits, kernel tables, characters to read) of every per-part minimum."""
    rules = []
    no = np.full((64, 1), np.iinfo(np.int64).max, np.int64)
    zeros = np.zeros((64, 1), np.bool_)
    for t, lay in LAYOUTS.items():
        for cond, bits in lay.part_min_bits:
            f = lay.field(cond.field)
            starts = np.zeros((64, 1), np.int64)
            widths = np.zeros((64, 1), np.int64)
            starts[t, 0], widths[t, 0] = f.start, f.width
            tables = (starts, widths, zeros, no, no, no)
            rules.append((t, cond, bits, tables, (f.start + f.width + 5) // 6))
    return tuple(rules)


_PART_RULES = _part_rules()


def _part_min_bits(
    batch: PayloadBatch, six: np.ndarray, types: np.ndarray, nbits: np.ndarray
) -> np.ndarray:
    """Required bits per row, refined by the layouts' per-part minimums (type 24)."""
    required = _MIN_BITS[types]
    offsets = np.asarray(batch.offsets, np.int64)
    present_types = np.bincount(types, minlength=64)
    for t, cond, bits, tables, max_chars in _PART_RULES:
        if not present_types[t]:
            continue
        rows = np.flatnonzero(types == t)
        starts, widths, signed, na1, na2, na_from = tables
        raw, present = extract_numeric(
            six, offsets, nbits, types, rows, starts, widths, signed, na1, na2, na_from, max_chars
        )
        mask = _cond_mask(cond, raw[0], present[0])
        required[rows[mask]] = bits
    return required


def _analyse(batch: PayloadBatch) -> tuple[_Rows, pa.Table]:
    payload = np.ascontiguousarray(batch.payload, dtype=np.uint8)
    offsets = np.ascontiguousarray(batch.offsets, dtype=np.int64)
    fill = np.ascontiguousarray(batch.fill_bits, dtype=np.uint8)
    six, types, nbits, hashes = analyse_rows(payload, offsets, fill)
    known = _KNOWN[types] & (nbits >= 6)
    required = _part_min_bits(batch, six, types, nbits)
    long_enough = nbits >= required
    ok = known & long_enough
    unknown = np.flatnonzero((nbits >= 6) & ~_KNOWN[types])
    short = np.flatnonzero(~ok & ((nbits < 6) | _KNOWN[types]))
    rejects = _rejects(batch, unknown, short)
    rows = _Rows(six, types, nbits, ok, hashes)
    return rows, rejects


def _rejects(batch: PayloadBatch, unknown: np.ndarray, short: np.ndarray) -> pa.Table:
    idx = np.sort(np.concatenate([unknown, short]))
    if not len(idx):
        return REJECT_SCHEMA.empty_table()
    unknown_set = set(unknown.tolist())
    reasons = [
        str(Reason.UNKNOWN_MSG_TYPE if i in unknown_set else Reason.BAD_BIT_COUNT)
        for i in idx.tolist()
    ]
    times = np.asarray(batch.received_at_us)[idx]
    return pa.table(
        {
            "line_no": pa.array(np.asarray(batch.line_no, np.int64)[idx]),
            "reason": pa.array(reasons, pa.string()),
            "raw": pa.array([batch.payload_text(i) for i in idx.tolist()], pa.string()),
            "received_at": pa.array(
                times, REJECT_SCHEMA.field("received_at").type, mask=times == NO_TIME
            ),
        },
        schema=REJECT_SCHEMA,
    )


def _other_table(batch: PayloadBatch, rows: _Rows, idx: np.ndarray) -> pa.Table:
    """Family ``other``: one JSON object per message from the single-message decoder."""
    payload = np.asarray(batch.payload, np.uint8)
    texts: list[str] = []
    for i in idx.tolist():
        raw = payload[batch.offsets[i] : batch.offsets[i + 1]].tobytes()
        fields = decode_message(raw, int(batch.fill_bits[i]))
        if isinstance(fields, Reason):  # pragma: no cover - filtered by _analyse
            raise DecodeError(f"message on line {batch.line_no[i]} was not pre-screened")
        body = {k: v for k, v in fields.items() if k not in ("msg_type", "repeat", "mmsi")}
        texts.append(json.dumps(body, separators=(",", ":")))
    schema = FAMILY_SCHEMAS["other"]
    header = common_columns(batch, rows.six, rows.types, rows.msg_hash, idx)
    columns = [*header, pa.array(texts, pa.string())]
    return pa.Table.from_arrays(columns, schema=schema)


def decode_batch(batch: PayloadBatch, *, families: frozenset[str] | None = None) -> DecodeResult:
    """Decode every message of ``batch`` into the requested family tables (all by default)."""
    wanted = FAMILIES if families is None else tuple(f for f in FAMILIES if f in families)
    if families is not None and set(families) - set(FAMILIES):
        bad = ", ".join(sorted(set(families) - set(FAMILIES)))
        raise ConfigError(f"unknown AIS families: {bad}; choose from {', '.join(FAMILIES)}")
    rows, rejects = _analyse(batch)
    tables: dict[str, pa.Table] = {}
    for family in wanted:
        idx = np.flatnonzero(rows.ok & _MEMBERS[family][rows.types])
        if not len(idx):
            tables[family] = FAMILY_SCHEMAS[family].empty_table()
        elif family == "other":
            tables[family] = _other_table(batch, rows, idx)
        else:
            tables[family] = build_family_table(
                family, batch, rows.six, rows.types, rows.nbits, rows.msg_hash, idx
            )
    return DecodeResult(tables=tables, rejects=rejects)


def decode_payload(payload: str, fill_bits: int = 0) -> dict[str, object]:
    """Decode one armoured payload into a dict keyed by the layout field names.

    Raises :class:`~setu.errors.DecodeError` when the payload has characters outside the AIS
    armour, an unknown message type, or too few bits for its type.
    """
    try:
        raw = payload.encode("ascii")
    except UnicodeEncodeError as exc:
        raise DecodeError(f"payload {payload!r} is not ASCII; pass the armoured field") from exc
    if any(not (48 <= c <= 87 or 96 <= c <= 119) for c in raw):
        raise DecodeError(f"payload {payload!r} has characters outside the AIS 6-bit armour")
    if not 0 <= fill_bits <= 5:
        raise DecodeError(f"fill bits must be 0..5, got {fill_bits}")
    fields = decode_message(raw, fill_bits)
    if isinstance(fields, Reason):
        raise DecodeError(f"cannot decode {payload!r}: {fields.value}")
    return dict(fields)
