"""Where each order line ships from (pure): multi-warehouse sourcing.

:func:`plan_sourcing` chooses, for one order, how many units of each line each warehouse
serves. It first covers as many units as the stock allows (never more than a record holds),
then, among the plans covering that many, minimises the estimated delivery cost:

    sum over warehouses used of (parcel base cost + cost per km x distance to the customer
                                 + priority surcharge)
    + a penalty for every parcel beyond the first

With ``ship_complete`` the order leaves from one warehouse only: the one that covers most of
it (the rest waits there as a backorder). Plans over every subset of warehouses are compared
exactly up to :data:`EXACT_MAX_WAREHOUSES` warehouses holding stock for the order; above that,
warehouses are added greedily by cost per unit covered.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from maillon.inventory.model import StockCandidate, Take

EXACT_MAX_WAREHOUSES = 10


@dataclass(frozen=True)
class WarehouseSite:
    """A warehouse as sourcing sees it: where it is and how much it is preferred."""

    warehouse_id: int
    priority: int
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class SourcingPolicy:
    """Costs (in cents) that sourcing trades off. Raises ValueError for negative values."""

    ship_complete: bool = False
    parcel_base_cents: int = 500
    cents_per_km: float = 0.8
    extra_parcel_penalty_cents: int = 400
    priority_cents_per_rank: int = 50
    removal: str = "fefo"

    def __post_init__(self) -> None:
        if self.removal not in ("fefo", "fifo"):
            raise ValueError("removal must be 'fefo' or 'fifo'")
        for name in (
            "parcel_base_cents",
            "cents_per_km",
            "extra_parcel_penalty_cents",
            "priority_cents_per_rank",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")


@dataclass(frozen=True)
class SourcingPlan:
    """The chosen takes, what stays short (sku -> units) and the plan's estimated cost."""

    takes: tuple[Take, ...]
    short: dict[str, int]
    cost_cents: float
    warehouses: tuple[int, ...] = field(default=())

    @property
    def complete(self) -> bool:
        """True when every unit is covered."""
        return not self.short

    @property
    def parcels(self) -> int:
        """Number of warehouses (so parcels, at least) the plan ships from."""
        return len(self.warehouses)


def distance_km(site: WarehouseSite, lat: float | None, lon: float | None) -> float:
    """Return the great-circle km from ``site`` to a point (0 when either is unknown)."""
    if site.lat is None or site.lon is None or lat is None or lon is None:
        return 0.0
    p1, p2 = math.radians(site.lat), math.radians(lat)
    dp, dl = p2 - p1, math.radians(lon - site.lon)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))


def plan_sourcing(
    lines: Sequence[tuple[str, int]],
    candidates: Sequence[StockCandidate],
    sites: Sequence[WarehouseSite],
    policy: SourcingPolicy | None = None,
    *,
    customer_lat: float | None = None,
    customer_lon: float | None = None,
) -> SourcingPlan:
    """Return the sourcing plan for ``lines`` (SKU, units still to cover).

    ``candidates`` are stock records with their available units; ``sites`` describe the
    warehouses (a warehouse without a site gets its candidates' priority and no position).
    Never plans more than a record's ``available``, even when several lines share a SKU.
    Raises ValueError for a line with a non-positive quantity.
    """
    policy = policy or SourcingPolicy()
    for sku, qty in lines:
        if qty <= 0:
            raise ValueError(f"line {sku!r} must ask for at least one unit")
    site_of = {s.warehouse_id: s for s in sites}
    for c in candidates:
        site_of.setdefault(c.warehouse_id, WarehouseSite(c.warehouse_id, c.warehouse_priority))
    wanted: dict[str, int] = {}
    for sku, qty in lines:
        wanted[sku] = wanted.get(sku, 0) + qty
    usable = [c for c in candidates if c.available > 0 and c.sku in wanted]
    held: dict[int, dict[str, int]] = {}
    for c in usable:
        per_sku = held.setdefault(c.warehouse_id, {})
        per_sku[c.sku] = per_sku.get(c.sku, 0) + c.available
    ranks = {w: r for r, w in enumerate(sorted(site_of, key=lambda w: (site_of[w].priority, w)))}
    parcel_cost = {
        w: policy.parcel_base_cents
        + policy.cents_per_km * distance_km(site_of[w], customer_lat, customer_lon)
        + policy.priority_cents_per_rank * ranks[w]
        for w in held
    }

    def covered(subset: Sequence[int]) -> int:
        return sum(min(q, sum(held[w].get(sku, 0) for w in subset)) for sku, q in wanted.items())

    def cost(subset: Sequence[int]) -> float:
        used = [w for w in subset if any(held[w].get(sku, 0) for sku in wanted)]
        return sum(parcel_cost[w] for w in used) + policy.extra_parcel_penalty_cents * max(
            0, len(used) - 1
        )

    warehouse_ids = sorted(held, key=lambda w: (parcel_cost[w], w))
    if policy.ship_complete or len(warehouse_ids) <= 1:
        subsets: list[tuple[int, ...]] = [(w,) for w in warehouse_ids]
    elif len(warehouse_ids) <= EXACT_MAX_WAREHOUSES:
        subsets = [
            combo
            for size in range(1, len(warehouse_ids) + 1)
            for combo in itertools.combinations(warehouse_ids, size)
        ]
    else:
        subsets = _greedy_subsets(warehouse_ids, wanted, held, parcel_cost)
    best: tuple[int, float, tuple[int, ...]] | None = None
    for subset in subsets:
        key = (-covered(subset), cost(subset), subset)
        if best is None or (key[0], key[1]) < (best[0], best[1]):
            best = key
    if best is None:  # nothing in stock anywhere
        return SourcingPlan((), dict(wanted), 0.0, ())
    return _assign(lines, usable, best[2], parcel_cost, policy)


def _greedy_subsets(
    warehouse_ids: list[int],
    wanted: dict[str, int],
    held: dict[int, dict[str, int]],
    parcel_cost: dict[int, float],
) -> list[tuple[int, ...]]:
    """Chains of warehouses added by cost per newly covered unit (for many warehouses)."""
    chain: list[int] = []
    out: list[tuple[int, ...]] = [(w,) for w in warehouse_ids]
    left = dict(wanted)
    while any(left.values()):

        def gain(w: int) -> int:
            return sum(min(q, held[w].get(sku, 0)) for sku, q in left.items())

        options = [w for w in warehouse_ids if w not in chain and gain(w) > 0]
        if not options:
            break
        w = min(options, key=lambda x: (parcel_cost[x] / gain(x), x))
        chain.append(w)
        for sku in left:
            left[sku] = max(0, left[sku] - held[w].get(sku, 0))
        out.append(tuple(chain))
    return out


def _assign(
    lines: Sequence[tuple[str, int]],
    usable: Sequence[StockCandidate],
    subset: tuple[int, ...],
    parcel_cost: dict[int, float],
    policy: SourcingPolicy,
) -> SourcingPlan:
    """Turn a chosen warehouse set into takes: cheapest warehouse first; within a warehouse,
    records leave in removal order (FEFO by default)."""
    order = sorted(subset, key=lambda w: (parcel_cost[w], w))
    left = {c.stock_id: c.available for c in usable}
    takes: list[Take] = []
    short: dict[str, int] = {}
    for index, (sku, qty) in enumerate(lines):
        need = qty
        for w in order:
            records = sorted(
                (c for c in usable if c.warehouse_id == w and c.sku == sku),
                key=lambda c: c.removal_key(policy.removal),
            )
            for c in records:
                if need == 0:
                    break
                q = min(need, left[c.stock_id])
                if q > 0:
                    left[c.stock_id] -= q
                    need -= q
                    takes.append(Take(index, c.stock_id, w, q))
        if need:
            short[sku] = short.get(sku, 0) + need
    used = tuple(sorted({t.warehouse_id for t in takes}))
    total = sum(parcel_cost[w] for w in used) + policy.extra_parcel_penalty_cents * max(
        0, len(used) - 1
    )
    return SourcingPlan(tuple(takes), short, total, used)
