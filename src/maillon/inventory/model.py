"""Stock ledger rules (pure): movements, balances and allocation planning.

A balance is never written directly: it is the sum of ledger movements. Each movement changes
``on_hand`` and/or ``reserved`` of one product at one location. Invariants, always:
``0 <= reserved <= on_hand``, so ``available = on_hand - reserved >= 0``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class MovementKind(StrEnum):
    """Why stock changed."""

    RECEIPT = "receipt"  # goods in: +on_hand
    ADJUSTMENT = "adjustment"  # count correction: +/- on_hand
    RESERVE = "reserve"  # allocated to an order: +reserved
    RELEASE = "release"  # allocation undone (cancel): -reserved
    SHIP = "ship"  # goods out: -on_hand, -reserved
    RETURN = "return"  # customer return restocked: +on_hand


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
    """A stock record an order line could be served from."""

    stock_id: int
    sku: str
    warehouse_id: int
    warehouse_priority: int
    location_code: str
    available: int


@dataclass(frozen=True)
class Take:
    """Reserve ``quantity`` of the line's SKU from stock record ``stock_id``."""

    line_index: int
    stock_id: int
    warehouse_id: int
    quantity: int


@dataclass(frozen=True)
class AllocationPlan:
    """Where each line is served from, and what could not be covered (sku -> short units)."""

    takes: tuple[Take, ...]
    short: dict[str, int]

    @property
    def complete(self) -> bool:
        """True when every line is fully covered."""
        return not self.short


def plan_allocation(
    lines: Sequence[tuple[str, int]], candidates: Sequence[StockCandidate]
) -> AllocationPlan:
    """Plan which stock records serve ``lines`` (pairs of SKU and quantity).

    Prefers one warehouse that can serve the whole order (highest priority, i.e. lowest number,
    first), so the order ships as one parcel; otherwise serves each line from warehouses in
    priority order. Within a warehouse, locations are taken in code order. Never plans more than
    a record's ``available``, even when several lines share a SKU.
    """
    by_wh: dict[int, list[StockCandidate]] = {}
    for c in candidates:
        if c.available > 0:
            by_wh.setdefault(c.warehouse_id, []).append(c)
    priority = {c.warehouse_id: (c.warehouse_priority, c.warehouse_id) for c in candidates}
    warehouse_order = sorted(by_wh, key=lambda w: priority[w])

    def fill(allowed: list[int]) -> tuple[list[Take], dict[str, int]]:
        left = {c.stock_id: c.available for c in candidates}
        takes: list[Take] = []
        short: dict[str, int] = {}
        for index, (sku, qty) in enumerate(lines):
            need = qty
            for wh in allowed:
                for cand in sorted(by_wh.get(wh, []), key=lambda c: (c.location_code, c.stock_id)):
                    if need == 0:
                        break
                    if cand.sku != sku or left[cand.stock_id] <= 0:
                        continue
                    q = min(need, left[cand.stock_id])
                    left[cand.stock_id] -= q
                    need -= q
                    takes.append(Take(index, cand.stock_id, wh, q))
            if need:
                short[sku] = short.get(sku, 0) + need
        return takes, short

    for wh in warehouse_order:
        takes, short = fill([wh])
        if not short:
            return AllocationPlan(tuple(takes), {})
    takes, short = fill(warehouse_order)
    return AllocationPlan(tuple(takes), short)
