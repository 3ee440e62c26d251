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


class AuditIntegrityError(IntegrityError):
    """The disclosure log failed verification; ``index`` is the first entry known to be bad
    (None when the failure is not tied to one entry, e.g. a tree head's signature)."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index


class TreeHeadSignatureError(AuditIntegrityError):
    """A signed tree head's signature does not verify, or it was signed by another key."""


class InclusionProofError(AuditIntegrityError):
    """An inclusion proof does not lead from the entry to the tree head's root."""


class ConsistencyProofError(AuditIntegrityError):
    """A consistency proof does not show that the newer tree head extends the older one."""


class ProofDocumentError(AuditIntegrityError):
    """A proof document is malformed: wrong format, missing or badly encoded field."""


class InvalidAuditEntryError(PolicyError):
    """A disclosure-log entry is malformed (unknown kind or decision, missing principal)."""


class AuditSignerError(ConfigError):
    """The disclosure log has no usable signing key for its tree heads."""


class AuditEntryNotFoundError(NotFoundError):
    """No disclosure-log entry has that index."""


class TreeHeadNotFoundError(NotFoundError):
    """No signed tree head of the disclosure log has that size."""


__all__ = [
    "AuditEntryNotFoundError",
    "AuditIntegrityError",
    "AuditSignerError",
    "BindingError",
    "ConsistencyProofError",
    "EquivalenceTableError",
    "InclusionProofError",
    "InvalidAuditEntryError",
    "InvalidLabelError",
    "NodeIdentityError",
    "PartnerError",
    "PartnerNotFoundError",
    "ProofDocumentError",
    "TreeHeadNotFoundError",
    "TreeHeadSignatureError",
    "UnmappedLevelError",
]
