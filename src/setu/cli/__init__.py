"""The ``setu`` command line: thin wrappers that parse, call the library, and render.

Command modules (each registers its commands on :data:`app`):

- ``setu.cli.maritime``  ingest, decode, vessels, positions, rejects, sql, demo
- ``setu.cli.sim``       simulate (traffic with ground truth), evaluate (precision and recall)
- ``setu.cli.events``    tracks, events, events detect (``--cluster`` for Dask)
- ``setu.cli.coop``      the ``setu coop …`` group (cooperation framework)
- ``setu.cli.acsa``      the ``setu acsa …`` group (ACSA ledger)
- ``setu.cli.store``     the ``setu store …`` group (check and repair the stored files)
- ``setu.cli.security``  the ``setu node …`` and ``setu partner …`` groups (security core)

Heavy libraries are imported inside the commands so ``setu --help`` stays fast.
Exit codes come from :mod:`setu.errors` (``SetuError.exit_code``); usage errors exit 2.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import typer

from setu.cli import _common, _runtime
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
    from setu.cli import acsa, coop, events, maritime, security, sim
    from setu.cli import store as store_commands

    maritime.register(app)
    events.register(app)
    sim.register(app)
    coop.register(app)
    acsa.register(app)
    security.register(app)
    store_commands.register(app)


_register()


def _click_class(name: str) -> type[Exception]:
    """typer's ``UsageError`` or ``ClickException``, found from the public ``typer.BadParameter``
    (recent typer ships its own copy of click; older typer raises click's own classes)."""
    found: type[Exception] = next(c for c in typer.BadParameter.__mro__ if c.__name__ == name)
    return found


_USAGE_ERROR = _click_class("UsageError")
_CLICK_EXCEPTION = _click_class("ClickException")


def _command_path(exc: Exception) -> str:
    """The command a usage error is about (``setu events``), for the help hint. The parser
    raises some errors without their context; the innermost one being parsed is then used."""
    ctx = getattr(exc, "ctx", None)
    if ctx is None:
        for frame, _ in traceback.walk_tb(exc.__traceback__):
            found = frame.f_locals.get("ctx")
            ctx = found if hasattr(found, "command_path") else ctx
    path = getattr(ctx, "command_path", None)
    return path if isinstance(path, str) and path else "setu"


def _usage_error(exc: Exception) -> int:
    """Report a usage error in one line plus where to find help; the exit code is 2."""
    if type(exc).__name__ == "NoArgsIsHelpError":  # the help has been printed already
        return 2
    text = getattr(exc, "format_message", exc.__str__)()
    _common.err_console.print(_common.message("[bold red]error:[/] {}", text), soft_wrap=True)
    hint = _common.message("try '{} --help'", _command_path(exc))
    _common.err_console.print(hint, soft_wrap=True)
    return 2


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app and map errors to exit codes (usage errors exit 2)."""
    _runtime.prepare_numba_cache()  # before any command imports Numba
    try:
        code = app(args=argv, prog_name="setu", standalone_mode=False)
    except SetuError as exc:
        _common.err_console.print(_common.message("[bold red]error:[/] {}", exc), soft_wrap=True)
        raise SystemExit(exc.exit_code) from None
    except _USAGE_ERROR as exc:
        raise SystemExit(_usage_error(exc)) from None
    except _CLICK_EXCEPTION as exc:  # e.g. a file option that cannot be opened
        text = getattr(exc, "format_message", exc.__str__)()
        _common.err_console.print(_common.message("[bold red]error:[/] {}", text), soft_wrap=True)
        raise SystemExit(getattr(exc, "exit_code", 1)) from None
    except (typer.Abort, KeyboardInterrupt):
        _common.err_console.print("aborted")
        raise SystemExit(130) from None
    except typer.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    if isinstance(code, int) and code != 0:  # typer.Exit, --help (0) or Ctrl-C (130)
        raise SystemExit(code)


__all__ = ["app", "main"]
