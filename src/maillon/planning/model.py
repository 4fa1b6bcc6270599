"""Planning's state machines (pure): purchase orders."""

from __future__ import annotations

from enum import StrEnum


class PurchaseOrderStatus(StrEnum):
    """Where a purchase order is."""

    DRAFT = "draft"  # proposed, not sent yet
    SENT = "sent"  # with the supplier
    PARTIALLY_RECEIVED = "partially_received"  # some lines (or units) in
    RECEIVED = "received"  # everything in


OPEN_PO: tuple[PurchaseOrderStatus, ...] = (
    PurchaseOrderStatus.DRAFT,
    PurchaseOrderStatus.SENT,
    PurchaseOrderStatus.PARTIALLY_RECEIVED,
)
"""A purchase order in one of these still brings stock."""
