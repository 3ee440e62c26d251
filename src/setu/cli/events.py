"""CLI commands: tracks, events, events detect (see setu.cli for the map).

``setu tracks`` summarises the segments built from stored positions; ``setu events`` lists stored
events with filters (``--json`` lines, ``--geojson FILE``); ``setu events detect`` runs the
detectors over stored positions and stores what they find (idempotent), in this process or on a
Dask cluster (``--cluster local|tcp://HOST:PORT``, :mod:`setu.scale`) with the same events.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from setu.cli._common import console, dumps, message, print_json, settings_from
from setu.cli.maritime import parse_bbox, parse_time
from setu.errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa

    from setu.events.base import Detector
    from setu.events.model import Event
    from setu.settings import Settings
    from setu.store import MaritimeStore

events_app = typer.Typer(
    name="events",
    help="Events found in the tracks: list them, or run the detectors.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _positions(
    settings: Settings,
    mmsi: list[int] | None,
    since: str | None,
    until: str | None,
    bbox: str | None,
) -> pa.Table:
    from setu.store import open_store

    return open_store(settings).positions(
        mmsi=mmsi or None,
        bbox=parse_bbox(bbox),
        start=parse_time(since, "--since"),
        end=parse_time(until, "--until"),
    )


def tracks(
    ctx: typer.Context,
    mmsi: list[int] | None = typer.Option(None, "--mmsi", help="Only this MMSI (repeatable)."),
    since: str | None = typer.Option(None, help="Positions at or after this time (ISO-8601)."),
    until: str | None = typer.Option(None, help="Positions before this time (ISO-8601)."),
    bbox: str | None = typer.Option(None, help="lon_min,lat_min,lon_max,lat_max (degrees)."),
    limit: int = typer.Option(50, help="Rows to show in table output."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per segment."),
) -> None:
    """Segments built from stored positions: vessel, time span, points, distance, extent."""
    from setu.cli._render import rich_table
    from setu.tracks import Tracks

    built = Tracks.from_positions(_positions(settings_from(ctx), mmsi, since, until, bbox))
    summary = built.summary()
    if as_json:
        for row in summary.iter_rows(named=True):
            print_json(row)
        return
    title = (
        f"{len(built)} segments of {len(built.mmsis)} vessels from {built.cleaning.rows_out} "
        f"positions (dropped: {dict(built.cleaning.dropped) or 'none'})"
    )
    console.print(rich_table(summary.to_arrow(), title=title, max_rows=limit))


@events_app.callback()
def events(
    ctx: typer.Context,
    event_type: list[str] | None = typer.Option(
        None, "--type", help="Only this type (repeatable)."
    ),
    mmsi: list[int] | None = typer.Option(None, "--mmsi", help="Only events of this MMSI."),
    since: str | None = typer.Option(None, help="Events not ended before this time (ISO-8601)."),
    until: str | None = typer.Option(None, help="Events started before this time (ISO-8601)."),
    bbox: str | None = typer.Option(None, help="lon_min,lat_min,lon_max,lat_max (degrees)."),
    limit: int = typer.Option(50, help="Rows to show in table output."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per event."),
    geojson: Path | None = typer.Option(None, "--geojson", help="Write a GeoJSON file."),
) -> None:
    """Stored events, filtered by type, vessel, time and area."""
    if ctx.invoked_subcommand is not None:
        return
    from setu.events.model import EventType
    from setu.events.store import EventQuery, EventStore, to_geojson

    try:
        types = tuple(EventType(t) for t in event_type or ())
    except ValueError:
        known = ", ".join(t.value for t in EventType)
        raise ConfigError(f"--type must be one of: {known}") from None
    query = EventQuery(
        event_types=types,
        mmsis=tuple(mmsi or ()),
        since=parse_time(since, "--since"),
        until=parse_time(until, "--until"),
        bbox=parse_bbox(bbox),
    )
    found = EventStore.open(settings_from(ctx)).query(query)
    if geojson is not None:
        geojson.write_text(dumps(to_geojson(found)) + "\n", encoding="utf-8")
        console.print(message("wrote {} events to {}", len(found), geojson))
    if as_json:
        for event in found:
            print_json(event.to_dict())
    elif geojson is None:
        _print_events(found, limit)


def _print_events(found: list[Event], limit: int) -> None:
    from setu.cli._render import Col, data_table

    columns: list[str | Col] = ["start", "end", "type", "mmsi", Col("lon", "right")]
    columns += [Col("lat", "right"), "evidence"]
    rows = (
        (
            event.start.strftime("%Y-%m-%d %H:%M:%S"),
            "open" if event.end is None else event.end.strftime("%Y-%m-%d %H:%M:%S"),
            event.event_type.value,
            " ".join(str(m) for m in event.mmsis[:4]) + (" …" if len(event.mmsis) > 4 else ""),
            f"{event.lon:.4f}",
            f"{event.lat:.4f}",
            event.evidence,
        )
        for event in found[:limit]
    )
    caption = None
    if len(found) > limit:
        caption = f"{limit} of {len(found)} shown (use --limit or --json)"
    console.print(data_table(columns, rows, title=f"{len(found)} events", caption=caption))


@events_app.command("detect")
def detect(
    ctx: typer.Context,
    detector: list[str] | None = typer.Option(
        None, "--detector", help="Run only this detector (repeatable; default: all)."
    ),
    mmsi: list[int] | None = typer.Option(None, "--mmsi", help="Only this MMSI (repeatable)."),
    since: str | None = typer.Option(None, help="Positions at or after this time (ISO-8601)."),
    until: str | None = typer.Option(None, help="Positions before this time (ISO-8601)."),
    bbox: str | None = typer.Option(None, help="lon_min,lat_min,lon_max,lat_max (degrees)."),
    day_from: str | None = typer.Option(
        None, "--from", help="First day of the range (YYYY-MM-DD, UTC; instead of --since)."
    ),
    day_to: str | None = typer.Option(
        None, "--to", help="Last day of the range, inclusive (YYYY-MM-DD; instead of --until)."
    ),
    cluster: str | None = typer.Option(
        None,
        "--cluster",
        help="Run on Dask: 'local' (one worker process per core) or a scheduler address "
        "tcp://HOST:PORT whose workers see the data directory. Default: this process.",
    ),
    all_at_once: bool = typer.Option(
        False,
        "--all-at-once",
        help="In this process, load every position at once instead of reading the store day "
        "by day and building tracks one batch of vessels at a time (same events, more memory).",
    ),
    batch_positions: int = typer.Option(
        4_000_000,
        "--batch-positions",
        min=1,
        help="Positions per batch of vessels when reading day by day (lower: less memory).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Run the detectors over stored positions and store the events (re-runs add nothing).

    In this process the store is read day by day and tracks are built one batch of vessels at
    a time (memory bounded by a day and a batch, not by the range); the events are the same as
    loading everything at once or running on a cluster."""
    from setu.events.run import make_detectors
    from setu.events.shore import load_shore
    from setu.events.store import EventStore
    from setu.store import open_store

    settings = settings_from(ctx)
    store = open_store(settings)
    start, end = _range(since, until, day_from, day_to)
    batch = None if all_at_once or cluster is not None else batch_positions
    # read day by day, the statics go to the detectors batch by batch (not all at once)
    chosen = make_detectors(detector or None, statics=None if batch else store.statics())
    with console.status(message("loading distance-to-shore grid (built once, then cached)")):
        load_shore(settings.data_dir / "cache")
    if cluster is None:
        positions, found = _detect_here(store, chosen, mmsi, start, end, parse_bbox(bbox), batch)
    else:
        positions, found = _detect_on(cluster, settings, chosen, mmsi, start, end, bbox)
    added = EventStore.open(settings).write(found)
    by_type = dict(sorted(Counter(e.event_type.value for e in found).items()))
    summary = {
        "positions": positions,
        "events": len(found),
        "added": added,
        "by_type": by_type,
    }
    if as_json:
        print_json(summary)
        return
    text = "{} events from {} positions ({} new): {}"
    console.print(message(text, len(found), positions, added, by_type or "none"))


def _range(
    since: str | None, until: str | None, day_from: str | None, day_to: str | None
) -> tuple[datetime | None, datetime | None]:
    """[start, end) from --since/--until or the day options --from/--to (not both)."""
    if (since and day_from) or (until and day_to):
        raise ConfigError("give either --since/--until or --from/--to, not both")
    start = parse_time(since, "--since") if day_from is None else _day(day_from, "--from")
    end = parse_time(until, "--until")
    if day_to is not None:
        end = _day(day_to, "--to") + timedelta(days=1)
    if start is not None and end is not None and start >= end:
        raise ConfigError("the time range is empty: the start must come before the end")
    return start, end


def _day(text: str, option: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise ConfigError(f"{option}: {text!r} is not a day (YYYY-MM-DD)") from None


def _detect_here(
    store: MaritimeStore,
    chosen: list[Detector],
    mmsi: list[int] | None,
    start: datetime | None,
    end: datetime | None,
    bbox: tuple[float, float, float, float] | None,
    batch_positions: int | None,
) -> tuple[int, list[Event]]:
    """Detection in this process: day by day in batches of vessels, or (``batch_positions``
    None) over every position at once."""
    from setu.events.run import run_detectors

    if batch_positions is not None:
        from setu.scale.partitioned import detect_partitioned

        with console.status(message("reading positions day by day")) as spinner:
            run = detect_partitioned(
                store,
                chosen,
                start=start,
                end=end,
                mmsi=mmsi or None,
                bbox=bbox,
                positions_per_batch=batch_positions,
                progress=lambda text: spinner.update(message("{}", text)),
            )
        return run.positions, run.events
    positions = store.positions(mmsi=mmsi or None, bbox=bbox, start=start, end=end)
    status = message("running {} detector(s) over {} positions", len(chosen), positions.num_rows)
    with console.status(status):
        return positions.num_rows, run_detectors(positions, chosen)


def _detect_on(
    cluster: str,
    settings: Settings,
    chosen: list[Detector],
    mmsi: list[int] | None,
    start: datetime | None,
    end: datetime | None,
    bbox: str | None,
) -> tuple[int, list[Event]]:
    from setu.scale import detect_distributed, open_client
    from setu.store import open_store

    store = open_store(settings)
    where = ["received_at >= ?"] * (start is not None) + ["received_at < ?"] * (end is not None)
    params: list[Any] = [t for t in (start, end) if t is not None]
    if mmsi:
        where.append(f"mmsi IN ({', '.join('?' for _ in mmsi)})")
        params.extend(mmsi)
    box = parse_bbox(bbox)
    if box is not None:
        where.append("lon BETWEEN ? AND ? AND lat BETWEEN ? AND ?")
        params.extend([box[0], box[2], box[1], box[3]])
    sql = "SELECT count(*) AS n FROM positions" + (" WHERE " + " AND ".join(where) if where else "")
    count = int(store.sql(sql, params)["n"][0].as_py())
    with (
        console.status(
            message("running {} detector(s) over {} positions on {}", len(chosen), count, cluster)
        ),
        open_client(cluster) as client,
    ):
        found = detect_distributed(
            store,
            chosen,
            client=client,
            start=start,
            end=end,
            mmsi=mmsi or None,
            bbox=box,
            cache_dir=settings.data_dir / "cache",
        )
    return count, found


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("tracks")(tracks)
    app.add_typer(events_app, name="events")
