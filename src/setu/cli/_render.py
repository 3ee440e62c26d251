"""Rendering for the terminal and for files (table, CSV, Parquet, GeoJSON, JSON).

Every table setu.cli prints is built by :func:`data_table` (Arrow tables by :func:`rich_table`),
which shows each header and cell as literal text through :func:`cell`: Rich markup and emoji
codes in data print as typed, control and bidirectional characters as visible escapes, and a
value longer than :data:`MAX_CELL_CHARS` is elided in the table. CSV, JSON, GeoJSON and Parquet
output carry every value exactly.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
from rich.table import Table
from rich.text import Text

from setu.cli._common import console, dumps, visible
from setu.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import JustifyMethod


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    PARQUET = "parquet"
    GEOJSON = "geojson"
    JSON = "json"


#: Longest text shown in one table cell; CSV, JSON and Parquet output carry the whole value.
MAX_CELL_CHARS = 300


@dataclass(frozen=True)
class Col:
    """A column of :func:`data_table`: its header, justification and style."""

    name: str
    justify: JustifyMethod = "left"
    style: str = ""


def cell(value: Any) -> Text:
    """One data value as a table cell: shown literally (no markup, no emoji), control and
    bidirectional characters as visible escapes, long text elided; ``None`` as a dim dash."""
    if isinstance(value, Text):  # already made safe by this module or setu.cli._common
        return value
    if value is None:
        return Text("–", style="dim")
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, float):
        text = f"{value:.5f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.0f}"
    else:
        text = str(value)
    return Text(visible(text, max_chars=MAX_CELL_CHARS))


def lines_cell(values: Iterable[Any]) -> Text:
    """Several values in one cell, one per line, each shown as :func:`cell` shows it."""
    return Text("\n").join(cell(v) for v in values)


def data_table(
    columns: Sequence[str | Col],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    caption: str | None = None,
    show_header: bool = True,
    title_justify: JustifyMethod = "center",
) -> Table:
    """A Rich table whose every header and cell is data shown literally (see :func:`cell`).

    The one place setu.cli builds tables, so no command can print a raw data value."""
    out = Table(
        title=None if title is None else Text(visible(title, max_chars=MAX_CELL_CHARS)),
        caption=None if caption is None else Text(visible(caption)),
        header_style="bold",
        show_header=show_header,
        title_justify=title_justify,
    )
    for column in columns:
        col = column if isinstance(column, Col) else Col(column)
        out.add_column(cell(col.name), justify=col.justify, style=col.style, overflow="fold")
    for row in rows:
        out.add_row(*(cell(v) for v in row))
    return out


def rich_table(table: pa.Table, *, title: str | None = None, max_rows: int = 50) -> Table:
    """A Rich table of the first ``max_rows`` rows (the caption says how many were left out)."""
    names = table.column_names
    rows = ([row[c] for c in names] for row in table.slice(0, max_rows).to_pylist())
    caption = None
    if len(table) > max_rows:
        caption = f"{max_rows} of {len(table)} rows shown (use --limit, --format csv or --out)"
    return data_table(names, rows, title=title, caption=caption)


def geojson_points(table: pa.Table) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of Points (needs ``lon``/``lat``; rows without are left out)."""
    features = []
    props = [c for c in table.column_names if c not in ("lon", "lat")]
    for row in table.to_pylist():
        if row.get("lon") is None or row.get("lat") is None:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                "properties": json.loads(dumps({k: row[k] for k in props})),
            }
        )
    return {"type": "FeatureCollection", "features": features}


def tidy_floats(table: pa.Table) -> pa.Table:
    """float32 columns as float64 holding their shortest decimal form (9.4, not 9.399999618…),
    so JSON and the terminal show the value that was decoded."""
    import numpy as np

    out = table
    for i, fld in enumerate(table.schema):
        if fld.type != pa.float32():
            continue
        column = table.column(i).combine_chunks()
        values = column.to_numpy(zero_copy_only=False).astype(str).astype(np.float64)
        mask = column.is_null().to_numpy(zero_copy_only=False)
        out = out.set_column(i, fld.name, pa.array(values, pa.float64(), mask=mask))
    return out


def flatten_nested(table: pa.Table) -> pa.Table:
    """List, struct and map columns as JSON text, for formats without nested values (CSV)."""
    out = table
    for i, fld in enumerate(table.schema):
        if pa.types.is_nested(fld.type):
            text = [None if v is None else dumps(v) for v in table.column(i).to_pylist()]
            out = out.set_column(i, fld.name, pa.array(text, pa.string()))
    return out


def emit(
    table: pa.Table,
    fmt: OutputFormat,
    *,
    out: Path | None = None,
    title: str | None = None,
    max_rows: int = 50,
) -> None:
    """Write ``table`` in ``fmt`` to ``out`` (or stdout; Parquet needs ``out``)."""
    if fmt in (OutputFormat.TABLE, OutputFormat.JSON, OutputFormat.GEOJSON):
        table = tidy_floats(table)
    if fmt is OutputFormat.TABLE:
        if out is not None:
            raise ConfigError("--out needs --format csv, parquet, geojson or json")
        console.print(rich_table(table, title=title, max_rows=max_rows))
        return
    if fmt is OutputFormat.PARQUET:
        if out is None:
            raise ConfigError("--format parquet needs --out FILE")
        import pyarrow.parquet as pq

        pq.write_table(table, out, compression="zstd")
        return
    if fmt is OutputFormat.CSV:
        import pyarrow.csv as pacsv

        table = flatten_nested(table)
        if out is not None:
            pacsv.write_csv(table, out)
        else:
            sink = pa.BufferOutputStream()
            pacsv.write_csv(table, sink)
            sys.stdout.write(sink.getvalue().to_pybytes().decode())
        return
    if fmt is OutputFormat.GEOJSON:
        text = dumps(geojson_points(table))
    else:
        text = "\n".join(dumps(row) for row in table.to_pylist())
    if out is not None:
        out.write_text(text + "\n", encoding="utf-8")
    else:
        sys.stdout.write(text + "\n")
