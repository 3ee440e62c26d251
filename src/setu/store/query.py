"""DuckDB over the Parquet dataset: views, ad-hoc SQL and the standard position query.

Every connection is a sandbox (:func:`connect`): the views are created over the store's
committed files, then external access is switched off (only those files stay readable),
extensions are neither installed nor loaded, and the configuration is locked. :func:`run_sql`
accepts a single SELECT (``WITH … SELECT``, ``FROM …``, ``DESCRIBE`` and ``SUMMARIZE`` are
SELECTs too); COPY, ATTACH, INSTALL, SET, PRAGMA and every other statement are refused with a
:class:`~setu.errors.PolicyError`. So ``setu sql`` can read the picture but cannot write a file,
read one outside the store, or fetch code.

Every view has a ``label_id`` column (null in files written before labels existed: the open-AIS
default, :mod:`setu.store.schemas`).

A table with a damaged file still gets its view, one that fails when read with a
:class:`~setu.errors.StoreError` naming the file: every other table reads as usual.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from setu.errors import PolicyError, StoreError, ValidationError

if TYPE_CHECKING:
    import duckdb

    from setu.store.dataset import MaritimeStore

VIEWS = ("positions", "statics", "base_stations", "other", "rejects")
#: Starts the message of a view over a damaged table (found again in DuckDB's error text).
_DAMAGE_MARK = "setu store damage: "
_PARQUET_PATH = re.compile(r"['\"]([^'\"]+\.parquet)['\"]")
_LOOKS_DAMAGED = re.compile(
    r"thrift|tprotocol|ttype|corrupt|magic bytes|decompress|zstd|checksum|parquet", re.IGNORECASE
)
_SANDBOX_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def connect(store: MaritimeStore, *, with_registry: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory, sandboxed DuckDB connection with one view per store table (UTC session
    time zone); ``with_registry`` adds the ``vessels`` view."""
    import duckdb

    con = duckdb.connect(":memory:", config=dict(_SANDBOX_CONFIG))
    try:
        con.execute("SET TimeZone = 'UTC'")
        readable: list[Path] = []
        for name in VIEWS:
            readable += _create_view(con, store, name)
        if with_registry:
            from setu.store.registry import build_registry

            con.register("vessels", build_registry(store))
        _lock(con, readable)
    except BaseException:
        con.close()
        raise
    return con


def _create_view(con: duckdb.DuckDBPyConnection, store: MaritimeStore, name: str) -> list[Path]:
    """Create the view of one table; returns the files it reads."""
    import duckdb

    from setu.store.schemas import LABEL_COLUMN, table_schema

    files = store.files(name)
    if files:
        listed = ", ".join(_quote(str(p)) for p in files)
        try:
            source = f"read_parquet([{listed}], union_by_name = true)"
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
            if LABEL_COLUMN not in {row[0] for row in con.execute(f"DESCRIBE {name}").fetchall()}:
                # files written before labels existed: their rows carry the open-AIS default
                con.execute(
                    f"CREATE OR REPLACE VIEW {name} AS SELECT *, "
                    f"CAST(NULL AS VARCHAR) AS {LABEL_COLUMN} FROM {source}"
                )
            return files
        except duckdb.Error as exc:
            problem = _damage_message(name, files, exc)
    else:
        problem = ""
    con.register(f"_empty_{name}", table_schema(name).empty_table())
    if problem:  # a view that fails when read, with the message saying which file and what to do
        con.execute(
            f"CREATE VIEW {name} AS SELECT e.* FROM _empty_{name} AS e, "
            f"(SELECT 1 WHERE error({_quote(_DAMAGE_MARK + problem)}) IS NULL)"
        )
    else:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM _empty_{name}")
    return []


def _damage_message(name: str, files: list[Path], exc: BaseException) -> str:
    from setu.store.health import check_file

    damaged = [d for d in (check_file(name, p, deep=False) for p in files) if d is not None]
    if damaged:
        where = "; ".join(f"{d.path} ({d.detail})" for d in damaged)
    else:
        where = " ".join(str(exc).split())
    return (
        f"table {name} cannot be read: damaged stored file(s): {where}; run `setu store check` "
        "to list damaged files and `setu store repair` to quarantine them"
    )


def _lock(con: duckdb.DuckDBPyConnection, readable: list[Path]) -> None:
    """Only the store's files stay readable; nothing can be written, attached or installed."""
    allowed = ", ".join(_quote(str(p)) for p in readable)
    con.execute(f"SET allowed_paths = [{allowed}]")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def arrow_of(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> pa.Table:
    """The result of one statement as an Arrow table (empty for statements without rows).

    A read that meets a damaged file raises :class:`StoreError` naming it; other DuckDB errors
    pass through unchanged."""
    import duckdb

    try:
        relation = con.sql(sql, params=list(params) or None)
        return pa.table({}) if relation is None else relation.to_arrow_table()
    except duckdb.Error as exc:
        damage = damage_error(exc)
        if damage is not None:
            raise damage from exc
        raise


def damage_error(exc: BaseException) -> StoreError | None:
    """The StoreError for a DuckDB error caused by a damaged stored file, else None."""
    import duckdb

    text = " ".join(str(exc).split())
    if _DAMAGE_MARK in text:
        return StoreError(text.split(_DAMAGE_MARK, 1)[1].strip())
    # Thrift and decompression failures inside a Parquet file come as the base class
    data_error = type(exc) is duckdb.Error or isinstance(
        exc, duckdb.IOException | duckdb.InvalidInputException
    )
    if not data_error:
        return None
    found = _PARQUET_PATH.search(text)
    if found is not None:
        from setu.store.dataset import damaged_file_error

        return damaged_file_error(Path(found.group(1)), text)
    if type(exc) is duckdb.Error or _LOOKS_DAMAGED.search(text):
        return StoreError(
            f"reading the store failed: {text}; a stored file may be damaged: run "
            "`setu store check` to find it and `setu store repair` to quarantine it"
        )
    return None


def check_read_only(query: str) -> None:
    """Refuse anything but one SELECT statement (PolicyError), or SQL that does not parse."""
    import duckdb

    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise ValidationError(f"SQL failed: {exc}") from exc
    if not statements:
        raise ValidationError("SQL failed: the query is empty; give one SELECT statement")
    if len(statements) > 1:
        raise PolicyError(
            f"setu runs one SQL statement at a time, got {len(statements)}; give a single SELECT"
        )
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise PolicyError(
            f"{kind.name} statements are refused: SQL over the store runs a single SELECT (or "
            "WITH … SELECT) over positions, statics, base_stations, other, rejects and vessels, "
            "and never writes, attaches, installs or changes settings"
        )


def run_sql(store: MaritimeStore, query: str, params: Sequence[Any] | None = None) -> pa.Table:
    """Run one SELECT over the store's views in a sandboxed connection; returns an Arrow table.

    Raises :class:`PolicyError` for any other statement, :class:`ValidationError` when the SQL
    fails, :class:`StoreError` when it meets a damaged file."""
    import duckdb

    check_read_only(query)
    con = connect(store, with_registry="vessels" in query.lower())
    try:
        return arrow_of(con, query, params or ())
    except duckdb.PermissionException as exc:
        raise PolicyError(
            f"SQL over the store reads only setu's views; file and network access is refused "
            f"({' '.join(str(exc).split())})"
        ) from exc
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
