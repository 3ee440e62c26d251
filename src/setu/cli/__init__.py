"""The ``setu`` command line: thin wrappers that parse, call the library, and render.

Command modules (each registers its commands on :data:`app`):

- ``setu.cli.maritime``  ingest, decode, vessels, positions, rejects, sql, demo
- ``setu.cli.sim``       simulate (traffic with ground truth), evaluate (precision and recall)
- ``setu.cli.events``    tracks, events, events detect (``--cluster`` for Dask)
- ``setu.cli.coop``      the ``setu coop …`` group (cooperation framework)
- ``setu.cli.acsa``      the ``setu acsa …`` group (ACSA ledger)

Heavy libraries are imported inside the commands so ``setu --help`` stays fast.
Exit codes come from :mod:`setu.errors` (``SetuError.exit_code``); usage errors exit 2.
"""

from __future__ import annotations

from pathlib import Path

import click
import typer

from setu.cli import _common
from setu.errors import SetuError

app = typer.Typer(
    name="setu",
    help="setu — maritime domain awareness and security cooperation (India–Japan).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Path | None = typer.Option(
        None,
        "--data-dir",
        envvar="SETU_DATA_DIR",
        help="Data directory (default: ~/.local/share/setu).",
        show_default=False,
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar="SETU_DATABASE_URL",
        help="Operational database URL (default: SQLite in the data directory).",
        show_default=False,
    ),
) -> None:
    ctx.obj = _common.CliState(data_dir=data_dir, database_url=database_url)


def _register() -> None:
    from setu.cli import acsa, coop, events, maritime, sim

    maritime.register(app)
    events.register(app)
    sim.register(app)
    coop.register(app)
    acsa.register(app)


_register()


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app and map errors to exit codes."""
    try:
        app(args=argv, standalone_mode=False)
    except SetuError as exc:
        _common.err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Abort:
        _common.err_console.print("aborted")
        raise SystemExit(130) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None


__all__ = ["app", "main"]
