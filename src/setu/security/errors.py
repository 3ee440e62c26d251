"""Security errors, each a child of a class in :mod:`setu.errors` (so exit codes hold).

One class per failure mode; the message says what went wrong and what to do. Errors raised
where access is refused must not reveal whether a forbidden object exists.
"""

from __future__ import annotations

from setu.errors import ConfigError, IntegrityError, NotFoundError, PolicyError


class InvalidLabelError(PolicyError):
    """A confidentiality label is malformed (bad trigraph, purpose, time or field set)."""


class UnmappedLevelError(PolicyError):
    """A classification level has no row in the national equivalence table: denied, never
    guessed."""


class EquivalenceTableError(ConfigError):
    """The national equivalence table (``equivalence.toml``) is malformed."""


class BindingError(IntegrityError):
    """A label-content binding failed verification (signature, content hash, signer, label)."""


class NodeIdentityError(ConfigError):
    """This node's identity is missing, incomplete or would be overwritten."""


class PartnerError(PolicyError):
    """A partner bundle was refused (malformed, our own identity, duplicate fingerprint)."""


class PartnerNotFoundError(NotFoundError):
    """No partner with that name is registered."""


__all__ = [
    "BindingError",
    "EquivalenceTableError",
    "InvalidLabelError",
    "NodeIdentityError",
    "PartnerError",
    "PartnerNotFoundError",
    "UnmappedLevelError",
]
