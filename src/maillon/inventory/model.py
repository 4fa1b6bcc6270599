"""Stock ledger rules (pure): movements, balances and allocation planning.

A balance is never written directly: it is the sum of ledger movements. Each movement changes
``on_hand`` and/or ``reserved`` of one product at one location. Invariants, always:
``0 <= reserved <= on_hand``, so ``available = on_hand - reserved >= 0``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum


class MovementKind(StrEnum):
    """Why stock changed."""

    RECEIPT = "receipt"  # goods in: +on_hand
    ADJUSTMENT = "adjustment"  # count correction: +/- on_hand
    RESERVE = "reserve"  # allocated to an order: +reserved
    RELEASE = "release"  # allocation undone (cancel): -reserved
    SHIP = "ship"  # goods out: -on_hand, -reserved
    RETURN = "return"  # customer return restocked: +on_hand


class AlertKind(StrEnum):
    """What a stock alert is about."""

    DISCREPANCY = "discrepancy"  # a shelf sensor disagrees with the ledger
    REPLENISH = "replenish"  # a pick face is at or below its minimum
    SILENT = "silent"  # a shelf sensor stopped reporting: its shelf is not watched


class CountStatus(StrEnum):
    """Where a cycle count is."""

    OPEN = "open"  # to count
    DONE = "done"  # counted; its differences booked


@dataclass(frozen=True)
class Movement:
    """One ledger entry: the change to on-hand and reserved quantities."""

    kind: MovementKind
    delta_on_hand: int
    delta_reserved: int


@dataclass(frozen=True)
class Balance:
    """On-hand and reserved units of one product at one location."""

    on_hand: int = 0
    reserved: int = 0

    @property
    def available(self) -> int:
        """Units that can still be promised."""
        return self.on_hand - self.reserved

    def apply(self, movement: Movement) -> Balance:
        """Return the balance after ``movement``. Raises ValueError if an invariant would break."""
        nxt = Balance(
            self.on_hand + movement.delta_on_hand, self.reserved + movement.delta_reserved
        )
        if nxt.on_hand < 0 or nxt.reserved < 0 or nxt.reserved > nxt.on_hand:
            raise ValueError(
                f"{movement.kind} would leave on_hand={nxt.on_hand}, reserved={nxt.reserved}"
            )
        return nxt


def movement_for(kind: MovementKind, quantity: int) -> Movement:
    """Return the movement of ``kind`` for ``quantity`` units (adjustments may be negative).

    Raises ValueError for a zero quantity or a negative one where only positive makes sense.
    """
    if quantity == 0:
        raise ValueError("quantity must not be 0")
    if kind is not MovementKind.ADJUSTMENT and quantity < 0:
        raise ValueError(f"{kind} quantity must be > 0")
    deltas = {
        MovementKind.RECEIPT: (quantity, 0),
        MovementKind.ADJUSTMENT: (quantity, 0),
        MovementKind.RESERVE: (0, quantity),
        MovementKind.RELEASE: (0, -quantity),
        MovementKind.SHIP: (-quantity, -quantity),
        MovementKind.RETURN: (quantity, 0),
    }[kind]
    return Movement(kind, *deltas)


def replay(movements: Iterable[Movement], start: Balance | None = None) -> Balance:
    """Return the balance reached by applying ``movements`` in order; raises like ``apply``."""
    balance = start or Balance()
    for movement in movements:
        balance = balance.apply(movement)
    return balance


@dataclass(frozen=True)
class StockCandidate:
    """A stock record an order line could be served from (a lot at a location)."""

    stock_id: int
    sku: str
    warehouse_id: int
    warehouse_priority: int
    location_code: str
    available: int
    best_before: date | None = None
    received_at: datetime | None = None
    lot: str = ""

    def removal_key(self, strategy: str = "fefo") -> tuple[object, ...]:
        """Order in which records leave a warehouse: first expiring first (FEFO) for dated
        lots, then first received first (FIFO), then by location. ``strategy="fifo"`` ignores
        dates. Raises ValueError for another strategy."""
        if strategy not in ("fefo", "fifo"):
            raise ValueError(f"unknown removal strategy {strategy!r}: use fefo or fifo")
        received = self.received_at or datetime.max.replace(tzinfo=UTC)
        if strategy == "fifo":
            return (received, self.location_code, self.stock_id)
        return (self.best_before or date.max, received, self.location_code, self.stock_id)


@dataclass(frozen=True, slots=True)
class StockTake:
    """``quantity`` units of stock record ``stock_id`` (a lot of ``product_id`` at a location of
    ``warehouse_id``), to reserve, release or ship."""

    stock_id: int
    product_id: int
    warehouse_id: int
    quantity: int


@dataclass(frozen=True)
class Take:
    """Reserve ``quantity`` of the line's SKU from stock record ``stock_id``."""

    line_index: int
    stock_id: int
    warehouse_id: int
    quantity: int
