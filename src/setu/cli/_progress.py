"""Ingest with a progress bar, and the summary printed at its end.

A file ingest shows bytes read of the total; a live feed (no total) shows messages and their
rate. Ctrl-C, SIGTERM, SIGHUP or ``--duration`` end the run cleanly (:mod:`setu.cli._signals`):
what was read so far is flushed to the store and summarised.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from setu.cli._common import console, err_console, message, visible
from setu.cli._render import Col, data_table
from setu.cli._signals import stop_on_signals
from setu.settings import DEFAULT_FLUSH_INTERVAL_S

if TYPE_CHECKING:
    from setu.ingest import IngestSummary
    from setu.ingest import Progress as IngestProgress
    from setu.store import MaritimeStore, WriteStats


class _Origin(ProgressColumn):
    """The origin being read, shown literally (a file name may hold markup or control codes)."""

    def render(self, task: Task) -> Text:
        return Text(visible(task.description, max_chars=60), style="bold")


def _bar(total: int | None) -> Progress:
    if total:
        columns: list[Any] = [
            _Origin(),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[messages]:,} msgs"),
            TimeRemainingColumn(),
        ]
    else:
        columns = [
            SpinnerColumn(),
            _Origin(),
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
    flush_interval_s: float | None = DEFAULT_FLUSH_INTERVAL_S,
) -> tuple[IngestSummary, WriteStats]:
    """Ingest ``sources`` into ``store`` (deduplicated), with a progress bar unless ``quiet``.

    Input of unknown size (TCP, UDP, stdin) is written to the store every ``flush_interval_s``
    (what a crash can lose); files are written on size and at the end (a rerun after a crash adds
    only what is missing). SIGINT, SIGTERM and SIGHUP stop the run cleanly, a second one raises
    :class:`~setu.cli._signals.Aborted`; the summary says whether the run was ``complete`` and
    what ``stopped_by`` it.
    """
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

    def say(text: str) -> None:
        err_console.print(text, markup=False, highlight=False)

    interval = flush_interval_s if total is None else None
    with (
        stop_on_signals(stop, duration_s, say=say) as request,
        store.writer(flush_interval_s=interval) as writer,
    ):
        run = partial(ingest, sources, writer, strict=strict, assume_time=assume_time, stop=stop)
        if quiet:
            summary = run()
        else:
            with bar:
                summary = run(progress=on_progress)
    # A live feed has no end of its own: running for the whole --duration completes it, unless
    # it never connected.
    complete = summary.complete or (request.reason == "duration" and total is None)
    complete = complete and not any(feed.never_connected for feed in summary.feeds)
    return replace(summary, complete=complete, stopped_by=request.reason), writer.stats


def _span(summary: IngestSummary) -> str:
    first, last = summary.first_received_at, summary.last_received_at
    if first is None or last is None:
        return "–"
    return f"{first:%Y-%m-%d %H:%M:%S} → {last:%Y-%m-%d %H:%M:%S} UTC"


def _run_rows(summary: IngestSummary) -> list[tuple[str, str]]:
    """Rows for how the run ended and what each live feed went through."""
    rows: list[tuple[str, str]] = []
    if not summary.complete:
        why = f"stopped by {summary.stopped_by}" if summary.stopped_by else "stopped"
        rows.append(("complete", f"no ({why})"))
    for feed in summary.feeds:
        if feed.is_tcp:
            if feed.failed_attempts:
                rows.append(("failed connection attempts", f"{feed.failed_attempts:,}"))
                rows.append(("  last error", feed.last_error))
            if feed.idle_timeouts:
                rows.append(("idle timeouts (reconnected)", f"{feed.idle_timeouts:,}"))
            continue
        dropped = "unknown" if feed.datagrams_dropped is None else f"{feed.datagrams_dropped:,}"
        rows.append(("datagrams received / dropped", f"{feed.datagrams:,} / {dropped}"))
        if feed.datagrams_truncated:
            rows.append(("datagrams truncated (> 64 KiB)", f"{feed.datagrams_truncated:,}"))
    return rows


def summary_table(summary: IngestSummary, stats: WriteStats) -> Table:
    """The counts of one ingest as a two-column Rich table."""
    origins = summary.origins
    shown = ", ".join(origins[:3]) + (f" and {len(origins) - 3} more" if len(origins) > 3 else "")
    rows: list[tuple[str, str]] = [
        ("sources", shown or "–"),
        ("lines read", f"{summary.lines:,}"),
        ("messages decoded", f"{summary.messages:,}"),
    ]
    for family, n in sorted(summary.accepted.items()):
        rows.append((f"  {family}", f"{n:,} ({stats.added.get(family, 0):,} new)"))
    rows.append(("rejected", f"{summary.total_rejected:,}"))
    for reason, n in sorted(summary.rejected.items(), key=lambda kv: -kv[1]):
        rows.append((f"  {reason}", f"{n:,}"))
    if summary.ignored or summary.metadata_lines:
        both = f"{summary.ignored:,} / {summary.metadata_lines:,}"
        rows.append(("ignored / metadata lines", both))
    rows.append(("vessels (MMSIs)", f"{summary.vessels:,}"))
    rows.append(("time span", _span(summary)))
    rows.append(("already stored (skipped)", f"{stats.total_duplicates:,}"))
    if summary.reconnects:
        rows.append(("reconnects", f"{summary.reconnects:,}"))
    rows.extend(_run_rows(summary))
    rate = summary.messages / summary.duration_s if summary.duration_s > 0 else 0.0
    rows.append(("duration", f"{summary.duration_s:.2f} s ({rate:,.0f} msg/s)"))
    columns = [Col("", style="bold"), Col("", justify="right")]
    return data_table(
        columns, rows, title="Ingest summary", show_header=False, title_justify="left"
    )


def render_summary(summary: IngestSummary, stats: WriteStats) -> None:
    """Print the summary, skipped files and what to try next."""
    from setu.ais.reasons import REASON_TEXT, Reason

    console.print(summary_table(summary, stats))
    for path, reason in summary.skipped:
        console.print(message("[yellow]skipped[/] {}: {}", path, reason))
    known = {r.value: r for r in Reason}
    for code in sorted(summary.rejected):
        if code in known:
            console.print(message("[dim]{}: {}[/]", code, REASON_TEXT[known[code]]))
    if not summary.balanced:
        err_console.print(
            message("[red]warning: line accounting does not balance; please report this")
        )
    console.print(
        message(
            "Next: [bold]setu vessels[/], [bold]setu positions --mmsi N[/], "
            "[bold]setu rejects[/], [bold]setu events detect[/]"
        )
    )
