"""Plain-dict views of ORM rows: what the Python API returns and the CLI prints as JSON."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import inspect


def record(obj: Any, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The column values of ``obj`` as a new dict (enums as their values)."""
    out: dict[str, Any] = {}
    for attr in inspect(obj).mapper.column_attrs:
        if attr.key in exclude:
            continue
        value = getattr(obj, attr.key)
        out[attr.key] = value.value if isinstance(value, enum.Enum) else value
    return out
