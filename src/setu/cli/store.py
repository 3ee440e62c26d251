"""``setu store check`` and ``setu store repair``: find damaged stored files, take them out.

``check`` exits 6 when it finds a damaged file or a temp file left by a killed writer;
``repair`` quarantines damaged files (keeping the row groups that still read), deletes stale
temp files and reports the rows lost per table and day. The library is :mod:`setu.store.health`.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING

import typer

from setu.cli._common import console, err_console, message, print_json, settings_from
from setu.errors import IntegrityError

if TYPE_CHECKING:
    from setu.store.health import CheckReport, RepairReport

store_app = typer.Typer(
    help="Integrity of the stored AIS files: check for damage, repair by quarantine.",
    no_args_is_help=True,
)


@store_app.command("check")
def check(
    ctx: typer.Context,
    quick: bool = typer.Option(
        False, "--quick", help="Footers and schemas only (no data read; misses bad pages)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Find damaged stored files and stale temp files (exit 6 if any)."""
    from setu.store import open_store
    from setu.store.health import check_store

    store = open_store(settings_from(ctx))
    status = nullcontext() if as_json else err_console.status("checking stored files")
    with status:
        report = check_store(store, deep=not quick)
    if as_json:
        print_json(report.to_dict())
    else:
        _render_check(report)
    if not report.ok:
        raise IntegrityError(
            f"{len(report.damage)} damaged or stale file(s) in {store.root}; "
            "run `setu store repair` to quarantine them"
        )


@store_app.command("repair")
def repair(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Quarantine damaged files, keeping what still reads; report rows lost."""
    from setu.store import open_store
    from setu.store.health import repair_store

    store = open_store(settings_from(ctx))
    status = nullcontext() if as_json else err_console.status("repairing the store")
    with status:
        report = repair_store(store)
    if as_json:
        print_json(report.to_dict())
    else:
        _render_repair(report)
    if report.after is not None and not report.after.ok:
        raise IntegrityError(
            f"damage remains after repair ({len(report.after.damage)} file(s)); "
            "run `setu store check` for the list"
        )


def _render_check(report: CheckReport) -> None:
    from setu.cli._render import Col, data_table

    depth = "every row group read" if report.deep else "footers and schemas only"
    if report.ok:
        console.print(
            message(
                "[green]store OK[/]: {} files, {} rows checked ({})",
                f"{report.files:,}",
                f"{report.rows:,}",
                depth,
            )
        )
        return
    rows = (
        (d.table, d.day, d.problem, _count(d.rows), f"{d.readable_rows:,}", d.path.name)
        for d in report.damage
    )
    columns: list[str | Col] = ["table", "day", "problem", Col("rows", "right")]
    columns += [Col("readable", "right"), "file"]
    console.print(data_table(columns, rows, title="Damaged stored files"))
    for d in report.damage:
        console.print(message("{}: {}", d.path, d.detail))
    console.print(
        message("{} files checked ({}); {} need repair", report.files, depth, len(report.damage))
    )


def _render_repair(report: RepairReport) -> None:
    from setu.cli._render import Col, data_table

    if not report.repaired:
        console.print(message("[green]nothing to repair[/]: every stored file reads back"))
        return
    rows = (
        (
            r.damage.table,
            r.damage.day,
            r.damage.problem,
            f"{r.salvaged_rows:,}",
            _count(r.lost_rows),
            r.quarantined_as or "deleted",
        )
        for r in report.repaired
    )
    columns: list[str | Col] = ["table", "day", "problem", Col("salvaged", "right")]
    columns.append(Col("lost", "right"))
    console.print(data_table([*columns, "moved to"], rows, title="Repaired"))
    if report.lost:
        lost_rows = ((t, d, _count(n)) for (t, d), n in sorted(report.lost.items()))
        console.print(
            data_table(["table", "day", Col("rows lost", "right")], lost_rows, title="Lost")
        )
    console.print(
        message(
            "the store reads again; re-ingest the original input to restore lost rows "
            "(rows already stored are skipped)"
        )
    )


def _count(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def register(app: typer.Typer) -> None:
    """Add ``setu store`` to the root app."""
    app.add_typer(store_app, name="store")


__all__ = ["register"]
