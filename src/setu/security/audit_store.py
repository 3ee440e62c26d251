"""Table access of the disclosure log: the state row and its lock, rows in, subtrees out.

Used by :mod:`setu.security.audit` (appends, proofs) and :mod:`setu.security.audit_verify`
(full verification). Statements are SQLAlchemy Core on the tables of
:mod:`setu.security.models_audit` and run on a connection the caller holds (:func:`reading`,
:func:`writing`), so the caller decides the transaction.

Subtree hashes for proofs come from the stored roots of complete subtrees of at least
``2**NODE_CACHE_MIN_LEVEL`` entries plus the leaf hashes of the few smaller pieces: a proof reads
at most about ``2·2**NODE_CACHE_MIN_LEVEL`` leaf hashes and ``2·log2(n)`` node rows, whatever the
log's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    DateTime,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import SQLAlchemyError

from setu.db import Database
from setu.db.engine import WRITE_OPTION
from setu.db.translate import translate
from setu.errors import StoreError
from setu.security import merkle
from setu.security.audit_proof import TreeHead
from setu.security.errors import AuditIntegrityError
from setu.security.models_audit import AuditEntryRow, AuditNodeRow, AuditStateRow, AuditTreeHeadRow

ENTRY = cast(Table, AuditEntryRow.__table__)
NODE = cast(Table, AuditNodeRow.__table__)
HEAD = cast(Table, AuditTreeHeadRow.__table__)
STATE = cast(Table, AuditStateRow.__table__)

#: Complete subtrees of 2**8 = 256 entries and more have their root stored: one node row per
#: 128 entries on average, and a proof reads at most ~2·255 leaf hashes besides them.
NODE_CACHE_MIN_LEVEL = 8
_MAX_LEVEL = 63  # indexes are signed 64-bit in the database

Executor = Connection


@dataclass(frozen=True)
class LogState:
    """The state row: size, frontier (right-edge subtree roots) and the last head's size/time."""

    tree_size: int
    frontier: merkle.Frontier
    head_size: int
    head_timestamp_ms: int

    def root(self) -> bytes:
        return merkle.frontier_root(self.frontier)


@contextmanager
def reading(db: Database) -> Iterator[Connection]:
    """A connection for reading the log; database errors become :class:`StoreError`."""
    try:
        with db.engine.connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise StoreError(
            f"reading the disclosure log in {db.url} failed: {first}; check that the database "
            "is reachable and its schema is current (any setu command upgrades it)"
        ) from exc


@contextmanager
def writing(db: Database) -> Iterator[Connection]:
    """One write transaction (SQLite: ``BEGIN IMMEDIATE``, as every setu writer); database
    errors become setu errors (:func:`setu.db.translate.translate`)."""
    try:
        with db.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn
    except SQLAlchemyError as exc:
        raise translate(exc, db.url, doing="the disclosure-log change") from exc


def _decode_frontier(blob: bytes, tree_size: int) -> merkle.Frontier:
    width = merkle.HASH_SIZE_BYTES
    frontier = tuple(bytes(blob[i : i + width]) for i in range(0, len(blob), width))
    if len(blob) % width or len(frontier) != tree_size.bit_count():
        raise AuditIntegrityError(
            f"the log's state row holds a frontier of {len(blob)} bytes, which does not fit a "
            f"tree of {tree_size} entries: the state row was altered; run `setu audit verify`"
        )
    return frontier


def _state_from_row(row: Row[Any] | None) -> LogState:
    if row is None:
        raise AuditIntegrityError(
            "the disclosure log's state row is missing: it was deleted; run `setu audit verify` "
            "and restore the database from a backup"
        )
    return LogState(
        tree_size=int(row.tree_size),
        frontier=_decode_frontier(bytes(row.frontier), int(row.tree_size)),
        head_size=int(row.head_size),
        head_timestamp_ms=int(row.head_timestamp_ms),
    )


# Statements built once: an append runs the same four or five every time.
_LOCK = update(STATE).where(STATE.c.id == 1).values(tree_size=STATE.c.tree_size).returning(*STATE.c)
_WRITE_STATE = (
    update(STATE)
    .where(STATE.c.id == 1)
    .values(
        tree_size=bindparam("new_size"),
        frontier=bindparam("new_frontier"),
        head_size=bindparam("new_head_size"),
        head_timestamp_ms=bindparam("new_head_ms"),
    )
)
_INSERT_ENTRY = insert(ENTRY)
_INSERT_NODE = insert(NODE)
_INSERT_HEAD = insert(HEAD)


def lock_state(conn: Connection) -> LogState:
    """Take the appenders' lock (a write to the state row) and read the state under it, in one
    statement: SQLite's write lock (already held after ``BEGIN IMMEDIATE``), PostgreSQL's row
    lock; either way the row returned is what the previous holder committed."""
    return _state_from_row(conn.execute(_LOCK).first())


def read_state(executor: Executor) -> LogState:
    return _state_from_row(executor.execute(select(STATE).where(STATE.c.id == 1)).first())


def write_state(conn: Connection, state: LogState) -> None:
    conn.execute(
        _WRITE_STATE,
        {
            "new_size": state.tree_size,
            "new_frontier": b"".join(state.frontier),
            "new_head_size": state.head_size,
            "new_head_ms": state.head_timestamp_ms,
        },
    )


def insert_rows(
    conn: Connection, entries: list[dict[str, Any]], nodes: list[dict[str, Any]]
) -> None:
    if entries:
        conn.execute(_INSERT_ENTRY, entries)
    if nodes:
        conn.execute(_INSERT_NODE, nodes)


def insert_head(conn: Connection, head: TreeHead) -> None:
    conn.execute(
        _INSERT_HEAD,
        {
            "tree_size": head.tree_size,
            "timestamp_ms": head.timestamp_ms,
            "root_hash": head.root_hash,
            "key_id": head.key_id,
            "signature": head.signature,
        },
    )


def _head(row: Row[Any]) -> TreeHead:
    return TreeHead(
        tree_size=int(row.tree_size),
        timestamp_ms=int(row.timestamp_ms),
        root_hash=bytes(row.root_hash),
        key_id=bytes(row.key_id),
        signature=bytes(row.signature),
    )


def heads(executor: Executor) -> list[TreeHead]:
    """Every signed tree head, smallest size first."""
    return [_head(r) for r in executor.execute(select(HEAD).order_by(HEAD.c.tree_size))]


def head_at(executor: Executor, tree_size: int) -> TreeHead | None:
    row = executor.execute(select(HEAD).where(HEAD.c.tree_size == tree_size)).first()
    return None if row is None else _head(row)


def latest_head(executor: Executor) -> TreeHead | None:
    row = executor.execute(select(HEAD).order_by(HEAD.c.tree_size.desc()).limit(1)).first()
    return None if row is None else _head(row)


def nearest_head_sizes(executor: Executor, tree_size: int) -> tuple[int | None, int | None]:
    """The sizes of the signed heads just below and just above ``tree_size``."""
    below = executor.execute(
        select(func.max(HEAD.c.tree_size)).where(HEAD.c.tree_size < tree_size)
    ).scalar()
    above = executor.execute(
        select(func.min(HEAD.c.tree_size)).where(HEAD.c.tree_size > tree_size)
    ).scalar()
    return below, above


def entry_body(executor: Executor, index: int) -> bytes | None:
    body = executor.execute(select(ENTRY.c.body).where(ENTRY.c.leaf_index == index)).scalar()
    return None if body is None else bytes(body)


EntryTuple = tuple[int, datetime, str, str, bytes, bytes]


def entry_page(executor: Executor, start: int, end: int, limit: int) -> Sequence[EntryTuple]:
    """``(index, recorded_at, kind, principal, body, leaf_hash)`` of the entries with ``start
    <= index < end`` in index order, at most ``limit``. ``recorded_at`` is read as a plain
    datetime (naive UTC on SQLite): verification formats it once per distinct time."""
    query = (
        select(
            ENTRY.c.leaf_index,
            type_coerce(ENTRY.c.recorded_at, DateTime(timezone=True)),
            ENTRY.c.kind,
            ENTRY.c.principal,
            ENTRY.c.body,
            ENTRY.c.leaf_hash,
        )
        .where(ENTRY.c.leaf_index >= start, ENTRY.c.leaf_index < end)
        .order_by(ENTRY.c.leaf_index)
        .limit(limit)
    )
    return cast(Sequence[EntryTuple], executor.execute(query).all())


def nodes_completed_in(executor: Executor, start: int, end: int) -> dict[merkle.Piece, bytes]:
    """Stored roots of the subtrees whose last leaf lies in ``[start, end)``."""
    clauses = []
    for level in range(NODE_CACHE_MIN_LEVEL, min(end.bit_length(), _MAX_LEVEL) + 1):
        first = -(-(start + 1) >> level) - 1  # ceil((start + 1) / 2**level) - 1
        last = (end >> level) - 1
        if first <= last:
            clauses.append(and_(NODE.c.level == level, NODE.c.node_index.between(first, last)))
    if not clauses:
        return {}
    rows = executor.execute(select(NODE).where(or_(*clauses)))
    return {(int(r.level), int(r.node_index)): bytes(r.node_hash) for r in rows}


def stray_node(executor: Executor, tree_size: int) -> tuple[int, int] | None:
    """A stored node that no tree of ``tree_size`` entries has (too small or beyond the end)."""
    beyond = [
        and_(NODE.c.level == level, NODE.c.node_index >= (tree_size >> level))
        for level in range(NODE_CACHE_MIN_LEVEL, _MAX_LEVEL + 1)
    ]
    condition = or_(NODE.c.level < NODE_CACHE_MIN_LEVEL, NODE.c.level > _MAX_LEVEL, *beyond)
    row = executor.execute(select(NODE.c.level, NODE.c.node_index).where(condition)).first()
    return None if row is None else (int(row.level), int(row.node_index))


def _merge(spans: Iterable[merkle.Range]) -> list[merkle.Range]:
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def subtree_hashes(executor: Executor, ranges: Sequence[merkle.Range]) -> list[bytes]:
    """MTH(D[start:end]) for each range, from stored subtree roots and leaf hashes."""
    pieces_of = [merkle.perfect_pieces(start, end) for start, end in ranges]
    wanted = {p for pieces in pieces_of for p in pieces}
    cached = sorted(p for p in wanted if p[0] >= NODE_CACHE_MIN_LEVEL)
    spans = _merge(merkle.piece_range(p) for p in wanted if p[0] < NODE_CACHE_MIN_LEVEL)
    nodes: dict[merkle.Piece, bytes] = {}
    if cached:
        rows = executor.execute(
            select(NODE).where(tuple_(NODE.c.level, NODE.c.node_index).in_(cached))
        )
        nodes = {(int(r.level), int(r.node_index)): bytes(r.node_hash) for r in rows}
    leaves: dict[int, bytes] = {}
    if spans:
        rows = executor.execute(
            select(ENTRY.c.leaf_index, ENTRY.c.leaf_hash).where(
                or_(*(ENTRY.c.leaf_index.between(a, b - 1) for a, b in spans))
            )
        )
        leaves = {int(r.leaf_index): bytes(r.leaf_hash) for r in rows}

    def piece_hash(piece: merkle.Piece) -> bytes:
        if piece[0] >= NODE_CACHE_MIN_LEVEL:
            if piece not in nodes:
                raise AuditIntegrityError(
                    f"the stored root of subtree {piece} is missing; run `setu audit verify`",
                    index=merkle.piece_range(piece)[0],
                )
            return nodes[piece]
        start, end = merkle.piece_range(piece)
        missing = next((i for i in range(start, end) if i not in leaves), None)
        if missing is not None:
            raise AuditIntegrityError(
                f"entry {missing} is missing from the log; run `setu audit verify`", index=missing
            )
        return merkle.root([leaves[i] for i in range(start, end)])

    return [merkle.fold_pieces([piece_hash(p) for p in pieces]) for pieces in pieces_of]


__all__ = [
    "ENTRY",
    "HEAD",
    "NODE",
    "NODE_CACHE_MIN_LEVEL",
    "STATE",
    "LogState",
    "entry_body",
    "entry_page",
    "head_at",
    "heads",
    "insert_head",
    "insert_rows",
    "latest_head",
    "lock_state",
    "nearest_head_sizes",
    "nodes_completed_in",
    "read_state",
    "reading",
    "stray_node",
    "subtree_hashes",
    "write_state",
    "writing",
]
