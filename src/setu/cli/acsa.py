"""CLI commands: ``setu acsa …`` for logistics officers (see setu.cli for the map of modules).

Draft an order, attach its source documents, sign it for both parties, then move it through
issue, receipt, invoice and settlement to closure; disputes and the overdue sweep; balances,
ageing and the integrity check of the books. Every command takes ``--json``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from setu.cli._common import console, message, print_json, settings_from
from setu.errors import ValidationError

if TYPE_CHECKING:
    from setu.logistics import AcsaLedger, LineIn

acsa_app = typer.Typer(
    name="acsa",
    help="The ACSA ledger: supplies and services between the two forces (logistics officers).",
    no_args_is_help=True,
)
JSON_OPT = typer.Option(False, "--json", help="Print JSON instead of a table.")
ORDER_COLS = ["number", "state", "requesting", "supplying", "activity", "settlement", "totals"]
LINE_HELP = (
    "'category|description|quantity|unit|unit price|currency' (repeatable), e.g. "
    "'food|fresh rations|120|kg|350.50|INR'."
)


def _ledger(ctx: typer.Context) -> AcsaLedger:
    from setu.db import open_database
    from setu.db.records import actor_name
    from setu.logistics import AcsaLedger, Deadlines

    db = open_database(settings_from(ctx))
    ctx.call_on_close(db.dispose)
    return AcsaLedger(db, actor=actor_name(), deadlines=Deadlines.from_env())


def _lines(specs: list[str] | None) -> list[LineIn]:
    from setu.logistics import LineIn

    out = []
    for spec in specs or []:
        parts = [p.strip() for p in spec.split("|")]
        if len(parts) != 6:
            raise ValidationError(f"--line {spec!r}: {LINE_HELP}")
        out.append(LineIn(parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]))
    return out


def _cell(value: Any) -> str:
    from setu.db.records import jsonable

    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{jsonable(v)} {k}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(jsonable(value))


def _table(rows: list[dict[str, Any]], columns: list[str], title: str) -> None:
    from setu.cli._render import Col, data_table

    cols = [Col(c, "right" if c in _NUMERIC else "left") for c in columns]
    shown = ([_cell(row.get(c)) for c in columns] for row in rows)
    console.print(data_table(cols, shown, title=title))


_NUMERIC = {"receivable", "payable", "net", "total", "0-30", "31-60", "61-90", "91-180"}


def _order_out(order: dict[str, Any], as_json: bool) -> None:
    from setu.db.records import jsonable

    if as_json:
        print_json(jsonable(order))
        return
    _table([order], [*ORDER_COLS, "outstanding", "signed_by"], f"Order {order['number']}")
    if order.get("lines"):
        cols = ["line_no", "category", "description", "quantity", "unit", "unit_price", "currency"]
        _table(order["lines"], cols, "Lines")
    if order.get("transitions"):
        _table(order["transitions"], ["from_state", "to_state", "actor", "at", "note"], "History")
    if order.get("attachments"):
        _table(
            order["attachments"], ["id", "kind", "filename", "size_bytes", "sha256"], "Documents"
        )


@acsa_app.command("create")
def create(
    ctx: typer.Context,
    requesting: str = typer.Option(..., help="IN or JP: the party asking for supplies."),
    supplying: str = typer.Option(..., help="IN or JP: the party providing them."),
    activity: str = typer.Option(
        ...,
        help="bilateral_training, un_peacekeeping, humanitarian_relief, disaster_response, "
        "evacuation or other_agreed.",
    ),
    settlement: str = typer.Option(
        "cash", help="cash, replacement_in_kind or equal_value_exchange."
    ),
    line: list[str] | None = typer.Option(None, help=LINE_HELP),
    detail: str = typer.Option("", help="The activity (exercise name, operation)."),
    requisition: str = typer.Option("", help="The requesting party's requisition reference."),
    place: str = typer.Option("", help="Where the supplies are delivered."),
    classification: str = typer.Option("UNCLASSIFIED"),
    as_json: bool = JSON_OPT,
) -> None:
    """Draft an order (arms and ammunition are refused)."""
    order = _ledger(ctx).create_order(
        requesting=requesting,
        supplying=supplying,
        activity=activity,
        settlement=settlement,
        lines=_lines(line),
        activity_detail=detail,
        requisition_ref=requisition,
        delivery_place=place,
        classification=classification,
    )
    _order_out(order, as_json)


@acsa_app.command("update")
def update(
    ctx: typer.Context,
    number: str,
    line: list[str] | None = typer.Option(None, help="Add a line: " + LINE_HELP),
    activity: str | None = typer.Option(None),
    settlement: str | None = typer.Option(None),
    detail: str | None = typer.Option(None),
    requisition: str | None = typer.Option(None),
    place: str | None = typer.Option(None),
    classification: str | None = typer.Option(None),
    as_json: bool = JSON_OPT,
) -> None:
    """Change a draft order or add lines to it."""
    order = _ledger(ctx).update_order(
        number,
        activity=activity,
        settlement=settlement,
        activity_detail=detail,
        requisition_ref=requisition,
        delivery_place=place,
        classification=classification,
        add_lines=_lines(line),
    )
    _order_out(order, as_json)


@acsa_app.command("list")
def list_orders(
    ctx: typer.Context,
    state: str | None = typer.Option(None, help="Only orders in this state."),
    party: str | None = typer.Option(None, help="Only orders involving IN or JP."),
    as_json: bool = JSON_OPT,
) -> None:
    """Orders, oldest first."""
    from setu.db.records import jsonable

    rows = _ledger(ctx).list_orders(state=state, party=party)
    if as_json:
        print_json(jsonable(rows))
    else:
        _table(rows, [*ORDER_COLS, "outstanding"], "ACSA orders")


@acsa_app.command("show")
def show(ctx: typer.Context, number: str, as_json: bool = JSON_OPT) -> None:
    """One order: lines, signatures, documents, history and ledger entries."""
    _order_out(_ledger(ctx).get_order(number), as_json)


@acsa_app.command("attach")
def attach(
    ctx: typer.Context,
    number: str,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    kind: str = typer.Option("other", help="requisition, receipt, invoice, settlement, other."),
    as_json: bool = JSON_OPT,
) -> None:
    """Keep a source document (its bytes and SHA-256) with the order."""
    from setu.logistics.service import MAX_ATTACHMENT_BYTES

    with file.open("rb") as handle:  # one byte over the limit is enough to refuse it
        content = handle.read(MAX_ATTACHMENT_BYTES + 1)
    order = _ledger(ctx).attach(number, filename=file.name, content=content, kind=kind)
    _order_out(order, as_json)


@acsa_app.command("sign")
def sign(
    ctx: typer.Context,
    number: str,
    party: str = typer.Option(..., help="IN or JP."),
    name: str = typer.Option(..., help="Signatory's name."),
    title: str = typer.Option(..., help="Signatory's appointment."),
    as_json: bool = JSON_OPT,
) -> None:
    """Sign for one party; the second signature makes the order signed."""
    _order_out(_ledger(ctx).sign(number, party=party, name=name, title=title), as_json)


def _step(name: str, doc: str) -> None:
    def command(
        ctx: typer.Context,
        number: str,
        note: str = typer.Option("", help="A note kept with the transition."),
        as_json: bool = JSON_OPT,
    ) -> None:
        ledger = _ledger(ctx)
        method = {
            "issue": ledger.issue,
            "receive": ledger.receive,
            "invoice": ledger.invoice,
            "dispute": ledger.dispute,
            "resolve": ledger.resolve,
            "close": ledger.close,
        }[name]
        _order_out(method(number, note), as_json)

    command.__doc__ = doc
    acsa_app.command(name)(command)


_step("issue", "The supplying party has issued the supplies or services.")
_step("receive", "The requesting party has received them.")
_step("invoice", "Invoice the order: post its value to the ledger and start the settle-by clock.")
_step("dispute", "Dispute the order (say what in --note); settlement waits for resolution.")
_step("resolve", "Resolve a dispute: the order returns to the state it was in.")
_step("close", "Close a settled order (needs both signatures and a source document).")


@acsa_app.command("settle")
def settle(
    ctx: typer.Context,
    number: str,
    amount: str = typer.Option(..., help="Amount settled (decimal), in --currency."),
    currency: str = typer.Option(..., help="ISO 4217 code."),
    method: str | None = typer.Option(None, help="Defaults to the order's settlement method."),
    memo: str = typer.Option("", help="For replacement/exchange: what was given in return."),
    as_json: bool = JSON_OPT,
) -> None:
    """Record a settlement; the order is settled when nothing is outstanding."""
    order = _ledger(ctx).settle(number, amount=amount, currency=currency, method=method, memo=memo)
    _order_out(order, as_json)


@acsa_app.command("sweep")
def sweep(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Mark invoiced orders past their settle-by date overdue."""
    numbers = _ledger(ctx).sweep_overdue()
    if as_json:
        print_json({"overdue": numbers})
    else:
        console.print(f"{len(numbers)} order(s) now overdue: {', '.join(numbers) or '-'}")


@acsa_app.command("balances")
def balances(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Receivables and payables of each party in each currency."""
    from setu.db.records import jsonable

    rows = _ledger(ctx).balances()
    if as_json:
        print_json(jsonable(rows))
    else:
        _table(rows, ["party", "currency", "receivable", "payable", "net"], "Balances")


@acsa_app.command("ageing")
def ageing(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Outstanding amounts by days since invoice."""
    from setu.db.records import jsonable
    from setu.logistics import AGEING_BUCKETS

    rows = _ledger(ctx).ageing()
    if as_json:
        print_json(jsonable(rows))
    else:
        cols = ["creditor", "debtor", "currency", *[b for b, _ in AGEING_BUCKETS], "total"]
        _table(rows, cols, "Ageing (days since invoice)")


@acsa_app.command("verify")
def verify(ctx: typer.Context, as_json: bool = JSON_OPT) -> None:
    """Recompute every balance from the transaction history; exit 6 when they disagree."""
    from setu.errors import IntegrityError

    report = _ledger(ctx).verify()
    if as_json:
        print_json(report.as_dict())
    elif report.ok:
        text = "[green]ok[/]: {} entries, {} orders, {} balances recomputed"
        console.print(message(text, report.entries, report.orders, report.balances))
    else:
        for problem in report.problems:
            console.print(message("[red]✗[/] {}", problem))
    if not report.ok:
        raise IntegrityError(f"the ACSA books do not verify: {len(report.problems)} problem(s)")


@acsa_app.command("export")
def export(
    ctx: typer.Context, out: Path | None = typer.Option(None, help="File (default stdout).")
) -> None:
    """Every order in full as JSON (documents by name and SHA-256)."""
    from setu.cli._common import export_json

    export_json(_ledger(ctx).export(), out)


def register(app: typer.Typer) -> None:
    """Add ``setu acsa`` to the root app."""
    app.add_typer(acsa_app, name="acsa")
