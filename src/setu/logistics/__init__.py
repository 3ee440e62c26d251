"""The ACSA ledger: orders for supplies and services between the Indian Armed Forces and the
Japan Self-Defense Forces under the 2020 Acquisition and Cross-Servicing Agreement.

Owns the tables (:mod:`setu.logistics.models`), the rules (:mod:`setu.logistics.policy`: no arms
or ammunition, settlement deadlines), the order state machine (:mod:`setu.logistics.orders`),
the hash-chained ledger with its balances and integrity check (:mod:`setu.logistics.ledger`)
and the Python API, :class:`AcsaLedger`.

May import :mod:`setu.db`, :mod:`setu.errors`, :mod:`setu.clock`, SQLAlchemy and ``iso4217``
(ISO's currency list). It does not import the CLI or any web code.

Every change holds the ledger's write lock (:meth:`AcsaLedger._writing`), so concurrent
processes never share an order number, lose a balance update or over-settle an order.
"""

from __future__ import annotations

from setu.logistics.ledger import VerifyReport
from setu.logistics.models import (
    Activity,
    AttachmentKind,
    Category,
    EntryKind,
    OrderState,
    Settlement,
)
from setu.logistics.policy import Deadlines
from setu.logistics.service import AGEING_BUCKETS, AcsaLedger, LineIn

__all__ = [
    "AGEING_BUCKETS",
    "AcsaLedger",
    "Activity",
    "AttachmentKind",
    "Category",
    "Deadlines",
    "EntryKind",
    "LineIn",
    "OrderState",
    "Settlement",
    "VerifyReport",
]
