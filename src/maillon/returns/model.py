"""Returns (pure): the RMA status machine, RMA numbers and the chain event types.

An RMA goes ``requested -> approved -> label_issued -> received -> inspected -> settled ->
closed``; a request may be ``rejected``, and an RMA not yet received may be ``cancelled``. The
label step is optional (a customer may send the parcel with their own label), and an inspected
RMA may be closed without settlement (nothing refunded, for example a refused return).
"""

from __future__ import annotations

from enum import StrEnum

from maillon.core.errors import InvalidTransition

__all__ = [
    "ARRIVED",
    "CLOSED_OUT",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "ReturnStatus",
    "can_transition",
    "ensure_transition",
    "parse_rma_number",
    "rma_number",
]


class LabelStatus(StrEnum):
    """Where a return's prepaid label is."""

    NONE = ""  # no label (the customer ships it themselves)
    PENDING = "pending"  # promised, not issued yet
    ISSUED = "issued"  # the customer has it


class ReturnStatus(StrEnum):
    """Where an RMA is in its life."""

    REQUESTED = "requested"  # the customer (or an agent) asked
    APPROVED = "approved"  # the merchant accepts the units back
    LABEL_ISSUED = "label_issued"  # a return label was issued
    RECEIVED = "received"  # the parcel arrived at the warehouse
    INSPECTED = "inspected"  # every received unit has a grade
    SETTLED = "settled"  # refunded, credited or exchanged
    CLOSED = "closed"  # nothing left to do
    REJECTED = "rejected"  # the merchant refused the request
    CANCELLED = "cancelled"  # withdrawn before the parcel arrived


TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.REQUESTED: frozenset(
        {ReturnStatus.APPROVED, ReturnStatus.REJECTED, ReturnStatus.CANCELLED}
    ),
    ReturnStatus.APPROVED: frozenset(
        {ReturnStatus.LABEL_ISSUED, ReturnStatus.RECEIVED, ReturnStatus.CANCELLED}
    ),
    ReturnStatus.LABEL_ISSUED: frozenset({ReturnStatus.RECEIVED, ReturnStatus.CANCELLED}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.INSPECTED}),
    ReturnStatus.INSPECTED: frozenset({ReturnStatus.SETTLED, ReturnStatus.CLOSED}),
    ReturnStatus.SETTLED: frozenset({ReturnStatus.CLOSED}),
    ReturnStatus.CLOSED: frozenset(),
    ReturnStatus.REJECTED: frozenset(),
    ReturnStatus.CANCELLED: frozenset(),
}

OPEN_STATUSES = frozenset(
    {
        ReturnStatus.REQUESTED,
        ReturnStatus.APPROVED,
        ReturnStatus.LABEL_ISSUED,
        ReturnStatus.RECEIVED,
        ReturnStatus.INSPECTED,
    }
)
"""Statuses with work left for the merchant."""

CLOSED_OUT = (ReturnStatus.REJECTED.value, ReturnStatus.CANCELLED.value)
"""Statuses of RMAs that bring nothing back (refused or withdrawn)."""

ARRIVED = (
    ReturnStatus.RECEIVED.value,
    ReturnStatus.INSPECTED.value,
    ReturnStatus.SETTLED.value,
    ReturnStatus.CLOSED.value,
)
"""Statuses of RMAs whose parcel arrived: their received units count, not the requested ones."""


def can_transition(current: ReturnStatus, target: ReturnStatus) -> bool:
    """Return True if an RMA may go from ``current`` to ``target``."""
    return target in TRANSITIONS[current]


def ensure_transition(current: ReturnStatus, target: ReturnStatus) -> None:
    """Raise InvalidTransition unless an RMA may go from ``current`` to ``target``."""
    if not can_transition(current, target):
        raise InvalidTransition("return", current.value, target.value)


def rma_number(return_id: int) -> str:
    """Return the public RMA number of the return with database id ``return_id``."""
    return f"R{return_id:07d}"


def parse_rma_number(number: str) -> int | None:
    """Return the database id inside an RMA number (``R0000042``, ``R42`` or ``42``), or None."""
    text = number.strip().upper()
    if text.startswith("R"):
        text = text[1:]
    return int(text) if text.isdigit() and 0 < len(text) <= 9 and int(text) > 0 else None
