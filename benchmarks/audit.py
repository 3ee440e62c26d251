"""Disclosure log: append rate, full verification time, proof time, next to pymerkle's.

Bars (issue 8): at least 5,000 appends/s, and a 1M-entry ``verify`` under 60 s on one core.
The process pins itself to one CPU (``--cpu``) so the figures are single-core figures.

Measured, in one run:

- entries appended per second with one transaction per entry (``AuditLog.append``), in
  batches (``AuditLog.append_many``, ``--batch`` entries per transaction), through the gate's
  hook (``authorize`` deciding four label groups: four entries in one transaction), from
  four threads of one process appending single entries through one log (group commit), and from
  two processes appending single entries at once (spawned; they share the pinned CPU); on
  SQLite as setu opens it (WAL, ``synchronous=NORMAL``), on SQLite with the rollback journal
  and an fsync per commit (set by this benchmark only: the mode setu used before), and on
  PostgreSQL when ``--postgres`` or ``SETU_TEST_POSTGRES_URL`` names one;
- ``verify`` of the whole log at each ``--sizes`` (SQLite): every leaf, every stored subtree
  root, every signed head and the consistency of consecutive heads;
- ``prove`` and ``consistency`` (milliseconds per proof, database reads included);
- pymerkle 7 (GPL, test oracle, not a run-time dependency) on the same entry bytes:
  ``SqliteTree.append_entry`` (a commit each), ``append_entries`` batched, a rebuild of the tree
  from the entries in memory (its nearest equivalent of a full verify), and ``prove_inclusion``.

    .venv/bin/python benchmarks/audit.py [--sizes 100000,1000000] [--single 1000] [--batch 1000]
    .venv/bin/python benchmarks/audit.py --sizes 20000 --single 200   # a quick look
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event

from setu.db import Database, open_database
from setu.db.testing import fresh_postgres_schema
from setu.security.audit import AuditEntry, AuditLog, Decision, EntryKind, canonical_bytes

APPEND_BAR_PER_S = 5_000  # issue 8
VERIFY_BAR_S = 60.0  # issue 8, for 1M entries
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def entry(i: int) -> AuditEntry:
    """A typical gate decision: one analyst reading one label group of two objects."""
    return AuditEntry(
        kind=EntryKind.DECISION,
        principal=f"analyst-{i % 40}",
        action="read",
        object_ids=(f"track:{i}", f"event:{i * 7}"),
        decision=Decision.ALLOW if i % 5 else Decision.DENY,
        purpose="MDA",
        rule="permit-read-clearance-need-to-know",
        policy_hash="9f" * 32,
        reason="clearance SECRET >= CONFIDENTIAL; need-to-know mda",
        details={"label": {"originator_nation": "IND", "releasable_to": ["IND", "JPN"]}},
    )


@contextmanager
def database(url: str, *, legacy: bool = False) -> Iterator[Database]:
    db = open_database(url)
    if legacy:  # the journal setu used before: rollback journal, an fsync per commit
        event.listen(db.engine, "connect", _legacy_journal)
        db.engine.dispose()
    try:
        yield db
    finally:
        db.dispose()


def _legacy_journal(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=DELETE")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>10,.0f}/s"


def timed(work: Callable[[], Any]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def single_appends(db: Database, count: int) -> float:
    log = AuditLog(db, KEY)
    return timed(lambda: [log.append(entry(i)) for i in range(count)])


def batched_appends(db: Database, count: int, batch: int) -> float:
    log = AuditLog(db, KEY)
    entries = [entry(i) for i in range(batch)]
    return timed(lambda: [log.append_many(entries) for _ in range(count // batch)])


GATE_GROUPS = ("UNCLASSIFIED", "CONFIDENTIAL", "SECRET", "TOP SECRET")  # label groups per call


def gate_calls(db: Database, calls: int) -> float:
    """``authorize`` calls through the log's hook, each deciding four label groups (four
    entries, one transaction): the real path of every read and release."""
    from setu.security.gate import Action, RequestContext, Resource, authorize
    from setu.security.labels import Label
    from setu.security.principals import Principal, PrincipalKind, Role

    at = datetime(2026, 3, 1, tzinfo=UTC)
    resources = [
        Resource(
            f"track:{i}",
            Label(
                originator_nation="IND",
                originator_node="ind-mumbai",
                classification=level,
                releasable_to=frozenset({"IND", "JPN"}),
                purposes=frozenset({"MDA"}),
                caveats=frozenset(),
                created_at=at,
            ),
        )
        for i, level in enumerate(GATE_GROUPS)
    ]
    analyst = Principal(
        "asha", PrincipalKind.USER, "IND", "SECRET", frozenset({"mda"}), frozenset({Role.ANALYST})
    )
    context = RequestContext(local_nation="IND", local_node="ind-mumbai", now=at)
    hook = AuditLog(db, KEY).decision_hook()
    return timed(
        lambda: [
            authorize(analyst, Action.READ, resources, context=context, audit=hook)
            for _ in range(calls)
        ]
    )


THREADS = 4


def threaded_appends(db: Database, count: int, threads: int = THREADS) -> float:
    """``threads`` threads appending ``count`` single entries each through one log (they
    share transactions: group commit)."""
    log = AuditLog(db, KEY)

    def work() -> None:
        for i in range(count):
            log.append(entry(i))

    workers = [threading.Thread(target=work) for _ in range(threads)]

    def run() -> None:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    return timed(run)


def _worker(url: str, legacy: bool, count: int, start: Any) -> None:
    with database(url, legacy=legacy) as db:
        log = AuditLog(db, KEY)
        log.size()  # connect before the start
        start.wait()
        for i in range(count):
            log.append(entry(i))


def concurrent_appends(url: str, legacy: bool, count: int, processes: int = 2) -> float:
    """``processes`` processes appending ``count`` single entries each to one log."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(processes + 1)
    workers = [
        ctx.Process(target=_worker, args=(url, legacy, count, start)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    if any(worker.exitcode for worker in workers):
        raise SystemExit("a concurrent appender failed")
    return elapsed


def report_appends(args: argparse.Namespace, folder: Path) -> None:
    single_n, gate_n, conc_n = args.single, args.single, args.single
    print(
        f"\nentries appended per second ({single_n:,} single-entry transactions; "
        f"{args.batch_total:,} in batches of {args.batch:,}; {gate_n:,} authorize calls of "
        f"{len(GATE_GROUPS)} label groups through the hook; 2 processes x {conc_n:,} single)"
    )
    print(
        f"{'backend':<46} {'single':>12} {'batched':>12} {'gate hook':>12} "
        f"{str(THREADS) + ' threads':>12} {'2 procs':>12}"
    )
    targets = [
        ("SQLite, rollback journal + fsync per commit", f"sqlite:///{folder / 'a.db'}", True),
        ("SQLite as setu opens it (WAL, sync=NORMAL)", f"sqlite:///{folder / 'b.db'}", False),
    ]
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres, False))
    for name, url, legacy in targets:
        with ExitStack() as stack:
            if url.startswith("postgresql"):
                url = stack.enter_context(fresh_postgres_schema(url))
            db = stack.enter_context(database(url, legacy=legacy))
            single = single_appends(db, single_n)
            batched = batched_appends(db, args.batch_total, args.batch)
            gate = gate_calls(db, gate_n)
            threaded = threaded_appends(db, single_n)
            both = concurrent_appends(url, legacy, conc_n)
        print(
            f"{name:<46} {rate(single_n, single)} {rate(args.batch_total, batched)} "
            f"{rate(gate_n * len(GATE_GROUPS), gate)} {rate(THREADS * single_n, threaded)} "
            f"{rate(2 * conc_n, both)}"
        )


def build(db: Database, size: int, batch: int = 10_000) -> None:
    log = AuditLog(db, KEY, head_every_entries=batch)
    have = log.size()
    entries = [entry(i) for i in range(batch)]
    while have < size:
        step = min(batch, size - have)
        log.append_many(entries[:step])
        have += step


def proof_times_ms(log: AuditLog, size: int) -> tuple[float, float]:
    """Mean time of ``prove`` over 50 random entries and of ``consistency`` over 20 heads."""
    picks = random.Random(7).sample(range(size), 50)
    start = time.perf_counter()
    for index in picks:
        log.prove(index)
    prove_ms = (time.perf_counter() - start) / len(picks) * 1000
    olds = [h.tree_size for h in log.heads()][:-1]
    olds = random.Random(8).sample(olds, min(20, len(olds)))
    if not olds:
        return prove_ms, float("nan")
    start = time.perf_counter()
    for old in olds:
        log.consistency(old)
    return prove_ms, (time.perf_counter() - start) / len(olds) * 1000


def report_verify_and_proofs(args: argparse.Namespace, folder: Path) -> None:
    print("\nverify and proofs (SQLite, one core; a signed head every 10,000 entries)")
    print(
        f"{'entries':>10} {'build':>9} {'verify':>9} {'per entry':>10} {'prove':>9} "
        f"{'consistency':>12}  bar"
    )
    with database(f"sqlite:///{folder / 'v.db'}") as db:
        for size in args.sizes:
            built_s = timed(lambda size=size: build(db, size))
            log = AuditLog(db, KEY)
            verify_s = timed(log.verify)
            prove_ms, consistency_ms = proof_times_ms(log, size)
            bar = ""
            if size == 1_000_000:
                verdict = "meets" if verify_s < VERIFY_BAR_S else "MISSES"
                bar = f"{verdict} the bar < {VERIFY_BAR_S:.0f} s"
            print(
                f"{size:>10,} {built_s:>8.1f}s {verify_s:>8.1f}s {verify_s / size * 1e6:>8.1f}µs "
                f"{prove_ms:>7.1f}ms {consistency_ms:>10.1f}ms  {bar}"
            )


def report_pymerkle(args: argparse.Namespace, folder: Path) -> None:
    try:
        import pymerkle
    except ImportError:
        print("\npymerkle not installed (pip install -e '.[dev]'): no peer figures")
        return
    warnings.simplefilter("ignore", DeprecationWarning)
    stamp = datetime(2026, 3, 1, tzinfo=UTC).isoformat()
    data = [canonical_bytes(entry(i).record(i, stamp)) for i in range(max(args.sizes))]
    print("\npymerkle 7.0 on the same entry bytes (peer; GPL, test oracle only)")
    tree = pymerkle.SqliteTree(str(folder / "pm-single.db"))
    single = timed(lambda: [tree.append_entry(d) for d in data[: args.single]])
    print(f"{'SqliteTree.append_entry (a commit each)':<44} {rate(args.single, single)}")
    tree = pymerkle.SqliteTree(str(folder / "pm-batch.db"))
    batch = args.batch
    chunks = [data[i : i + batch] for i in range(0, args.batch_total, batch)]
    batched = timed(lambda: [tree.append_entries(c) for c in chunks])
    print(f"{'SqliteTree.append_entries (batched)':<44} {rate(args.batch_total, batched)}")
    for size in args.sizes:
        memory = pymerkle.InmemoryTree()
        rebuilt = timed(lambda size=size, memory=memory: memory.append_entries(data[:size]))
        picks = random.Random(7).sample(range(1, size + 1), 50)
        prove_ms = timed(lambda m=memory, p=picks: [m.prove_inclusion(i) for i in p]) / 50 * 1000
        print(
            f"{'InmemoryTree rebuild from the entries':<44} {size:>10,}: {rebuilt:>6.1f}s "
            f"({rebuilt / size * 1e6:.1f}µs/entry); prove_inclusion {prove_ms:.2f}ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="log sizes to verify")
    parser.add_argument("--single", type=int, default=1000, help="single-entry appends")
    parser.add_argument("--batch", type=int, default=1000, help="entries per append_many")
    parser.add_argument("--batch-total", type=int, default=100_000, help="entries appended")
    parser.add_argument("--postgres", default=os.environ.get("SETU_TEST_POSTGRES_URL"))
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: first)")
    parser.add_argument("--no-pymerkle", action="store_true", help="skip the peer figures")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",")]
    if hasattr(os, "sched_setaffinity"):
        cpu = args.cpu if args.cpu is not None else min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        print(f"pinned to CPU {cpu}; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="setu-audit-bench-") as tmp:
        folder = Path(tmp)
        report_appends(args, folder)
        print(f"bar: >= {APPEND_BAR_PER_S:,} appends/s")
        report_verify_and_proofs(args, folder)
        if not args.no_pymerkle:
            report_pymerkle(args, folder)


if __name__ == "__main__":
    main()
