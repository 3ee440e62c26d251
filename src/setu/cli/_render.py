"""Rendering Arrow tables for the terminal and for files (table, CSV, Parquet, GeoJSON, JSON)."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
from rich.table import Table

from setu.cli._common import console, dumps
from setu.errors import ConfigError


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    PARQUET = "parquet"
    GEOJSON = "geojson"
    JSON = "json"


def _cell(value: Any) -> str:
    if value is None:
        return "[dim]–[/]"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return f"{value:.5f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.0f}"
    return str(value)


def rich_table(table: pa.Table, *, title: str | None = None, max_rows: int = 50) -> Table:
    """A Rich table of the first ``max_rows`` rows (the caption says how many were left out)."""
    out = Table(title=title, header_style="bold", show_lines=False)
    for name in table.column_names:
        out.add_column(name, overflow="fold")
    for row in table.slice(0, max_rows).to_pylist():
        out.add_row(*(_cell(row[c]) for c in table.column_names))
    if len(table) > max_rows:
        out.caption = f"{max_rows} of {len(table)} rows shown (use --limit, --format csv or --out)"
    return out


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
