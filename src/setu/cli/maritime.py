"""CLI commands over the maritime picture: ingest, decode, vessels, positions, rejects, sql, demo.

Each command parses its options, calls the library (:mod:`setu.ingest`, :mod:`setu.store`) and
renders the result; nothing here knows about bits or Parquet files.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from setu.cli._common import settings_from
from setu.cli._render import OutputFormat, emit
from setu.errors import ConfigError

_VESSEL_SORTS = (
    "mmsi",
    "ship_name",
    "flag",
    "ship_type",
    "last_seen",
    "first_seen",
    "messages",
    "positions",
)
#: Columns of the terminal table (other formats carry every column).
_VESSEL_TABLE = (
    "mmsi",
    "ship_name",
    "flag_iso2",
    "ship_type_text",
    "imo",
    "length_m",
    "positions",
    "last_seen",
)


def parse_time(text: str | None, option: str) -> datetime | None:
    """ISO-8601 to an aware UTC datetime; a time without offset is taken as UTC."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{option}: {text!r} is not an ISO-8601 time (e.g. 2026-01-31T12:00:00Z)"
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        parts = tuple(float(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 4:
        raise ConfigError(f"--bbox: {text!r} must be lon_min,lat_min,lon_max,lat_max in degrees")
    lon_min, lat_min, lon_max, lat_max = parts
    if not (-180 <= lon_min <= lon_max <= 180 and -90 <= lat_min <= lat_max <= 90):
        raise ConfigError("--bbox: need -180 <= lon_min <= lon_max <= 180, -90 <= lat <= 90")
    return lon_min, lat_min, lon_max, lat_max


def vessels(
    ctx: typer.Context,
    flag: str | None = typer.Option(None, help="Only this flag (ISO 3166 alpha-2, e.g. IN, JP)."),
    name: str | None = typer.Option(None, help="Name contains (case-insensitive)."),
    ship_type: int | None = typer.Option(None, "--ship-type", help="Only this type code."),
    mmsi: int | None = typer.Option(None, help="Only this MMSI (shows its identity history)."),
    sort: str = typer.Option("mmsi", help=f"Sort by one of: {', '.join(_VESSEL_SORTS)}."),
    desc: bool = typer.Option(False, "--desc", help="Sort descending."),
    limit: int = typer.Option(50, help="Rows to show in table output."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", help="Output format."),
    out: Path | None = typer.Option(None, help="Write to this file."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines (same as --format json)."),
) -> None:
    """The vessel registry: latest identity per MMSI, flag state, first/last seen."""
    import pyarrow.compute as pc

    from setu.store import open_store
    from setu.store.registry import identity_history

    if sort not in _VESSEL_SORTS:
        raise ConfigError(f"--sort must be one of {', '.join(_VESSEL_SORTS)}")
    store = open_store(settings_from(ctx))
    table = store.vessels()
    if flag:
        table = table.filter(pc.equal(table["flag_iso2"], flag.upper()))
    if name:
        table = table.filter(pc.match_substring(pc.utf8_upper(table["ship_name"]), name.upper()))
    if ship_type is not None:
        table = table.filter(pc.equal(table["ship_type"], ship_type))
    if mmsi is not None:
        table = table.filter(pc.equal(table["mmsi"], mmsi))
    table = table.sort_by([(sort, "descending" if desc else "ascending")])
    fmt = OutputFormat.JSON if as_json else fmt
    shown = table.select(list(_VESSEL_TABLE)) if fmt is OutputFormat.TABLE else table
    emit(shown, fmt, out=out, title=f"Vessels ({len(table)})", max_rows=limit)
    if mmsi is not None and fmt is OutputFormat.TABLE:
        history = identity_history(store, mmsi)
        emit(history, fmt, title=f"Identity history of {mmsi}", max_rows=limit)


def positions(
    ctx: typer.Context,
    mmsi: list[int] | None = typer.Option(None, help="Vessel(s); repeat for several."),
    bbox: str | None = typer.Option(None, help="lon_min,lat_min,lon_max,lat_max (degrees)."),
    since: str | None = typer.Option(None, help="From this UTC time (ISO-8601), inclusive."),
    until: str | None = typer.Option(None, help="Until this UTC time (ISO-8601), exclusive."),
    limit: int | None = typer.Option(None, help="At most this many rows."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", help="Output format."),
    out: Path | None = typer.Option(None, help="Write to this file."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines (same as --format json)."),
) -> None:
    """Position reports by vessel, bounding box and time window."""
    from setu.store import open_store

    store = open_store(settings_from(ctx))
    table = store.positions(
        mmsi=mmsi or None,
        bbox=parse_bbox(bbox),
        start=parse_time(since, "--since"),
        end=parse_time(until, "--until"),
        limit=limit,
    )
    fmt = OutputFormat.JSON if as_json else fmt
    if fmt is OutputFormat.TABLE:
        keep = ["received_at", "mmsi", "msg_type", "lon", "lat", "sog_knots", "cog_deg"]
        table = table.select([*keep, "heading_deg", "nav_status", "station"])
    emit(table, fmt, out=out, title=f"Positions ({len(table)})")


def rejects(
    ctx: typer.Context,
    reason: str | None = typer.Option(None, help="Only this reason code."),
    origin: str | None = typer.Option(None, help="Origin contains (file path, tcp://…)."),
    summary: bool = typer.Option(False, "--summary", help="Counts per reason and origin."),
    limit: int = typer.Option(50, help="Rows to show in table output."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", help="Output format."),
    out: Path | None = typer.Option(None, help="Write to this file."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines (same as --format json)."),
) -> None:
    """Rejected input: the raw line, where it came from, and why."""
    from setu.store import open_store

    store = open_store(settings_from(ctx))
    where, params = [], []
    if reason:
        where.append("reason = ?")
        params.append(reason)
    if origin:
        where.append("origin LIKE ?")
        params.append(f"%{origin}%")
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    if summary:
        sql = (
            "SELECT reason, origin, count(*) AS n FROM rejects"
            f"{clause} GROUP BY ALL ORDER BY n DESC"
        )
    else:
        sql = (
            "SELECT origin, line_no, reason, received_at, raw FROM rejects"
            f"{clause} ORDER BY origin, line_no"
        )
    table = store.sql(sql, params)
    fmt = OutputFormat.JSON if as_json else fmt
    if fmt is OutputFormat.TABLE and not summary:
        table = table.select(["line_no", "reason", "raw", "origin"])
    emit(table, fmt, out=out, title=f"Rejects ({len(table)})", max_rows=limit)


def sql(
    ctx: typer.Context,
    query: str = typer.Argument(
        ..., help="SQL over positions, statics, base_stations, other, rejects and vessels."
    ),
    limit: int = typer.Option(50, help="Rows to show in table output."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", help="Output format."),
    out: Path | None = typer.Option(None, help="Write to this file."),
    as_json: bool = typer.Option(False, "--json", help="JSON lines (same as --format json)."),
) -> None:
    """Run SQL (DuckDB dialect) over the store."""
    from setu.store import open_store

    table = open_store(settings_from(ctx)).sql(query)
    emit(table, OutputFormat.JSON if as_json else fmt, out=out, max_rows=limit)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    from setu.cli import _ingest

    app.command("ingest")(_ingest.ingest)
    app.command("decode")(_ingest.decode)
    app.command("vessels")(vessels)
    app.command("positions")(positions)
    app.command("rejects")(rejects)
    app.command("sql")(sql)
    app.command("demo")(_ingest.demo)


__all__ = ["parse_bbox", "parse_time", "register"]
