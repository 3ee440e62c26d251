"""``setu release …``, ``consent …``, ``reclassify …``, ``retention …``, ``compromise …``.

Thin commands over :mod:`setu.security.release`, :mod:`~setu.security.reclassify`,
:mod:`~setu.security.retention` and :mod:`~setu.security.compromise`. The acting principal is
``SETU_ACTOR`` (or the login name), looked up in ``setu users``; every decision is the gate's
and every step lands in the disclosure log. Listings take ``--json`` and show data through
:func:`setu.cli._render.data_table` (literal cells, never markup). Registered by
:func:`setu.cli.security.register`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import typer

from setu.cli._common import console, message, print_json, settings_from
from setu.cli._render import data_table
from setu.errors import InputError, NotFoundError

release_app = typer.Typer(
    name="release",
    help="Release to the partner: queue, approvals, standing rules, history.",
    no_args_is_help=True,
)
rules_app = typer.Typer(name="rules", help="Standing release rules.", no_args_is_help=True)
release_app.add_typer(rules_app, name="rules")
consent_app = typer.Typer(
    name="consent", help="Originator consents to third-party release.", no_args_is_help=True
)
reclassify_app = typer.Typer(
    name="reclassify", help="Originator notices changing a classification.", no_args_is_help=True
)
retention_app = typer.Typer(
    name="retention", help="Holdings, retention per purpose and destruction.", no_args_is_help=True
)
compromise_app = typer.Typer(
    name="compromise", help="Loss or compromise notices to the originator.", no_args_is_help=True
)
JSON_OPT = typer.Option(False, "--json", help="Print JSON instead of a table.")
OUT_OPT = typer.Option(None, "--out", help="Write the signed document here (default: stdout).")
_REQUEST_COLS = (
    "request_id",
    "object_kind",
    "object_id",
    "classification",
    "originator",
    "recipient_nation",
    "purpose",
    "state",
    "requested_by",
    "decided_by",
    "decided_at",
    "rule",
    "reason",
)


@dataclass(frozen=True)
class _Env:
    """What a command needs: the office, the acting principal, the node and its keys."""

    office: Any  # setu.security.release.Office
    actor: Any  # setu.security.principals.Principal
    principals: Any  # PrincipalStore
    signing_key: Any  # Ed25519PrivateKey
    trusted_keys: dict[str, Any]


def _env(ctx: typer.Context) -> _Env:
    from setu.db import open_database
    from setu.db.records import actor_name
    from setu.security.audit import AuditLog
    from setu.security.node import load_node
    from setu.security.partners import trusted_keys
    from setu.security.principals import PrincipalStore
    from setu.security.release import Office

    settings = settings_from(ctx)
    node = load_node(settings)
    db = open_database(settings)
    ctx.call_on_close(db.dispose)
    office = Office(db, AuditLog(db, node.signing_key), node.nation, node.name)
    principals = PrincipalStore(db)
    keys = {key.node: key for key in trusted_keys(settings).values()}
    return _Env(office, principals.get(actor_name()), principals, node.signing_key, keys)


def _desk(env: _Env) -> Any:
    from setu.security.release import ReleaseDesk

    return ReleaseDesk(env.office, env.trusted_keys)


def _show(rows: Sequence[dict[str, Any]], cols: Iterable[str], title: str, as_json: bool) -> None:
    if as_json:
        print_json(list(rows))
        return
    columns = list(cols)
    shown = (
        [", ".join(map(str, v)) if isinstance(v, list) else v for v in (r.get(c) for c in columns)]
        for r in rows
    )
    console.print(data_table(columns, shown, title=title))


def _write(text: str, out: Path | None, what: str) -> None:
    if out is None:
        typer.echo(text)
        return
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, out)
    console.print(message("wrote {} {}", what, out))


def _read_document(path: Path, what: str) -> str:
    """The UTF-8 text of a document named on the command line, or a clear error (exit 3)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} {path} does not exist") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} {path} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror}") from None


def _ids(text: str) -> list[str]:
    ids = [part.strip() for part in text.split(",") if part.strip()]
    if not ids:
        raise InputError("--objects needs at least one id (comma-separated)")
    return ids


def _time(text: str | None) -> datetime | None:
    """An ISO 8601 / RFC 3339 time with its offset (e.g. ``2026-03-01T06:00:00Z``), or None."""
    if text is None:
        return None
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        at = None
    if at is None or at.utcoffset() is None:
        raise InputError(f"time {text!r}: give an ISO 8601 time with its offset, e.g. …T06:00:00Z")
    return at


# -- setu release ------------------------------------------------------------------------------


@release_app.command("request")
def release_request(
    ctx: typer.Context,
    items: Path = typer.Argument(
        ...,
        help="JSON lines: object_kind, object_id, label, "
        "content_sha256, optional lon, lat, observed_at.",
    ),
    to: str = typer.Option(..., "--to", help="The recipient partner node (see `setu users`)."),
    purpose: str = typer.Option(..., "--purpose", help="MDA, CT, FIU, HADR, COOP or LOGISTICS."),
    as_json: bool = JSON_OPT,
) -> None:
    """Propose objects for release: a standing rule releases them, or they wait in the queue."""
    from setu.security.labels import Label
    from setu.security.release_rules import ReleaseItem, object_kind

    env = _env(ctx)
    parsed = []
    for number, line in enumerate(_read_document(items, "items file").splitlines(), 1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            parsed.append(
                ReleaseItem(
                    object_kind(doc["object_kind"]),
                    doc["object_id"],
                    Label.from_dict(doc["label"]),
                    doc["content_sha256"],
                    doc.get("lon"),
                    doc.get("lat"),
                    _time(doc.get("observed_at")),
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{items}:{number}: not a release item ({exc})") from None
    recipient = env.principals.get(to)
    done = _desk(env).submit(env.actor, parsed, recipient=recipient, purpose=purpose.upper())
    _show([r.to_dict() for r in done], _REQUEST_COLS, f"{len(done)} release request(s)", as_json)


@release_app.command("queue")
def release_queue(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Requests waiting for a releasing officer (only those you may read)."""
    env = _env(ctx)
    rows = [r.to_dict() for r in _desk(env).queue(env.actor)]
    _show(rows, _REQUEST_COLS, f"{len(rows)} queued", as_json)


@release_app.command("approve")
def release_approve(ctx: typer.Context, request_id: int = typer.Argument(...)) -> None:
    """Release a queued request (releasing officers; the gate decides)."""
    env = _env(ctx)
    done = _desk(env).approve(env.actor, request_id, principals=env.principals)
    console.print(
        message(
            "released request {} to {} (log entry {})",
            done.request_id,
            done.recipient_nation,
            done.audit_index,
        )
    )


@release_app.command("refuse")
def release_refuse(
    ctx: typer.Context,
    request_id: int = typer.Argument(...),
    reason: str = typer.Option(..., "--reason", help="Why (recorded)."),
) -> None:
    """Refuse a queued request with a reason (releasing officers)."""
    env = _env(ctx)
    done = _desk(env).refuse(env.actor, request_id, reason=reason)
    console.print(message("refused request {} (log entry {})", done.request_id, done.audit_index))


@release_app.command("history")
def release_history(
    ctx: typer.Context,
    limit: int = typer.Option(100, "--limit", min=1, help="Newest N."),
    as_json: bool = JSON_OPT,
) -> None:
    """Released and refused requests: who, what, to whom, under which rule, when."""
    env = _env(ctx)
    rows = [r.to_dict() for r in _desk(env).history(env.actor, limit=limit)]
    _show(rows, _REQUEST_COLS, f"{len(rows)} decided", as_json)


_RULE_COLS = (
    "rule_id",
    "object_kind",
    "max_level",
    "nations",
    "purposes",
    "bbox",
    "valid_from",
    "valid_until",
    "created_by",
    "active",
)


@rules_app.command("list")
def rules_list(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Standing release rules, active and stopped."""
    rows = [r.to_dict() for r in _desk(_env(ctx)).rules()]
    _show(rows, _RULE_COLS, f"{len(rows)} standing rule(s)", as_json)


@rules_app.command("add")
def rules_add(
    ctx: typer.Context,
    kind: str = typer.Option(..., "--kind", help="position, track, event, vessel, incident, …"),
    max_level: str = typer.Option(..., "--max-level", help="Ceiling in this nation's scheme."),
    to: str = typer.Option(..., "--to", help="Recipient nations, e.g. JPN."),
    purposes: str = typer.Option(..., "--purposes", help="e.g. MDA,HADR."),
    bbox: str | None = typer.Option(None, "--bbox", help="min_lon,min_lat,max_lon,max_lat."),
    valid_from: str | None = typer.Option(None, "--from", help="RFC 3339 UTC, …Z."),
    valid_until: str | None = typer.Option(None, "--until", help="RFC 3339 UTC, …Z."),
    as_json: bool = JSON_OPT,
) -> None:
    """Declare a standing rule (releasing officers cleared to its level)."""
    from setu.security.release_rules import BBox

    env = _env(ctx)
    rule = _desk(env).add_rule(
        env.actor,
        object_kind=kind,
        max_level=max_level,
        nations=[n.strip().upper() for n in to.split(",") if n.strip()],
        purposes=[p.strip().upper() for p in purposes.split(",") if p.strip()],
        bbox=BBox.parse(bbox) if bbox else None,
        valid_from=_time(valid_from),
        valid_until=_time(valid_until),
    )
    _show([rule.to_dict()], _RULE_COLS, "standing rule added", as_json)


@rules_app.command("stop")
def rules_stop(ctx: typer.Context, rule_id: int = typer.Argument(...)) -> None:
    """Stop a standing rule (it stays listed, inactive)."""
    env = _env(ctx)
    _desk(env).deactivate_rule(env.actor, rule_id)
    console.print(message("stopped standing rule {}", rule_id))


# -- setu consent ------------------------------------------------------------------------------


def _requested_labels(env: _Env, ids: Sequence[str]) -> list[tuple[str, Any]]:
    """Labels of objects this node has proposed for release (its release requests), read
    through the gate: an id the actor may not read answers as an unknown one."""
    from sqlalchemy import select

    from setu.security.gate import Resource
    from setu.security.labels import Label
    from setu.security.models_release import ReleaseRequestRow

    with env.office.db.session(write=False) as session:
        rows = session.scalars(
            select(ReleaseRequestRow).where(ReleaseRequestRow.object_id.in_(ids))
        ).all()
        labels = {row.object_id: Label.from_dict(row.label) for row in rows}
    allowed = env.office.readable(env.actor, [Resource(i, lb) for i, lb in labels.items()])
    missing = [i for i in ids if i not in allowed]
    if missing:
        raise NotFoundError(f"no release request names {missing[0]!r}; see `setu release queue`")
    return [(i, labels[i]) for i in ids]


@consent_app.command("grant")
def consent_grant(
    ctx: typer.Context,
    to: str = typer.Option(..., "--to", help="The third nation (trigraph)."),
    objects: str = typer.Option(..., "--objects", help="Object ids, comma-separated."),
    expires_days: int = typer.Option(..., "--expires-days", min=1, help="Valid for N days."),
    out: Path | None = OUT_OPT,
) -> None:
    """Sign this node's consent to release its objects to a third nation (originator only)."""
    env = _env(ctx)
    objects_labels = _requested_labels(env, _ids(objects))
    signed = _desk(env).consents.grant(
        env.actor,
        env.signing_key,
        recipient_nation=to.upper(),
        objects=objects_labels,
        expires_at=env.office.clock() + timedelta(days=expires_days),
    )
    _write(signed.to_json(), out, "consent")


@consent_app.command("import")
def consent_import(ctx: typer.Context, document: Path = typer.Argument(...)) -> None:
    """Store a consent from the originating node after checking its signature and expiry."""
    env = _env(ctx)
    verified = _desk(env).consents.import_document(
        env.actor.name, _read_document(document, "consent")
    )
    console.print(message("consent {} stored", verified.consent_id))


@consent_app.command("list")
def consent_list(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Stored consents: parties, number of objects and expiry."""
    rows = _desk(_env(ctx)).consents.listing()
    cols = (
        "consent_id",
        "direction",
        "originator",
        "recipient_nation",
        "objects",
        "issued_at",
        "expires_at",
        "expired",
    )
    _show(rows, cols, f"{len(rows)} consent(s)", as_json)


# -- setu reclassify ---------------------------------------------------------------------------


@reclassify_app.command("issue")
def reclassify_issue(
    ctx: typer.Context,
    objects: str = typer.Option(..., "--objects", help="Object ids, comma-separated."),
    level: str = typer.Option(..., "--level", help="New level in this nation's scheme."),
    out: Path | None = OUT_OPT,
) -> None:
    """Sign a notice changing the classification of objects this node originated."""
    from setu.security.reclassify import Reclassifier

    env = _env(ctx)
    signed = Reclassifier(env.office, env.trusted_keys).issue(
        env.actor, env.signing_key, _requested_labels(env, _ids(objects)), level
    )
    _write(signed.to_json(), out, "notice")


@reclassify_app.command("apply")
def reclassify_apply(
    ctx: typer.Context, document: Path = typer.Argument(...), as_json: bool = JSON_OPT
) -> None:
    """Verify an originator's notice and apply it to the held objects it names."""
    from setu.security.reclassify import Reclassifier

    env = _env(ctx)
    done = Reclassifier(env.office, env.trusted_keys).apply(
        env.actor.name, _read_document(document, "notice")
    )
    _show([d.to_dict() for d in done], _CHANGE_COLS, f"{len(done)} label(s) changed", as_json)


_CHANGE_COLS = (
    "notice_id",
    "object_id",
    "originator",
    "old_classification",
    "new_classification",
    "audit_index",
)


@reclassify_app.command("list")
def reclassify_list(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Notices applied to held objects you may read."""
    from setu.security.reclassify import Reclassifier

    env = _env(ctx)
    rows = [d.to_dict() for d in Reclassifier(env.office, env.trusted_keys).history(env.actor)]
    _show(rows, _CHANGE_COLS, f"{len(rows)} change(s)", as_json)


# -- setu retention ----------------------------------------------------------------------------


def _retention(env: _Env) -> Any:
    from setu.security.retention import Retention

    return Retention(env.office)


@retention_app.command("set")
def retention_set(
    ctx: typer.Context,
    purpose: str = typer.Argument(..., help="MDA, CT, FIU, HADR, COOP or LOGISTICS."),
    days: int = typer.Argument(..., help="Days objects received for it are kept."),
) -> None:
    """Set the retention period of a purpose (releasing officers, administrators)."""
    env = _env(ctx)
    _retention(env).set_period(env.actor, purpose.upper(), days)
    console.print(message("{} holdings are kept {} days", purpose.upper(), days))


@retention_app.command("show")
def retention_show(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Retention periods, and holdings due or without a period."""
    retention = _retention(_env(ctx))
    expired, unset = retention.due()
    summary = {
        "periods_days": retention.periods(),
        "due": len(expired),
        "without_period": len(unset),
    }
    if as_json:
        print_json(summary)
        return
    rows = [(p, d) for p, d in sorted(summary["periods_days"].items())]
    console.print(data_table(["purpose", "days"], rows, title="retention periods"))
    console.print(message("{} holding(s) due, {} without a period", len(expired), len(unset)))


@retention_app.command("holdings")
def retention_holdings(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Objects received from partners that you may read."""
    env = _env(ctx)
    rows = [h.to_dict() for h in _retention(env).holdings.visible(env.actor)]
    cols = (
        "object_kind",
        "object_id",
        "classification",
        "originator",
        "purpose",
        "source_node",
        "received_at",
    )
    _show(rows, cols, f"{len(rows)} holding(s)", as_json)


@retention_app.command("run")
def retention_run(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Destroy holdings past their period and record each destruction.

    The register entry is what is destroyed here: received content is not yet written to the
    store (the exchange will), so the deletion hook has nothing else to remove."""
    env = _env(ctx)
    records = _retention(env).run(env.actor.name, lambda _item: None)
    cols = ("object_kind", "object_id", "purpose", "retention_days", "destroyed_at", "audit_index")
    _show([r.to_dict() for r in records], cols, f"{len(records)} destroyed", as_json)


# -- setu compromise ---------------------------------------------------------------------------


def _compromise(env: _Env) -> Any:
    from setu.security.compromise import CompromiseDesk

    return CompromiseDesk(env.office)


_NOTICE_COLS = (
    "notice_id",
    "originator",
    "objects",
    "reported_by",
    "reported_at",
    "notified_at",
    "overdue_s",
)


@compromise_app.command("report")
def compromise_report(
    ctx: typer.Context,
    objects: str = typer.Option(..., "--objects", help="Held object ids, comma-separated."),
    details: str = typer.Option(..., "--details", help="What happened."),
    as_json: bool = JSON_OPT,
) -> None:
    """Report a loss or compromise: one signed notice per originator, due immediately."""
    env = _env(ctx)
    notices = _compromise(env).report(env.actor, env.signing_key, _ids(objects), details)
    now = env.office.clock()
    _show([n.to_dict(now) for n in notices], _NOTICE_COLS, "notice(s) to send now", as_json)


@compromise_app.command("list")
def compromise_list(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Compromise notices, with how long each unsent one is overdue."""
    env = _env(ctx)
    now = env.office.clock()
    rows = [n.to_dict(now) for n in _compromise(env).notices(env.actor)]
    _show(rows, _NOTICE_COLS, f"{len(rows)} notice(s)", as_json)


@compromise_app.command("sent")
def compromise_sent(ctx: typer.Context, notice_id: str = typer.Argument(...)) -> None:
    """Record that a notice went to the originator."""
    env = _env(ctx)
    _compromise(env).mark_sent(env.actor, notice_id)
    console.print(message("notice {} marked sent", notice_id))


def register(app: typer.Typer) -> None:
    """Add the release, consent, reclassify, retention and compromise groups."""
    for sub in (release_app, consent_app, reclassify_app, retention_app, compromise_app):
        app.add_typer(sub, name=sub.info.name)


__all__ = ["register"]
