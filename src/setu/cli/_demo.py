"""``setu demo``: ingest the packaged sample feed, then show the picture and its events.

The sample feed is synthetic traffic written by setu's own simulator (scenario ``demo``); a test
regenerates it byte for byte. Running the demo twice adds nothing the second time (the store
and the event store are idempotent).
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from setu.cli._common import message
from setu.cli._render import Col, data_table, rich_table

if TYPE_CHECKING:
    from setu.events.model import Event
    from setu.settings import Settings
    from setu.store import MaritimeStore

_VESSEL_COLUMNS = (
    "mmsi",
    "ship_name",
    "flag_iso2",
    "ship_type_text",
    "length_m",
    "destination",
    "positions",
    "last_seen",
)


def _vessels(store: MaritimeStore, limit: int) -> Table:
    table = store.vessels()
    table = table.sort_by([("positions", "descending"), ("mmsi", "ascending")])
    wanted = [c for c in _VESSEL_COLUMNS if c in table.column_names]
    return rich_table(table.select(wanted), title=f"Vessels ({len(table)})", max_rows=limit)


def _counts(store: MaritimeStore) -> Table:
    rows = ((name, f"{n:,}") for name, n in store.counts().items())
    columns: list[str | Col] = ["table", Col("rows", "right")]
    return data_table(columns, rows, title="Messages stored", title_justify="left")


def _rejects(store: MaritimeStore) -> Table | None:
    rows = store.sql(
        "SELECT reason, count(*) AS n FROM rejects GROUP BY reason ORDER BY n DESC, reason"
    ).to_pylist()
    if not rows:
        return None
    shown = ((row["reason"], f"{row['n']:,}") for row in rows)
    columns: list[str | Col] = ["reason", Col("rows", "right")]
    return data_table(columns, shown, title="Rejects by reason", title_justify="left")


def _events(events: list[Event], limit: int) -> Table:
    by_type = Counter(e.event_type.value for e in events)
    title = "Events: " + (", ".join(f"{t} {n}" for t, n in sorted(by_type.items())) or "none")
    rows = (
        (
            event.event_type.value,
            " ".join(str(m) for m in event.mmsis),
            f"{event.start:%m-%d %H:%M}",
            "ongoing" if event.end is None else f"{event.end:%m-%d %H:%M}",
            event.evidence,
        )
        for event in events[:limit]
    )
    columns = ["type", "vessels", "start (UTC)", "end (UTC)", "evidence"]
    caption = f"{limit} of {len(events)} shown; all: setu events" if len(events) > limit else None
    return data_table(columns, rows, title=title, caption=caption, title_justify="left")


def detect_events(settings: Settings, store: MaritimeStore) -> list[Event]:
    """Run every detector over the stored positions; store and return the events."""
    from setu.events.run import make_detectors, run_detectors
    from setu.events.shore import load_shore
    from setu.events.store import EventStore

    load_shore(settings.data_dir / "cache")
    found = run_detectors(store.positions(), make_detectors(statics=store.statics()))
    EventStore.open(settings).write(found)
    return found


def run_demo(settings: Settings, *, console: Console, err_console: Console) -> None:
    """Ingest the sample feed into ``settings.data_dir`` and print what setu sees."""
    from setu.cli._progress import ingest_with_progress, summary_table
    from setu.ingest import sources_for
    from setu.sim import sample_feed_path
    from setu.store import open_store

    feed = sample_feed_path()
    console.rule(message("[bold]setu demo"))
    console.print(message("sample feed: {} (synthetic, from setu's simulator)", feed.name))
    console.print(message("data directory: {}", settings.data_dir))
    store = open_store(settings)
    summary, stats = ingest_with_progress(sources_for(paths=[str(feed)]), store)
    console.print(summary_table(summary, stats))
    console.print(_counts(store))
    rejects = _rejects(store)
    if rejects is not None:
        console.print(rejects)
    console.print(_vessels(store, limit=15))
    with err_console.status(
        message("detecting events (first run builds the distance-to-shore grid)")
    ):
        events = detect_events(settings, store)
    console.print(_events(events, limit=20))
    console.rule("try next")
    for line in (
        "setu vessels --sort messages --desc           the registry, flags and ship types",
        "setu positions --mmsi <MMSI> --format geojson  one vessel's track",
        "setu events --json                             the events, for scripts",
        "setu rejects                                   every line that did not decode, and why",
        'setu sql "SELECT msg_type, count(*) FROM positions GROUP BY 1"',
        "setu ingest <FILE|DIR> | --tcp HOST:PORT | --udp PORT   your own feed",
        "setu simulate --scenario dark-rendezvous --seed 1 --out /tmp/dr.nmea",
        "setu evaluate --scenario dark-rendezvous --seed 1 --seed 2 --seed 3",
    ):
        console.print(message("  {}", line))
