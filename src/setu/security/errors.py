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


class SignerNotOriginatorError(PolicyError):
    """A node was asked to bind a label whose originator is another node or nation."""


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


class AuthenticationError(PolicyError):
    """A login or API token was refused; the same message for every cause (unknown name, wrong
    secret, disabled account, expired or revoked token)."""


class InvalidPrincipalError(PolicyError):
    """A user or node record is malformed (name, groups, roles, clearance, password length)."""


class PrincipalExistsError(PolicyError):
    """A principal with that name is already registered."""


class PrincipalNotFoundError(NotFoundError):
    """No user or node has that name."""


class TokenNotFoundError(NotFoundError):
    """No API token has that id."""


class AccessDenied(PolicyError):
    """The authorisation gate refused a request. Its message never says whether a forbidden
    object exists."""


class InvalidRequestError(PolicyError):
    """A request to the authorisation gate is malformed (unknown purpose, naive time, an
    unverified consent, no audit hook)."""


class PolicySetError(ConfigError):
    """The Cedar policy files or schema shipped with setu do not parse or validate."""


class ConsentError(PolicyError):
    """A third-party release consent is malformed, forged or signed by the wrong node."""


class ConsentExpiredError(ConsentError):
    """A third-party release consent is past its expiry."""


class ReleaseRequestNotFoundError(NotFoundError):
    """No release request with that id is visible to the asking user (unknown or forbidden:
    the same answer)."""


class ReleaseStateError(PolicyError):
    """A release request was already decided (released or refused)."""


class ReleaseRuleError(PolicyError):
    """A standing release rule is malformed (kind, level, nations, purposes, area, window)."""


class ReleaseRuleNotFoundError(NotFoundError):
    """No standing release rule has that id."""


class NoticeError(PolicyError):
    """A re-classification or compromise notice is malformed, forged, or not from the
    originator of the objects it names."""


class HeldItemNotFoundError(NotFoundError):
    """No received item with that id is visible to the asking user (unknown or forbidden)."""


class RetentionError(PolicyError):
    """A retention period is malformed (unknown purpose, days not a positive integer)."""


class CompromiseNotFoundError(NotFoundError):
    """No loss or compromise notice has that id."""


__all__ = [
    "AccessDenied",
    "AuditEntryNotFoundError",
    "AuditIntegrityError",
    "AuditSignerError",
    "AuthenticationError",
    "BindingError",
    "CompromiseNotFoundError",
    "ConsentError",
    "ConsentExpiredError",
    "ConsistencyProofError",
    "EquivalenceTableError",
    "HeldItemNotFoundError",
    "InclusionProofError",
    "InvalidAuditEntryError",
    "InvalidLabelError",
    "InvalidPrincipalError",
    "InvalidRequestError",
    "NodeIdentityError",
    "NoticeError",
    "PartnerError",
    "PartnerNotFoundError",
    "PolicySetError",
    "PrincipalExistsError",
    "PrincipalNotFoundError",
    "ProofDocumentError",
    "ReleaseRequestNotFoundError",
    "ReleaseRuleError",
    "ReleaseRuleNotFoundError",
    "ReleaseStateError",
    "RetentionError",
    "SignerNotOriginatorError",
    "TokenNotFoundError",
    "TreeHeadNotFoundError",
    "TreeHeadSignatureError",
    "UnmappedLevelError",
]
