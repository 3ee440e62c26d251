"""Ledger input checked at the boundary, the same on SQLite and PostgreSQL: ISO 4217 codes and
minor units, amounts that fit the columns, text that fits the columns."""

from __future__ import annotations

from decimal import Decimal

import pytest

from setu.errors import ValidationError
from setu.logistics import AcsaLedger, LineIn
from setu.logistics.policy import check_currency, minor_units, quantize

pytestmark = pytest.mark.unit

RATIONS = LineIn("food", "Fresh rations", "1", "kg", "1000", "INR")


def _draft(ledger: AcsaLedger, lines: list[LineIn] | None = None, **fields: str) -> str:
    values = {"requisition_ref": "R-1", "delivery_place": "Kochi"} | fields
    order = ledger.create_order(
        requesting="JP",
        supplying="IN",
        activity="bilateral_training",
        settlement="cash",
        lines=[RATIONS] if lines is None else lines,
        **values,
    )
    return order["number"]


def _invoiced(ledger: AcsaLedger, lines: list[LineIn] | None = None) -> str:
    number = _draft(ledger, lines)
    ledger.sign(number, party="JP", name="Capt. Sato", title="CO")
    ledger.sign(number, party="IN", name="Cdr. Rao", title="LO")
    ledger.issue(number)
    ledger.receive(number)
    ledger.invoice(number)
    return number


def test_settlement_finer_than_the_minor_unit_is_refused(ledger: AcsaLedger) -> None:
    # Regression: two settlements of 0.001 INR left 999.998 INR that no settlement could clear.
    number = _invoiced(ledger)
    with pytest.raises(ValidationError, match=r"minor unit.*give a multiple of 0.01 INR"):
        ledger.settle(number, amount="0.001", currency="INR")
    assert ledger.get_order(number)["outstanding"] == {"INR": Decimal("1000.00")}
    ledger.settle(number, amount="0.01", currency="INR")
    order = ledger.settle(number, amount="999.99", currency="INR")
    assert order["state"] == "settled"
    assert ledger.verify().ok


def test_yen_have_no_minor_unit(ledger: AcsaLedger) -> None:
    number = _invoiced(ledger, [LineIn("water", "Fresh water", "2", "t", "450", "JPY")])
    with pytest.raises(ValidationError, match="JPY amounts have whole units"):
        ledger.settle(number, amount="0.5", currency="JPY")
    assert ledger.settle(number, amount="900", currency="jpy")["state"] == "settled"


@pytest.mark.parametrize(
    ("quantity", "price", "message"),
    [
        ("1", "1e400", "too large"),
        ("1", "9" * 32, "it has 32 digits before the decimal point"),
        ("1e400", "1", "too large"),
        ("1", "1" * 70, "characters long"),
        ("1", "92.12345", "more than 4 decimal places"),
        ("1e10", "1e10", r"value \(quantity × unit price\).*too large"),
    ],
)
def test_numbers_that_do_not_fit_the_ledger_give_a_clear_error(
    ledger: AcsaLedger, quantity: str, price: str, message: str
) -> None:
    # Regression: 1e400 or a 32-digit price raised decimal.InvalidOperation.
    with pytest.raises(ValidationError, match=message):
        _draft(ledger, [LineIn("food", "Rations", quantity, "kg", price, "INR")])
    assert ledger.list_orders() == []


def test_order_value_over_the_limit_is_refused_even_when_each_line_fits(
    ledger: AcsaLedger,
) -> None:
    big = LineIn("food", "Rations", "1", "kg", "6000000000000000", "INR")
    with pytest.raises(ValidationError, match=r"order value in INR.*too large"):
        _draft(ledger, [big, big])
    number = _draft(ledger, [big])
    with pytest.raises(ValidationError, match=r"order value in INR.*too large"):
        ledger.update_order(number, add_lines=[big])
    assert len(ledger.get_order(number)["lines"]) == 1


def test_a_balance_that_would_overflow_is_refused_and_nothing_is_posted(
    ledger: AcsaLedger,
) -> None:
    big = [LineIn("food", "Rations", "1", "kg", "6000000000000000", "INR")]
    _invoiced(ledger, big)
    second = _draft(ledger, big)
    ledger.sign(second, party="JP", name="Capt. Sato", title="CO")
    ledger.sign(second, party="IN", name="Cdr. Rao", title="LO")
    ledger.issue(second)
    ledger.receive(second)
    with pytest.raises(ValidationError, match=r"balance of what JP owes IN in INR.*too large"):
        ledger.invoice(second)
    assert ledger.get_order(second)["state"] == "received"
    assert ledger.verify().ok


def test_huge_settlement_amount_is_a_clear_error(ledger: AcsaLedger) -> None:
    number = _invoiced(ledger)
    with pytest.raises(ValidationError, match=r"settlement amount .* too large"):
        ledger.settle(number, amount="1e400", currency="INR")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("XYZ", "not an ISO 4217 currency code"),
        ("rupees", "three letters"),
        ("XAU", "without a minor unit"),
        ("XTS", "without a minor unit"),
    ],
)
def test_only_iso_4217_currencies_with_a_minor_unit(
    ledger: AcsaLedger, code: str, message: str
) -> None:
    # Regression: "XYZ" was accepted as a currency.
    with pytest.raises(ValidationError, match=message):
        _draft(ledger, [LineIn("food", "Rations", "1", "kg", "1", code)])
    number = _invoiced(ledger)
    with pytest.raises(ValidationError, match=message):
        ledger.settle(number, amount="1", currency=code)


def test_currency_codes_and_minor_units_come_from_iso_4217() -> None:
    assert check_currency(" inr ") == "INR"
    assert (minor_units("JPY"), minor_units("INR"), minor_units("BHD")) == (0, 2, 3)
    assert quantize(Decimal("1.2345"), "BHD") == Decimal("1.235")
    assert quantize(Decimal("0.5"), "JPY") == Decimal("1")


@pytest.mark.parametrize(("field", "limit"), [("delivery_place", 200), ("requisition_ref", 80)])
def test_text_longer_than_its_column_is_refused_on_both_backends(
    ledger: AcsaLedger, field: str, limit: int
) -> None:
    # Regression: SQLite kept what PostgreSQL's VARCHAR refused.
    with pytest.raises(ValidationError, match=f"at most {limit} are kept"):
        _draft(ledger, **{field: "x" * (limit + 1)})
    number = _draft(ledger)
    with pytest.raises(ValidationError, match=f"at most {limit} are kept"):
        ledger.update_order(number, **{field: "y" * (limit + 1)})
    assert ledger.get_order(number)[field] != "y" * (limit + 1)


def test_unit_longer_than_its_column_and_nul_characters_are_refused(ledger: AcsaLedger) -> None:
    with pytest.raises(ValidationError, match="at most 32 are kept"):
        _draft(ledger, [LineIn("food", "Rations", "1", "k" * 33, "1", "INR")])
    with pytest.raises(ValidationError, match="NUL"):
        _draft(ledger, [LineIn("food", "Rat\x00ions", "1", "kg", "1", "INR")])
    assert ledger.list_orders() == []


def test_attach_reads_no_more_of_a_huge_file_than_it_needs_to_refuse_it(
    db_url: str, tmp_path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from setu.cli import app
    from setu.logistics.service import MAX_ATTACHMENT_BYTES

    monkeypatch.setenv("SETU_DATABASE_URL", db_url)
    huge = tmp_path / "scan.pdf"
    with huge.open("wb") as handle:  # sparse: takes no disk space
        handle.truncate(4 * MAX_ATTACHMENT_BYTES)
    runner = CliRunner()
    base = ["--data-dir", str(tmp_path / "d"), "acsa"]
    line = "food|Rations|1|kg|1|INR"
    created = runner.invoke(
        app, [*base, "create", "--requesting", "JP", "--supplying", "IN", "--activity",
              "bilateral_training", "--line", line, "--json"],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    number = created.stdout.split('"number": "')[1].split('"')[0]
    result = runner.invoke(app, [*base, "attach", number, str(huge)])
    assert isinstance(result.exception, ValidationError)
    assert "over 20 MiB" in str(result.exception)


@pytest.mark.parametrize("number", [str(2**31), "9" * 20, "0", "٣"])
def test_order_numbers_no_row_can_have_are_not_found(ledger: AcsaLedger, number: str) -> None:
    # Regression: `acsa show 99999999999999999999` raised OverflowError on SQLite.
    from setu.errors import NotFoundError

    with pytest.raises(NotFoundError):
        ledger.get_order(number)
