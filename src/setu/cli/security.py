"""``setu node …`` and ``setu partner …`` (this node's identity and its partner nodes).

Thin commands over :mod:`setu.security.node` and :mod:`setu.security.partners`; the
disclosure log (``setu audit``) and principals (``setu users``) register here too. Every
listing takes ``--json``; data is shown in :class:`rich.text.Text` cells, never as markup.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.text import Text

from setu.cli._common import console, print_json, settings_from
from setu.cli._render import Col, data_table

node_app = typer.Typer(
    name="node", help="This node's identity (signing key, TLS certificate).", no_args_is_help=True
)
partner_app = typer.Typer(
    name="partner", help="Partner nodes and their trusted public keys.", no_args_is_help=True
)

JSON_OPT = typer.Option(False, "--json", help="Print JSON instead of a table.")

_NODE_ROWS = (
    ("nation", "nation"),
    ("name", "name"),
    ("host", "host"),
    ("created", "created_at"),
    ("signing key id (RFC 7638)", "signing_key_id"),
    ("TLS certificate SHA-256", "tls_cert_sha256"),
    ("TLS valid until", "tls_not_after"),
    ("directory", "directory"),
    ("equivalence table", "equivalence_policy"),
    ("unsettled rows (proposed only)", "equivalence_unsettled"),
)
_PARTNER_COLS = ("nation", "name", "host", "signing_key_id", "tls_cert_sha256", "added_at")


def _pairs(data: Mapping[str, Any], title: str) -> Table:
    rows = []
    for label, key in _NODE_ROWS:
        if key in data:
            value = data[key]
            shown = ", ".join(value) if isinstance(value, list) else str(value)
            rows.append((label, shown or "none"))
    columns = [Col("field", style="bold"), Col("value")]
    return data_table(columns, rows, title=title, show_header=False)


def _rows(columns: Iterable[str], rows: Iterable[Mapping[str, Any]], title: str) -> Table:
    cols = list(columns)
    return data_table(cols, ([str(row[col]) for col in cols] for row in rows), title=title)


@node_app.command("init")
def node_init(
    ctx: typer.Context,
    nation: str = typer.Option(..., "--nation", help="IND or JPN."),
    name: str = typer.Option(..., "--name", help="Node name (letters, digits, . _ -)."),
    host: str = typer.Option("localhost", "--host", help="Extra SubjectAltName for TLS."),
    force: bool = typer.Option(False, "--force", help="Replace an existing identity."),
    as_json: bool = JSON_OPT,
) -> None:
    """Create this node's Ed25519 signing key and ECDSA P-256 TLS certificate."""
    from setu.security.node import init_node

    identity = init_node(
        settings_from(ctx).data_dir, nation=nation.upper(), name=name, host=host, force=force
    )
    _print_node(identity.summary(), as_json, "node created")


@node_app.command("show")
def node_show(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Nation, name and fingerprints of this node (to read out to a partner)."""
    from setu.security.equivalence import default_table
    from setu.security.node import load_node

    table = default_table()
    summary = {
        **load_node(settings_from(ctx)).summary(),
        "equivalence_policy": table.policy,
        "equivalence_unsettled": [row.english for row in table.rows if not row.settled],
    }
    _print_node(summary, as_json, "this node")


def _print_node(summary: dict[str, Any], as_json: bool, title: str) -> None:
    if as_json:
        print_json(summary)
    else:
        console.print(_pairs(summary, title))


@node_app.command("equivalence")
def node_equivalence(as_json: bool = JSON_OPT) -> None:
    """The national equivalence table in force, with the source and status of every row."""
    from setu.security.equivalence import default_table

    table = default_table()
    nations = list(table.governments)
    rows = [
        {
            "rank": row.rank,
            "english": row.english,
            **{nation: list(row.levels.get(nation, ())) for nation in nations},
            "basis": row.basis,
            "settled": row.settled,
            "source": row.source,
        }
        for row in table.rows
    ]
    unmapped = [
        {"nation": nation, "level": level, "source": source}
        for (nation, level), source in table.unmapped.items()
    ]
    if as_json:
        print_json({"policy": table.policy, "rows": rows, "unmapped": unmapped})
        return
    cols = ["rank", "english", *nations, "basis", "settled", "source"]
    shown = [{k: " / ".join(v) if isinstance(v, list) else v for k, v in r.items()} for r in rows]
    console.print(_rows(cols, shown, f"{table.policy} equivalence (unmapped levels are denied)"))
    for item in unmapped:
        console.print(
            Text(f"unmapped, denied: {item['nation']} {item['level']} — {item['source']}")
        )


@node_app.command("export-public")
def node_export_public(
    ctx: typer.Context,
    out: Path = typer.Argument(..., help="File to write the public bundle to ('-': stdout)."),
) -> None:
    """Write this node's public bundle (TLS certificate, Ed25519 public key, fingerprints)."""
    from setu.security.node import export_public, load_node

    bundle = export_public(load_node(settings_from(ctx)))
    text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
    if str(out) == "-":
        print_json(bundle)
        return
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    console.print(Text(f"wrote {out}; fingerprints for the partner to compare:"))
    console.print(Text(f"  signing key id  {bundle['signing_key_id']}"))
    console.print(Text(f"  TLS certificate {bundle['tls_cert_sha256']}"))


@partner_app.command("add")
def partner_add(
    ctx: typer.Context,
    bundle: Path = typer.Argument(..., help="The partner's bundle from `setu node export-public`."),
    nation: str = typer.Option(..., "--nation", help="The partner's nation (trigraph)."),
    name: str = typer.Option(..., "--name", help="The partner's node name."),
    as_json: bool = JSON_OPT,
) -> None:
    """Trust a partner node's keys (compare its fingerprints by a second channel first)."""
    from setu.security.partners import add_partner

    partner = add_partner(settings_from(ctx).data_dir, bundle, nation=nation.upper(), name=name)
    if as_json:
        print_json(partner.summary())
    else:
        console.print(_rows(_PARTNER_COLS, [partner.summary()], "partner added"))


@partner_app.command("list")
def partner_list(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Partner nodes whose keys this node trusts."""
    from setu.security.partners import list_partners

    rows = [p.summary() for p in list_partners(settings_from(ctx).data_dir)]
    if as_json:
        print_json(rows)
    else:
        console.print(_rows(_PARTNER_COLS, rows, f"{len(rows)} partner(s)"))


@partner_app.command("remove")
def partner_remove(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Stop trusting a partner node's keys (e.g. before importing rotated ones)."""
    from setu.security.partners import remove_partner

    removed = remove_partner(settings_from(ctx).data_dir, name)
    console.print(Text(f"removed partner {removed.nation}/{removed.name}"))


# -- setu users … (principals: users and partner nodes) --------------------------------------

users_app = typer.Typer(
    name="users",
    help="Users and partner nodes as principals: nation, clearance, need-to-know, roles.",
    no_args_is_help=True,
)
token_app = typer.Typer(name="token", help="API tokens (shown once).", no_args_is_help=True)
users_app.add_typer(token_app, name="token")
_USER_COLS = (
    "name",
    "kind",
    "nation",
    "clearance",
    "need_to_know",
    "roles",
    "contractor",
    "disabled",
    "created_at",
)
PASSWORD_STDIN_OPT = typer.Option(
    False, "--password-stdin", help="Read the password from the first line of stdin."
)


def _principals(ctx: typer.Context) -> Any:
    from setu.db import open_database
    from setu.security.principals import PrincipalStore

    db = open_database(settings_from(ctx))
    ctx.call_on_close(db.dispose)
    return PrincipalStore(db)


def _read_password(from_stdin: bool) -> str:
    import sys

    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


def _print_principals(rows: list[dict[str, Any]], as_json: bool, title: str) -> None:
    if as_json:
        print_json(rows)
        return
    shown = [
        {
            k: ", ".join(v) if isinstance(v, list) else ("–" if v is None else v)
            for k, v in r.items()
        }
        for r in rows
    ]
    console.print(_rows(_USER_COLS, shown, title))


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Login name (letters, digits, . _ -)."),
    nation: str = typer.Option(..., "--nation", help="The user's nation (trigraph: IND, JPN)."),
    clearance: str = typer.Option(
        ..., "--clearance", help="Level in the user's own national scheme, e.g. SECRET, 極秘."
    ),
    groups: str = typer.Option("", "--groups", help="Need-to-know groups, e.g. mda,ct."),
    roles: str = typer.Option("", "--roles", help="Roles, e.g. analyst,releasing_officer."),
    contractor: bool = typer.Option(False, "--contractor", help="A contractor (Art 12)."),
    password_stdin: bool = PASSWORD_STDIN_OPT,
    no_password: bool = typer.Option(
        False, "--no-password", help="No password: the user signs in with API tokens only."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Register a user (asks for a password unless --password-stdin or --no-password)."""
    password = None if no_password else _read_password(password_stdin)
    user = _principals(ctx).add_user(
        name,
        nation=nation.upper(),
        clearance=clearance,
        groups=groups.split(","),
        roles=roles.split(","),
        password=password,
        contractor=contractor,
    )
    _print_principals([user.to_dict()], as_json, "user added")


@users_app.command("add-node")
def users_add_node(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The partner node's name."),
    nation: str = typer.Option(..., "--nation", help="The node's nation (trigraph)."),
    clearance: str = typer.Option(
        ..., "--clearance", help="Highest level it is accredited to receive, in its scheme."
    ),
    as_json: bool = JSON_OPT,
) -> None:
    """Register a partner node as a principal of its nation (it receives releases)."""
    node = _principals(ctx).add_node(name, nation=nation.upper(), clearance=clearance)
    _print_principals([node.to_dict()], as_json, "node added")


@users_app.command("list")
def users_list(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Users and partner nodes (no secrets)."""
    rows = [p.to_dict() for p in _principals(ctx).list_all()]
    _print_principals(rows, as_json, f"{len(rows)} principal(s)")


@users_app.command("disable")
def users_disable(ctx: typer.Context, name: str = typer.Argument(...)) -> None:
    """Refuse every later login and token of NAME (the record stays for the audit)."""
    _principals(ctx).disable(name)
    console.print(Text(f"disabled {name}"))


@users_app.command("passwd")
def users_passwd(
    ctx: typer.Context, name: str = typer.Argument(...), password_stdin: bool = PASSWORD_STDIN_OPT
) -> None:
    """Set NAME's password (prompted, or the first line of stdin)."""
    _principals(ctx).set_password(name, _read_password(password_stdin))
    console.print(Text(f"password of {name} changed"))


@token_app.command("create")
def users_token_create(
    ctx: typer.Context,
    name: str = typer.Argument(...),
    expires_days: int | None = typer.Option(None, "--expires-days", help="Days until expiry."),
    as_json: bool = JSON_OPT,
) -> None:
    """Create an API token for NAME. It is shown once: store it now."""
    issued = _principals(ctx).create_token(name, expires_days=expires_days)
    summary = {
        "token_id": issued.token_id,
        "token": issued.token,
        "principal": issued.principal,
        "expires_at": issued.expires_at,
    }
    if as_json:
        print_json(summary)
        return
    console.print(Text(f"token {issued.token_id} for {name} (shown once, store it now):"))
    console.print(Text(issued.token))


@token_app.command("revoke")
def users_token_revoke(ctx: typer.Context, token_id: str = typer.Argument(...)) -> None:
    """Revoke the API token with TOKEN_ID (the 16 hex digits after 'setu_')."""
    _principals(ctx).revoke_token(token_id)
    console.print(Text(f"revoked token {token_id}"))


def register(app: typer.Typer) -> None:
    """Add the security command groups to the root ``setu`` app."""
    app.add_typer(node_app, name="node")
    app.add_typer(partner_app, name="partner")
    app.add_typer(users_app, name="users")
    from setu.cli import (
        audit,  # the disclosure log's commands live in their own module
        release,  # release, consent, reclassify, retention, compromise
    )

    audit.register(app)
    release.register(app)
