"""The Merkle tree of RFC 9162 §2.1: tree hash, inclusion and consistency proofs.

Pure functions over leaf hashes; no database and no cryptography beyond :mod:`hashlib`. The
disclosure log (:mod:`setu.security.audit`) stores leaf hashes and the roots of large complete
subtrees and hands them to these functions.

Definitions (RFC 9162 §2.1.1, SHA-256 as in §4.1 and CT practice):

- the hash of an empty list is ``SHA-256()``;
- a leaf hash is ``SHA-256(0x00 ‖ entry)``;
- an interior node is ``SHA-256(0x01 ‖ left ‖ right)``;
- a list of ``n > 1`` leaves splits at ``k``, the largest power of two smaller than ``n``.

Two derived notions keep appends O(log n) and proofs cheap:

- the **frontier** (compact range) of a tree of size ``n``: the roots of its complete subtrees
  along the right edge, one per set bit of ``n``, largest first. Appending a leaf merges equal
  sized roots (like a binary counter increment); the tree hash is the frontier folded from the
  right (:func:`frontier_root`).
- a **perfect piece** ``(level, node_index)``: the complete subtree over leaves
  ``[node_index·2^level, (node_index+1)·2^level)``. Every subtree that a proof needs is a short
  run of such pieces (:func:`perfect_pieces`), so a store can answer from cached piece roots.

Proof verification follows the algorithms of §2.1.3.2 (inclusion) and §2.1.4.2 (consistency)
step by step; each failure raises its own error naming what did not hold.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from setu.security.errors import ConsistencyProofError, InclusionProofError

HASH_SIZE_BYTES = 32  # SHA-256 output (RFC 9162 §4.1: hash algorithm of the log)
_LEAF_PREFIX = b"\x00"  # RFC 9162 §2.1.1
_NODE_PREFIX = b"\x01"  # RFC 9162 §2.1.1

#: MTH({}) = HASH() (RFC 9162 §2.1.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

Range = tuple[int, int]  # leaves [start, end)
Piece = tuple[int, int]  # (level, node_index): a complete subtree of 2**level leaves


def leaf_hash(entry: bytes) -> bytes:
    """``SHA-256(0x00 ‖ entry)``: the hash of one log entry (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 ‖ left ‖ right)``: an interior node (RFC 9162 §2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """``k``, the largest power of two smaller than ``size`` (``size > 1``; RFC 9162 §2.1.1)."""
    if size < 2:
        raise ValueError(f"a tree of {size} leaves does not split")
    return 1 << ((size - 1).bit_length() - 1)


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of ``leaf_hashes`` (RFC 9162 §2.1.1).

    Computed level by level: pairing neighbours and carrying an odd last node up unchanged
    yields exactly the tree that splits at the largest power of two below ``n``.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    level = list(leaf_hashes)
    sha256 = hashlib.sha256
    while len(level) > 1:
        paired = [
            sha256(_NODE_PREFIX + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


# --- frontier (compact range) ------------------------------------------------------------------


Frontier = tuple[bytes, ...]
CompletedNode = tuple[int, int, bytes]  # (level, node_index, hash)


class CompactRange:
    """A frontier being extended in place: the rebuild loop of a whole log (verification)
    appends a million leaves, so it keeps one list instead of a new tuple per leaf.

    ``append`` reports the complete subtrees it closes at ``report_from_level`` and above.
    """

    __slots__ = ("_report_from_level", "size", "stack")

    def __init__(self, frontier: Frontier = (), size: int = 0, report_from_level: int = 1):
        if len(frontier) != size.bit_count():
            raise ValueError(f"a frontier of {len(frontier)} roots cannot hold {size} leaves")
        self.stack = list(frontier)
        self.size = size
        self._report_from_level = report_from_level

    def append(self, leaf: bytes) -> list[CompletedNode]:
        stack, size, sha256 = self.stack, self.size, hashlib.sha256
        node, level, completed = leaf, 0, []
        while (size >> level) & 1:
            node = sha256(_NODE_PREFIX + stack.pop() + node).digest()
            level += 1
            if level >= self._report_from_level:
                completed.append((level, ((size + 1) >> level) - 1, node))
        stack.append(node)
        self.size = size + 1
        return completed

    @property
    def frontier(self) -> Frontier:
        return tuple(self.stack)

    def root(self) -> bytes:
        return frontier_root(self.stack)


def frontier_append(
    frontier: Frontier, size: int, leaf: bytes
) -> tuple[Frontier, list[CompletedNode]]:
    """Append ``leaf`` to a tree of ``size`` leaves whose frontier is ``frontier``.

    Returns the new frontier and the complete subtrees (level ≥ 1) that the append closed,
    as ``(level, node_index, hash)``. Costs one hash per trailing set bit of ``size``.
    """
    grown = CompactRange(frontier, size)
    completed = grown.append(leaf)
    return grown.frontier, completed


def frontier_root(frontier: Sequence[bytes]) -> bytes:
    """The tree hash from a frontier: its roots folded from the right."""
    if not frontier:
        return EMPTY_ROOT
    acc = frontier[-1]
    for left in reversed(frontier[:-1]):
        acc = node_hash(left, acc)
    return acc


def frontier_pieces(size: int) -> list[Piece]:
    """The pieces a frontier of ``size`` holds, largest first (one per set bit of ``size``)."""
    return perfect_pieces(0, size)


# --- proofs: which subtrees they consist of ------------------------------------------------------


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees of PATH(index, D[size]) (RFC 9162 §2.1.3.1), nearest the leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    out: list[Range] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = split_point(end - start)
        if m < k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m = start + k, m - k
    out.reverse()
    return out


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The subtrees of PROOF(old_size, D[new_size]) (RFC 9162 §2.1.4.1), in proof order."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to size {new_size}")
    out: list[Range] = []
    start, end, m, whole = 0, new_size, old_size, True
    while m != end - start:  # SUBPROOF(m, D[start:end], whole)
        k = split_point(end - start)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m, whole = start + k, m - k, False
    if not whole:  # SUBPROOF(m, D[m], false) = {MTH(D[m])}
        out.append((start, end))
    out.reverse()
    return out


def perfect_pieces(start: int, end: int) -> list[Piece]:
    """The complete subtrees that make up the subtree over leaves ``[start, end)``, largest first.

    ``start`` must be aligned as every subtree of an RFC 9162 tree is: a multiple of the largest
    power of two not above ``end - start``.
    """
    if not 0 <= start < end:
        raise ValueError(f"[{start}, {end}) is not a non-empty range of leaves")
    pieces: list[Piece] = []
    while start < end:
        level = (end - start).bit_length() - 1
        width = 1 << level
        if start % width:
            raise ValueError(f"[{start}, {end}) is not a subtree of an RFC 9162 tree")
        pieces.append((level, start >> level))
        start += width
    return pieces


def fold_pieces(piece_hashes: Sequence[bytes]) -> bytes:
    """The root of a subtree from its perfect pieces' roots (largest first)."""
    return frontier_root(tuple(piece_hashes))


def piece_range(piece: Piece) -> Range:
    """The leaves ``[start, end)`` under a perfect piece."""
    level, node_index = piece
    return node_index << level, (node_index + 1) << level


# --- proofs from an in-memory list of leaf hashes ------------------------------------------------

SubtreeHash = Callable[[int, int], bytes]


def subtree_hasher(leaf_hashes: Sequence[bytes]) -> SubtreeHash:
    """MTH(D[start:end]) over an in-memory list of leaf hashes."""
    return lambda start, end: root(leaf_hashes[start:end])


def inclusion_proof(index: int, size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The inclusion path of leaf ``index`` in the first ``size`` of ``leaf_hashes``."""
    subtree = subtree_hasher(leaf_hashes)
    return [subtree(a, b) for a, b in inclusion_ranges(index, size)]


def consistency_proof(old_size: int, new_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """The consistency path between the first ``old_size`` and ``new_size`` leaf hashes."""
    subtree = subtree_hasher(leaf_hashes)
    return [subtree(a, b) for a, b in consistency_ranges(old_size, new_size)]


# --- verification (RFC 9162 §2.1.3.2 and §2.1.4.2) --------------------------------------------


def _shift_until_lsb_set_or_zero(fn: int, sn: int) -> tuple[int, int]:
    while not fn & 1 and fn != 0:
        fn, sn = fn >> 1, sn >> 1
    return fn, sn


def verify_inclusion(
    leaf: bytes, index: int, size: int, path: Sequence[bytes], expected_root: bytes
) -> None:
    """Check that ``leaf`` is entry ``index`` of the tree of ``size`` with ``expected_root``.

    Raises :class:`InclusionProofError` saying which step failed (RFC 9162 §2.1.3.2).
    """
    if not 0 <= index < size:  # step 1
        raise InclusionProofError(f"leaf index {index} is outside a tree of {size} entries")
    fn, sn, r = index, size - 1, leaf  # steps 2-3
    for p in path:  # step 4
        if sn == 0:  # 4a
            raise InclusionProofError("the inclusion path is longer than the tree is deep")
        if fn & 1 or fn == sn:  # 4b
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_until_lsb_set_or_zero(fn, sn)
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1  # 4c
    if sn != 0:  # step 5
        raise InclusionProofError("the inclusion path is shorter than the tree is deep")
    if r != expected_root:
        raise InclusionProofError(
            f"entry {index} does not lead to the tree head's root at size {size}: the entry, "
            "the path or the tree head was altered"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` extends the tree of ``old_size`` (append only).

    Raises :class:`ConsistencyProofError` saying which step failed (RFC 9162 §2.1.4.2).
    """
    if not 0 < old_size <= new_size:
        raise ConsistencyProofError(
            f"sizes {old_size} → {new_size}: a consistency proof needs 0 < old size ≤ new size"
        )
    if old_size == new_size:  # PROOF(m, D[m]) is empty: the heads must agree
        if path or old_root != new_root:
            raise ConsistencyProofError(f"two different roots claim the same size {old_size}")
        return
    if not path:  # step 1
        raise ConsistencyProofError("the consistency path is empty")
    nodes = list(path)
    if old_size & (old_size - 1) == 0:  # step 2: first is an exact power of two
        nodes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1  # step 3
    while fn & 1:  # step 4
        fn, sn = fn >> 1, sn >> 1
    fr = sr = nodes[0]  # step 5
    for c in nodes[1:]:  # step 6
        if sn == 0:  # 6a
            raise ConsistencyProofError("the consistency path is longer than the tree is deep")
        if fn & 1 or fn == sn:  # 6b
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_until_lsb_set_or_zero(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1  # 6c
    if sn != 0:  # step 7
        raise ConsistencyProofError("the consistency path is shorter than the tree is deep")
    if fr != old_root:
        raise ConsistencyProofError(
            f"the proof does not rebuild the old root at size {old_size}: the log was rewritten "
            "before that size, or the old tree head is not this log's"
        )
    if sr != new_root:
        raise ConsistencyProofError(
            f"the proof does not rebuild the new root at size {new_size}: the log or the new "
            "tree head was altered"
        )


__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE_BYTES",
    "CompactRange",
    "CompletedNode",
    "Frontier",
    "Piece",
    "Range",
    "consistency_proof",
    "consistency_ranges",
    "fold_pieces",
    "frontier_append",
    "frontier_pieces",
    "frontier_root",
    "inclusion_proof",
    "inclusion_ranges",
    "leaf_hash",
    "node_hash",
    "perfect_pieces",
    "piece_range",
    "root",
    "split_point",
    "subtree_hasher",
    "verify_consistency",
    "verify_inclusion",
]
