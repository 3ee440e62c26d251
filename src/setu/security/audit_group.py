"""Group commit for the disclosure log: threads appending at once share one transaction.

An append is durable before it returns (the gate releases nothing until its decisions are
committed), so each append costs a transaction: on SQLite about a millisecond even without an
fsync per commit. When several threads of one process append at once (the web API, the
exchange), :class:`GroupCommit` lets the first of them commit everything queued so far in one
transaction while the others wait; each caller still returns only once its own entries are
committed, with their receipts, or raises the error of the transaction that held them. This is
the group commit of database write-ahead logs (as PostgreSQL's ``commit_delay``,
https://www.postgresql.org/docs/current/wal-configuration.html), without a delay: a group is
whatever queued during the previous commit. Each caller's entries stay together, in order.

Across processes the database's own lock orders the transactions (SQLite ``BEGIN IMMEDIATE``,
PostgreSQL's row lock on the state row); one process's group counts as one transaction there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Entry = TypeVar("Entry")
Receipt = TypeVar("Receipt")


@dataclass
class _Ticket(Generic[Entry, Receipt]):
    """One caller's entries, and once committed its receipts or the error."""

    entries: Sequence[Entry]
    settled: bool = False
    receipts: list[Receipt] = field(default_factory=list)
    error: BaseException | None = None


class GroupCommit(Generic[Entry, Receipt]):
    """Runs ``commit`` (entries in, one receipt per entry out, in order, in one transaction)
    for the entries of every caller queued while the previous transaction ran."""

    def __init__(self, commit: Callable[[list[Entry]], list[Receipt]]) -> None:
        self._commit = commit
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._pending: list[_Ticket[Entry, Receipt]] = []
        self.transactions = 0  # committed or failed groups, for tests and benchmarks

    def pending(self) -> int:
        """Callers queued and not yet taken by a committer."""
        with self._queue_lock:
            return len(self._pending)

    def submit(self, entries: Sequence[Entry]) -> list[Receipt]:
        """Commit ``entries`` (with whatever else is queued); their receipts, in order."""
        ticket: _Ticket[Entry, Receipt] = _Ticket(entries)
        with self._queue_lock:
            self._pending.append(ticket)
        with self._commit_lock:
            if not ticket.settled:  # nobody took it while this thread waited: lead a group
                time.sleep(0)  # let threads ready to append queue up first (no delay if none)
                with self._queue_lock:
                    group, self._pending = self._pending, []
                self._run(group)
        if ticket.error is not None:
            raise ticket.error
        return ticket.receipts

    def _run(self, group: list[_Ticket[Entry, Receipt]]) -> None:
        self.transactions += 1
        try:
            receipts = self._commit([entry for ticket in group for entry in ticket.entries])
        except BaseException as exc:  # the transaction held every ticket: each caller raises
            for ticket in group:
                ticket.error, ticket.settled = exc, True
            return
        start = 0
        for ticket in group:
            ticket.receipts = receipts[start : start + len(ticket.entries)]
            ticket.settled = True
            start += len(ticket.entries)


__all__ = ["GroupCommit"]
