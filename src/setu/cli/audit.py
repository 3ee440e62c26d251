"""``setu audit …``: the disclosure log (see :mod:`setu.security.audit`).

- ``verify``       recompute and check the whole log (exit 6 and the first bad entry if not)
- ``prove ID``     an inclusion proof of entry ID against the latest signed tree head
- ``consistency``  a consistency proof between two signed tree heads
- ``check-proof``  check a proof file with only the node's public key (no database)
- ``head``         the latest signed tree head (``--all``: every one; ``--sign``: sign now)
- ``list``         entries, filtered by kind, principal and time

Registered by :func:`setu.cli.security.register`. Every listing takes ``--json``; data is shown
through :func:`setu.cli._render.data_table` (literal cells, never markup).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from setu.cli._common import console, dumps, err_console, message, print_json, settings_from
from setu.cli._render import Col, data_table
from setu.errors import ValidationError

if TYPE_CHECKING:
    from setu.security.audit import AuditLog
    from setu.security.audit_proof import TreeHead

audit_app = typer.Typer(
    name="audit",
    help="The disclosure log: verify it, prove entries, show signed tree heads.",
    no_args_is_help=True,
)
JSON_OPT = typer.Option(False, "--json", help="Print JSON instead of a table.")
OUT_OPT = typer.Option(None, "--out", help="Write the proof to this file instead of stdout.")
KEY_HELP = "The node's public signing key: PEM, or the bundle from `setu node export-public`."
PROGRESS_MIN_ENTRIES = 50_000  # below this a verify takes about a second: no bar


def _log(ctx: typer.Context) -> AuditLog:
    """The log of this data directory, signing with the node's key when it has one."""
    from setu.db import open_database
    from setu.security.audit import AuditLog
    from setu.security.node import NODE_JSON, load_node, node_dir

    settings = settings_from(ctx)
    db = open_database(settings)
    ctx.call_on_close(db.dispose)
    has_node = (node_dir(settings.data_dir) / NODE_JSON).is_file()
    return AuditLog(db, load_node(settings).signing_key if has_node else None)


def _write(doc: dict[str, Any], out: Path | None) -> None:
    if out is None:
        print_json(doc)
        return
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(dumps(doc) + "\n", encoding="utf-8")
    os.replace(tmp, out)
    console.print(message("wrote {}", out))


def _head_row(head: TreeHead) -> list[Any]:
    from setu.security.audit_proof import key_id_text

    stamp = head.timestamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return [head.tree_size, stamp, head.root_hash.hex(), key_id_text(head.key_id)]


_HEAD_COLS: list[str | Col] = [
    Col("size", "right"),
    "signed at (UTC)",
    "root hash",
    "signing key id",
]


@audit_app.command("verify")
def verify(
    ctx: typer.Context,
    key: Path | None = typer.Option(None, "--key", help=f"{KEY_HELP} Default: this node's."),
    as_json: bool = JSON_OPT,
) -> None:
    """Recompute every entry, subtree root and signed tree head; exit 6 at the first bad one."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from setu.security.audit_proof import load_public_key
    from setu.security.errors import AuditIntegrityError

    log = _log(ctx)
    public = load_public_key(key.read_bytes()) if key is not None else None
    show_bar = not as_json and log.size() >= PROGRESS_MIN_ENTRIES
    bar = Progress(
        *Progress.get_default_columns()[:1],
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=not show_bar,
    )
    try:
        with bar:
            task = bar.add_task("verifying the disclosure log", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            report = log.verify(public, progress=advance)
    except AuditIntegrityError as exc:
        if as_json:
            print_json({"ok": False, "index": exc.index, "error": str(exc)})
            raise typer.Exit(exc.exit_code) from None
        if exc.index is not None:
            err_console.print(message("[bold red]first bad entry:[/] {}", exc.index))
        raise
    if as_json:
        print_json(report.to_dict())
        return
    console.print(
        message(
            "[green]the disclosure log verifies:[/] {} entries, {} signed tree heads, root {}",
            report.tree_size,
            report.heads_checked,
            report.root_hash.hex(),
        )
    )
    if report.unsigned_entries:
        console.print(
            message(
                "{} entries after the latest signed head (`setu audit head --sign`)",
                report.unsigned_entries,
            )
        )


@audit_app.command("prove")
def prove(
    ctx: typer.Context,
    index: int = typer.Argument(..., help="The entry's index (see `setu audit list`)."),
    out: Path | None = OUT_OPT,
) -> None:
    """Print an inclusion proof of one entry that anyone can check with the node's public key."""
    _write(_log(ctx).prove(index), out)


@audit_app.command("consistency")
def consistency(
    ctx: typer.Context,
    old: int = typer.Argument(..., help="Size of the older signed tree head."),
    new: int | None = typer.Argument(None, help="Size of the newer head (default: latest)."),
    out: Path | None = OUT_OPT,
) -> None:
    """Print a proof that the log at NEW entries only appended to the log at OLD entries."""
    _write(_log(ctx).consistency(old, new), out)


@audit_app.command("check-proof")
def check_proof(
    proof: Path = typer.Argument(..., help="A proof from `prove` or `consistency` ('-': stdin)."),
    key: Path = typer.Option(..., "--key", help=KEY_HELP),
    as_json: bool = JSON_OPT,
) -> None:
    """Check a proof with only the node's public key: no database, no setu data directory."""
    from setu.security.audit_proof import VerifiedInclusion, verify_proof_document

    text = sys.stdin.read() if str(proof) == "-" else proof.read_text(encoding="utf-8")
    checked = verify_proof_document(text, key.read_bytes())
    if isinstance(checked, VerifiedInclusion):
        head = checked.tree_head
        summary: dict[str, Any] = {
            "ok": True,
            "proof": "inclusion",
            "leaf_index": checked.leaf_index,
            "tree_head": head.to_dict(),
            "entry": checked.entry,
        }
        said = message(
            "[green]inclusion proof holds:[/] entry {} is in the log of {} entries signed at {}",
            checked.leaf_index,
            head.tree_size,
            _head_row(head)[1],
        )
    else:
        summary = {
            "ok": True,
            "proof": "consistency",
            "old_tree_head": checked.old.to_dict(),
            "new_tree_head": checked.new.to_dict(),
        }
        said = message(
            "[green]consistency proof holds:[/] the log of {} entries only appended "
            "to the log of {}",
            checked.new.tree_size,
            checked.old.tree_size,
        )
    if as_json:
        print_json(summary)
        return
    console.print(said)
    if isinstance(checked, VerifiedInclusion):
        fields = sorted(checked.entry.items())
        rows = [[k, dumps(v) if isinstance(v, dict | list) else v] for k, v in fields]
        console.print(data_table(["field", "value"], rows, title="the proven entry"))


@audit_app.command("head")
def head(
    ctx: typer.Context,
    sign: bool = typer.Option(False, "--sign", help="Sign a tree head at the current size first."),
    all_heads: bool = typer.Option(False, "--all", help="Every signed tree head, oldest first."),
    as_json: bool = JSON_OPT,
) -> None:
    """The latest signed tree head: what a partner keeps to check later proofs against."""
    from setu.security.errors import TreeHeadNotFoundError

    log = _log(ctx)
    if sign:
        log.sign_head()
    heads = log.heads() if all_heads else [h for h in [log.latest_head()] if h is not None]
    if not heads and not all_heads:
        raise TreeHeadNotFoundError(
            "the disclosure log has no signed tree head yet; `setu audit head --sign` signs one"
        )
    if as_json:
        print_json([h.to_dict() for h in heads] if all_heads else heads[0].to_dict())
        return
    title = f"{len(heads)} signed tree head(s)" if all_heads else "latest signed tree head"
    console.print(data_table(_HEAD_COLS, [_head_row(h) for h in heads], title=title))


def _utc(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{option} {value!r} is not a date or time; use e.g. 2026-03-01 or "
            "2026-03-01T06:00Z (UTC unless a zone is given)"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


_LIST_COLS: list[str | Col] = [
    Col("index", "right"),
    "time (UTC)",
    "kind",
    "principal",
    "action",
    "decision",
    "objects",
    "recipient",
    "purpose",
    "rule",
]


@audit_app.command("list")
def list_entries(
    ctx: typer.Context,
    kind: str | None = typer.Option(
        None,
        "--kind",
        help="decision, disclosure, release, consent, reclassification, destruction or compromise.",
    ),
    principal: str | None = typer.Option(None, "--principal", help="Who acted."),
    since: str | None = typer.Option(None, "--since", help="From this time (UTC unless zoned)."),
    until: str | None = typer.Option(None, "--until", help="Before this time."),
    limit: int = typer.Option(50, "--limit", min=0, help="At most this many entries."),
    oldest_first: bool = typer.Option(False, "--oldest-first", help="Oldest entries first."),
    as_json: bool = JSON_OPT,
) -> None:
    """Entries of the disclosure log, newest first."""
    records = _log(ctx).entries(
        kind=kind,
        principal=principal,
        since=_utc(since, "--since"),
        until=_utc(until, "--until"),
        limit=limit,
        newest_first=not oldest_first,
    )
    if as_json:
        print_json([r.to_dict() for r in records])
        return
    rows = [
        [
            r.index,
            r.record["time"],
            r.record["kind"],
            r.record["principal"],
            r.record["action"],
            r.record["decision"],
            ", ".join(r.record["object_ids"]),
            r.record["recipient"],
            r.record["purpose"],
            r.record["rule"],
        ]
        for r in records
    ]
    console.print(data_table(_LIST_COLS, rows, title=f"{len(rows)} disclosure-log entries"))


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


__all__ = ["audit_app", "register"]
