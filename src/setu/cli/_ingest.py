"""CLI commands that read AIS input: ingest, decode (streaming JSON) and the demo."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from setu.cli._common import console, err_console, print_json, settings_from
from setu.errors import ConfigError


def _parse_hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"--tcp: {text!r} must be HOST:PORT, e.g. 127.0.0.1:10110")
    return host, int(port)


def _build_sources(paths: list[Path] | None, tcp: str | None, udp: int | None) -> list[Any]:
    from setu.ingest import sources_for

    chosen = sum(bool(x) for x in (paths, tcp, udp))
    if chosen != 1:
        raise ConfigError("give input PATH… (or - for stdin), or --tcp HOST:PORT, or --udp PORT")
    tcp_target = _parse_hostport(tcp) if tcp else None
    if udp is not None and not 0 < udp < 65536:
        raise ConfigError("--udp: PORT must be 1..65535")
    return sources_for(paths=[str(p) for p in paths or []], tcp=tcp_target, udp=udp)


def ingest(
    ctx: typer.Context,
    paths: list[Path] | None = typer.Argument(
        None, help="Files (.gz too), directories (recursive), or - for stdin."
    ),
    tcp: str | None = typer.Option(None, help="Read a live feed from HOST:PORT (reconnects)."),
    udp: int | None = typer.Option(None, help="Listen for a live feed on this UDP port."),
    strict: bool = typer.Option(False, help="Reject bad checksums and stop on errors."),
    assume_time: str | None = typer.Option(
        None, help="Receive time (ISO-8601 UTC) for lines that carry none."
    ),
    duration: float | None = typer.Option(
        None, help="Stop a live feed after this many seconds (default: until Ctrl-C)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Ingest AIS (NMEA, tag blocks, $PGHP, NOAA/DMA CSV) into the store."""
    from setu.cli._progress import ingest_with_progress
    from setu.cli.maritime import parse_time
    from setu.store import open_store

    sources = _build_sources(paths, tcp, udp)
    store = open_store(settings_from(ctx))
    summary, stats = ingest_with_progress(
        sources,
        store,
        strict=strict,
        assume_time=parse_time(assume_time, "--assume-time"),
        duration_s=duration,
        quiet=as_json,
    )
    if as_json:
        print_json(
            {**summary.to_dict(), "stored": dict(stats.added), "duplicates": dict(stats.duplicates)}
        )
        return
    from setu.cli._progress import render_summary

    render_summary(summary, stats)


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
