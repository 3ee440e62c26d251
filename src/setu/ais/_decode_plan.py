"""Extraction plans: the layout of a family's message types as lookup tables for the kernels.

A :class:`FamilyPlan` holds, for every numeric column of a family table, tables indexed by
``[msg_type, column]`` (start bit, width, signedness, ROT rule, scale divisor, "not available"
values), and for every text column ``[msg_type]`` tables of start bit and character count. The
header fields ``mmsi`` and ``repeat`` are numeric columns 0 and 1 of every plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from setu.ais._decode_kernels import NO_NA
from setu.ais.layout import HEADER, LAYOUTS, Cond, Family, Field, family_types
from setu.ais.schema import DERIVED_COLUMNS, FAMILY_COLUMNS, FAMILY_SCHEMAS

N_TYPES = 64  # index tables by the 6-bit message type directly


@dataclass(frozen=True)
class ColumnSpec:
    """How numeric column ``index`` of a plan becomes its Arrow array.

    ``kind`` is "bool", "float" or "int"; ``dtype`` the NumPy type of the Arrow values;
    ``divisor`` the one scale divisor of a float column whose types all agree and have no ROT
    rule (None: scale row by row).
    """

    index: int
    name: str
    type: pa.DataType
    kind: str
    dtype: np.dtype
    divisor: float | None


@dataclass(frozen=True)
class FamilyPlan:
    family: Family
    types: tuple[int, ...]
    numeric: tuple[str, ...]
    text: tuple[str, ...]
    starts: np.ndarray
    widths: np.ndarray
    signed: np.ndarray
    rot: np.ndarray
    scale: np.ndarray
    na1: np.ndarray
    na2: np.ndarray
    na_from: np.ndarray
    text_starts: np.ndarray
    text_chars: np.ndarray
    conditions: tuple[tuple[int, int, tuple[Cond, ...]], ...]
    text_conditions: tuple[tuple[int, int, tuple[Cond, ...]], ...]
    max_chars: int
    columns: tuple[ColumnSpec, ...]

    def column_index(self, name: str) -> int:
        return self.numeric.index(name)


def _field_for(msg_type: int, column: str) -> Field | None:
    found = [f for f in LAYOUTS[msg_type].fields if f.name == column and f.kind != "spare"]
    if len(found) > 1:
        raise ValueError(f"type {msg_type} declares {column} twice; not supported in a family")
    return found[0] if found else None


def _numeric_tables(types: tuple[int, ...], columns: tuple[str, ...]) -> dict[str, np.ndarray]:
    shape = (N_TYPES, len(columns))
    tab = {
        "starts": np.zeros(shape, np.int64),
        "widths": np.zeros(shape, np.int64),
        "signed": np.zeros(shape, np.bool_),
        "rot": np.zeros(shape, np.bool_),
        "scale": np.ones(shape, np.float64),
        "na1": np.full(shape, NO_NA, np.int64),
        "na2": np.full(shape, NO_NA, np.int64),
        "na_from": np.full(shape, NO_NA, np.int64),
    }
    for t in types:
        for c, name in enumerate(columns):
            f = _field_for(t, name)
            if f is None:
                continue
            tab["starts"][t, c] = f.start
            tab["widths"][t, c] = f.width
            tab["signed"][t, c] = f.kind == "int"
            tab["rot"][t, c] = f.conv == "rot"
            tab["scale"][t, c] = f.scale
            if len(f.na) > 2:
                raise ValueError(f"{t}.{name}: at most two 'not available' values supported")
            for k, na in enumerate(f.na):
                tab[f"na{k + 1}"][t, c] = na
            if f.na_from is not None:
                tab["na_from"][t, c] = f.na_from
    return tab


def _column_specs(
    schema: pa.Schema, numeric: tuple[str, ...], tab: dict[str, np.ndarray]
) -> tuple[ColumnSpec, ...]:
    specs = []
    for c, name in enumerate(numeric):
        typ = schema.field(name).type
        kind = (
            "bool" if pa.types.is_boolean(typ) else "float" if pa.types.is_floating(typ) else "int"
        )
        divisor = None
        feeding = np.flatnonzero(tab["widths"][:, c])
        scales = tab["scale"][feeding, c]
        if kind == "float" and not tab["rot"][feeding, c].any() and (scales == scales[0]).all():
            divisor = float(scales[0])
        dtype = np.dtype(np.bool_) if kind == "bool" else np.dtype(typ.to_pandas_dtype())
        specs.append(ColumnSpec(c, name, typ, kind, dtype, divisor))
    return tuple(specs)


def _max_chars(starts: np.ndarray, widths: np.ndarray) -> int:
    """Characters the numeric kernel must read: up to the furthest field's last bit."""
    if (starts < 0).any():
        return 1 << 30  # a field counted from the end: read whole messages
    return int(((starts + widths).max() + 5) // 6)


@cache
def family_plan(family: Family) -> FamilyPlan:
    """The (cached) extraction plan of a columnar family."""
    types = family_types(family)
    schema = FAMILY_SCHEMAS[family]
    own = [c for c in FAMILY_COLUMNS[family] if (family, c) not in DERIVED_COLUMNS]
    text = tuple(c for c in own if schema.field(c).type == pa.string())
    numeric = tuple(f.name for f in HEADER if f.name != "msg_type") + tuple(
        c for c in own if c not in text
    )
    tab = _numeric_tables(types, numeric)
    text_starts = np.zeros((len(text), N_TYPES), np.int64)
    text_chars = np.zeros((len(text), N_TYPES), np.int64)
    conditions: list[tuple[int, int, tuple[Cond, ...]]] = []
    text_conditions: list[tuple[int, int, tuple[Cond, ...]]] = []
    for t in types:
        for c, name in enumerate(numeric):
            f = _field_for(t, name)
            if f is not None and f.when:
                conditions.append((t, c, f.when))
        for c, name in enumerate(text):
            f = _field_for(t, name)
            if f is None:
                continue
            text_starts[c, t] = f.start
            text_chars[c, t] = f.width // 6
            if f.when:
                text_conditions.append((t, c, f.when))
    return FamilyPlan(
        family=family,
        types=types,
        numeric=numeric,
        text=text,
        text_starts=text_starts,
        text_chars=text_chars,
        conditions=tuple(conditions),
        text_conditions=tuple(text_conditions),
        max_chars=_max_chars(tab["starts"], tab["widths"]),
        columns=_column_specs(schema, numeric, tab),
        **tab,
    )
