"""The disclosure log: every decision and disclosure, append only, provable to an outsider.

Issue 8 "Provable disclosure record" and the reference notes' rules R15-R17: every access or
release decision (allow and deny) and every disclosure is recorded (R15); the record is
tamper-evident, an RFC 9162 §2.1 Merkle tree with signed tree heads (R16); a partner can check
proofs offline with the node's public key (R17, :mod:`setu.security.audit_proof`).

An entry (:class:`AuditEntry`) becomes a canonical JSON record (sorted keys, no whitespace,
UTF-8) carrying its own index and the log's time; the record's bytes are the Merkle leaf.
:class:`AuditLog` keeps the log in the operational database (SQLite or PostgreSQL):

- :meth:`AuditLog.append` / :meth:`~AuditLog.append_many` add entries in one transaction under
  the state row's lock (two processes never get the same index); an append costs O(log n)
  hashes, using the stored frontier, never the whole tree; threads appending at once share
  transactions (group commit);
- a tree head is signed with the node's Ed25519 key every ``head_every_entries`` entries or
  ``head_every_s`` seconds (checked on append), and on demand (:meth:`~AuditLog.sign_head`);
- :meth:`~AuditLog.prove` and :meth:`~AuditLog.consistency` return JSON proof documents;
- :meth:`~AuditLog.verify` recomputes everything (:mod:`setu.security.audit_verify`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import select
from sqlalchemy.engine import Connection

from setu.clock import Clock, utc_now
from setu.db import Database
from setu.errors import ValidationError
from setu.security import audit_store as store
from setu.security import merkle
from setu.security.audit_group import GroupCommit
from setu.security.audit_proof import (
    HeadSigner,
    TreeHead,
    consistency_document,
    inclusion_document,
    sign_tree_head,
)
from setu.security.errors import (
    AuditEntryNotFoundError,
    AuditIntegrityError,
    AuditSignerError,
    InvalidAuditEntryError,
    TreeHeadNotFoundError,
)
from setu.security.models_audit import PRINCIPAL_LENGTH

if TYPE_CHECKING:
    from setu.security.audit_verify import VerifyReport
    from setu.security.gate import DecisionRecord

RECORD_VERSION = 1
MAX_TEXT_CHARS = 2000  # reason, rule: one readable line, not a document
MAX_DETAILS_BYTES = 16_384  # details: a decision's facts, not a payload
DEFAULT_HEAD_EVERY_ENTRIES = 1000
DEFAULT_HEAD_EVERY_S = 60.0


class EntryKind(StrEnum):
    """What an entry records (issue 8: decisions, disclosures, releases, consents,
    reclassification notices, destruction records, compromise reports)."""

    DECISION = "decision"
    DISCLOSURE = "disclosure"
    RELEASE = "release"
    CONSENT = "consent"
    RECLASSIFICATION = "reclassification"
    DESTRUCTION = "destruction"
    COMPROMISE = "compromise"


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


def _enum(cls: type[StrEnum], value: Any, what: str) -> Any:
    try:
        return cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in cls)
        raise InvalidAuditEntryError(f"{what} {value!r} is not one of: {allowed}") from None


def _text(value: Any, what: str, *, limit: int = MAX_TEXT_CHARS, required: bool = False) -> str:
    if not isinstance(value, str):
        raise InvalidAuditEntryError(f"{what} must be text, not {type(value).__name__}")
    if required and not value.strip():
        raise InvalidAuditEntryError(f"{what} is required")
    if len(value) > limit:
        raise InvalidAuditEntryError(f"{what} has {len(value)} characters; at most {limit}")
    return value


@dataclass(frozen=True)
class AuditEntry:
    """One thing to record. ``decision`` is required for ``kind=decision``; ``object_ids`` are
    kept sorted and without duplicates (the record is about a set of objects)."""

    kind: EntryKind
    principal: str
    action: str
    object_ids: tuple[str, ...] = ()
    recipient: str | None = None
    decision: Decision | None = None
    purpose: str | None = None
    rule: str = ""
    policy_hash: str = ""
    reason: str = ""
    details: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "kind", _enum(EntryKind, self.kind, "kind"))
        if self.decision is not None:
            set_(self, "decision", _enum(Decision, self.decision, "decision"))
        elif self.kind is EntryKind.DECISION:
            raise InvalidAuditEntryError("a decision entry needs decision=allow or deny")
        _text(self.principal, "principal", limit=PRINCIPAL_LENGTH, required=True)
        _text(self.action, "action", limit=128, required=True)
        if isinstance(self.object_ids, str):
            raise InvalidAuditEntryError("object_ids must be a list of ids, not one string")
        ids = tuple(sorted({_text(i, "object id", limit=256) for i in self.object_ids}))
        set_(self, "object_ids", ids)
        for name in ("recipient", "purpose"):
            if getattr(self, name) is not None:
                _text(getattr(self, name), name, limit=128)
        for name in ("rule", "policy_hash", "reason"):
            _text(getattr(self, name), name)
        set_(self, "details", _json_copy(self.details))

    def record(self, index: int, time: str) -> dict[str, Any]:
        """The entry as the log stores it: its fields, its index and the log's time (RFC 3339)."""
        return {
            "v": RECORD_VERSION,
            "index": index,
            "time": time,
            "kind": self.kind.value,
            "principal": self.principal,
            "action": self.action,
            "object_ids": list(self.object_ids),
            "recipient": self.recipient,
            "decision": None if self.decision is None else self.decision.value,
            "purpose": self.purpose,
            "rule": self.rule,
            "policy_hash": self.policy_hash,
            "reason": self.reason,
            "details": dict(self.details),
        }


_DECISION_FIELDS = {"kind", "principal", "action", "decision", "purpose", "reasons"}
_DECISION_FIELDS |= {"policy_sha256", "object_ids", "recorded_at"}


def decision_entry(record: DecisionRecord) -> AuditEntry:
    """The log entry of one gate decision (one label group): who asked for what, allow or
    deny, the determining policies and the policy set's hash; the label facts, consent and
    object digest go to ``details``."""
    data = record.to_dict()
    details = {k: v for k, v in data.items() if k not in _DECISION_FIELDS}
    details["decided_at"] = data["recorded_at"]
    return AuditEntry(
        kind=EntryKind.DECISION,
        principal=record.principal,
        action=record.action,
        object_ids=tuple(record.object_ids or ()),
        decision=Decision.ALLOW if record.allowed else Decision.DENY,
        purpose=record.purpose,
        rule=",".join(record.reasons),
        policy_hash=record.policy_sha256,
        reason="permitted" if record.allowed else "denied",
        details=details,
    )


def _json_copy(details: Any) -> MappingProxyType[str, Any]:
    """A read-only copy of ``details`` after checking it is plain JSON (objects, arrays,
    strings, integers, booleans, null; no floats, so the canonical bytes are exact)."""
    if not isinstance(details, Mapping):
        raise InvalidAuditEntryError("details must be a mapping of names to JSON values")

    def check(value: Any, where: str) -> Any:
        if value is None or isinstance(value, str | bool | int):
            return value
        if isinstance(value, Mapping):
            if not all(isinstance(k, str) for k in value):
                raise InvalidAuditEntryError(f"details{where} has a key that is not text")
            return {k: check(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [check(v, f"{where}[{i}]") for i, v in enumerate(value)]
        raise InvalidAuditEntryError(
            f"details{where} is a {type(value).__name__}; use text, integers, booleans, "
            "null, lists or mappings"
        )

    copied = check(details, "")
    if len(canonical_bytes(copied)) > MAX_DETAILS_BYTES:
        raise InvalidAuditEntryError(f"details exceed {MAX_DETAILS_BYTES} bytes of JSON")
    return MappingProxyType(copied)


def _ms(at: datetime) -> int:
    """Milliseconds since the epoch, as RFC 9162 §4.8 timestamps."""
    return int(at.timestamp() * 1000)


def rfc3339(at: datetime) -> str:
    """UTC, microseconds, ``Z`` (RFC 3339 §5.6), as labels write ``created_at``."""
    if at.tzinfo is None:
        raise ValidationError("the audit clock returned a naive datetime; it must be UTC-aware")
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_bytes(record: dict[str, Any]) -> bytes:
    """Deterministic JSON: sorted keys, no whitespace, UTF-8 (non-ASCII kept as is)."""
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


@dataclass(frozen=True)
class AuditReceipt:
    """Where an appended entry went: its index and its leaf hash."""

    index: int
    leaf_hash: bytes


@dataclass(frozen=True)
class AuditRecord:
    """A stored entry as listings show it."""

    index: int
    recorded_at: datetime
    leaf_hash: bytes
    record: dict[str, Any] = field(hash=False)

    def to_dict(self) -> dict[str, Any]:
        return {**self.record, "leaf_hash": self.leaf_hash.hex()}


class AuditLog:
    """The disclosure log in the operational database ``db``.

    ``signer`` is the node's Ed25519 signing key (anything with ``sign(bytes)`` and
    ``public_key()``); without it entries are still appended but no tree head is signed, so
    :meth:`prove` and :meth:`consistency` refuse. ``clock`` stamps entries and heads.
    """

    def __init__(
        self,
        db: Database,
        signer: HeadSigner | None = None,
        clock: Clock = utc_now,
        *,
        head_every_entries: int = DEFAULT_HEAD_EVERY_ENTRIES,
        head_every_s: float = DEFAULT_HEAD_EVERY_S,
    ) -> None:
        if head_every_entries < 1 or head_every_s < 0:
            raise ValidationError("head_every_entries must be ≥ 1 and head_every_s ≥ 0")
        self._db = db
        self._signer = signer
        self._clock = clock
        self._head_every_entries = head_every_entries
        self._head_every_ms = int(head_every_s * 1000)
        self._group: GroupCommit[AuditEntry, AuditReceipt] = GroupCommit(self._commit)

    # --- writing ------------------------------------------------------------------------------

    def append(self, entry: AuditEntry) -> AuditReceipt:
        """Append one entry in its own transaction."""
        return self.append_many([entry])[0]

    def append_many(self, entries: Iterable[AuditEntry]) -> list[AuditReceipt]:
        """Append entries in one transaction, in order, with consecutive indexes. Threads
        appending at once through this log share transactions (group commit,
        :mod:`setu.security.audit_group`); each returns once its entries are committed."""
        batch = list(entries)
        if not batch:
            return []
        return self._group.submit(batch)

    def _commit(self, batch: list[AuditEntry]) -> list[AuditReceipt]:
        with store.writing(self._db) as conn:
            state = store.lock_state(conn)
            now = self._clock()
            stamp = rfc3339(now)
            size, frontier = state.tree_size, state.frontier
            rows: list[dict[str, Any]] = []
            nodes: list[dict[str, Any]] = []
            receipts: list[AuditReceipt] = []
            for entry in batch:
                body = canonical_bytes(entry.record(size, stamp))
                leaf = merkle.leaf_hash(body)
                frontier, completed = merkle.frontier_append(frontier, size, leaf)
                nodes.extend(
                    {"level": level, "node_index": index, "node_hash": digest}
                    for level, index, digest in completed
                    if level >= store.NODE_CACHE_MIN_LEVEL
                )
                rows.append(_entry_row(size, now, entry, body, leaf))
                receipts.append(AuditReceipt(size, leaf))
                size += 1
            store.insert_rows(conn, rows, nodes)
            grown = store.LogState(size, frontier, state.head_size, state.head_timestamp_ms)
            if self._signer is not None and self._head_due(grown, now):
                grown, _ = self._sign(conn, grown, now)
            store.write_state(conn, grown)
        return receipts

    def decision_hook(self) -> DecisionHook:
        """The ``audit`` hook for :func:`setu.security.gate.authorize`: the decisions of one
        call are appended (and committed) in one transaction before the gate returns them."""
        return DecisionHook(self)

    def sign_head(self) -> TreeHead:
        """Sign a tree head at the current size (or return the one already signed at it)."""
        self._require_signer()
        with store.writing(self._db) as conn:
            state = store.lock_state(conn)
            existing = store.head_at(conn, state.tree_size)
            if existing is not None:
                return existing
            state, head = self._sign(conn, state, self._clock())
            store.write_state(conn, state)
        return head

    def _head_due(self, state: store.LogState, now: datetime) -> bool:
        if state.tree_size == state.head_size:
            return False
        return (
            state.tree_size - state.head_size >= self._head_every_entries
            or _ms(now) - state.head_timestamp_ms >= self._head_every_ms
        )

    def _sign(
        self, conn: Connection, state: store.LogState, now: datetime
    ) -> tuple[store.LogState, TreeHead]:
        signer = self._require_signer()
        # A head is never older than the one before it (a clock stepped back is not followed).
        now_ms = max(_ms(now), state.head_timestamp_ms)
        head = sign_tree_head(signer, state.tree_size, now_ms, state.root())
        store.insert_head(conn, head)
        return store.LogState(state.tree_size, state.frontier, state.tree_size, now_ms), head

    def _require_signer(self) -> HeadSigner:
        if self._signer is None:
            raise AuditSignerError(
                "the disclosure log has no signing key, so it cannot sign tree heads: create "
                "the node identity first (`setu node init --nation IND|JPN --name NAME`)"
            )
        return self._signer

    # --- reading ------------------------------------------------------------------------------

    def _read(self) -> AbstractContextManager[Connection]:
        return store.reading(self._db)

    def size(self) -> int:
        with self._read() as conn:
            return store.read_state(conn).tree_size

    def latest_head(self) -> TreeHead | None:
        with self._read() as conn:
            return store.latest_head(conn)

    def heads(self) -> list[TreeHead]:
        with self._read() as conn:
            return store.heads(conn)

    def get(self, index: int) -> AuditRecord:
        """The entry at ``index``, or :class:`AuditEntryNotFoundError`."""
        with self._read() as conn:
            row = conn.execute(select(store.ENTRY).where(store.ENTRY.c.leaf_index == index)).first()
        if row is None:
            raise AuditEntryNotFoundError(f"no disclosure-log entry {index}; see `setu audit list`")
        return _record(row)

    def entries(
        self,
        *,
        kind: EntryKind | str | None = None,
        principal: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 100,
        newest_first: bool = True,
    ) -> list[AuditRecord]:
        """Stored entries filtered by kind, principal and time (``since`` ≤ t < ``until``)."""
        table = store.ENTRY
        query = select(table)
        if kind is not None:
            query = query.where(table.c.kind == _enum(EntryKind, kind, "kind").value)
        if principal is not None:
            query = query.where(table.c.principal == principal)
        if since is not None:
            query = query.where(table.c.recorded_at >= since)
        if until is not None:
            query = query.where(table.c.recorded_at < until)
        order = table.c.leaf_index.desc() if newest_first else table.c.leaf_index
        with self._read() as conn:
            rows = conn.execute(query.order_by(order).limit(max(0, limit))).all()
        return [_record(r) for r in rows]

    # --- proofs -------------------------------------------------------------------------------

    def _current_head(self, covering: int) -> TreeHead:
        """The latest signed head, signing a new one if it does not cover ``covering`` entries."""
        head = self.latest_head()
        if head is None or head.tree_size < covering:
            self._require_signer()
            head = self.sign_head()
        return head

    def prove(self, index: int) -> dict[str, Any]:
        """An inclusion proof document of entry ``index`` against the latest signed head."""
        if index < 0 or index >= self.size():
            raise AuditEntryNotFoundError(f"no disclosure-log entry {index}; see `setu audit list`")
        head = self._current_head(index + 1)
        with self._read() as conn:
            body = store.entry_body(conn, index)
            if body is None:
                raise AuditIntegrityError(
                    f"entry {index} is missing from the log; run `setu audit verify`", index=index
                )
            path = store.subtree_hashes(conn, merkle.inclusion_ranges(index, head.tree_size))
        try:
            merkle.verify_inclusion(
                merkle.leaf_hash(body), index, head.tree_size, path, head.root_hash
            )
        except AuditIntegrityError as exc:
            raise AuditIntegrityError(
                f"the stored log no longer matches its tree head at size {head.tree_size} "
                f"({exc}); run `setu audit verify`",
                index=index,
            ) from exc
        return inclusion_document(index, body, path, head)

    def head_at(self, tree_size: int) -> TreeHead:
        """The signed head at ``tree_size``, or :class:`TreeHeadNotFoundError`."""
        with self._read() as conn:
            head = store.head_at(conn, tree_size)
            if head is not None:
                return head
            below, above = store.nearest_head_sizes(conn, tree_size)
        near = ", ".join(str(s) for s in (below, above) if s is not None) or "none yet"
        raise TreeHeadNotFoundError(
            f"no signed tree head at size {tree_size}; nearest sizes: {near} "
            "(`setu audit head --all` lists them)"
        )

    def consistency(self, old_size: int, new_size: int | None = None) -> dict[str, Any]:
        """A consistency proof document between the signed heads at two sizes (new: latest)."""
        new = self._current_head(self.size()) if new_size is None else self.head_at(new_size)
        old = self.head_at(old_size)
        if not 0 < old.tree_size <= new.tree_size:
            raise ValidationError(
                f"a consistency proof goes from an older, non-empty head to a newer one; got "
                f"sizes {old.tree_size} → {new.tree_size}"
            )
        path: list[bytes] = []
        if old.tree_size < new.tree_size:
            with self._read() as conn:
                ranges = merkle.consistency_ranges(old.tree_size, new.tree_size)
                path = store.subtree_hashes(conn, ranges)
        try:
            merkle.verify_consistency(
                old.tree_size, new.tree_size, old.root_hash, new.root_hash, path
            )
        except AuditIntegrityError as exc:
            raise AuditIntegrityError(
                f"the stored log does not show head {new.tree_size} extending head "
                f"{old.tree_size} ({exc}); run `setu audit verify`"
            ) from exc
        return consistency_document(old, new, path)

    def verify(
        self,
        public_key: Ed25519PublicKey | None = None,
        *,
        progress: Callable[[int, int], None] | None = None,
    ) -> VerifyReport:
        """Recompute and check the whole log (see :func:`setu.security.audit_verify.verify_log`);
        ``public_key`` defaults to the signer's."""
        from setu.security.audit_verify import verify_log

        if public_key is None and self._signer is None:
            raise AuditSignerError(
                "no public key to check the signed tree heads with: pass the node's public key "
                "(`setu audit verify --key FILE`) or run it where the node identity is"
            )
        key = public_key or self._require_signer().public_key()
        return verify_log(self._db, key, progress=progress)


@dataclass(frozen=True)
class DecisionHook:
    """The gate's audit hook on a log (a :class:`~setu.security.gate.BatchAuditHook`): one
    record per call appends one entry; :meth:`many` appends a whole ``authorize`` call's
    records in one transaction (one commit, not one per label group)."""

    log: AuditLog

    def __call__(self, record: DecisionRecord, /) -> AuditReceipt:
        return self.log.append(decision_entry(record))

    def many(self, records: Sequence[DecisionRecord], /) -> list[AuditReceipt]:
        return self.log.append_many([decision_entry(r) for r in records])


def _entry_row(
    index: int, now: datetime, entry: AuditEntry, body: bytes, leaf: bytes
) -> dict[str, Any]:
    return {
        "leaf_index": index,
        "recorded_at": now,
        "kind": entry.kind.value,
        "principal": entry.principal,
        "body": body,
        "leaf_hash": leaf,
    }


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        index=int(row.leaf_index),
        recorded_at=row.recorded_at,
        leaf_hash=bytes(row.leaf_hash),
        record=json.loads(bytes(row.body)),
    )


__all__ = [
    "AuditEntry",
    "AuditLog",
    "AuditReceipt",
    "AuditRecord",
    "Decision",
    "DecisionHook",
    "EntryKind",
    "canonical_bytes",
    "decision_entry",
    "rfc3339",
]
