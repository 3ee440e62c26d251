"""CLI commands: tracks, events, events detect, evaluate (see setu.cli for the map).

``setu tracks`` summarises the segments built from stored positions; ``setu events`` lists stored
events with filters (``--json`` lines, ``--geojson FILE``); ``setu events detect`` runs the
detectors over stored positions and stores what they find (idempotent).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from setu.cli._common import console, dumps, print_json, settings_from
from setu.cli.maritime import parse_bbox, parse_time
from setu.errors import ConfigError

if TYPE_CHECKING:
    import pyarrow as pa

    from setu.events.model import Event
    from setu.settings import Settings

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
        console.print(f"wrote {len(found)} events to {geojson}")
    if as_json:
        for event in found:
            print_json(event.to_dict())
    elif geojson is None:
        _print_events(found, limit)


def _print_events(found: list[Event], limit: int) -> None:
    from rich.table import Table

    table = Table(title=f"{len(found)} events", header_style="bold")
    for column in ("start", "end", "type", "mmsi", "lon", "lat", "evidence"):
        table.add_column(column, overflow="fold")
    for event in found[:limit]:
        table.add_row(
            event.start.strftime("%Y-%m-%d %H:%M:%S"),
            "open" if event.end is None else event.end.strftime("%Y-%m-%d %H:%M:%S"),
            event.event_type.value,
            " ".join(str(m) for m in event.mmsis[:4]) + (" …" if len(event.mmsis) > 4 else ""),
            f"{event.lon:.4f}",
            f"{event.lat:.4f}",
            event.evidence,
        )
    if len(found) > limit:
        table.caption = f"{limit} of {len(found)} shown (use --limit or --json)"
    console.print(table)


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
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Run the detectors over stored positions and store the events (re-runs add nothing)."""
    from setu.events.run import make_detectors, run_detectors
    from setu.events.shore import load_shore
    from setu.events.store import EventStore
    from setu.store import open_store

    settings = settings_from(ctx)
    chosen = make_detectors(detector or None, statics=open_store(settings).statics())
    positions = _positions(settings, mmsi, since, until, bbox)
    with console.status("loading distance-to-shore grid (built once, then cached)"):
        load_shore(settings.data_dir / "cache")
    with console.status(f"running {len(chosen)} detector(s) over {positions.num_rows} positions"):
        found = run_detectors(positions, chosen)
    added = EventStore.open(settings).write(found)
    by_type = dict(sorted(Counter(e.event_type.value for e in found).items()))
    summary = {
        "positions": positions.num_rows,
        "events": len(found),
        "added": added,
        "by_type": by_type,
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"{len(found)} events from {positions.num_rows} positions "
        f"({added} new): {by_type or 'none'}"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("tracks")(tracks)
    app.add_typer(events_app, name="events")
