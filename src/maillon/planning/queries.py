"""Read-only questions about planning that pages ask: supplier codes, which purchase orders
are late. Each changes nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.planning.model import PurchaseOrderStatus
from maillon.planning.tables import PurchaseOrder, Supplier


def supplier_codes(*, session: Session) -> dict[int, str]:
    """Return every supplier's code by its id."""
    return {s.id: s.code for s in session.scalars(select(Supplier))}


def is_late(po: PurchaseOrder, now: datetime) -> bool:
    """Return whether a purchase order is late: sent (or partly received) and expected before
    ``now``."""
    return (
        po.status in (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED)
        and po.expected_at is not None
        and clock.as_utc(po.expected_at) < now
    )
