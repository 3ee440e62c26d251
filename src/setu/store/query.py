"""DuckDB over the Parquet dataset: views, ad-hoc SQL and the standard position query."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from setu.errors import StoreError, ValidationError

if TYPE_CHECKING:
    import duckdb

    from setu.store.dataset import MaritimeStore

VIEWS = ("positions", "statics", "base_stations", "other", "rejects")


def connect(store: MaritimeStore, *, with_registry: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per store table (UTC session time zone)."""
    import duckdb

    from setu.store.schemas import table_schema

    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    for name in VIEWS:
        if store.files(name):
            glob = store.glob(name).replace("'", "''")
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{glob}', union_by_name = true)"
            )
        else:
            empty = table_schema(name).empty_table()
            con.register(f"_empty_{name}", empty)
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM _empty_{name}")
    if with_registry:
        from setu.store.registry import build_registry

        con.register("vessels", build_registry(store))
    return con


def arrow_of(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> pa.Table:
    """The result of one statement as an Arrow table (empty for statements without rows)."""
    relation = con.sql(sql, params=list(params) or None)
    return pa.table({}) if relation is None else relation.to_arrow_table()


def run_sql(store: MaritimeStore, query: str, params: Sequence[Any] | None = None) -> pa.Table:
    """Run one SQL statement over the store's views; returns an Arrow table."""
    import duckdb

    con = connect(store, with_registry="vessels" in query.lower())
    try:
        return arrow_of(con, query, params or ())
    except duckdb.Error as exc:
        raise ValidationError(f"SQL failed: {exc}") from exc
    finally:
        con.close()


def query_positions(
    store: MaritimeStore,
    *,
    mmsi: Sequence[int] | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
) -> pa.Table:
    """Positions filtered by vessel, bounding box and time window, sorted by mmsi and time."""
    where: list[str] = []
    params: list[Any] = []
    if mmsi:
        where.append(f"mmsi IN ({', '.join('?' for _ in mmsi)})")
        params.extend(int(m) for m in mmsi)
    if bbox is not None:
        lon_min, lat_min, lon_max, lat_max = bbox
        if lon_min > lon_max or lat_min > lat_max:
            raise ValidationError(
                "bounding box must be lon_min,lat_min,lon_max,lat_max with min <= max"
            )
        where.append("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
        params.extend([lon_min, lon_max, lat_min, lat_max])
    for value, op in ((start, ">="), (end, "<")):
        if value is not None:
            if value.tzinfo is None:
                raise ValidationError("time bounds must be timezone-aware (UTC)")
            where.append(f"received_at {op} ?")
            params.append(value)
    sql = "SELECT * FROM positions"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY mmsi, received_at, msg_hash, line_no"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    try:
        return run_sql(store, sql, params)
    except ValidationError as exc:
        raise StoreError(str(exc)) from exc
