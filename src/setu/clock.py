"""An injectable clock: code that needs "now" takes a ``Clock`` so tests can fix time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The system clock, always timezone-aware UTC."""
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    """A clock that always returns ``at`` (must be timezone-aware)."""
    if at.tzinfo is None:
        raise ValueError("fixed_clock needs a timezone-aware datetime")
    return lambda: at
