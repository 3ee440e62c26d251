"""Group commit of the disclosure log: appenders queued behind a running transaction share the
next one; each gets its own receipts, in order, or the error of the transaction that held it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event

from setu.db import Database
from setu.security.audit import AuditEntry, AuditLog, Decision, EntryKind
from setu.security.audit_group import GroupCommit

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
WAIT_S = 30  # a bound for a hung test, not a measurement


def entry(i: int) -> AuditEntry:
    return AuditEntry(
        kind=EntryKind.DECISION,
        principal=f"analyst-{i}",
        action="read",
        object_ids=(f"track:{i}",),
        decision=Decision.ALLOW,
    )


def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    done = threading.Event()
    for _ in range(WAIT_S * 100):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def test_appenders_queued_behind_a_commit_share_the_next(db: Database) -> None:
    log = AuditLog(db, KEY, lambda: T0)
    gate = threading.Event()
    commits: list[int] = []

    def hold_first_commit(_conn) -> None:  # type: ignore[no-untyped-def]
        commits.append(1)
        if len(commits) == 1:
            gate.wait(WAIT_S)

    event.listen(db.engine, "commit", hold_first_commit)
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def append(i: int) -> None:
        try:
            results[i] = [r.index for r in log.append_many([entry(i), entry(i + 100)])]
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    first = threading.Thread(target=append, args=(0,))
    first.start()
    wait_for(lambda: commits, "the first commit")
    others = [threading.Thread(target=append, args=(i,)) for i in range(1, 6)]
    for thread in others:
        thread.start()
    wait_for(lambda: log._group.pending() == 5, "five queued appenders")
    gate.set()
    for thread in [first, *others]:
        thread.join(WAIT_S)
    assert not errors
    assert len(commits) == 2  # the first append, then the five queued ones together
    assert results[0] == [0, 1]
    indexes = sorted(results[i][0] for i in range(1, 6))
    assert indexes == [2, 4, 6, 8, 10]
    assert all(results[i][1] == results[i][0] + 1 for i in range(1, 6))  # a batch stays whole
    stored = {r.index: r.record["principal"] for r in log.entries(limit=100)}
    for i in range(6):
        assert stored[results[i][0]] == f"analyst-{i}"
        assert stored[results[i][1]] == f"analyst-{i + 100}"
    assert log.verify().tree_size == 12


def test_a_failed_group_raises_in_every_caller_and_the_next_group_runs() -> None:
    calls: list[list[int]] = []

    def commit(items: list[int]) -> list[str]:
        calls.append(items)
        if -1 in items:
            raise RuntimeError("disk full")
        return [f"r{i}" for i in items]

    group: GroupCommit[int, str] = GroupCommit(commit)
    with pytest.raises(RuntimeError, match="disk full"):
        group.submit([1, -1])
    assert group.submit([2, 3]) == ["r2", "r3"]
    assert calls == [[1, -1], [2, 3]] and group.transactions == 2
