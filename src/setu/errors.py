"""The one exception tree of setu.

Every error setu raises on purpose derives from :class:`SetuError`. Third-party errors are
translated at the boundary (``raise StoreError("...") from exc``) so that callers — the CLI, the
web API, a partner node — handle one family. Messages say what went wrong *and what to do*.

Each class carries ``exit_code``, the process exit status the CLI uses for it:

====  =====================================================================
code  meaning
====  =====================================================================
1     any other setu error
2     usage / configuration problem (bad option, bad setting)
3     input could not be read or parsed in strict mode
4     requested record not found
5     a domain rule refused the operation (validation, policy, state)
6     stored data failed an integrity check
====  =====================================================================
"""

from __future__ import annotations


class SetuError(Exception):
    """Root of every error setu raises on purpose."""

    exit_code: int = 1


class ConfigError(SetuError):
    """A setting or option is invalid; the message says how to fix it."""

    exit_code = 2


class InputError(SetuError):
    """Input could not be read, or was rejected in strict mode."""

    exit_code = 3


class SourceError(InputError):
    """A source (file, directory, socket, stdin) could not be opened or read."""


class NmeaError(InputError):
    """An NMEA/AIS line was rejected while strict mode was on."""

    def __init__(self, message: str, *, reason: str = "", line_no: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.line_no = line_no


class DecodeError(InputError):
    """An AIS payload could not be decoded (strict mode) or an encoder was misused."""


class StoreError(SetuError):
    """The maritime store or the operational database failed."""


class NotFoundError(SetuError):
    """A requested record does not exist."""

    exit_code = 4


class ValidationError(SetuError):
    """A record breaks a domain rule (missing field, bad value)."""

    exit_code = 5


class PolicyError(ValidationError):
    """An operation is refused by policy (e.g. arms or ammunition under the ACSA)."""


class StateError(ValidationError):
    """A state transition is not allowed from the record's current state."""


class IntegrityError(SetuError):
    """Stored data failed an integrity check (e.g. ledger balances do not recompute)."""

    exit_code = 6


__all__ = [
    "ConfigError",
    "DecodeError",
    "InputError",
    "IntegrityError",
    "NmeaError",
    "NotFoundError",
    "PolicyError",
    "SetuError",
    "SourceError",
    "StateError",
    "StoreError",
    "ValidationError",
]
