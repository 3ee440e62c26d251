"""Full verification of the disclosure log: recompute everything, name the first bad entry.

:func:`verify_log` trusts nothing it reads. In one pass over the entries, in index order:

1. every index from 0 to the recorded size is present once (a gap is a deleted entry);
2. every entry's bytes hash to its stored leaf hash (an edited entry), name the entry's own
   index (entries swapped or renumbered) and agree with the columns listings filter on (an
   entry hidden from ``setu audit list``);
3. the tree is rebuilt with the frontier (:class:`setu.security.merkle.CompactRange`): every
   stored subtree root must equal the recomputed one (an entry rewritten together with its leaf
   hash is pinned to its 256-entry subtree), and at each signed tree head's size the root must
   equal the signed root;

and around it: every tree head's Ed25519 signature with the given key, head times that never go
back, consecutive heads linked by a consistency proof built from the store (RFC 9162 §2.1.4),
the state row's frontier equal to the rebuilt one, and no entry, subtree root or head beyond the
recorded size (inserted outside the log). The first failure raises
:class:`~setu.security.errors.AuditIntegrityError` (or a child) with ``index`` set when it is
tied to an entry.

The pass reads the entries in pages, each in its own short read, so appends can go on while a
large log is checked; entries appended meanwhile are checked by the next run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from itertools import pairwise
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, or_, select

from setu.db import Database
from setu.security import audit_store as store
from setu.security import merkle
from setu.security.audit import canonical_bytes, rfc3339
from setu.security.audit_proof import TreeHead
from setu.security.errors import AuditIntegrityError, ConsistencyProofError

PAGE_ENTRIES = 5000
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class VerifyReport:
    """What a successful verification covered."""

    tree_size: int
    root_hash: bytes
    heads_checked: int
    latest_head: TreeHead | None

    @property
    def unsigned_entries(self) -> int:
        """Entries after the latest signed head: checked, but not yet covered by a signature."""
        return self.tree_size - (self.latest_head.tree_size if self.latest_head else 0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": True,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash.hex(),
            "heads_checked": self.heads_checked,
            "latest_head": None if self.latest_head is None else self.latest_head.to_dict(),
            "unsigned_entries": self.unsigned_entries,
        }


def verify_log(
    db: Database,
    public_key: Ed25519PublicKey,
    *,
    progress: Progress | None = None,
    page_entries: int = PAGE_ENTRIES,
) -> VerifyReport:
    """Recompute and check the whole log in ``db``; raise on the first failure."""
    with store.reading(db) as conn:
        heads = store.heads(conn)  # heads first: a head is committed with the state it signs
        state = store.read_state(conn)
    _check_heads(heads, state, public_key)
    scan = _Scan(heads)
    for start in range(0, state.tree_size, page_entries):
        end = min(start + page_entries, state.tree_size)
        with store.reading(db) as conn:
            rows = store.entry_page(conn, start, end, page_entries)
            nodes = store.nodes_completed_in(conn, start, end)
        scan.page(rows, end, nodes)
        if progress is not None:
            progress(end, state.tree_size)
    if scan.frontier != state.frontier:
        raise AuditIntegrityError(
            f"the log's state row does not match its {state.tree_size} entries: the state row "
            "was altered; appends would build on a false tree"
        )
    _check_nothing_beyond(db)
    _check_consistency(db, heads)
    return VerifyReport(
        tree_size=state.tree_size,
        root_hash=merkle.frontier_root(scan.frontier),
        heads_checked=len(heads),
        latest_head=heads[-1] if heads else None,
    )


def _check_heads(heads: Sequence[TreeHead], state: store.LogState, key: Ed25519PublicKey) -> None:
    previous: TreeHead | None = None
    for head in heads:
        head.verify(key)
        if head.tree_size > state.tree_size:
            raise AuditIntegrityError(
                f"a tree head is signed at size {head.tree_size} but the log records only "
                f"{state.tree_size} entries: entries were removed",
                index=state.tree_size,
            )
        if previous is not None and head.timestamp_ms < previous.timestamp_ms:
            raise AuditIntegrityError(
                f"the tree head at size {head.tree_size} is dated before the head at size "
                f"{previous.tree_size}: heads were re-signed or the signing clock was wrong"
            )
        if head.tree_size == 0 and head.root_hash != merkle.EMPTY_ROOT:
            raise AuditIntegrityError("the tree head at size 0 does not sign the empty root")
        previous = head
    latest = heads[-1].tree_size if heads else 0
    if state.head_size != latest:
        raise AuditIntegrityError(
            f"the log's state records a head at size {state.head_size}, but the latest stored "
            f"head is at size {latest}: signed tree heads were deleted"
        )


class _Scan:
    """The running rebuild: next expected index, frontier, next head to compare, and the
    prefix of entries already vouched for by a signed head or a stored subtree root (so a
    failure names the narrowest range it can)."""

    def __init__(self, heads: Sequence[TreeHead]) -> None:
        self.tree = merkle.CompactRange(report_from_level=store.NODE_CACHE_MIN_LEVEL)
        self._heads = [h for h in heads if h.tree_size > 0]
        self._next_size = self._heads[0].tree_size if self._heads else -1
        self._next_head = 0
        self._good_prefix = 0

    @property
    def size(self) -> int:
        return self.tree.size

    @property
    def frontier(self) -> merkle.Frontier:
        return self.tree.frontier

    def page(
        self, rows: Sequence[store.EntryTuple], end: int, nodes: dict[merkle.Piece, bytes]
    ) -> None:
        tree = self.tree
        for row in rows:
            for level, node_index, digest in tree.append(_checked_leaf(row, tree.size)):
                self._check_node(nodes.get((level, node_index)), (level, node_index), digest)
            if tree.size == self._next_size:
                self._check_head()
        if self.size != end:
            raise AuditIntegrityError(
                f"entry {self.size} is missing: deleted, or the entries after it renumbered",
                index=self.size,
            )

    def _check_head(self) -> None:
        head = self._heads[self._next_head]
        if self.tree.root() != head.root_hash:
            raise AuditIntegrityError(
                f"the entries no longer rebuild the signed tree head at size {head.tree_size}: "
                f"an entry in [{self._good_prefix}, {head.tree_size}) was rewritten together "
                "with its leaf hash",
                index=self._good_prefix,
            )
        self._good_prefix = head.tree_size
        self._next_head += 1
        following = self._heads[self._next_head : self._next_head + 1]
        self._next_size = following[0].tree_size if following else -1

    def _check_node(self, stored: bytes | None, piece: merkle.Piece, digest: bytes) -> None:
        start, end = merkle.piece_range(piece)
        if stored is None:
            raise AuditIntegrityError(
                f"the stored root of the subtree over entries [{start}, {end}) is missing: it "
                "was deleted; proofs through it would fail",
                index=start,
            )
        if stored != digest:
            first = max(start, self._good_prefix)
            raise AuditIntegrityError(
                f"the entries [{start}, {end}) no longer rebuild their stored subtree root: an "
                f"entry in [{first}, {end}) was rewritten together with its leaf hash, or the "
                "stored root was",
                index=first,
            )
        if start <= self._good_prefix:
            self._good_prefix = max(self._good_prefix, end)


def _checked_leaf(row: store.EntryTuple, expected: int) -> bytes:
    index, recorded_at, kind, principal, body, stored_leaf = row
    if index != expected:
        raise AuditIntegrityError(
            f"entry {expected} is missing: deleted, or the entries after it renumbered",
            index=expected,
        )
    body = bytes(body)  # PostgreSQL hands back memoryview
    leaf = merkle.leaf_hash(body)
    if leaf != stored_leaf:
        raise AuditIntegrityError(
            f"entry {index} was edited: its bytes no longer hash to its leaf hash", index=index
        )
    if not _has_member(body, b'"index":%d' % index):
        raise AuditIntegrityError(
            f"entry {index} does not record itself as entry {index}: entries were swapped or "
            "renumbered",
            index=index,
        )
    listed_ok = (
        _has_member(body, _time_member(recorded_at))
        and _has_member(body, _member("kind", kind))
        and _has_member(body, _member("principal", principal))
    )
    if not listed_ok:
        raise AuditIntegrityError(
            f"entry {index}'s listing columns (time, kind, principal) disagree with its record: "
            "edited so that listings would hide or misattribute it",
            index=index,
        )
    return leaf


@lru_cache(maxsize=1)  # entries appended together share their time
def _time_member(recorded_at: datetime) -> bytes:
    utc = recorded_at if recorded_at.tzinfo else recorded_at.replace(tzinfo=UTC)  # SQLite: UTC
    return b'"time":"%s"' % rfc3339(utc).encode("ascii")


@lru_cache(maxsize=4096)
def _member(key: str, value: str) -> bytes:
    """``"key":value`` as the canonical record writes it (kinds and principals repeat)."""
    return canonical_bytes({key: value})[1:-1]


def _has_member(body: bytes, member: bytes) -> bool:
    """Whether the canonical record ``body`` has the top-level ``member`` (``"key":value``).

    Inside a JSON string every quote is escaped, so an unescaped ``"key":value`` followed by
    ``,`` or ``}`` only occurs as a member of the record itself: a byte search checks it without
    decoding the record (the leaf hash has already vouched for the bytes).
    """
    return member + b"," in body or body.endswith(member + b"}")


def _check_nothing_beyond(db: Database) -> None:
    """Under the appenders' lock (a consistent view on both backends): nothing past the end."""
    with store.writing(db) as conn:
        state = store.lock_state(conn)
        size = state.tree_size
        stray_entry = conn.execute(
            select(func.min(store.ENTRY.c.leaf_index)).where(
                or_(store.ENTRY.c.leaf_index >= size, store.ENTRY.c.leaf_index < 0)
            )
        ).scalar()
        stray_node = store.stray_node(conn, size)
        stray_head = conn.execute(
            select(func.min(store.HEAD.c.tree_size)).where(store.HEAD.c.tree_size > size)
        ).scalar()
    if stray_entry is not None:
        raise AuditIntegrityError(
            f"entry {stray_entry} lies outside the log's {size} entries: it was inserted "
            "directly into the table, not appended",
            index=int(stray_entry),
        )
    if stray_node is not None:
        raise AuditIntegrityError(
            f"a subtree root {stray_node} (level, index) is stored that a log of {size} entries "
            "does not have: it was inserted directly into the table"
        )
    if stray_head is not None:
        raise AuditIntegrityError(
            f"a tree head at size {stray_head} is stored beyond the log's {size} entries"
        )


def _check_consistency(db: Database, heads: Sequence[TreeHead]) -> None:
    """Each head extends the one before it, by a proof built from the store (RFC 9162 §2.1.4)."""
    signed = [h for h in heads if h.tree_size > 0]
    with store.reading(db) as conn:
        for old, new in pairwise(signed):
            ranges = merkle.consistency_ranges(old.tree_size, new.tree_size)
            path = store.subtree_hashes(conn, ranges)
            try:
                merkle.verify_consistency(
                    old.tree_size, new.tree_size, old.root_hash, new.root_hash, path
                )
            except ConsistencyProofError as exc:
                raise ConsistencyProofError(
                    f"the tree head at size {new.tree_size} does not extend the head at size "
                    f"{old.tree_size}: {exc}",
                    index=old.tree_size,
                ) from exc


__all__ = ["PAGE_ENTRIES", "VerifyReport", "verify_log"]
