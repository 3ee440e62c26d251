"""The rules of the ACSA that setu enforces: what may be requested, and settlement deadlines.

- Arms and ammunition are excluded from the agreement: a line whose category or description
  asks for them is refused with :class:`~setu.errors.PolicyError`.
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

from setu.errors import ConfigError, PolicyError, ValidationError
from setu.logistics.models import Settlement

#: Words that mark a request for arms or ammunition (whole words, any case).
_ARMS = re.compile(
    r"\b(arms|armament|weapons?|ammunition|ammo|munitions?|ordnance|explosives?|missiles?|"
    r"rockets?|torpedo(?:es)?|bombs?|grenades?|warheads?|firearms?|rifles?|"
    r"small[- ]arms)\b",
    re.IGNORECASE,
)
_ARMS_CATEGORIES = {"arms", "ammunition", "weapons", "munitions", "ordnance", "explosives"}

#: Minor units of the currencies the two sides use (ISO 4217); others default to 2.
MINOR_UNITS = {"JPY": 0, "INR": 2, "USD": 2, "EUR": 2}
_CURRENCY = re.compile(r"^[A-Z]{3}$")


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


def check_currency(code: str) -> str:
    value = code.strip().upper()
    if not _CURRENCY.match(value):
        raise ValidationError(f"currency {code!r} is not an ISO 4217 code such as JPY or INR")
    return value


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round ``amount`` to the currency's minor unit (half up, as invoices do)."""
    places = MINOR_UNITS.get(currency, 2)
    return amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def to_decimal(value: Decimal | str | int, what: str) -> Decimal:
    if isinstance(value, float):
        raise ValidationError(f"{what} must be given as a decimal string, not a float")
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError as exc:
        raise ValidationError(f"{what} {value!r} is not a decimal number") from exc
    if not number.is_finite():
        raise ValidationError(f"{what} {value!r} is not a finite number")
    return number


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
