"""ACSA orders: the state machine and the rules each transition enforces.

::

    draft ─(both sign)─▶ signed ─▶ issued ─▶ received ─▶ invoiced ─▶ settled ─▶ closed
                                    │          │           │  │        ▲
                                    └──────────┴───────────┴──┼─▶ disputed (resolve returns)
                                                              └─▶ overdue (past settle-by)

- **signed** needs the signatures of both parties (requesting and supplying), and a complete
  order (requisition reference, delivery place, at least one line).
- **invoiced** posts one ledger entry per currency for the order's value and sets the settle-by
  date from the settlement method's deadline.
- **settled** is reached when settlement entries bring every currency's outstanding to zero.
- **closed** needs a settled order with both signatures and at least one source document.
- **overdue** is set by the sweep when an invoiced order passes its settle-by date.
- **disputed** can be entered from issued, received, invoiced or overdue; resolving returns to
  the state it came from.

Every transition is recorded (from, to, who, when, note).
"""

from __future__ import annotations

from datetime import datetime

from setu.errors import StateError, ValidationError
from setu.logistics.models import AcsaOrder, AcsaTransition, OrderState

S = OrderState

TRANSITIONS: dict[OrderState, set[OrderState]] = {
    S.DRAFT: {S.SIGNED},
    S.SIGNED: {S.ISSUED},
    S.ISSUED: {S.RECEIVED, S.DISPUTED},
    S.RECEIVED: {S.INVOICED, S.DISPUTED},
    S.INVOICED: {S.SETTLED, S.OVERDUE, S.DISPUTED},
    S.OVERDUE: {S.SETTLED, S.DISPUTED},
    S.DISPUTED: {S.ISSUED, S.RECEIVED, S.INVOICED, S.OVERDUE},
    S.SETTLED: {S.CLOSED},
    S.CLOSED: set(),
}


def missing_fields(order: AcsaOrder) -> list[str]:
    """Required fields an order lacks before it may be signed (AGATRS audit findings)."""
    missing = []
    if not order.requisition_ref.strip():
        missing.append("requisition reference (--requisition)")
    if not order.delivery_place.strip():
        missing.append("delivery place (--place)")
    if not order.lines:
        missing.append("at least one line item")
    if order.requesting == order.supplying:
        missing.append("two different parties")
    return missing


def check_signable(order: AcsaOrder) -> None:
    if order.state is not S.DRAFT:
        raise StateError(f"order {order.number} is {order.state.value}; only drafts are signed")
    missing = missing_fields(order)
    if missing:
        raise ValidationError(
            f"order {order.number} cannot be signed; it lacks: {', '.join(missing)}"
        )


def check_editable(order: AcsaOrder) -> None:
    if order.state is not S.DRAFT:
        raise StateError(
            f"order {order.number} is {order.state.value}; only drafts can be changed "
            "(signed orders are records of what both parties agreed)"
        )


def transition(
    order: AcsaOrder, to: OrderState, *, actor: str, at: datetime, note: str = ""
) -> AcsaTransition:
    """Move ``order`` to ``to`` if the state machine allows it, recording who and when."""
    if to not in TRANSITIONS[order.state]:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[order.state])) or "none"
        raise StateError(
            f"order {order.number} is {order.state.value}; it cannot become {to.value} "
            f"(allowed next: {allowed})"
        )
    if to is S.SIGNED:
        signed = {s.party for s in order.signatures}
        if signed != {order.requesting, order.supplying}:
            lacking = sorted(p.value for p in {order.requesting, order.supplying} - signed)
            raise StateError(
                f"order {order.number} needs the signatures of both parties; missing: "
                f"{', '.join(lacking)}"
            )
    if order.state is S.DISPUTED and to is not order.state_before_dispute:
        before = order.state_before_dispute.value if order.state_before_dispute else "?"
        raise StateError(f"order {order.number} returns from dispute to {before} only")
    row = AcsaTransition(
        from_state=order.state,
        to_state=to,
        actor=actor,
        at=at,
        note=note,
        classification=order.classification,
    )
    order.transitions.append(row)
    if to is S.DISPUTED:
        order.state_before_dispute = order.state
    elif order.state is S.DISPUTED:
        order.state_before_dispute = None
    order.state = to
    return row
