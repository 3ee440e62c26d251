"""Portable column types: exact money and timezone-aware UTC datetimes.

SQLite has no decimal type: a value in a ``NUMERIC`` column is converted to a binary float when
it has a fraction. :class:`Money` therefore stores exact decimal text on SQLite and ``NUMERIC``
on PostgreSQL; Python always sees :class:`decimal.Decimal`, never ``float``.

SQLite has no time zones either: :class:`UtcDateTime` refuses naive datetimes on the way in,
stores UTC, and hands back timezone-aware UTC datetimes on the way out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import DateTime, Numeric, String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from setu.errors import ValidationError


def check_decimal(value: Decimal, what: str, precision: int, scale: int) -> Decimal:
    """``value`` when it fits ``NUMERIC(precision, scale)``; ValidationError otherwise."""
    if not value.is_finite():
        raise ValidationError(f"{what} {value} is not a finite number")
    whole = precision - scale
    if abs(value) >= Decimal(10) ** whole:
        raise ValidationError(
            f"{what} is too large: it has {value.adjusted() + 1} digits before the decimal "
            f"point and at most {whole} are kept (below {Decimal(10) ** whole:,.0f})"
        )
    if value.quantize(Decimal(1).scaleb(-scale)) != value:  # exact: |value| < 10**whole
        raise ValidationError(
            f"{what} {value} has more than {scale} decimal places; at most {scale} are kept"
        )
    return value


class Money(TypeDecorator[Decimal]):
    """An exact decimal: ``NUMERIC(precision, scale)`` on PostgreSQL, decimal text on SQLite."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 20, scale: int = 4) -> None:
        super().__init__()
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise ValidationError("money and quantities must be Decimal or str, never float")
        try:
            number = Decimal(value)
        except (InvalidOperation, TypeError) as exc:
            raise ValidationError(f"{value!r} is not a decimal number") from exc
        if not number.is_finite():
            raise ValidationError(f"{value!r} is not a finite decimal number")
        check_decimal(number, "amount", self.precision, self.scale)
        return str(number) if dialect.name == "sqlite" else number

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)) if not isinstance(value, Decimal) else value


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise ValidationError(f"{value!r} is not a datetime")
        if value.tzinfo is None:
            raise ValidationError(f"datetime {value.isoformat()} has no time zone; use UTC")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
