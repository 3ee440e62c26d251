"""The disclosure log in the operational database (SQLite and PostgreSQL): appends, signed tree
heads, proofs an outsider checks with the public key only, restarts, listings, the gate's hook
and concurrent appends from two processes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, text

from setu.db import Database, open_database
from setu.db.testing import SteppingClock
from setu.errors import ValidationError
from setu.security import audit_store, merkle
from setu.security.audit import (
    AuditEntry,
    AuditLog,
    Decision,
    EntryKind,
    canonical_bytes,
)
from setu.security.audit_proof import (
    VerifiedConsistency,
    VerifiedInclusion,
    key_id,
    verify_proof_document,
)
from setu.security.errors import (
    AuditEntryNotFoundError,
    AuditSignerError,
    InvalidAuditEntryError,
    TreeHeadNotFoundError,
    TreeHeadSignatureError,
)

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PEM = KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


def entry(i: int = 0, **changes: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "kind": EntryKind.DECISION,
        "principal": f"analyst-{i % 3}",
        "action": "read",
        "object_ids": (f"track:{i}",),
        "decision": Decision.ALLOW if i % 4 else Decision.DENY,
        "purpose": "MDA",
        "rule": "permit-read-need-to-know",
        "policy_hash": "ab" * 32,
        "reason": "clearance and need-to-know",
    }
    fields.update(changes)
    return AuditEntry(**fields)


@pytest.fixture
def clock() -> SteppingClock:
    return SteppingClock(T0)


@pytest.fixture
def log(db: Database, clock: SteppingClock) -> AuditLog:
    return AuditLog(db, KEY, clock, head_every_entries=100, head_every_s=3600)


def leaf_hashes(conn: Any) -> list[bytes]:
    query = select(audit_store.ENTRY.c.leaf_hash).order_by(audit_store.ENTRY.c.leaf_index)
    return [bytes(h) for h in conn.execute(query).scalars()]


def fill(log: AuditLog, n: int, start: int = 0) -> None:
    log.append_many(entry(i) for i in range(start, start + n))


# --- entries -------------------------------------------------------------------------------------


def test_entries_get_consecutive_indexes_and_the_hash_of_their_bytes(log: AuditLog) -> None:
    first = log.append(entry(0))
    rest = log.append_many([entry(1), entry(2)])
    assert [r.index for r in [first, *rest]] == [0, 1, 2]
    stored = log.get(1)
    assert stored.record["index"] == 1 and stored.record["object_ids"] == ["track:1"]
    assert rest[0].leaf_hash == merkle.leaf_hash(canonical_bytes(stored.record))
    assert log.append_many([]) == []
    assert log.size() == 3


def test_an_entry_is_canonical_json_with_its_index_and_the_log_time(log: AuditLog) -> None:
    log.append(
        entry(principal="田中", object_ids=("b", "a", "b"), details={"z": 1, "a": [True, None]})
    )
    with log._db.engine.connect() as conn:  # the stored bytes themselves
        body = conn.execute(select(audit_store.ENTRY.c.body)).scalar_one()
    record = json.loads(body)
    canonical = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert body == canonical.encode()
    assert "田中".encode() in body  # UTF-8, not \\u escapes
    assert record["time"] == "2026-03-01T06:00:00.000000Z"
    assert record["object_ids"] == ["a", "b"]  # a set of objects: sorted, no duplicates
    assert record["details"] == {"a": [True, None], "z": 1}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "gossip"}, "kind"),
        ({"decision": None}, "decision entry needs"),
        ({"decision": "maybe"}, "decision"),
        ({"principal": " "}, "principal is required"),
        ({"object_ids": "track:1"}, "not one string"),
        ({"details": {"speed": 1.5}}, "float"),
        ({"details": {1: "x"}}, "not text"),
        ({"reason": "x" * 2001}, "at most 2000"),
    ],
)
def test_malformed_entries_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidAuditEntryError, match=message):
        entry(**changes)


def test_every_kind_fits_its_column() -> None:
    from setu.security.models_audit import KIND_LENGTH

    assert max(len(kind.value) for kind in EntryKind) <= KIND_LENGTH


def test_a_naive_clock_is_refused(db: Database) -> None:
    log = AuditLog(db, KEY, lambda: datetime(2026, 3, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(ValidationError, match="naive"):
        log.append(entry())
    assert log.size() == 0


# --- signed tree heads ---------------------------------------------------------------------------


def test_heads_are_signed_every_n_entries_and_after_a_quiet_while(
    log: AuditLog, clock: SteppingClock
) -> None:
    for i in range(5):
        log.append(entry(i))  # the first append signs the log's first head
    fill(log, 245, start=5)  # one batch: one head at its end
    log.append(entry(250))
    assert [h.tree_size for h in log.heads()] == [1, 250]
    clock.advance(hours=1)
    log.append(entry(251))  # an hour since the last head
    heads = log.heads()
    assert [h.tree_size for h in heads] == [1, 250, 252]
    for head in heads:
        head.verify(KEY.public_key())
        assert head.key_id == key_id(KEY.public_key())
    assert heads[-1].timestamp == T0 + timedelta(hours=1)


def test_a_head_signs_the_root_of_all_entries_so_far(log: AuditLog) -> None:
    fill(log, 37)
    head = log.sign_head()
    assert log.sign_head() == head  # nothing new: the same head
    with log._db.engine.connect() as conn:
        leaves = leaf_hashes(conn)
    assert head.tree_size == 37 and head.root_hash == merkle.root(leaves)


def test_head_time_never_goes_back_when_the_clock_does(log: AuditLog, clock: SteppingClock) -> None:
    log.append(entry(0))
    first = log.sign_head()
    clock.set(T0 - timedelta(minutes=5))
    log.append(entry(1))
    assert log.sign_head().timestamp_ms == first.timestamp_ms


def test_roots_of_complete_subtrees_of_256_and_more_entries_are_stored(log: AuditLog) -> None:
    fill(log, 600)
    with log._db.engine.connect() as conn:
        rows = conn.execute(select(audit_store.NODE)).all()
        leaves = leaf_hashes(conn)
    assert {(r.level, r.node_index) for r in rows} == {(8, 0), (8, 1), (9, 0)}
    for r in rows:
        start, end = merkle.piece_range((r.level, r.node_index))
        assert bytes(r.node_hash) == merkle.root(leaves[start:end])


# --- proofs --------------------------------------------------------------------------------------


def test_inclusion_proofs_verify_with_only_the_public_key(log: AuditLog) -> None:
    fill(log, 600)
    for index in (0, 1, 255, 256, 511, 512, 599):
        doc = json.loads(json.dumps(log.prove(index)))  # as written to a file
        checked = verify_proof_document(doc, PEM)
        assert isinstance(checked, VerifiedInclusion)
        assert checked.leaf_index == index and checked.entry["object_ids"] == [f"track:{index}"]
        assert checked.tree_head.tree_size == 600


def test_a_proof_of_a_new_entry_signs_a_head_that_covers_it(log: AuditLog) -> None:
    fill(log, 100)  # head at 100
    log.append(entry(100))
    doc = log.prove(100)
    assert doc["tree_head"]["tree_size"] == 101
    assert [h.tree_size for h in log.heads()] == [100, 101]
    assert log.prove(5)["tree_head"]["tree_size"] == 101  # always the latest head


def test_a_proof_is_refused_with_another_nodes_key(log: AuditLog) -> None:
    fill(log, 10)
    other = Ed25519PrivateKey.generate().public_key()
    other_pem = other.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    with pytest.raises(TreeHeadSignatureError, match="not by the given key"):
        verify_proof_document(log.prove(3), other_pem)


def test_heads_name_their_key_as_the_node_does() -> None:
    from setu.security.audit_proof import key_id_text
    from setu.security.node import signing_key_id

    assert key_id_text(key_id(KEY.public_key())) == signing_key_id(KEY.public_key())


@pytest.mark.parametrize("index", [-1, 10, 11])
def test_an_unknown_index_is_not_found(log: AuditLog, index: int) -> None:
    fill(log, 10)
    with pytest.raises(AuditEntryNotFoundError, match=f"no disclosure-log entry {index}"):
        log.prove(index)
    with pytest.raises(AuditEntryNotFoundError):
        log.get(index)


def test_without_a_signing_key_entries_append_but_nothing_is_proven(db: Database) -> None:
    log = AuditLog(db, None)
    fill(log, 5)
    assert log.size() == 5 and log.heads() == []
    with pytest.raises(AuditSignerError, match="setu node init"):
        log.prove(0)
    with pytest.raises(AuditSignerError):
        log.verify()


def test_consistency_proofs_between_heads_verify(log: AuditLog) -> None:
    fill(log, 100)
    fill(log, 100, start=100)
    fill(log, 57, start=200)
    log.sign_head()
    sizes = [h.tree_size for h in log.heads()]
    assert sizes == [100, 200, 257]
    for old in sizes:
        checked = verify_proof_document(log.consistency(old), PEM)
        assert isinstance(checked, VerifiedConsistency)
        assert (checked.old.tree_size, checked.new.tree_size) == (old, 257)
    assert verify_proof_document(log.consistency(100, 200), PEM).new.tree_size == 200  # type: ignore[union-attr]


def test_consistency_needs_signed_heads_in_order(log: AuditLog) -> None:
    fill(log, 100)
    fill(log, 100, start=100)
    with pytest.raises(TreeHeadNotFoundError, match="nearest sizes: 100, 200"):
        log.consistency(150)
    with pytest.raises(ValidationError, match="older, non-empty head"):
        log.consistency(200, 100)


# --- restarts, listings, the gate ----------------------------------------------------------------


def test_the_log_survives_a_restart(db_url: str) -> None:
    db = open_database(db_url)
    fill(AuditLog(db, KEY, SteppingClock(T0), head_every_entries=100), 150)
    before = AuditLog(db, KEY).prove(120)
    db.dispose()

    db = open_database(db_url)
    try:
        clock = SteppingClock(T0 + timedelta(minutes=1))
        log = AuditLog(db, KEY, clock, head_every_entries=100, head_every_s=3600)
        assert log.verify().tree_size == 150
        receipts = log.append_many([entry(150), entry(151)])
        assert [r.index for r in receipts] == [150, 151]
        report = log.verify()
        assert report.tree_size == 152 and report.unsigned_entries == 2
        old_size = before["tree_head"]["tree_size"]
        verify_proof_document(before, PEM)  # a proof handed out earlier still checks
        verify_proof_document(log.consistency(old_size), PEM)
    finally:
        db.dispose()


def test_listings_filter_by_kind_principal_and_time(log: AuditLog, clock: SteppingClock) -> None:
    fill(log, 6)
    clock.advance(minutes=10)
    log.append(entry(6, kind=EntryKind.DISCLOSURE, decision=None, recipient="JPN"))
    assert [r.index for r in log.entries(kind="disclosure")] == [6]
    assert [r.index for r in log.entries(principal="analyst-1")] == [4, 1]
    assert [r.index for r in log.entries(since=T0 + timedelta(minutes=5))] == [6]
    assert [r.index for r in log.entries(until=T0 + timedelta(minutes=5), limit=2)] == [5, 4]
    assert [r.index for r in log.entries(newest_first=False, limit=2)] == [0, 1]
    with pytest.raises(InvalidAuditEntryError):
        log.entries(kind="gossip")


def test_the_gate_records_every_decision_through_the_hook(log: AuditLog) -> None:
    from setu.security.gate import Action, RequestContext, Resource, authorize
    from setu.security.labels import Label
    from setu.security.principals import Principal, PrincipalKind, Role

    label = Label(
        originator_nation="IND",
        originator_node="ind-mumbai",
        classification="SECRET",
        releasable_to=frozenset({"IND", "JPN"}),
        purposes=frozenset({"MDA"}),
        caveats=frozenset(),
        created_at=T0 - timedelta(hours=1),
    )
    analyst = Principal(
        "asha", PrincipalKind.USER, "IND", "SECRET", frozenset({"mda"}), frozenset({Role.ANALYST})
    )
    outsider = Principal("ravi", PrincipalKind.USER, "IND", "SECRET", frozenset(), frozenset())
    context = RequestContext(local_nation="IND", local_node="ind-mumbai", now=T0)
    for who in (analyst, outsider):
        authorize(
            who, Action.READ, [Resource("track:7", label)], context=context,
            audit=log.decision_hook(),
        )  # fmt: skip
    records = [r.record for r in log.entries(newest_first=False)]
    assert [(r["principal"], r["decision"]) for r in records] == [
        ("asha", "allow"),
        ("ravi", "deny"),
    ]
    assert all(r["object_ids"] == ["track:7"] and len(r["policy_hash"]) == 64 for r in records)
    assert records[0]["details"]["label"]["releasable_to"] == ["IND", "JPN"]
    verify_proof_document(log.prove(1), PEM)


def test_the_gate_appends_one_calls_decisions_in_one_transaction(
    db: Database, log: AuditLog
) -> None:
    from sqlalchemy import event

    from setu.security.gate import Action, RequestContext, Resource, authorize
    from setu.security.labels import Label
    from setu.security.principals import Principal, PrincipalKind, Role

    def label(level: str) -> Label:
        return Label(
            originator_nation="IND",
            originator_node="ind-mumbai",
            classification=level,
            releasable_to=frozenset({"IND", "JPN"}),
            purposes=frozenset({"MDA"}),
            caveats=frozenset(),
            created_at=T0 - timedelta(hours=1),
        )

    analyst = Principal(
        "asha", PrincipalKind.USER, "IND", "SECRET", frozenset({"mda"}), frozenset({Role.ANALYST})
    )
    resources = [
        Resource(f"track:{i}", label(level))
        for i, level in enumerate(["UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET"])
    ]
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda _conn: commits.append(1))
    context = RequestContext(local_nation="IND", local_node="ind-mumbai", now=T0)
    decisions = authorize(
        analyst, Action.READ, resources, context=context, audit=log.decision_hook()
    )
    assert len(commits) == 1  # four label groups, one transaction
    records = [r.record for r in log.entries(newest_first=False)]
    assert [r["decision"] for r in records] == ["allow", "allow", "allow", "deny"]
    assert decisions.allowed_ids == {"track:0", "track:1", "track:2"}
    assert [r.index for r in log.entries(newest_first=False)] == [0, 1, 2, 3]


def test_sqlite_runs_in_wal_mode_with_normal_sync(db: Database) -> None:
    if db.dialect != "sqlite":
        pytest.skip("a SQLite pragma")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


# --- append-only guards and concurrency ----------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entry SET principal = 'someone-else'",
        "DELETE FROM audit_entry",
        "UPDATE audit_tree_head SET timestamp_ms = 0",
        "DELETE FROM audit_tree_head",
        "DELETE FROM audit_node",
    ],
)
def test_the_database_refuses_updates_and_deletes(log: AuditLog, statement: str) -> None:
    fill(log, 300)
    with pytest.raises(Exception, match="append-only"), log._db.engine.begin() as conn:
        conn.execute(text(statement))
    assert log.verify().tree_size == 300


def test_postgres_refuses_truncate(log: AuditLog) -> None:
    if log._db.dialect != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    fill(log, 3)
    with pytest.raises(Exception, match="append-only"), log._db.engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_entry"))


APPENDER = """
import sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from setu.db import open_database
from setu.security.audit import AuditEntry, AuditLog
url, who, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = open_database(url)
log = AuditLog(db, Ed25519PrivateKey.from_private_bytes(bytes(range(32))), head_every_entries=7)
for i in range(count):
    log.append(AuditEntry(kind="disclosure", principal=who, action="export",
                          object_ids=(f"{who}:{i}",)))
db.dispose()
"""


@pytest.mark.e2e
def test_two_processes_appending_at_once_never_share_an_index(db: Database, db_url: str) -> None:
    count = 40
    procs = [
        subprocess.Popen([sys.executable, "-c", APPENDER, db_url, who, str(count)])
        for who in ("proc-a", "proc-b")
    ]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    log = AuditLog(db, KEY)
    assert log.size() == 2 * count
    records = [r.record for r in log.entries(limit=1000, newest_first=False)]
    assert [r["index"] for r in records] == list(range(2 * count))
    for who in ("proc-a", "proc-b"):
        mine = [r["object_ids"][0] for r in records if r["principal"] == who]
        assert mine == [f"{who}:{i}" for i in range(count)]  # each process's own order kept
    report = log.verify()
    assert report.heads_checked >= 2 * count // 7 - 1
