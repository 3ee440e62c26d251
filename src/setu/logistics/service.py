"""The Python API of the ACSA ledger (what the CLI and the web UI call).

:class:`AcsaLedger` opens one unit of work per call and returns plain dicts with
:class:`~decimal.Decimal` amounts. Time comes from the injected clock; deadlines from
:class:`~setu.logistics.policy.Deadlines`.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from setu.clock import Clock, utc_now
from setu.db.base import Classification, Party, parse_enum
from setu.db.counters import next_value
from setu.db.engine import Database
from setu.db.limits import row_by_id
from setu.db.records import record
from setu.errors import IntegrityError, NotFoundError, StateError, ValidationError
from setu.logistics import ledger
from setu.logistics.models import (
    AcsaAttachment,
    AcsaBalance,
    AcsaEntry,
    AcsaLine,
    AcsaOrder,
    AcsaSignature,
    Activity,
    AttachmentKind,
    Category,
    EntryKind,
    OrderState,
    Settlement,
)
from setu.logistics.orders import check_editable, check_signable, transition
from setu.logistics.policy import (
    Deadlines,
    check_amount,
    check_currency,
    check_minor_units,
    check_price,
    quantize,
    refuse_arms,
    to_decimal,
)

#: Ageing buckets in days since invoice (upper bound inclusive; None = open-ended).
AGEING_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("0-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    ("91-180", 180),
    ("181-365", 365),
    (">365", None),
)
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024
#: The write lock every change to the ledger holds (see :func:`setu.db.counters.hold`).
LEDGER_LOCK = "acsa"
_OPEN_STATES = (OrderState.INVOICED, OrderState.OVERDUE, OrderState.DISPUTED)


@dataclass(frozen=True)
class LineIn:
    """One requested supply or service."""

    category: Category | str
    description: str
    quantity: Decimal | str | int
    unit: str
    unit_price: Decimal | str | int
    currency: str


def _line(order: AcsaOrder, line_no: int, item: LineIn) -> AcsaLine:
    refuse_arms(str(item.category), item.description)
    category = parse_enum(Category, item.category, "category")
    quantity = check_price(to_decimal(item.quantity, "quantity"), f"line {line_no}: quantity")
    price = check_price(to_decimal(item.unit_price, "unit price"), f"line {line_no}: unit price")
    if quantity <= 0:
        raise ValidationError(f"line {line_no}: quantity must be positive")
    if price < 0:
        raise ValidationError(f"line {line_no}: unit price cannot be negative")
    if not item.unit.strip() or not item.description.strip():
        raise ValidationError(f"line {line_no}: unit and description are required")
    with localcontext(prec=80):  # exact: both factors have at most 20 digits
        check_amount(quantity * price, f"line {line_no}: value (quantity × unit price)")
    return AcsaLine(
        line_no=line_no,
        category=category,
        description=item.description.strip(),
        quantity=quantity,
        unit=item.unit.strip(),
        unit_price=price,
        currency=check_currency(item.currency),
        classification=order.classification,
    )


def _check_totals(order: AcsaOrder) -> None:
    """Refuse an order whose value in any currency does not fit the ledger's amounts."""
    with localcontext(prec=80):
        totals = ledger.order_totals(order.lines)
    for currency, total in totals.items():
        check_amount(total, f"order value in {currency}")


def _number_floor(s: Session, prefix: str) -> int:
    """Highest number of the series ``prefix`` among orders numbered before the counter."""
    numbers = s.scalars(select(AcsaOrder.number).where(AcsaOrder.number.like(f"{prefix}-%")))
    tails = (n.rsplit("-", 1)[-1] for n in numbers)
    return max((int(t) for t in tails if t.isdigit()), default=0)


def _money(amounts: dict[str, Decimal]) -> dict[str, Decimal]:
    """Amounts rounded to each currency's minor unit (the same on every backend)."""
    return {currency: quantize(value, currency) for currency, value in sorted(amounts.items())}


class AcsaLedger:
    """Orders under the ACSA, their settlement, balances, ageing and verification."""

    def __init__(
        self,
        db: Database,
        *,
        clock: Clock = utc_now,
        actor: str = "setu",
        deadlines: Deadlines | None = None,
        agreement_ref: str = "acsa-2020",
    ) -> None:
        self.db = db
        self.clock = clock
        self.actor = actor
        self.deadlines = deadlines or Deadlines()
        self.agreement_ref = agreement_ref

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A unit of work that only reads."""
        with self.db.session(write=False) as session:
            yield session

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """A unit of work that changes the ledger: it holds the ledger's write lock throughout,
        so reads (states, outstanding amounts, balances, the last digest of the chain) and the
        writes computed from them are never interleaved with another process's change."""
        with self.db.session(lock=LEDGER_LOCK) as session:
            yield session

    def _order(self, s: Session, number: str) -> AcsaOrder:
        if number.isascii() and number.isdigit():
            row = row_by_id(s, AcsaOrder, int(number))
        else:
            row = s.scalars(select(AcsaOrder).where(AcsaOrder.number == number)).one_or_none()
        if row is None:
            raise NotFoundError(f"no ACSA order {number!r}; list them with `setu acsa list`")
        return row

    def _view(self, s: Session, order: AcsaOrder, *, full: bool = True) -> dict[str, Any]:
        view = record(order)
        totals = ledger.order_totals(order.lines)
        view["totals"] = _money(totals)
        view["outstanding"] = _money(ledger.outstanding(s, order))
        view["signed_by"] = sorted(sig.party.value for sig in order.signatures)
        if full:
            view["lines"] = [record(x, exclude=("order_id",)) for x in order.lines]
            view["signatures"] = [record(x, exclude=("order_id",)) for x in order.signatures]
            view["attachments"] = [
                record(x, exclude=("order_id", "content")) for x in order.attachments
            ]
            view["transitions"] = [record(x, exclude=("order_id",)) for x in order.transitions]
            entries = s.scalars(
                select(AcsaEntry).where(AcsaEntry.order_id == order.id).order_by(AcsaEntry.id)
            )
            view["entries"] = [record(x, exclude=("order_id",)) for x in entries]
        return view

    # -- drafting -------------------------------------------------------------------------
    def create_order(
        self,
        *,
        requesting: Party | str,
        supplying: Party | str,
        activity: Activity | str,
        settlement: Settlement | str,
        lines: list[LineIn],
        activity_detail: str = "",
        requisition_ref: str = "",
        delivery_place: str = "",
        classification: Classification | str = Classification.UNCLASSIFIED,
    ) -> dict[str, Any]:
        """A draft order; refuses arms and ammunition (PolicyError)."""
        req = parse_enum(Party, requesting, "requesting party")
        sup = parse_enum(Party, supplying, "supplying party")
        if req is sup:
            raise ValidationError("requesting and supplying party must differ (IN and JP)")
        now = self.clock()
        prefix = f"ACSA-{req.value}{sup.value}-{now.year}"
        with self._writing() as s:
            # Gapless per parties and year: the counter row stays locked until this commits.
            serial = next_value(s, f"acsa-order:{prefix}", floor=lambda: _number_floor(s, prefix))
            order = AcsaOrder(
                number=f"{prefix}-{serial:04d}",
                agreement_ref=self.agreement_ref,
                activity=parse_enum(Activity, activity, "activity"),
                activity_detail=activity_detail,
                requesting=req,
                supplying=sup,
                settlement=parse_enum(Settlement, settlement, "settlement method"),
                state=OrderState.DRAFT,
                requisition_ref=requisition_ref,
                delivery_place=delivery_place,
                created_at=now,
                created_by=self.actor,
                classification=parse_enum(Classification, classification, "classification"),
            )
            for i, item in enumerate(lines, start=1):
                order.lines.append(_line(order, i, item))
            _check_totals(order)
            s.add(order)
            s.flush()
            return self._view(s, order)

    def update_order(self, number: str, **fields: Any) -> dict[str, Any]:
        """Change a draft: activity, activity_detail, settlement, requisition_ref,
        delivery_place, classification; ``add_lines`` appends lines."""
        allowed = {
            "activity": Activity,
            "settlement": Settlement,
            "classification": Classification,
            "activity_detail": None,
            "requisition_ref": None,
            "delivery_place": None,
        }
        add_lines: list[LineIn] = fields.pop("add_lines", None) or []
        unknown = set(fields) - set(allowed)
        if unknown:
            raise ValidationError(f"unknown order fields: {', '.join(sorted(unknown))}")
        with self._writing() as s:
            order = self._order(s, number)
            check_editable(order)
            for field, value in fields.items():
                if value is None:
                    continue
                kind = allowed[field]
                setattr(order, field, parse_enum(kind, value, field) if kind else value)
            start = len(order.lines) + 1
            for i, item in enumerate(add_lines, start=start):
                order.lines.append(_line(order, i, item))
            _check_totals(order)
            s.flush()
            return self._view(s, order)

    def attach(
        self,
        number: str,
        *,
        filename: str,
        content: bytes,
        kind: AttachmentKind | str = AttachmentKind.OTHER,
        media_type: str | None = None,
    ) -> dict[str, Any]:
        """Keep a source document with the order (any state but closed)."""
        if not content:
            raise ValidationError(f"attachment {filename} is empty")
        if len(content) > MAX_ATTACHMENT_BYTES:
            raise ValidationError(f"attachment {filename} is over 20 MiB; attach a scan instead")
        with self._writing() as s:
            order = self._order(s, number)
            if order.state is OrderState.CLOSED:
                raise StateError(f"order {order.number} is closed; it takes no more documents")
            order.attachments.append(
                AcsaAttachment(
                    kind=parse_enum(AttachmentKind, kind, "attachment kind"),
                    filename=filename,
                    media_type=media_type
                    or mimetypes.guess_type(filename)[0]
                    or "application/octet-stream",
                    size_bytes=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    content=content,
                    added_at=self.clock(),
                    added_by=self.actor,
                    classification=order.classification,
                )
            )
            s.flush()
            return self._view(s, order)

    def attachment_content(self, number: str, attachment_id: int) -> tuple[str, bytes]:
        with self._session() as s:
            order = self._order(s, number)
            for att in order.attachments:
                if att.id == attachment_id:
                    return att.filename, att.content
            raise NotFoundError(f"order {order.number} has no attachment {attachment_id}")

    # -- the state machine ----------------------------------------------------------------
    def sign(self, number: str, *, party: Party | str, name: str, title: str) -> dict[str, Any]:
        """Record one party's signature; with both, the order becomes signed."""
        who = parse_enum(Party, party, "signing party")
        if not name.strip() or not title.strip():
            raise ValidationError("a signature needs the signatory's name and title")
        with self._writing() as s:
            order = self._order(s, number)
            check_signable(order)
            if who in {sig.party for sig in order.signatures}:
                raise StateError(f"order {order.number} is already signed by {who.value}")
            order.signatures.append(
                AcsaSignature(
                    party=who,
                    name=name.strip(),
                    title=title.strip(),
                    signed_at=self.clock(),
                    classification=order.classification,
                )
            )
            if {sig.party for sig in order.signatures} == {order.requesting, order.supplying}:
                transition(order, OrderState.SIGNED, actor=self.actor, at=self.clock())
            s.flush()
            return self._view(s, order)

    def advance(self, number: str, to: OrderState | str, *, note: str = "") -> dict[str, Any]:
        """A plain transition (signed, issued, received, disputed, closed); see the
        specific methods for invoice, settle, resolve and the overdue sweep."""
        target = parse_enum(OrderState, to, "state")
        handlers = {
            OrderState.INVOICED: lambda: self.invoice(number, note=note),
            OrderState.CLOSED: lambda: self.close(number, note=note),
        }
        if target in handlers:
            return handlers[target]()
        if target in (OrderState.SETTLED, OrderState.OVERDUE):
            raise StateError(
                f"an order becomes {target.value} through the ledger: use "
                + ("`setu acsa settle`" if target is OrderState.SETTLED else "`setu acsa sweep`")
            )
        with self._writing() as s:
            order = self._order(s, number)
            if target is OrderState.DISPUTED and not note.strip():
                raise ValidationError("say what is disputed (--note)")
            transition(order, target, actor=self.actor, at=self.clock(), note=note)
            s.flush()
            return self._view(s, order)

    def issue(self, number: str, note: str = "") -> dict[str, Any]:
        return self.advance(number, OrderState.ISSUED, note=note)

    def receive(self, number: str, note: str = "") -> dict[str, Any]:
        return self.advance(number, OrderState.RECEIVED, note=note)

    def dispute(self, number: str, note: str) -> dict[str, Any]:
        return self.advance(number, OrderState.DISPUTED, note=note)

    def resolve(self, number: str, note: str = "") -> dict[str, Any]:
        with self._writing() as s:
            order = self._order(s, number)
            if order.state is not OrderState.DISPUTED or order.state_before_dispute is None:
                raise StateError(f"order {order.number} is not disputed")
            back = order.state_before_dispute
            transition(order, back, actor=self.actor, at=self.clock(), note=note)
            s.flush()
            return self._view(s, order)

    def invoice(self, number: str, note: str = "") -> dict[str, Any]:
        """Invoice a received order: post its value and start the settlement clock."""
        now = self.clock()
        with self._writing() as s:
            order = self._order(s, number)
            transition(order, OrderState.INVOICED, actor=self.actor, at=now, note=note)
            order.invoiced_at = now
            order.settle_by = now + self.deadlines.for_method(order.settlement)
            for currency, amount in sorted(ledger.order_totals(order.lines).items()):
                ledger.post(
                    s,
                    order,
                    kind=EntryKind.INVOICE,
                    currency=currency,
                    amount=amount,
                    at=now,
                    actor=self.actor,
                    memo=note or f"invoice {order.number}",
                )
            return self._view(s, order)

    def settle(
        self,
        number: str,
        *,
        amount: Decimal | str,
        currency: str,
        method: Settlement | str | None = None,
        memo: str = "",
    ) -> dict[str, Any]:
        """Record a settlement (cash, replacement-in-kind or equal-value exchange)."""
        code = check_currency(currency)
        value = check_amount(to_decimal(amount, "amount"), "settlement amount")
        if value <= 0:
            raise ValidationError("a settlement amount must be positive")
        check_minor_units(value, code, "settlement amount")
        now = self.clock()
        with self._writing() as s:
            order = self._order(s, number)
            how = parse_enum(Settlement, method, "method") if method else order.settlement
            self._check_settlement(s, order, how, value, code, memo)
            ledger.post(
                s,
                order,
                kind=EntryKind(how.value),
                currency=code,
                amount=-value,
                at=now,
                actor=self.actor,
                memo=memo or f"{how.value} settlement of {order.number}",
            )
            if not any(ledger.outstanding(s, order).values()):
                transition(order, OrderState.SETTLED, actor=self.actor, at=now, note=memo)
            s.flush()
            return self._view(s, order)

    def _check_settlement(
        self,
        s: Session,
        order: AcsaOrder,
        how: Settlement,
        value: Decimal,
        code: str,
        memo: str,
    ) -> None:
        if order.state not in (OrderState.INVOICED, OrderState.OVERDUE):
            raise StateError(
                f"order {order.number} is {order.state.value}; only invoiced or overdue orders "
                "are settled (resolve a dispute first)"
            )
        if how is not order.settlement:
            raise ValidationError(
                f"order {order.number} is to be settled by {order.settlement.value}, not "
                f"{how.value}; both parties agreed the method when they signed"
            )
        if how is not Settlement.CASH and not memo.strip():
            raise ValidationError(
                f"describe the supplies or services given in {how.value.replace('_', ' ')} (--memo)"
            )
        owed = ledger.outstanding(s, order).get(code, Decimal(0))
        if owed <= 0:
            raise ValidationError(f"nothing is owed in {code} on order {order.number}")
        if value > owed:
            raise ValidationError(
                f"settlement {value} {code} exceeds the {owed} {code} outstanding on {order.number}"
            )

    def close(self, number: str, note: str = "") -> dict[str, Any]:
        """Close a settled order that has both signatures and its source documents."""
        with self._writing() as s:
            order = self._order(s, number)
            if order.state is OrderState.SETTLED:
                if not order.attachments:
                    raise StateError(
                        f"order {order.number} has no source documents; attach the requisition, "
                        "receipt or invoice (`setu acsa attach`) before closing"
                    )
                if len({sig.party for sig in order.signatures}) < 2:
                    raise StateError(f"order {order.number} lacks a party's signature")
            transition(order, OrderState.CLOSED, actor=self.actor, at=self.clock(), note=note)
            s.flush()
            return self._view(s, order)

    def sweep_overdue(self) -> list[str]:
        """Mark invoiced orders past their settle-by date overdue; returns their numbers."""
        now = self.clock()
        with self._writing() as s:
            rows = s.scalars(
                select(AcsaOrder).where(
                    AcsaOrder.state == OrderState.INVOICED, AcsaOrder.settle_by < now
                )
            ).all()
            for order in rows:
                transition(
                    order, OrderState.OVERDUE, actor=self.actor, at=now, note="past settle-by"
                )
            return [o.number for o in rows]

    # -- reading --------------------------------------------------------------------------
    def get_order(self, number: str) -> dict[str, Any]:
        with self._session() as s:
            return self._view(s, self._order(s, number))

    def list_orders(
        self, *, state: str | None = None, party: str | None = None
    ) -> list[dict[str, Any]]:
        with self._session() as s:
            query = select(AcsaOrder).order_by(AcsaOrder.id)
            if state:
                query = query.where(AcsaOrder.state == parse_enum(OrderState, state, "state"))
            rows = list(s.scalars(query))
            if party:
                who = parse_enum(Party, party, "party")
                rows = [o for o in rows if who in (o.requesting, o.supplying)]
            return [self._view(s, o, full=False) for o in rows]

    def balances(self) -> list[dict[str, Any]]:
        """Receivables, payables and net position of each party in each currency."""
        with self._session() as s:
            rows = list(s.scalars(select(AcsaBalance)))
        table: dict[tuple[Party, str], dict[str, Decimal]] = defaultdict(
            lambda: {"receivable": Decimal(0), "payable": Decimal(0)}
        )
        for b in rows:
            table[(b.creditor, b.currency)]["receivable"] += b.amount
            table[(b.debtor, b.currency)]["payable"] += b.amount
        return [
            {
                "party": party.value,
                "currency": currency,
                "receivable": quantize(v["receivable"], currency),
                "payable": quantize(v["payable"], currency),
                "net": quantize(v["receivable"] - v["payable"], currency),
            }
            for (party, currency), v in sorted(table.items())
        ]

    def ageing(self) -> list[dict[str, Any]]:
        """Outstanding amounts per creditor, debtor and currency, by days since invoice."""
        now = self.clock()
        out: dict[tuple[str, str, str], dict[str, Decimal]] = {}
        with self._session() as s:
            orders = s.scalars(select(AcsaOrder).where(AcsaOrder.state.in_(_OPEN_STATES)))
            for order in orders:
                if order.invoiced_at is None:
                    continue
                days = (now - order.invoiced_at).days
                bucket = next(n for n, top in AGEING_BUCKETS if top is None or days <= top)
                for currency, owed in ledger.outstanding(s, order).items():
                    if owed == 0:
                        continue
                    key = (order.supplying.value, order.requesting.value, currency)
                    row = out.setdefault(key, {n: Decimal(0) for n, _ in AGEING_BUCKETS})
                    row[bucket] += owed
        return [
            {
                "creditor": c,
                "debtor": d,
                "currency": cur,
                **{n: quantize(v, cur) for n, v in row.items()},
                "total": quantize(sum(row.values(), Decimal(0)), cur),
            }
            for (c, d, cur), row in sorted(out.items())
        ]

    def verify(self) -> ledger.VerifyReport:
        """Recompute every balance from the transaction history (see :func:`ledger.verify`)."""
        with self._session() as s:
            return ledger.verify(s)

    def assert_verified(self) -> ledger.VerifyReport:
        report = self.verify()
        if not report.ok:
            raise IntegrityError(
                f"the ACSA books do not verify ({len(report.problems)} problem(s)): "
                + "; ".join(report.problems[:5])
                + " — restore the database from a backup or investigate the changes"
            )
        return report

    def export(self) -> list[dict[str, Any]]:
        """Every order in full (lines, signatures, documents' hashes, transitions, entries)."""
        with self._session() as s:
            return [self._view(s, o) for o in s.scalars(select(AcsaOrder).order_by(AcsaOrder.id))]
