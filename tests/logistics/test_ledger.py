"""The ACSA ledger: every state, every settlement method, both signatures, arms refused,
deadlines, balances per party and currency, ageing, and verify catching tampering."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from setu.errors import IntegrityError, PolicyError, StateError, ValidationError
from setu.logistics import AcsaLedger, Deadlines, LineIn
from setu.logistics.policy import refuse_arms

pytestmark = pytest.mark.unit

RATIONS = LineIn("food", "Fresh rations", "120", "kg", "350.50", "INR")
FUEL = LineIn("petroleum_oils_lubricants", "F-76 marine diesel", "40000", "L", "92.125", "INR")
BERTH = LineIn("port_airport_services", "Berthing, Yokosuka", "3", "day", "180000", "JPY")


def _draft(ledger: AcsaLedger, settlement: str = "cash", **kw) -> str:
    order = ledger.create_order(
        requesting=kw.get("requesting", "JP"),
        supplying=kw.get("supplying", "IN"),
        activity=kw.get("activity", "bilateral_training"),
        settlement=settlement,
        lines=kw.get("lines", [RATIONS, FUEL]),
        activity_detail="JIMEX 26",
        requisition_ref="JMSDF-LOG-26-014",
        delivery_place="Visakhapatnam",
    )
    return order["number"]


def _to_invoiced(ledger: AcsaLedger, number: str) -> dict:
    ledger.sign(number, party="JP", name="Capt. Sato", title="Commanding Officer, JS Kaga")
    ledger.sign(number, party="IN", name="Cdr. Rao", title="Logistics Officer, ENC")
    ledger.issue(number, "fuel and rations delivered alongside")
    ledger.receive(number, "received by the supply officer")
    return ledger.invoice(number)


def test_order_totals_are_exact_decimals(ledger: AcsaLedger) -> None:
    order = ledger.get_order(_draft(ledger))
    assert order["state"] == "draft"
    assert order["totals"] == {"INR": Decimal("3727060.00")}  # 42060.00 + 3685000.00
    assert order["number"] == "ACSA-JPIN-2026-0001"
    assert isinstance(order["lines"][1]["unit_price"], Decimal)


def test_both_signatures_required(ledger: AcsaLedger) -> None:
    number = _draft(ledger)
    ledger.sign(number, party="JP", name="Capt. Sato", title="CO")
    with pytest.raises(StateError, match="cannot become issued"):
        ledger.issue(number)
    with pytest.raises(StateError, match="both parties"):
        ledger.advance(number, "signed")
    with pytest.raises(StateError, match="already signed"):
        ledger.sign(number, party="JP", name="Capt. Sato", title="CO")
    order = ledger.sign(number, party="IN", name="Cdr. Rao", title="LO")
    assert order["state"] == "signed" and order["signed_by"] == ["IN", "JP"]
    with pytest.raises(StateError, match="only drafts"):
        ledger.update_order(number, delivery_place="Kochi")


def test_incomplete_order_cannot_be_signed(ledger: AcsaLedger) -> None:
    order = ledger.create_order(
        requesting="IN", supplying="JP", activity="un_peacekeeping", settlement="cash", lines=[]
    )
    with pytest.raises(ValidationError, match=r"requisition reference.*delivery place.*line"):
        ledger.sign(order["number"], party="IN", name="a", title="b")
    ledger.update_order(
        order["number"],
        requisition_ref="R-1",
        delivery_place="Juba",
        add_lines=[LineIn("water", "Potable water", "5000", "L", "0.8", "USD")],
    )
    assert ledger.sign(order["number"], party="IN", name="a", title="b")["signed_by"] == ["IN"]


@pytest.mark.parametrize(
    ("category", "description"),
    [
        ("spare_parts", "76 mm gun ammunition"),
        ("transportation", "Airlift of small arms"),
        ("storage", "Storage of MISSILES"),
        ("ammunition", "rounds"),
        ("spare_parts", "Torpedoes, training"),
    ],
)
def test_arms_and_ammunition_refused(ledger: AcsaLedger, category: str, description: str) -> None:
    with pytest.raises(PolicyError, match="excludes arms and ammunition"):
        ledger.create_order(
            requesting="JP",
            supplying="IN",
            activity="bilateral_training",
            settlement="cash",
            lines=[LineIn(category, description, "1", "lot", "1", "INR")],
        )
    assert ledger.list_orders() == []


def test_allowed_items_are_not_mistaken_for_arms() -> None:
    for description in (
        "Armed forces canteen stores",
        "Grease for deck machinery",
        "Calibration of navigation radar",
        "Alarms for the galley",
    ):
        refuse_arms("spare_parts", description)


def test_every_state_and_transition_recorded(ledger: AcsaLedger, clock) -> None:
    number = _draft(ledger)
    order = _to_invoiced(ledger, number)
    assert order["state"] == "invoiced"
    assert order["settle_by"] == clock() + timedelta(days=30)
    ledger.dispute(number, "quantity of diesel disputed")
    with pytest.raises(StateError, match="only invoiced or overdue"):
        ledger.settle(number, amount="1", currency="INR")
    assert ledger.resolve(number, "meter readings agreed")["state"] == "invoiced"
    clock.advance(days=31)
    assert ledger.sweep_overdue() == [number]
    assert ledger.sweep_overdue() == []
    order = ledger.settle(number, amount="3727060.00", currency="INR", memo="TT 88213")
    assert order["state"] == "settled"
    with pytest.raises(StateError, match="no source documents"):
        ledger.close(number)
    ledger.attach(number, filename="receipt.pdf", content=b"%PDF-1.7 receipt", kind="receipt")
    order = ledger.close(number)
    path = [(t["from_state"], t["to_state"]) for t in order["transitions"]]
    assert path == [
        ("draft", "signed"),
        ("signed", "issued"),
        ("issued", "received"),
        ("received", "invoiced"),
        ("invoiced", "disputed"),
        ("disputed", "invoiced"),
        ("invoiced", "overdue"),
        ("overdue", "settled"),
        ("settled", "closed"),
    ]
    assert all(t["actor"] == "logistics.officer" and t["at"] for t in order["transitions"])
    assert order["attachments"][0]["sha256"] == hashlib.sha256(b"%PDF-1.7 receipt").hexdigest()
    with pytest.raises(StateError, match="closed"):
        ledger.attach(number, filename="late.pdf", content=b"x")
    assert ledger.assert_verified().ok


@pytest.mark.parametrize("method", ["cash", "replacement_in_kind", "equal_value_exchange"])
def test_every_settlement_method(ledger: AcsaLedger, clock, method: str) -> None:
    number = _draft(
        ledger,
        settlement=method,
        requesting="IN",
        supplying="JP",
        lines=[BERTH, LineIn("water", "Fresh water", "200", "t", "450", "JPY")],
    )
    order = _to_invoiced(ledger, number)
    assert order["totals"] == {"JPY": Decimal("630000")}
    expected_days = 30 if method == "cash" else 365
    assert order["settle_by"] - order["invoiced_at"] == timedelta(days=expected_days)
    if method != "cash":
        with pytest.raises(ValidationError, match="describe"):
            ledger.settle(number, amount="1", currency="JPY")
    wrong = "cash" if method != "cash" else "equal_value_exchange"
    with pytest.raises(ValidationError, match="to be settled by"):
        ledger.settle(number, amount="1", currency="JPY", method=wrong, memo="x")
    with pytest.raises(ValidationError, match="exceeds"):
        ledger.settle(number, amount="630001", currency="JPY", memo="x")
    order = ledger.settle(number, amount="400000", currency="JPY", memo="first part")
    assert order["state"] == "invoiced" and order["outstanding"] == {"JPY": Decimal("230000")}
    order = ledger.settle(number, amount="230000", currency="JPY", memo="second part")
    assert order["state"] == "settled"
    kinds = [e["kind"] for e in order["entries"]]
    assert kinds == ["invoice", method, method]
    assert ledger.verify().ok


def test_configurable_deadlines(db, clock) -> None:
    ledger = AcsaLedger(db, clock=clock, deadlines=Deadlines(cash_days=45))
    order = _to_invoiced(ledger, _draft(ledger))
    assert order["settle_by"] - order["invoiced_at"] == timedelta(days=45)
    env = Deadlines.from_env({"SETU_ACSA_CASH_DAYS": "60", "SETU_ACSA_REPLACEMENT_DAYS": "180"})
    assert (env.cash_days, env.replacement_in_kind_days, env.equal_value_exchange_days) == (
        60,
        180,
        365,
    )
    with pytest.raises(Exception, match="whole number"):
        Deadlines.from_env({"SETU_ACSA_CASH_DAYS": "soon"})


def test_balances_per_party_and_currency(ledger: AcsaLedger) -> None:
    a = _draft(ledger)  # JP owes IN 3,727,060.00 INR
    _to_invoiced(ledger, a)
    b = _draft(ledger, requesting="IN", supplying="JP", lines=[BERTH])  # IN owes JP 540,000 JPY
    _to_invoiced(ledger, b)
    c = _draft(ledger, requesting="JP", supplying="IN", lines=[RATIONS])  # JP owes IN 42,060 INR
    _to_invoiced(ledger, c)
    ledger.settle(c, amount="2060", currency="INR")
    rows = {(r["party"], r["currency"]): r for r in ledger.balances()}
    assert rows[("IN", "INR")]["receivable"] == Decimal("3767060.00")
    assert rows[("JP", "INR")]["payable"] == Decimal("3767060.00")
    assert rows[("JP", "JPY")]["receivable"] == Decimal("540000")
    assert rows[("IN", "JPY")]["payable"] == Decimal("540000")
    for currency in ("INR", "JPY"):  # the books balance: every receivable is someone's payable
        same = [r for r in rows.values() if r["currency"] == currency]
        assert sum(r["receivable"] for r in same) == sum(r["payable"] for r in same)
        assert sum(r["net"] for r in same) == 0


def test_ageing_buckets(ledger: AcsaLedger, clock) -> None:
    old = _draft(ledger, settlement="replacement_in_kind")
    _to_invoiced(ledger, old)
    clock.advance(days=100)
    mid = _draft(ledger, lines=[RATIONS])
    _to_invoiced(ledger, mid)
    clock.advance(days=40)
    new = _draft(ledger, requesting="IN", supplying="JP", lines=[BERTH])
    _to_invoiced(ledger, new)
    rows = {(r["creditor"], r["debtor"], r["currency"]): r for r in ledger.ageing()}
    inr = rows[("IN", "JP", "INR")]
    assert inr["91-180"] == Decimal("3727060.00")  # 140 days
    assert inr["31-60"] == Decimal("42060.00")  # 40 days
    assert inr["total"] == Decimal("3769120.00")
    jpy = rows[("JP", "IN", "JPY")]
    assert jpy["0-30"] == Decimal("540000") and jpy["total"] == Decimal("540000")
    clock.advance(days=300)
    rows = {(r["creditor"], r["debtor"], r["currency"]): r for r in ledger.ageing()}
    assert rows[("IN", "JP", "INR")][">365"] == Decimal("3727060.00")


def _tamper(db, sql: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(sql))


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("UPDATE acsa_entry SET amount = '1.00' WHERE id = 1", "digest mismatch"),
        ("UPDATE acsa_balance SET amount = '0' WHERE currency = 'INR'", "stored"),
        ("UPDATE acsa_line SET unit_price = '1' WHERE line_no = 2", "its lines total"),
        ("DELETE FROM acsa_entry WHERE id = 2", "chain broken"),
        ("UPDATE acsa_order SET state = 'settled' WHERE id = 2", "outstanding"),
    ],
)
def test_verify_detects_tampering(ledger: AcsaLedger, db, sql: str, problem: str) -> None:
    first = _draft(ledger)
    _to_invoiced(ledger, first)
    ledger.settle(first, amount="1000", currency="INR")
    second = _draft(ledger, lines=[RATIONS])
    _to_invoiced(ledger, second)
    assert ledger.verify().ok
    _tamper(db, sql)
    report = ledger.verify()
    assert not report.ok
    assert any(problem in p for p in report.problems), report.problems
    with pytest.raises(IntegrityError, match="do not verify"):
        ledger.assert_verified()


def test_money_input_rules(ledger: AcsaLedger) -> None:
    with pytest.raises(ValidationError, match="float"):
        _draft(ledger, lines=[LineIn("food", "x", 1.5, "kg", "1", "INR")])  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="ISO 4217"):
        _draft(ledger, lines=[LineIn("food", "x", "1", "kg", "1", "rupees")])
    with pytest.raises(ValidationError, match="positive"):
        _draft(ledger, lines=[LineIn("food", "x", "0", "kg", "1", "INR")])
    with pytest.raises(ValidationError, match="category"):
        _draft(ledger, lines=[LineIn("souvenirs", "x", "1", "ea", "1", "INR")])
    with pytest.raises(ValidationError, match="differ"):
        _draft(ledger, requesting="IN", supplying="IN")
