"""The ledger: hash-chained entries, running balances, and the integrity check.

Every amount that changes what one party owes the other is an :class:`AcsaEntry`. An invoice
entry is positive (the requesting party now owes the supplying party); settlement entries are
negative. Each entry's SHA-256 ``digest`` covers its fields and the previous entry's digest, so
altering, deleting or reordering history breaks the chain. :class:`AcsaBalance` rows are kept
current with every entry; :func:`verify` recomputes them, every order's outstanding amount and
every invoice total from scratch and reports each disagreement.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from setu.db.base import Party
from setu.logistics.models import (
    AcsaBalance,
    AcsaEntry,
    AcsaLine,
    AcsaOrder,
    EntryKind,
    OrderState,
)
from setu.logistics.policy import check_amount, quantize

GENESIS = "0" * 64
_FOUR = Decimal("0.0001")
BalanceKey = tuple[Party, Party, str]


def canonical_amount(amount: Decimal) -> str:
    return format(amount.quantize(_FOUR), "f")


def entry_digest(prev: str, order_number: str, entry: AcsaEntry) -> str:
    parts = [
        prev,
        order_number,
        entry.kind.value,
        entry.creditor.value,
        entry.debtor.value,
        entry.currency,
        canonical_amount(entry.amount),
        entry.at.isoformat(),
        entry.actor,
        entry.memo,
    ]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def last_digest(session: Session) -> str:
    last = session.scalars(select(AcsaEntry).order_by(AcsaEntry.id.desc()).limit(1)).first()
    return last.digest if last is not None else GENESIS


def post(
    session: Session,
    order: AcsaOrder,
    *,
    kind: EntryKind,
    currency: str,
    amount: Decimal,
    at: datetime,
    actor: str,
    memo: str,
) -> AcsaEntry:
    """Append one entry and move the running balance with it.

    The caller holds the ledger's write lock (:meth:`AcsaLedger._writing`): the previous digest
    and the balance read here must not change before this entry is committed.
    """
    entry = AcsaEntry(
        order_id=order.id,
        kind=kind,
        creditor=order.supplying,
        debtor=order.requesting,
        currency=currency,
        amount=amount,
        at=at,
        actor=actor,
        memo=memo,
        classification=order.classification,
    )
    entry.prev_digest = last_digest(session)
    entry.digest = entry_digest(entry.prev_digest, order.number, entry)
    session.add(entry)
    balance = session.scalars(
        select(AcsaBalance).where(
            AcsaBalance.creditor == order.supplying,
            AcsaBalance.debtor == order.requesting,
            AcsaBalance.currency == currency,
        )
    ).one_or_none()
    if balance is None:
        balance = AcsaBalance(
            creditor=order.supplying,
            debtor=order.requesting,
            currency=currency,
            amount=Decimal(0),
            entries=0,
            updated_at=at,
        )
        session.add(balance)
    balance.amount = check_amount(
        balance.amount + amount,
        f"balance of what {order.requesting.value} owes {order.supplying.value} in {currency}",
    )
    balance.entries += 1
    balance.updated_at = at
    session.flush()
    return entry


def order_totals(lines: list[AcsaLine]) -> dict[str, Decimal]:
    """Value of an order per currency: sum of quantity × unit price, rounded per line."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[line.currency] += quantize(line.quantity * line.unit_price, line.currency)
    return dict(totals)


def outstanding(session: Session, order: AcsaOrder) -> dict[str, Decimal]:
    """What is still owed on ``order`` per currency (from its entries)."""
    out: dict[str, Decimal] = defaultdict(Decimal)
    for entry in session.scalars(select(AcsaEntry).where(AcsaEntry.order_id == order.id)):
        out[entry.currency] += entry.amount
    return dict(out)


@dataclass
class VerifyReport:
    """The outcome of :func:`verify`; ``ok`` when no problem was found."""

    orders: int = 0
    entries: int = 0
    balances: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "orders": self.orders,
            "entries": self.entries,
            "balances": self.balances,
            "problems": list(self.problems),
        }


def _check_chain(session: Session, report: VerifyReport) -> dict[BalanceKey, Decimal]:
    numbers = {o.id: o.number for o in session.scalars(select(AcsaOrder))}
    sums: dict[BalanceKey, Decimal] = defaultdict(Decimal)
    prev = GENESIS
    for entry in session.scalars(select(AcsaEntry).order_by(AcsaEntry.id)):
        report.entries += 1
        if entry.prev_digest != prev:
            report.problems.append(f"entry {entry.id}: chain broken (an entry was removed)")
        expected = entry_digest(entry.prev_digest, numbers.get(entry.order_id, "?"), entry)
        if entry.digest != expected:
            report.problems.append(
                f"entry {entry.id}: digest mismatch (the entry was altered after posting)"
            )
        prev = entry.digest
        sums[(entry.creditor, entry.debtor, entry.currency)] += entry.amount
    return sums


def _check_balances(
    session: Session, sums: dict[BalanceKey, Decimal], report: VerifyReport
) -> None:
    stored = {(b.creditor, b.debtor, b.currency): b for b in session.scalars(select(AcsaBalance))}
    report.balances = len(stored)
    for key in sorted(set(stored) | set(sums)):
        have = stored[key].amount if key in stored else Decimal(0)
        want = sums.get(key, Decimal(0))
        if have != want:
            creditor, debtor, currency = key
            report.problems.append(
                f"balance {debtor.value} owes {creditor.value} {currency}: stored "
                f"{canonical_amount(have)} but the entries sum to {canonical_amount(want)}"
            )


def _check_orders(session: Session, report: VerifyReport) -> None:
    entries: dict[int, list[AcsaEntry]] = defaultdict(list)
    for entry in session.scalars(select(AcsaEntry)):
        entries[entry.order_id].append(entry)
    for order in session.scalars(select(AcsaOrder).order_by(AcsaOrder.id)):
        report.orders += 1
        rows = entries.get(order.id, [])
        invoiced: dict[str, Decimal] = defaultdict(Decimal)
        owed: dict[str, Decimal] = defaultdict(Decimal)
        for entry in rows:
            owed[entry.currency] += entry.amount
            if entry.kind is EntryKind.INVOICE:
                invoiced[entry.currency] += entry.amount
            if (entry.creditor, entry.debtor) != (order.supplying, order.requesting):
                report.problems.append(
                    f"order {order.number}: entry {entry.id} names the wrong parties"
                )
        if rows and dict(invoiced) != order_totals(order.lines):
            report.problems.append(
                f"order {order.number}: invoiced {_fmt(invoiced)} but its lines total "
                f"{_fmt(order_totals(order.lines))}"
            )
        if order.state in (OrderState.SETTLED, OrderState.CLOSED) and any(owed.values()):
            report.problems.append(
                f"order {order.number} is {order.state.value} but {_fmt(owed)} is outstanding"
            )
        if any(v < 0 for v in owed.values()):
            report.problems.append(f"order {order.number} is over-settled: {_fmt(owed)}")


def _fmt(amounts: dict[str, Decimal]) -> str:
    return ", ".join(f"{canonical_amount(v)} {k}" for k, v in sorted(amounts.items())) or "0"


def verify(session: Session) -> VerifyReport:
    """Recompute every balance and order total from the transaction history."""
    report = VerifyReport()
    sums = _check_chain(session, report)
    _check_balances(session, sums, report)
    _check_orders(session, report)
    return report
