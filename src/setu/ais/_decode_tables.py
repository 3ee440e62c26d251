"""Assembly of the columnar family tables from the kernels' output (no per-message loop)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from setu.ais._decode_kernels import extract_numeric, extract_text
from setu.ais._decode_plan import ColumnSpec, FamilyPlan, family_plan
from setu.ais.batch import NO_TIME, PayloadBatch
from setu.ais.layout import Cond, Family
from setu.ais.schema import COMMON_COLUMNS, FAMILY_COLUMNS, FAMILY_SCHEMAS, TIMESTAMP


def _validity(valid: np.ndarray) -> pa.Buffer | None:
    if valid.all():
        return None
    return pa.py_buffer(np.packbits(valid, bitorder="little"))


def arrow_array(values: np.ndarray, valid: np.ndarray | None, typ: pa.DataType) -> pa.Array:
    """A primitive Arrow array from NumPy values and a validity mask (zero-copy values)."""
    n = len(values)
    bitmap = None if valid is None else _validity(valid)
    if pa.types.is_boolean(typ):
        data = pa.py_buffer(np.packbits(values.astype(np.bool_), bitorder="little"))
    elif pa.types.is_timestamp(typ):
        data = pa.py_buffer(np.ascontiguousarray(values, dtype=np.int64))
    else:
        data = pa.py_buffer(np.ascontiguousarray(values, dtype=typ.to_pandas_dtype()))
    return pa.Array.from_buffers(typ, n, [bitmap, data])


def _take_text(values: pa.Array, idx: np.ndarray) -> pa.Array:
    """Rows ``idx`` of a string column; columns of equal-length strings (talkers, and channels
    without gaps) are taken as fixed-width NumPy items, which is several times faster."""
    if values.null_count == len(values):
        return pa.nulls(len(idx), pa.string())
    if values.null_count == 0 and pa.types.is_string(values.type) and len(values):
        n, first = len(values), values.offset
        offsets = np.frombuffer(values.buffers()[1], np.int32, n + 1, 4 * first)
        width = int(offsets[1] - offsets[0])
        if width > 0 and (np.diff(offsets) == width).all():
            items = np.frombuffer(values.buffers()[2], f"S{width}", n, int(offsets[0]))
            data = items[idx].view(np.uint8)
            out_offsets = np.arange(0, width * len(idx) + 1, width, dtype=np.int32)
            return pa.StringArray.from_buffers(
                len(idx), pa.py_buffer(out_offsets), pa.py_buffer(data)
            )
    return values.take(pa.array(idx, pa.int64())).cast(pa.string())


def common_columns(
    batch: PayloadBatch,
    six: np.ndarray,
    types: np.ndarray,
    msg_hash: np.ndarray,
    idx: np.ndarray,
    header: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[pa.Array]:
    """The common columns for rows ``idx``; ``header`` = (mmsi, repeat) when already decoded."""
    if header is None:
        first = np.asarray(batch.offsets, np.int64)[idx]
        chars = [six[first + k].astype(np.int64) for k in range(7)]
        mmsi = ((chars[1] & 15) << 26) | (chars[2] << 20) | (chars[3] << 14)
        mmsi |= (chars[4] << 8) | (chars[5] << 2) | (chars[6] >> 4)
        repeat = (chars[1] >> 4) & 3
    else:
        mmsi, repeat = header
    times = np.asarray(batch.received_at_us, np.int64)[idx]
    typed = {f.name: f.type for f in COMMON_COLUMNS}
    return [
        arrow_array(times, times != NO_TIME, TIMESTAMP),
        arrow_array(mmsi, None, typed["mmsi"]),
        arrow_array(types[idx], None, typed["msg_type"]),
        arrow_array(repeat, None, typed["repeat"]),
        _take_text(batch.station, idx),
        _take_text(batch.channel, idx),
        _take_text(batch.talker, idx),
        arrow_array(np.asarray(batch.line_no, np.int64)[idx], None, pa.int64()),
        arrow_array(np.asarray(batch.checksum_ok, np.bool_)[idx], None, pa.bool_()),
        arrow_array(msg_hash[idx], None, pa.uint64()),
    ]


def _keep_mask(
    t: int,
    when: tuple[Cond, ...],
    plan: FamilyPlan,
    row_types: np.ndarray,
    raw: np.ndarray,
    valid: np.ndarray,
) -> np.ndarray:
    """False for the rows of type ``t`` where the field's presence condition fails."""
    ok = np.ones(len(row_types), np.bool_)
    for cond in when:
        k = plan.column_index(cond.field)
        hit = (raw[k] // cond.divisor) == cond.equals
        ok &= valid[k] & (hit != cond.negate)
    return (row_types != t) | ok


def _station_time(vals: dict[str, np.ndarray], valid: dict[str, np.ndarray]) -> pa.Array:
    """UTC timestamp from the base-station date fields; null when any part is n/a/invalid."""
    parts = ("year", "month", "day", "hour", "minute", "second")
    ok = np.logical_and.reduce([valid[p] for p in parts])
    year, month, day = (vals[p].astype(np.int64) for p in parts[:3])
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (vals["hour"] < 24)
    ok &= vals["minute"] < 60
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + np.where(ok, day - 1, 0)
    ok &= days.astype("datetime64[M]") == months
    secs = vals["hour"] * 3600 + vals["minute"] * 60 + vals["second"]
    us = days.astype("datetime64[us]").astype(np.int64) + secs.astype(np.int64) * 1_000_000
    return arrow_array(us, ok, TIMESTAMP)


def _scaled(
    plan: FamilyPlan, spec: ColumnSpec, row_types: np.ndarray, raw: np.ndarray
) -> np.ndarray:
    """Physical values of a float column (scale and ROT rule of each row's type)."""
    if spec.divisor is not None:
        return raw / spec.divisor
    c = spec.index
    values = raw / plan.scale[row_types, c]
    rot = plan.rot[row_types, c]
    if rot.any():
        turn = np.square(raw / 4.733) * np.sign(raw)
        values = np.where(rot, turn, values)
    return values


def _numeric_array(values: np.ndarray, valid: np.ndarray, spec: ColumnSpec) -> pa.Array:
    """The Arrow array of a numeric column (``arrow_array`` with the plan's precomputed types)."""
    bitmap = None if valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    if spec.kind == "bool":
        data = pa.py_buffer(np.packbits(values.astype(np.bool_), bitorder="little"))
    else:
        data = pa.py_buffer(values.astype(spec.dtype, copy=False))
    return pa.Array.from_buffers(spec.type, len(values), [bitmap, data])


def build_family_table(
    family: Family,
    batch: PayloadBatch,
    six: np.ndarray,
    types: np.ndarray,
    nbits: np.ndarray,
    msg_hash: np.ndarray,
    idx: np.ndarray,
) -> pa.Table:
    """Decode rows ``idx`` (all of this family's types, already screened) into its table."""
    plan = family_plan(family)
    schema = FAMILY_SCHEMAS[family]
    offsets = np.asarray(batch.offsets, np.int64)
    raw, valid = extract_numeric(
        six, offsets, nbits, types, idx, plan.starts, plan.widths, plan.signed,
        plan.na1, plan.na2, plan.na_from, plan.max_chars,
    )  # fmt: skip
    row_types = types[idx]
    for t, c, when in plan.conditions:  # valid is a fresh kernel output: ours to edit
        valid[c] &= _keep_mask(t, when, plan, row_types, raw, valid)
    columns: dict[str, pa.Array] = {}
    for spec in plan.columns:
        values = raw[spec.index]
        if spec.kind == "float":
            values = _scaled(plan, spec, row_types, values)
        columns[spec.name] = _numeric_array(values, valid[spec.index], spec)
    for c, name in enumerate(plan.text):
        data, offs, tvalid = extract_text(
            six, offsets, nbits, types, idx, plan.text_starts[c], plan.text_chars[c]
        )
        for t, cc, when in plan.text_conditions:
            if cc == c:
                tvalid &= _keep_mask(t, when, plan, row_types, raw, valid)
        columns[name] = pa.Array.from_buffers(
            pa.string(), len(idx), [_validity(tvalid), pa.py_buffer(offs), pa.py_buffer(data)]
        )
    if family == "base_stations":
        parts = ("year", "month", "day", "hour", "minute", "second")
        index = {p: plan.column_index(p) for p in parts}
        columns["station_time"] = _station_time(
            {p: raw[k] for p, k in index.items()}, {p: valid[k] for p, k in index.items()}
        )
    header = (raw[plan.column_index("mmsi")], raw[plan.column_index("repeat")])
    arrays = common_columns(batch, six, types, msg_hash, idx, header)
    arrays += [columns[c] for c in FAMILY_COLUMNS[family]]
    return pa.Table.from_arrays(arrays, schema=schema)
