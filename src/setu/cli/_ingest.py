"""CLI commands that read AIS input: ingest, decode (streaming JSON) and the demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from setu.cli._common import console, err_console, print_json, settings_from
from setu.errors import ConfigError, SourceError

if TYPE_CHECKING:
    from setu.ingest import IngestSummary
    from setu.settings import Settings


def _split_hostport(text: str, option: str, example: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"{option}: {text!r} must be {example}")
    return host, int(port)


def _parse_tcp(text: str) -> tuple[str, int]:
    return _split_hostport(text, "--tcp", "HOST:PORT, e.g. 127.0.0.1:10110")


def _parse_udp(text: str) -> tuple[str, int]:
    """``PORT`` (on 127.0.0.1) or ``ADDR:PORT`` (``0.0.0.0:10110`` listens on every interface)."""
    from setu.ingest.udp import DEFAULT_UDP_HOST

    if ":" not in text:
        text = f"{DEFAULT_UDP_HOST}:{text}"
    return _split_hostport(text, "--udp", "[ADDR:]PORT, e.g. 10110 or 0.0.0.0:10110")


def _say(text: str) -> None:
    """A notice on stderr, printed literally (it may hold a host name or a path)."""
    err_console.print(text, markup=False, highlight=False)


def _build_sources(
    paths: list[Path] | None, tcp: str | None, udp: str | None, settings: Settings
) -> list[Any]:
    from setu.ingest import sources_for

    chosen = sum(bool(x) for x in (paths, tcp, udp))
    if chosen != 1:
        raise ConfigError(
            "give input PATH… (or - for stdin), or --tcp HOST:PORT, or --udp [ADDR:]PORT"
        )
    return sources_for(
        paths=[str(p) for p in paths or []],
        tcp=_parse_tcp(tcp) if tcp else None,
        udp=_parse_udp(udp) if udp else None,
        notify=_say,
        idle_timeout_s=settings.feed_idle_timeout_s,
        udp_receive_buffer_bytes=settings.udp_receive_buffer_bytes,
    )


def _source_label(spec: str, settings: Settings) -> Any:
    """The label of ``--label SPEC``; needs this node's identity (the originator)."""
    from setu.clock import utc_now
    from setu.security.errors import NodeIdentityError
    from setu.security.node import load_node
    from setu.security.source_labels import parse_label_spec

    try:
        node = load_node(settings)
    except NodeIdentityError as exc:
        raise NodeIdentityError(f"--label needs this node's identity: {exc}") from exc
    return parse_label_spec(spec, node, clock=utc_now)


def _exit_status(summary: IngestSummary) -> None:
    """Fail when a feed never connected; exit 128+n when a signal stopped the run."""
    from setu.cli._signals import SIGNAL_EXIT_CODES

    for feed in summary.feeds:
        if feed.never_connected:
            why = f"; last error: {feed.last_error}" if feed.last_error else ""
            raise SourceError(
                f"never connected to {feed.origin} ({feed.failed_attempts} failed attempts"
                f"{why}); check that the feed is up and the address and port are right"
            )
    code = SIGNAL_EXIT_CODES.get(summary.stopped_by or "")
    if code:
        unread = "" if summary.complete else " before the input ended"
        _say(f"stopped by {summary.stopped_by}{unread}; everything read is stored (exit {code})")
        raise SystemExit(code)


def ingest(
    ctx: typer.Context,
    paths: list[Path] | None = typer.Argument(
        None, help="Files (.gz too), directories (recursive), or - for stdin."
    ),
    tcp: str | None = typer.Option(None, help="Read a live feed from HOST:PORT (reconnects)."),
    udp: str | None = typer.Option(
        None,
        metavar="[ADDR:]PORT",
        help="Listen for a live feed on this UDP port, on 127.0.0.1 unless ADDR is given "
        "(0.0.0.0: every interface, for a receiver on the LAN).",
    ),
    strict: bool = typer.Option(False, help="Reject bad checksums and stop on errors."),
    assume_time: str | None = typer.Option(
        None, help="Receive time (ISO-8601 UTC) for lines that carry none."
    ),
    duration: float | None = typer.Option(
        None, help="Stop a live feed after this many seconds (default: until Ctrl-C)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    label: str | None = typer.Option(
        None,
        "--label",
        metavar="SPEC",
        help="Label a navy's own feed: a label JSON file, or e.g. "
        "'SECRET;rel=IND;purpose=MDA;caveat=ORCON' (originator: this node). Default: open AIS "
        "(UNCLASSIFIED, releasable to IND and JPN).",
    ),
) -> None:
    """Ingest AIS (NMEA, tag blocks, $PGHP, NOAA/DMA CSV) into the store.

    Ctrl-C, SIGTERM or SIGHUP stop the run cleanly: what was read is stored and summarised, and
    the exit code is 130, 143 or 129 (a second signal aborts). A live feed that never connects
    exits 3.
    """
    from setu.cli._progress import ingest_with_progress
    from setu.cli._signals import Aborted
    from setu.cli.maritime import parse_time
    from setu.store import open_store

    settings = settings_from(ctx)
    sources = _build_sources(paths, tcp, udp, settings)
    store = open_store(settings)
    if label is not None:
        store = store.labelled(_source_label(label, settings))
    try:
        summary, stats = ingest_with_progress(
            sources,
            store,
            strict=strict,
            assume_time=parse_time(assume_time, "--assume-time"),
            duration_s=duration,
            quiet=as_json,
            flush_interval_s=settings.flush_interval_s,
        )
    except Aborted as exc:
        _say(f"aborted by a second {exc.signal_name}: rows not yet written may be lost")
        raise SystemExit(exc.exit_code) from None
    if as_json:
        print_json(
            {**summary.to_dict(), "stored": dict(stats.added), "duplicates": dict(stats.duplicates)}
        )
    else:
        from setu.cli._progress import render_summary

        render_summary(summary, stats)
    _exit_status(summary)


def decode(
    path: Path = typer.Argument(..., help="NMEA file (.gz too), or - for stdin."),
    strict: bool = typer.Option(False, help="Reject bad checksums."),
    rejects: bool = typer.Option(False, "--rejects", help='Also print rejects (with "reject").'),
) -> None:
    """Stream every decoded message as one JSON object per line; stores nothing.

    Field names are those of the store's tables (docs/ais-fields.md), plus ``family``.
    """
    from setu.cli._common import dumps
    from setu.cli._render import tidy_floats
    from setu.ingest import iter_decoded, sources_for

    sources = sources_for(paths=[str(path)], tcp=None, udp=None)
    out = sys.stdout
    for result in iter_decoded(sources, strict=strict):
        for family, table in result.tables.items():
            for row in tidy_floats(table).to_pylist():
                out.write(dumps({"family": family, **row}) + "\n")
        if rejects:
            for row in result.rejects.to_pylist():
                out.write(dumps({"reject": True, **row}) + "\n")
    out.flush()


def demo(ctx: typer.Context) -> None:
    """Ingest the packaged sample feed and show the maritime picture."""
    from setu.cli._demo import run_demo

    run_demo(settings_from(ctx), console=console, err_console=err_console)
