"""Adversarial tests of the disclosure log: someone with write access to the database drops the
append-only triggers and edits, deletes, inserts or reorders rows; ``verify`` must name what
broke (and the first bad index), and proof documents altered in transit must be refused.
Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from setu.db import Database, open_database
from setu.db.testing import SteppingClock
from setu.security import audit_store, merkle
from setu.security.audit import AuditEntry, AuditLog, Decision, EntryKind
from setu.security.audit_proof import verify_proof_document
from setu.security.audit_store import NODE_CACHE_MIN_LEVEL
from setu.security.errors import (
    AuditIntegrityError,
    ConsistencyProofError,
    InclusionProofError,
    ProofDocumentError,
    TreeHeadSignatureError,
)

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
SIZE = 600  # heads at 100, 200, ..., 600; stored subtree roots (8, 0), (8, 1), (9, 0)
TABLES = ("audit_entry", "audit_node", "audit_tree_head")


def entry(i: int, principal: str | None = None) -> AuditEntry:
    return AuditEntry(
        kind=EntryKind.DECISION,
        principal=principal or f"analyst-{i % 5}",
        action="release",
        object_ids=(f"event:{i}",),
        recipient="JPN",
        decision=Decision.ALLOW,
        purpose="MDA",
        rule="standing-release-unclassified",
    )


def build(db: Database, size: int = SIZE, first: int = 0) -> AuditLog:
    log = AuditLog(db, KEY, SteppingClock(T0), head_every_entries=100, head_every_s=86400)
    for start in range(first, first + size, 100):
        log.append_many(entry(i) for i in range(start, min(start + 100, first + size)))
    return log


@pytest.fixture
def log(db: Database) -> AuditLog:
    built = build(db)
    assert built.verify().tree_size == SIZE
    drop_guards(db)
    return built


def drop_guards(db: Database) -> None:
    """What an insider with the database owner's rights can do first."""
    with db.engine.begin() as conn:
        for table in TABLES:
            if db.dialect == "postgresql":
                conn.execute(text(f"DROP TRIGGER {table}_append_only ON {table}"))
                conn.execute(text(f"DROP TRIGGER {table}_no_truncate ON {table}"))
            else:
                conn.execute(text(f"DROP TRIGGER {table}_no_update"))
                conn.execute(text(f"DROP TRIGGER {table}_no_delete"))


def sql(db: Database, statement: str, **params: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(text(statement), params)


def body_of(db: Database, index: int) -> bytes:
    with db.engine.connect() as conn:
        query = select(audit_store.ENTRY.c.body).where(audit_store.ENTRY.c.leaf_index == index)
        return bytes(conn.execute(query).scalar_one())


def rewrite(db: Database, index: int, new_body: bytes) -> None:
    sql(
        db,
        "UPDATE audit_entry SET body = :b, leaf_hash = :h WHERE leaf_index = :i",
        b=new_body,
        h=merkle.leaf_hash(new_body),
        i=index,
    )


def forged(db: Database, index: int) -> bytes:
    """Entry ``index`` claiming another recipient: same index, time, kind and principal."""
    return body_of(db, index).replace(b'"recipient":"JPN"', b'"recipient":"USA"')


def failure(log: AuditLog) -> AuditIntegrityError:
    with pytest.raises(AuditIntegrityError) as caught:
        log.verify()
    return caught.value


# --- the stored log ----------------------------------------------------------------------------


def test_an_edited_entry_is_named(log: AuditLog) -> None:
    sql(log._db, "UPDATE audit_entry SET body = :b WHERE leaf_index = 137", b=forged(log._db, 137))
    error = failure(log)
    assert error.index == 137 and "entry 137 was edited" in str(error)
    with pytest.raises(AuditIntegrityError, match="no longer matches its tree head"):
        log.prove(137)  # the node never hands out a proof that does not hold


@pytest.mark.parametrize(
    ("index", "first", "named"),
    [
        (137, 100, "signed tree head at size 200: an entry in [100, 200)"),
        (505, 500, "entries [256, 512) no longer rebuild their stored subtree root: an entry in "
         "[500, 512)"),
        (570, 512, "signed tree head at size 600: an entry in [512, 600)"),
    ],
)  # fmt: skip
def test_an_entry_rewritten_with_its_leaf_hash_is_pinned_between_what_still_holds(
    log: AuditLog, index: int, first: int, named: str
) -> None:
    """Heads every 100 entries, stored roots of [0, 256), [256, 512) and [0, 512): the failure
    names the narrowest range that the signed heads and the stored roots leave open."""
    rewrite(log._db, index, forged(log._db, index))
    error = failure(log)
    assert error.index == first and named in str(error)


def test_a_rewrite_that_recomputes_every_hash_still_breaks_the_signature(log: AuditLog) -> None:
    db = log._db
    rewrite(db, 137, forged(db, 137))
    with db.engine.connect() as conn:
        query = select(audit_store.ENTRY.c.leaf_hash).order_by(audit_store.ENTRY.c.leaf_index)
        leaves = [bytes(h) for h in conn.execute(query).scalars()]
    frontier: merkle.Frontier = ()
    for size, leaf in enumerate(leaves):  # rebuild the stored roots and the frontier too
        frontier, completed = merkle.frontier_append(frontier, size, leaf)
        for level, node_index, digest in completed:
            if level >= NODE_CACHE_MIN_LEVEL:
                sql(
                    db,
                    "UPDATE audit_node SET node_hash = :h WHERE level = :l AND node_index = :n",
                    h=digest,
                    l=level,
                    n=node_index,
                )
    sql(db, "UPDATE audit_state SET frontier = :f", f=b"".join(frontier))
    error = failure(log)
    assert error.index == 100 and "signed tree head at size 200" in str(error)


@pytest.mark.parametrize("index", [0, 42, SIZE - 1])
def test_a_deleted_entry_is_named(log: AuditLog, index: int) -> None:
    sql(log._db, "DELETE FROM audit_entry WHERE leaf_index = :i", i=index)
    error = failure(log)
    assert error.index == index and f"entry {index} is missing" in str(error)


def test_swapped_entries_are_named(log: AuditLog) -> None:
    db = log._db
    a, b = body_of(db, 10), body_of(db, 11)
    sql(db, "UPDATE audit_entry SET leaf_index = -1 WHERE leaf_index = 10")
    sql(db, "UPDATE audit_entry SET leaf_index = 10 WHERE leaf_index = 11")
    sql(db, "UPDATE audit_entry SET leaf_index = 11 WHERE leaf_index = -1")
    assert (body_of(db, 10), body_of(db, 11)) == (b, a)
    error = failure(log)
    assert error.index == 10 and "entries were swapped or renumbered" in str(error)


@pytest.mark.parametrize("index", [SIZE, -1])
def test_an_entry_inserted_outside_the_log_is_named(log: AuditLog, index: int) -> None:
    body = body_of(log._db, 5).replace(b'"index":5,', b'"index":%d,' % index)
    sql(
        log._db,
        "INSERT INTO audit_entry (leaf_index, recorded_at, kind, principal, body, leaf_hash) "
        "SELECT :i, recorded_at, kind, principal, :b, :h FROM audit_entry WHERE leaf_index = 5",
        i=index,
        b=body,
        h=merkle.leaf_hash(body),
    )
    error = failure(log)
    assert error.index == index and "inserted directly" in str(error)


@pytest.mark.parametrize(
    ("column", "value"),
    [("principal", "someone-else"), ("kind", "disclosure"), ("recorded_at", T0 - timedelta(1))],
)
def test_a_listing_column_changed_to_hide_an_entry_is_named(
    log: AuditLog, column: str, value: Any
) -> None:
    if column == "recorded_at":
        stmt = audit_store.ENTRY.update().where(audit_store.ENTRY.c.leaf_index == 5)
        with log._db.engine.begin() as conn:
            conn.execute(stmt.values(recorded_at=value))
    else:
        sql(log._db, f"UPDATE audit_entry SET {column} = :v WHERE leaf_index = 5", v=value)
    error = failure(log)
    assert error.index == 5 and "listing columns" in str(error)


def test_an_edited_tree_head_fails_its_signature(log: AuditLog) -> None:
    sql(log._db, "UPDATE audit_tree_head SET root_hash = :r WHERE tree_size = 300", r=b"\0" * 32)
    with pytest.raises(TreeHeadSignatureError, match="size 300 does not verify"):
        log.verify()


def test_a_deleted_latest_head_is_noticed(log: AuditLog) -> None:
    sql(log._db, "DELETE FROM audit_tree_head WHERE tree_size = 600")
    assert "heads were deleted" in str(failure(log))


def test_a_head_signed_by_another_key_is_refused(log: AuditLog) -> None:
    with pytest.raises(TreeHeadSignatureError, match="not by the given key"):
        log.verify(Ed25519PrivateKey.generate().public_key())


@pytest.mark.parametrize("change", ["edit", "delete", "insert"])
def test_stored_subtree_roots_are_checked(log: AuditLog, change: str) -> None:
    statements = {
        "edit": "UPDATE audit_node SET node_hash = :z WHERE level = 8 AND node_index = 1",
        "delete": "DELETE FROM audit_node WHERE level = 8 AND node_index = 1",
        "insert": "INSERT INTO audit_node (level, node_index, node_hash) VALUES (8, 7, :z)",
    }
    sql(log._db, statements[change], z=b"\1" * 32)
    error = failure(log)
    expected = {
        "edit": (500, "[256, 512) no longer rebuild"),  # [0, 500) is vouched for by head 500
        "delete": (256, "[256, 512) is missing"),
        "insert": (None, "(8, 7) (level, index) is stored that a log of 600 entries does not"),
    }
    assert (error.index, expected[change][1] in str(error)) == (expected[change][0], True)


def test_an_altered_state_row_is_noticed(log: AuditLog) -> None:
    sql(log._db, "UPDATE audit_state SET frontier = :f", f=b"\2" * 128)  # 600: 4 set bits
    assert "state row does not match" in str(failure(log))
    sql(log._db, "UPDATE audit_state SET frontier = :f", f=b"\2" * 64)
    assert "does not fit a tree of 600 entries" in str(failure(log))
    sql(log._db, "DELETE FROM audit_state")
    assert "state row is missing" in str(failure(log))


# --- proof documents in transit ------------------------------------------------------------------


@pytest.fixture
def proof(db: Database) -> dict[str, Any]:
    return build(db, 300).prove(137)


def altered(doc: dict[str, Any], change: Any) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    change(out)
    return out


def test_an_altered_entry_in_a_proof_is_refused(proof: dict[str, Any]) -> None:
    entry_bytes = base64.b64decode(proof["entry"]).replace(b"JPN", b"USA")
    forged_entry = base64.b64encode(entry_bytes).decode()
    doc = altered(proof, lambda d: d.update(entry=forged_entry))
    with pytest.raises(ProofDocumentError, match="entry was altered"):
        verify_proof_document(doc, PEM)
    doc["leaf_hash"] = merkle.leaf_hash(entry_bytes).hex()  # made consistent: the path fails
    with pytest.raises(InclusionProofError, match="does not lead to the tree head"):
        verify_proof_document(doc, PEM)


def test_an_altered_path_or_head_in_a_proof_is_refused(proof: dict[str, Any]) -> None:
    def flip_path(d: dict[str, Any]) -> None:
        d["inclusion_path"][2] = "00" * 32

    with pytest.raises(InclusionProofError):
        verify_proof_document(altered(proof, flip_path), PEM)
    with pytest.raises(TreeHeadSignatureError):
        verify_proof_document(altered(proof, lambda d: d["tree_head"].update(tree_size=299)), PEM)
    with pytest.raises(InclusionProofError):
        verify_proof_document(altered(proof, lambda d: d.update(leaf_index=138)), PEM)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(format="other/1"),
        lambda d: d.update(hash_algorithm="sha1"),
        lambda d: d.pop("inclusion_path"),
        lambda d: d.update(entry="not base64!"),
        lambda d: d["tree_head"].update(signature="zz"),
        lambda d: d.update(leaf_index=-1),
    ],
)
def test_a_malformed_proof_document_is_refused(proof: dict[str, Any], change: Any) -> None:
    with pytest.raises(ProofDocumentError):
        verify_proof_document(json.dumps(altered(proof, change)), PEM)


def test_a_rewritten_history_fails_against_the_head_a_partner_kept(
    db: Database, tmp_path: Path
) -> None:
    """Equivocation: the node signs a second history. The partner holds the first head."""
    kept = build(db, 100).head_at(100).to_dict()
    forked_db = open_database(f"sqlite:///{tmp_path / 'fork.db'}")
    try:
        fork = AuditLog(forked_db, KEY, SteppingClock(T0), head_every_entries=100)
        fork.append_many([entry(0, principal="someone-else"), *(entry(i) for i in range(1, 100))])
        fork.append_many(entry(i) for i in range(100, 200))
        doc = fork.consistency(100, 200)
        verify_proof_document(doc, PEM)  # consistent with its own rewritten history...
        doc["old_tree_head"] = kept
        with pytest.raises(ConsistencyProofError, match="old root"):
            verify_proof_document(doc, PEM)  # ...but not with the head the partner kept
    finally:
        forked_db.dispose()
