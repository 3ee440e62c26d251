"""Limits of the operational records, taken from the column declarations of the models.

SQLite keeps whatever it is given: a 500-character place in a ``VARCHAR(128)``, ``10**12`` in
an ``INTEGER``, a NUL character, a 32-digit amount. PostgreSQL refuses each of them. So that
both backends behave the same, setu checks every value at the boundary, before anything is
written, against the model's own declaration (declared once, in the model):

- ``String(n)``: at most ``n`` characters;
- ``Integer``: a 32-bit signed integer (PostgreSQL ``integer``);
- :class:`~setu.db.types.Money` ``(precision, scale)``: at most ``precision - scale`` digits
  before the decimal point and ``scale`` after it;
- any text: valid Unicode without NUL characters (PostgreSQL text cannot hold NUL).

:func:`check_flush` runs before every flush of every session (:func:`setu.db.open_database`).
Services call :func:`check_decimal`, :func:`check_text` and :func:`normalise_key` earlier, to
say which option or field is at fault.

Keys. Records that users name by key (agreements, mechanisms, exercise series) compare keys
without regard to case or surrounding spaces: :func:`normalise_key` is the one rule (strip,
lower-case; letters a-z, digits, ``.``, ``_`` and ``-``; starting with a letter or digit), so
``k1``, ``K1`` and ``k1 `` are one key.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Enum, Integer, String, Text, inspect
from sqlalchemy.orm import InstrumentedAttribute, Session

from setu.db.types import Money, check_decimal
from setu.errors import ValidationError

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
T = TypeVar("T")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


def _column_type(attribute: InstrumentedAttribute[Any]) -> Any:
    return attribute.property.columns[0].type  # type: ignore[attr-defined]


def text_limit(attribute: InstrumentedAttribute[Any]) -> int | None:
    """The declared length of a ``String(n)`` column (None for unbounded text)."""
    length = getattr(_column_type(attribute), "length", None)
    return int(length) if length else None


def check_text(value: str, what: str, limit: int | None = None) -> str:
    """``value`` when it is valid Unicode without NUL and at most ``limit`` characters."""
    if "\x00" in value:
        raise ValidationError(f"{what} contains a NUL character; remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"{what} holds bytes that are not valid text ({exc.reason}); give it as UTF-8"
        ) from exc
    if limit is not None and len(value) > limit:
        raise ValidationError(
            f"{what} is {len(value)} characters long; at most {limit} are kept — shorten it"
        )
    return value


def money_limits(attribute: InstrumentedAttribute[Any]) -> tuple[int, int]:
    """(precision, scale) of a :class:`Money` column."""
    kind = _column_type(attribute)
    if not isinstance(kind, Money):
        raise TypeError(f"{attribute} is not a Money column")
    return kind.precision, kind.scale


def check_money(value: Decimal, attribute: InstrumentedAttribute[Any], what: str) -> Decimal:
    precision, scale = money_limits(attribute)
    return check_decimal(value, what, precision, scale)


def normalise_key(key: str, what: str, attribute: InstrumentedAttribute[Any]) -> str:
    """The one form of a user-given key (see the module docstring), within the column's length."""
    value = check_text(key, what).strip().lower()
    if not value:
        raise ValidationError(f"{what} is empty; give a short key such as 'jimex-ia-2027'")
    if not KEY_PATTERN.match(value):
        raise ValidationError(
            f"{what} {key!r} may hold only letters a-z, digits, '.', '_' and '-', and must "
            "start with a letter or digit (keys ignore case and surrounding spaces)"
        )
    return check_text(value, what, text_limit(attribute))


def row_by_id(session: Session, model: type[T], row_id: int) -> T | None:
    """The row of ``model`` with id ``row_id``; None also for an id no row can have (an id
    beyond the 32-bit integer range would make SQLite raise OverflowError on the look-up)."""
    if isinstance(row_id, bool) or not isinstance(row_id, int):
        return None
    if not 1 <= row_id <= INT32_MAX:
        return None
    return session.get(model, row_id)


def _check_value(obj: Any, key: str, column_type: Any, value: Any) -> None:
    what = f"{type(obj).__name__} {key}"
    if isinstance(column_type, Money):
        if isinstance(value, Decimal | str | int) and not isinstance(value, bool):
            try:
                number = Decimal(str(value).strip())
            except InvalidOperation as exc:
                raise ValidationError(f"{what} {value!r} is not a decimal number") from exc
            check_decimal(number, what, column_type.precision, column_type.scale)
    elif isinstance(value, str) and isinstance(column_type, String | Text):
        limit = None if isinstance(column_type, Enum) else getattr(column_type, "length", None)
        check_text(value, what, limit)
    elif (
        isinstance(value, int)
        and not isinstance(value, bool)
        and isinstance(column_type, Integer)
        and not isinstance(column_type, BigInteger)
        and not INT32_MIN <= value <= INT32_MAX
    ):
        raise ValidationError(f"{what} {value} is out of range (a whole number below 2³¹)")


def check_record(obj: Any) -> None:
    """Check every column value of one ORM object against its declaration."""
    for attr in inspect(obj).mapper.column_attrs:
        column = attr.columns[0]
        value = getattr(obj, attr.key, None)
        if value is not None:
            _check_value(obj, attr.key, column.type, value)


def check_flush(session: Session, _context: Any, _instances: Any) -> None:
    """``before_flush`` hook: refuse any new or changed record with a value that does not fit."""
    for obj in (*session.new, *session.dirty):
        check_record(obj)


__all__ = [
    "INT32_MAX",
    "INT32_MIN",
    "KEY_PATTERN",
    "check_decimal",
    "check_flush",
    "check_money",
    "check_record",
    "check_text",
    "money_limits",
    "normalise_key",
    "row_by_id",
    "text_limit",
]
