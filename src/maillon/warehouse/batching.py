"""Order batching: which orders one picker collects in one tour, under the cart's capacity.

``solve(problem, method=...)`` takes an immutable ``BatchingProblem`` (a ``Layout``, the orders
with their pick locations, units and volume, and the cart's capacity) and returns a frozen
``BatchingResult``: the batches (order indices), each batch's picker route (from
``maillon.warehouse.routing.solve``), the total distance and the runtime.  Orders are never
split: every order is in exactly one batch and no batch exceeds the capacity.

Methods:

``"single"``
    One batch per order (the reference: single-order picking).
``"seed"``
    Seed batching (De Koster et al. 1999): open a batch with a seed order chosen by
    ``seed_rule`` (``"most_aisles"``: the order visiting most aisles; ``"farthest"``: the order
    whose farthest pick is farthest from the depot), then add, while the cart has room, the
    order chosen by ``add_rule`` (``"aisles"``: fewest aisles added to the batch, ties by
    distance between aisle centres; ``"route"``: smallest increase of the batch's route).
``"savings"`` (default)
    Clarke & Wright savings: for every pair of orders the saving is
    ``d(i) + d(j) - d(i + j)`` with ``d`` the route length of the routing method; pairs are
    taken by decreasing saving and their batches merged when the cart allows it.  Pairs whose
    orders share no aisle and lie far apart are skipped when there are many orders
    (``max_pairs``), which costs little: their saving is small.

Every method but ``"single"`` is followed, when ``improve`` is true, by a local search that
moves one order to another batch or swaps two orders of different batches when that shortens
the total walk, until no move helps or the time limit is reached.  Route lengths are cached by
batch, so each distinct batch is routed once.  All of this is heuristic: batching is NP-hard;
only the route of a given batch is exact (``routing_method="exact"`` on a single block).

``plan_waves`` groups orders into release waves by carrier cut-off time and priority.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass

from maillon.warehouse import routing
from maillon.warehouse.layout import Layout, PickLocation
from maillon.warehouse.routing import PickingProblem, RouteResult

__all__ = [
    "ADD_RULES",
    "METHODS",
    "SEED_RULES",
    "BatchOrder",
    "BatchingProblem",
    "BatchingResult",
    "Wave",
    "plan_waves",
    "solve",
]

METHODS: tuple[str, ...] = ("savings", "seed", "single")
"""Names accepted by ``solve(method=...)``."""

SEED_RULES: tuple[str, ...] = ("farthest", "most_aisles")
"""Names accepted by ``solve(seed_rule=...)``."""

ADD_RULES: tuple[str, ...] = ("aisles", "route")
"""Names accepted by ``solve(add_rule=...)``."""

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class BatchOrder:
    """One customer order as batching sees it.

    Attributes:
        picks: the pick locations of its lines (at least one).
        units: how many units it puts on the cart (``None``: one per pick).
        volume: how much room (volume or weight) it takes on the cart.
        ref: caller label (order number).
        cutoff: carrier cut-off time (any monotone clock, e.g. minutes) for ``plan_waves``.
        priority: higher is released earlier among orders of one cut-off.

    Raises:
        ValueError: if there is no pick, ``units < 1``, or ``volume`` is negative or not
            finite, or ``cutoff`` is not finite.
    """

    picks: tuple[PickLocation, ...]
    units: int | None = None
    volume: float = 0.0
    ref: str = ""
    cutoff: float = math.inf
    priority: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "picks", tuple(self.picks))
        if not self.picks:
            raise ValueError(f"Order {self.ref!r} has no pick.")
        if self.units is None:
            object.__setattr__(self, "units", len(self.picks))
        if self.size < 1:
            raise ValueError(f"Order {self.ref!r}: units = {self.units!r} < 1 not understood.")
        if not math.isfinite(self.volume) or self.volume < 0:
            raise ValueError(f"Order {self.ref!r}: volume = {self.volume!r} must be >= 0.")
        if math.isnan(self.cutoff):
            raise ValueError(f"Order {self.ref!r}: cutoff is NaN.")

    @property
    def size(self) -> int:
        """Return the units of the order (``units``, or the number of picks)."""
        return len(self.picks) if self.units is None else self.units


@dataclass(frozen=True, slots=True)
class BatchingProblem:
    """A batching instance: warehouse, orders and cart capacity (units and/or volume).

    Attributes:
        layout: the warehouse.
        orders: the orders to batch.
        max_units: most units per batch (``None``: no limit on units).
        max_volume: most volume per batch (``None``: no limit on volume).
        routing_method: the ``routing.solve`` method used for every route length
            (``"exact"``, ``"sshape"``, ``"largest_gap"``, ...).

    Raises:
        ValueError: if both capacities are ``None``, a capacity is not positive, an order
            alone exceeds the capacity, a pick is not in the layout, or the routing method is
            unknown.
    """

    layout: Layout
    orders: tuple[BatchOrder, ...]
    max_units: int | None = None
    max_volume: float | None = None
    routing_method: str = "exact"

    def __post_init__(self) -> None:
        object.__setattr__(self, "orders", tuple(self.orders))
        if self.max_units is None and self.max_volume is None:
            raise ValueError("BatchingProblem needs max_units and/or max_volume.")
        if self.max_units is not None and self.max_units < 1:
            raise ValueError(f"max_units = {self.max_units!r} < 1 not understood.")
        if self.max_volume is not None and not self.max_volume > 0:
            raise ValueError(f"max_volume = {self.max_volume!r} must be > 0.")
        if self.routing_method not in routing.METHODS:
            raise ValueError(
                f"routing_method = {self.routing_method!r} not understood; "
                f"choose one of {routing.METHODS}."
            )
        for index, order in enumerate(self.orders):
            for pick in order.picks:
                self.layout.check_pick(pick)
            if not self.fits([order]):
                raise ValueError(
                    f"Order {index} ({order.ref!r}) alone exceeds the cart capacity "
                    f"({order.size} units, volume {order.volume!r})."
                )

    def fits(self, orders: Sequence[BatchOrder]) -> bool:
        """Return whether ``orders`` fit on one cart together."""
        if self.max_units is not None and sum(o.size for o in orders) > self.max_units:
            return False
        return self.max_volume is None or (
            sum(o.volume for o in orders) <= self.max_volume * (1 + _EPS)
        )


@dataclass(frozen=True, slots=True)
class BatchingResult:
    """The answer of ``solve``.

    Attributes:
        batches: per batch, the indices of its orders (increasing); every order exactly once.
        routes: per batch, its picker route (``RouteResult.picks`` in walking order).
        distance: total walking distance of all routes.
        method: the batching method.
        runtime: wall-clock seconds spent in ``solve``.
        routed: how many distinct batches were routed (cache misses) while searching.
    """

    batches: tuple[tuple[int, ...], ...]
    routes: tuple[RouteResult, ...]
    distance: float
    method: str
    runtime: float
    routed: int

    @property
    def n_batches(self) -> int:
        """Return the number of batches (picker tours)."""
        return len(self.batches)


class _Router:
    """Route lengths of batches, cached by the set of their orders."""

    def __init__(self, problem: BatchingProblem, seed: int) -> None:
        self.problem = problem
        self.seed = seed
        self.cache: dict[frozenset[int], RouteResult] = {}
        self.multi_block = problem.layout.n_blocks > 1

    def picks(self, batch: frozenset[int]) -> tuple[PickLocation, ...]:
        return tuple(p for o in sorted(batch) for p in self.problem.orders[o].picks)

    def route(self, batch: frozenset[int]) -> RouteResult:
        found = self.cache.get(batch)
        if found is None:
            found = routing.solve(
                PickingProblem(self.problem.layout, self.picks(batch)),
                method=self.problem.routing_method,
                seed=self.seed,
                time_limit=0.05 if self.multi_block else None,
            )
            self.cache[batch] = found
        return found

    def distance(self, batch: frozenset[int]) -> float:
        return self.route(batch).distance if batch else 0.0


def solve(
    problem: BatchingProblem,
    *,
    method: str = "savings",
    seed: int = 0,
    time_limit: float = 10.0,
    improve: bool = True,
    seed_rule: str = "farthest",
    add_rule: str = "aisles",
    max_pairs: int = 20_000,
) -> BatchingResult:
    """Return batches of ``problem.orders`` built by ``method`` (see the module docstring).

    ``time_limit`` bounds the whole call loosely: construction always finishes (savings
    routes up to ``max_pairs`` pairs), the local search stops when the limit is reached.
    ``seed`` fixes the local search's move order (and the multi-block route search).

    Raises:
        ValueError: if ``method``, ``seed_rule`` or ``add_rule`` is unknown, ``time_limit``
            is negative or ``max_pairs`` is negative.
    """
    if method not in METHODS:
        raise ValueError(f"method = {method!r} not understood; choose one of {METHODS}.")
    if seed_rule not in SEED_RULES:
        raise ValueError(f"seed_rule = {seed_rule!r} not understood; choose one of {SEED_RULES}.")
    if add_rule not in ADD_RULES:
        raise ValueError(f"add_rule = {add_rule!r} not understood; choose one of {ADD_RULES}.")
    if not time_limit >= 0:
        raise ValueError(f"time_limit = {time_limit!r} < 0 not understood.")
    if max_pairs < 0:
        raise ValueError(f"max_pairs = {max_pairs!r} < 0 not understood.")
    start = time.perf_counter()
    deadline = start + time_limit
    router = _Router(problem, seed)
    n = len(problem.orders)
    if method == "single":
        batches = [frozenset([o]) for o in range(n)]
    elif method == "seed":
        batches = _seed_batching(problem, router, seed_rule, add_rule)
    else:
        batches = _savings(problem, router, max_pairs)
    if improve and method != "single" and len(batches) > 1:
        batches = _improve(problem, router, batches, random.Random(seed), deadline)
    ordered = sorted((tuple(sorted(b)) for b in batches if b), key=lambda b: b[0])
    routes = tuple(router.route(frozenset(b)) for b in ordered)
    return BatchingResult(
        batches=tuple(ordered),
        routes=routes,
        distance=float(sum(r.distance for r in routes)),
        method=method,
        runtime=time.perf_counter() - start,
        routed=len(router.cache),
    )


# ------------------------------------------------------------------------------------------
# Construction


def _aisles(order: BatchOrder) -> frozenset[int]:
    return frozenset(p.aisle for p in order.picks)


def _seed_batching(
    problem: BatchingProblem, router: _Router, seed_rule: str, add_rule: str
) -> list[frozenset[int]]:
    layout = problem.layout
    orders = problem.orders
    aisle_sets = [_aisles(o) for o in orders]

    def reach(o: int) -> float:
        return max(layout.distance(layout.depot, p) for p in orders[o].picks)

    def centre(aisle_set: frozenset[int]) -> float:
        return sum(layout.aisles[a].x for a in aisle_set) / len(aisle_set)

    seed_key: dict[int, tuple[float, float]] = {
        o: (float(len(aisle_sets[o])), reach(o))
        if seed_rule == "most_aisles"
        else (reach(o), float(len(aisle_sets[o])))
        for o in range(len(orders))
    }
    left = set(range(len(orders)))
    batches: list[frozenset[int]] = []
    while left:
        first = max(left, key=lambda o: (seed_key[o], -o))
        left.discard(first)
        batch = [first]
        covered = set(aisle_sets[first])
        while True:
            room = [o for o in left if problem.fits([orders[b] for b in batch] + [orders[o]])]
            if not room:
                break
            if add_rule == "route":
                base = router.distance(frozenset(batch))

                def added(o: int, base: float = base, batch: list[int] = batch) -> float:
                    return router.distance(frozenset([*batch, o])) - base

                chosen = min(room, key=lambda o: (added(o), o))
            else:
                middle = centre(frozenset(covered))
                chosen = min(
                    room,
                    key=lambda o: (
                        len(aisle_sets[o] - covered),
                        abs(centre(aisle_sets[o]) - middle),
                        o,
                    ),
                )
            batch.append(chosen)
            covered |= aisle_sets[chosen]
            left.discard(chosen)
        batches.append(frozenset(batch))
    return batches


def _savings(problem: BatchingProblem, router: _Router, max_pairs: int) -> list[frozenset[int]]:
    orders = problem.orders
    n = len(orders)
    single = [router.distance(frozenset([o])) for o in range(n)]
    pairs = [
        (i, j) for i in range(n) for j in range(i + 1, n) if problem.fits([orders[i], orders[j]])
    ]
    if len(pairs) > max_pairs:
        # Keep the most promising pairs: most shared aisles, then closest aisle centres.
        aisle_sets = [_aisles(o) for o in orders]
        xs = [a.x for a in problem.layout.aisles]
        centres = [sum(xs[a] for a in s) / len(s) for s in aisle_sets]
        pairs.sort(
            key=lambda p: (
                -len(aisle_sets[p[0]] & aisle_sets[p[1]]),
                abs(centres[p[0]] - centres[p[1]]),
            )
        )
        pairs = pairs[:max_pairs]
    scored: list[tuple[float, int, int]] = []
    for i, j in pairs:
        saving = single[i] + single[j] - router.distance(frozenset([i, j]))
        if saving > _EPS:
            scored.append((saving, i, j))
    scored.sort(key=lambda s: (-s[0], s[1], s[2]))
    batch_of = list(range(n))
    members: dict[int, list[int]] = {o: [o] for o in range(n)}
    for _, i, j in scored:
        a, b = batch_of[i], batch_of[j]
        if a == b:
            continue
        merged = members[a] + members[b]
        if not problem.fits([orders[o] for o in merged]):
            continue
        members[a] = merged
        for o in members.pop(b):
            batch_of[o] = a
    return [frozenset(m) for m in members.values()]


# ------------------------------------------------------------------------------------------
# Local improvement


def _improve(
    problem: BatchingProblem,
    router: _Router,
    batches: list[frozenset[int]],
    rng: random.Random,
    deadline: float,
) -> list[frozenset[int]]:
    """Move and swap orders between batches while the total distance drops.

    Passes over the orders in a seeded random order; for each order the first improving
    move (to another batch) or swap (with an order of another batch) is applied at once.
    Stops after a pass without improvement or at ``deadline``.
    """
    orders = problem.orders
    current = [b for b in batches if b]
    improved = True
    while improved:
        improved = False
        sequence = [o for b in current for o in sorted(b)]
        rng.shuffle(sequence)
        for o in sequence:
            if time.perf_counter() >= deadline:
                return [b for b in current if b]
            k = next(i for i, b in enumerate(current) if o in b)
            source = current[k]
            without = source - {o}
            base_source = router.distance(source)
            gain_out = base_source - router.distance(without)
            for m, target in enumerate(current):
                if m == k or not target:
                    continue
                base_target = router.distance(target)
                if problem.fits([orders[p] for p in target] + [orders[o]]):
                    delta = router.distance(target | {o}) - base_target - gain_out
                    if delta < -_EPS:
                        current[k], current[m] = without, target | {o}
                        improved = True
                        break
                swapped = False
                for p in sorted(target):
                    new_source = without | {p}
                    new_target = (target - {p}) | {o}
                    if not (
                        problem.fits([orders[q] for q in new_source])
                        and problem.fits([orders[q] for q in new_target])
                    ):
                        continue
                    after = router.distance(new_source) + router.distance(new_target)
                    if after < base_source + base_target - _EPS:
                        current[k], current[m] = new_source, new_target
                        improved = swapped = True
                        break
                if swapped:
                    break
    return [b for b in current if b]


# ------------------------------------------------------------------------------------------
# Wave planning


@dataclass(frozen=True, slots=True)
class Wave:
    """A release wave: orders picked together before the earliest cut-off among them.

    Attributes:
        orders: indices of the orders in the wave, in release order (cut-off, then priority,
            then index).
        cutoff: the earliest carrier cut-off among its orders (the wave's deadline).
        units: total units of its orders.
        volume: total volume of its orders.
    """

    orders: tuple[int, ...]
    cutoff: float
    units: int
    volume: float = 0.0


def plan_waves(
    orders: Sequence[BatchOrder],
    *,
    max_units: int | None = None,
    max_orders: int | None = None,
    fill_forward: bool = True,
) -> tuple[Wave, ...]:
    """Return release waves, earliest cut-off first, each within ``max_units``/``max_orders``.

    Orders are taken by cut-off (earliest first), then priority (highest first), then index.
    A wave is opened for the earliest cut-off still waiting and filled with its orders; when
    ``fill_forward`` is true and room is left, orders of later cut-offs are pulled forward
    (they leave earlier than needed, never later).  An order is never placed in a wave that
    leaves after its own cut-off, because waves leave in cut-off order.

    Raises:
        ValueError: if a limit is < 1, or an order alone exceeds ``max_units``.
    """
    if max_units is not None and max_units < 1:
        raise ValueError(f"max_units = {max_units!r} < 1 not understood.")
    if max_orders is not None and max_orders < 1:
        raise ValueError(f"max_orders = {max_orders!r} < 1 not understood.")
    for index, order in enumerate(orders):
        if max_units is not None and order.size > max_units:
            raise ValueError(
                f"Order {index} ({order.ref!r}) has {order.size} units > max_units {max_units}."
            )
    queue = sorted(range(len(orders)), key=lambda o: (orders[o].cutoff, -orders[o].priority, o))
    waves: list[Wave] = []
    while queue:
        cutoff = orders[queue[0]].cutoff
        chosen: list[int] = []
        units = 0
        for o in queue:
            if not fill_forward and orders[o].cutoff != cutoff:
                break
            if max_orders is not None and len(chosen) >= max_orders:
                break
            if max_units is not None and units + orders[o].size > max_units:
                if orders[o].cutoff != cutoff:
                    break  # keep later cut-offs in order; do not skip ahead of them
                continue
            chosen.append(o)
            units += orders[o].size
        taken = set(chosen)
        queue = [o for o in queue if o not in taken]
        waves.append(
            Wave(
                orders=tuple(chosen),
                cutoff=cutoff,
                units=units,
                volume=sum(orders[o].volume for o in chosen),
            )
        )
    return tuple(waves)
