"""Ingest with a progress bar, and the summary printed at its end.

A file ingest shows bytes read of the total; a live feed (no total) shows messages and their
rate. Ctrl-C or ``--duration`` ends the run cleanly: what was read so far is flushed to the store
and summarised.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from setu.cli._common import console, err_console

if TYPE_CHECKING:
    from setu.ingest import IngestSummary
    from setu.ingest import Progress as IngestProgress
    from setu.store import MaritimeStore, WriteStats


@contextmanager
def _stop_on(stop: threading.Event, duration_s: float | None) -> Iterator[None]:
    """Set ``stop`` on Ctrl-C (first press) or after ``duration_s``; restore handlers after."""
    timer = threading.Timer(duration_s, stop.set) if duration_s is not None else None
    previous: Any = None
    in_main = threading.current_thread() is threading.main_thread()

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():  # second Ctrl-C: give up at once
            raise KeyboardInterrupt
        err_console.print("[yellow]stopping: finishing the current chunk (Ctrl-C again to abort)")
        stop.set()

    if in_main:
        previous = signal.signal(signal.SIGINT, on_sigint)
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()
        if in_main:
            signal.signal(signal.SIGINT, previous)


def _bar(total: int | None) -> Progress:
    if total:
        columns: list[Any] = [
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[messages]:,} msgs"),
            TimeRemainingColumn(),
        ]
    else:
        columns = [
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            TextColumn("{task.fields[messages]:,} msgs, {task.fields[rejected]:,} rejected"),
            TimeElapsedColumn(),
        ]
    return Progress(*columns, console=err_console, transient=True)


def ingest_with_progress(
    sources: Sequence[Any],
    store: MaritimeStore,
    *,
    strict: bool = False,
    assume_time: datetime | None = None,
    duration_s: float | None = None,
    quiet: bool = False,
) -> tuple[IngestSummary, WriteStats]:
    """Ingest ``sources`` into ``store`` (deduplicated), with a progress bar unless ``quiet``."""
    from setu.ingest import ingest, total_bytes

    stop = threading.Event()
    total = total_bytes(sources)
    bar = _bar(total)
    task = bar.add_task("ingest", total=total, messages=0, rejected=0)

    def on_progress(p: IngestProgress) -> None:
        label = p.origin if len(p.origin) <= 40 else "…" + p.origin[-39:]
        bar.update(
            task,
            completed=p.bytes_read,
            description=label,
            messages=p.messages,
            rejected=p.rejected,
        )

    with store.writer() as writer, _stop_on(stop, duration_s):
        if quiet:
            summary = ingest(sources, writer, strict=strict, assume_time=assume_time, stop=stop)
        else:
            with bar:
                summary = ingest(
                    sources,
                    writer,
                    strict=strict,
                    assume_time=assume_time,
                    stop=stop,
                    progress=on_progress,
                )
    return summary, writer.stats


def _span(summary: IngestSummary) -> str:
    first, last = summary.first_received_at, summary.last_received_at
    if first is None or last is None:
        return "–"
    return f"{first:%Y-%m-%d %H:%M:%S} → {last:%Y-%m-%d %H:%M:%S} UTC"


def summary_table(summary: IngestSummary, stats: WriteStats) -> Table:
    """The counts of one ingest as a two-column Rich table."""
    table = Table(title="Ingest summary", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    origins = summary.origins
    shown = ", ".join(origins[:3]) + (f" and {len(origins) - 3} more" if len(origins) > 3 else "")
    table.add_row("sources", shown or "–")
    table.add_row("lines read", f"{summary.lines:,}")
    table.add_row("messages decoded", f"{summary.messages:,}")
    for family, n in sorted(summary.accepted.items()):
        new = stats.added.get(family, 0)
        table.add_row(f"  {family}", f"{n:,} ({new:,} new)")
    table.add_row("rejected", f"{summary.total_rejected:,}")
    for reason, n in sorted(summary.rejected.items(), key=lambda kv: -kv[1]):
        table.add_row(f"  {reason}", f"{n:,}")
    if summary.ignored or summary.metadata_lines:
        both = f"{summary.ignored:,} / {summary.metadata_lines:,}"
        table.add_row("ignored / metadata lines", both)
    table.add_row("vessels (MMSIs)", f"{summary.vessels:,}")
    table.add_row("time span", _span(summary))
    table.add_row("already stored (skipped)", f"{stats.total_duplicates:,}")
    if summary.reconnects:
        table.add_row("reconnects", f"{summary.reconnects:,}")
    rate = summary.messages / summary.duration_s if summary.duration_s > 0 else 0.0
    table.add_row("duration", f"{summary.duration_s:.2f} s ({rate:,.0f} msg/s)")
    return table


def render_summary(summary: IngestSummary, stats: WriteStats) -> None:
    """Print the summary, skipped files and what to try next."""
    from setu.ais.reasons import REASON_TEXT, Reason

    console.print(summary_table(summary, stats))
    for path, reason in summary.skipped:
        console.print(f"[yellow]skipped[/] {path}: {reason}")
    known = {r.value: r for r in Reason}
    for code in sorted(summary.rejected):
        if code in known:
            console.print(f"[dim]{code}: {REASON_TEXT[known[code]]}[/]")
    if not summary.balanced:
        err_console.print("[red]warning: line accounting does not balance; please report this")
    console.print(
        "Next: [bold]setu vessels[/], [bold]setu positions --mmsi N[/], "
        "[bold]setu rejects[/], [bold]setu events detect[/]"
    )
