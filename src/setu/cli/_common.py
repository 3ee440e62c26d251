"""Shared CLI plumbing: settings from the context, consoles, JSON output."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from setu.settings import Settings, load_settings

console = Console()
err_console = Console(stderr=True)


@dataclass(frozen=True)
class CliState:
    data_dir: Path | None
    database_url: str | None


def settings_from(ctx: typer.Context) -> Settings:
    """Resolve settings from the root options (falling back to env and defaults)."""
    root = ctx.find_root()
    state = root.obj if isinstance(root.obj, CliState) else CliState(None, None)
    return load_settings(data_dir=state.data_dir, database_url=state.database_url)


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(obj: Any) -> str:
    """JSON with ISO-8601 datetimes, for ``--json`` output."""
    return json.dumps(obj, default=_default, ensure_ascii=False)


def print_json(obj: Any) -> None:
    sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()


def export_json(records: Any, out: Path | None) -> None:
    """Write records (database rows made JSON-ready) to ``out``, or print them to stdout."""
    from setu.db.records import jsonable

    text = dumps(jsonable(records))
    if out is None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    else:
        out.write_text(text + "\n", encoding="utf-8")
        console.print(f"wrote {out}")
