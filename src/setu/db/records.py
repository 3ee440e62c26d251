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


def jsonable(value: Any) -> Any:
    """A copy of ``value`` with Decimals as exact strings (for JSON output)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def actor_name() -> str:
    """Who is acting: ``SETU_ACTOR`` or the login name."""
    import getpass
    import os

    try:
        return os.environ.get("SETU_ACTOR") or getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
