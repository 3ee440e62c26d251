"""The rules of the ACSA that setu enforces: what may be requested, and settlement deadlines.

- Arms and ammunition are excluded from the agreement: a line whose category or description
  asks for them is refused with :class:`~setu.errors.PolicyError`.
- Currencies are ISO 4217 codes with a minor unit (the ``iso4217`` package: ISO's own list,
  "list one", as published by the ISO 4217 maintenance agency; funds, precious metals and
  testing codes have no minor unit and are refused). Amounts that settle an order are refused
  when finer than the currency's minor unit (0.001 INR, 0.5 JPY): an order's value is rounded
  to the minor unit, so such an amount could never settle it exactly.
- Settlement deadlines: the India–Japan settlement clause is not public. setu defaults to the
  terms of US ACSA practice: cash reimbursement within 30 days of the invoice; replacement-in-
  kind (and equal-value exchange) within one year. These are defaults, not the text of the
  India–Japan agreement; each
  deadline is configurable (:class:`Deadlines`, or the environment variables
  ``SETU_ACSA_CASH_DAYS``, ``SETU_ACSA_REPLACEMENT_DAYS``, ``SETU_ACSA_EXCHANGE_DAYS``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from setu.db.limits import check_money
from setu.errors import ConfigError, PolicyError, ValidationError
from setu.logistics.models import AcsaEntry, AcsaLine, Settlement

#: Words that mark a request for arms or ammunition (whole words, any case).
_ARMS = re.compile(
    r"\b(arms|armament|weapons?|ammunition|ammo|munitions?|ordnance|explosives?|missiles?|"
    r"rockets?|torpedo(?:es)?|bombs?|grenades?|warheads?|firearms?|rifles?|"
    r"small[- ]arms)\b",
    re.IGNORECASE,
)
_ARMS_CATEGORIES = {"arms", "ammunition", "weapons", "munitions", "ordnance", "explosives"}

_CURRENCY = re.compile(r"^[A-Z]{3}$")
#: Longest amount text parsed (a NUMERIC(20, 4) needs 22 characters; room for signs, zeros).
MAX_NUMBER_CHARS = 64


def refuse_arms(category: str, description: str) -> None:
    """Raise PolicyError when a line asks for arms or ammunition."""
    if category.strip().lower() in _ARMS_CATEGORIES:
        raise PolicyError(
            f"category {category!r}: the ACSA excludes arms and ammunition; such items need a "
            "separate government-to-government arrangement, not an ACSA order"
        )
    match = _ARMS.search(description)
    if match:
        raise PolicyError(
            f"line {description!r} asks for {match.group(0)!r}: the ACSA excludes arms and "
            "ammunition; remove the item (spare parts and repair of non-weapon equipment are "
            "allowed)"
        )


def minor_units(code: str) -> int:
    """Decimal places of the currency's minor unit (ISO 4217); ValidationError when it has none.

    ``code`` must already be upper case (see :func:`check_currency`).
    """
    from iso4217 import Currency  # ISO 4217 list one, shipped with the package

    try:
        places = Currency(code).exponent
    except ValueError as exc:
        raise ValidationError(
            f"currency {code!r} is not an ISO 4217 currency code; use one such as INR, JPY or USD"
        ) from exc
    if places is None:
        raise ValidationError(
            f"{code} is an ISO 4217 fund, precious metal or testing code without a minor unit; "
            "orders are priced in a national currency such as INR, JPY or USD"
        )
    return int(places)


def check_currency(code: str) -> str:
    """The ISO 4217 code of a currency with a minor unit (upper-cased); ValidationError else."""
    value = code.strip().upper()
    if not _CURRENCY.match(value):
        raise ValidationError(
            f"currency {code!r} is not an ISO 4217 code (three letters, such as INR or JPY)"
        )
    minor_units(value)
    return value


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` to the currency's minor unit (half up, as invoices do).

    A code without a minor unit (only in records written before codes were checked) rounds to
    two places, so such records can still be read.
    """
    try:
        places = minor_units(currency)
    except ValidationError:
        places = 2
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def check_minor_units(amount: Decimal, currency: str, what: str) -> Decimal:
    """``amount`` when it is a whole number of the currency's minor unit; refused otherwise.

    Refused rather than rounded: a settlement of 0.001 INR rounded to 0.00 would record a
    payment that did not happen, and kept as it is would leave 0.009 INR that no amount in
    whole paise could ever settle.
    """
    places = minor_units(currency)
    unit = Decimal(1).scaleb(-places)
    if amount.quantize(unit) != amount:
        kind = "whole units" if places == 0 else f"{places} decimal place(s)"
        raise ValidationError(
            f"{what} {amount} {currency} is finer than the currency's minor unit: {currency} "
            f"amounts have {kind} (ISO 4217); give a multiple of {unit} {currency}"
        )
    return amount


def to_decimal(value: Decimal | str | int, what: str) -> Decimal:
    """A finite decimal from user input; ValidationError for anything else."""
    if isinstance(value, float):
        raise ValidationError(f"{what} must be given as a decimal string, not a float")
    text = str(value).strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise ValidationError(f"{what} {text[:20]}… is {len(text)} characters long; not a price")
    try:
        number = Decimal(text)
    except ArithmeticError as exc:
        raise ValidationError(f"{what} {text!r} is not a decimal number") from exc
    if not number.is_finite():
        raise ValidationError(f"{what} {value!r} is not a finite number")
    return number


def check_price(value: Decimal, what: str) -> Decimal:
    """``value`` when it fits the ledger's price and quantity columns (NUMERIC(20, 4))."""
    return check_money(value, AcsaLine.unit_price, what)


def check_amount(value: Decimal, what: str) -> Decimal:
    """``value`` when it fits the ledger's amount columns (entries and balances)."""
    return check_money(value, AcsaEntry.amount, what)


@dataclass(frozen=True)
class Deadlines:
    """Days allowed to settle an invoiced order, per settlement method."""

    cash_days: int = 30  # US ACSA practice: cash reimbursement within 30 days of invoice
    replacement_in_kind_days: int = 365  # US ACSA practice: replacement within one year
    equal_value_exchange_days: int = 365  # US ACSA practice: equal-value exchange within a year

    def __post_init__(self) -> None:
        for name in ("cash_days", "replacement_in_kind_days", "equal_value_exchange_days"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"ACSA deadline {name} must be a positive number of days")

    def for_method(self, method: Settlement) -> timedelta:
        days = {
            Settlement.CASH: self.cash_days,
            Settlement.REPLACEMENT_IN_KIND: self.replacement_in_kind_days,
            Settlement.EQUAL_VALUE_EXCHANGE: self.equal_value_exchange_days,
        }[method]
        return timedelta(days=days)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Deadlines:
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for field, var in (
            ("cash_days", "SETU_ACSA_CASH_DAYS"),
            ("replacement_in_kind_days", "SETU_ACSA_REPLACEMENT_DAYS"),
            ("equal_value_exchange_days", "SETU_ACSA_EXCHANGE_DAYS"),
        ):
            raw = env.get(var)
            if raw:
                try:
                    values[field] = int(raw)
                except ValueError as exc:
                    raise ConfigError(f"{var}={raw!r} must be a whole number of days") from exc
        return cls(**values)
