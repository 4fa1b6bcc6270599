"""Wave selection: which orders to release together, and which aisles to visit for them.

The problem is the one posed by the Mercado Libre SBPO 2025 optimisation challenge ("wave
order picking"): a ``WaveProblem`` lists orders (units of items), aisles (units of items in
stock there) and bounds ``[lb, ub]`` on the wave's total units.  A wave is a set of orders and
a set of aisles such that

* the total units of the chosen orders lie within ``[lb, ub]``;
* for every item, the units demanded by the chosen orders do not exceed the units stocked in
  the chosen aisles;
* at least one aisle is visited;

and the objective, to maximise, is ``units picked / aisles visited``.

``solve(problem, method=...)`` returns a frozen ``WaveResult``.  Methods:

``"greedy"``
    The baseline, best of two aisle-driven greedies.  Prefix greedy: aisles are ranked by
    stocked units of demanded items; for every prefix of that ranking, orders are packed
    greedily (largest first) into the wave under ``ub`` and the stock.  Marginal greedy:
    aisles are opened one at a time, each time the one whose stock completes the most units
    of orders not yet in the wave.  The best ratio seen wins.  Milliseconds to seconds.
``"local_search"``
    The greedy, then first-improvement moves on the aisle set (drop one aisle, add one,
    swap one for another), each evaluated by the same packing.  Heuristic.
``"dinkelbach"`` (default)
    The local search as a warm start, then Dinkelbach's parametric method: with ``lam`` the
    best ratio so far, a CP-SAT model maximises ``units - lam * aisles`` over the exact
    constraints (binary order and aisle variables, one stock row per item, the cut
    ``units - lam * aisles >= 0``).  Any solution better than 0 improves the ratio; a proven
    optimum <= 0 proves ``lam`` optimal (``WaveResult.is_optimal``).  Every solution the
    solver reports is checked for its ratio, so an iteration cut short (time limit, or no
    further improvement for a while) loses nothing.  When a solve on the whole model stops
    improving, the remaining time goes to neighbourhood searches: the same model with all
    aisles fixed to the incumbent's choice except a few visited and a few unvisited ones.
    Heuristic unless ``is_optimal``.

``read_instance(path)`` reads the challenge's text format; ``evaluate`` checks any wave.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

__all__ = [
    "METHODS",
    "WaveCheck",
    "WaveProblem",
    "WaveResult",
    "evaluate",
    "read_instance",
    "solve",
]

METHODS: tuple[str, ...] = ("dinkelbach", "local_search", "greedy")
"""Names accepted by ``solve(method=...)``."""

_Lines = tuple[tuple[int, int], ...]  # (item, units) pairs, items distinct and increasing
_IntArray = npt.NDArray[np.int64]


def _check_lines(kind: str, index: int, lines: _Lines, n_items: int, allow_empty: bool) -> None:
    if not lines and not allow_empty:
        raise ValueError(f"{kind} {index} has no item.")
    previous = -1
    for item, units in lines:
        if not 0 <= item < n_items:
            raise ValueError(f"{kind} {index} names item {item}, outside [0, {n_items}).")
        if item <= previous:
            raise ValueError(f"{kind} {index}: items must be distinct and increasing.")
        if units <= 0:
            raise ValueError(f"{kind} {index}: item {item} has units = {units} <= 0.")
        previous = item


@dataclass(frozen=True, slots=True)
class WaveProblem:
    """One wave-selection instance.

    Attributes:
        orders: per order, ``(item, units)`` pairs with distinct, increasing items.
        aisles: per aisle, ``(item, units in stock)`` pairs with distinct, increasing items.
        n_items: number of item ids (items are ``0 .. n_items - 1``).
        lb: least total units of a wave.
        ub: most total units of a wave.

    Raises:
        ValueError: if an order is empty, an item id is out of range or repeated within a
            line, a quantity is not positive, ``lb < 0``, ``ub < lb`` or there is no aisle.
    """

    orders: tuple[_Lines, ...]
    aisles: tuple[_Lines, ...]
    n_items: int
    lb: int
    ub: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "orders", tuple(tuple(map(tuple, o)) for o in self.orders))
        object.__setattr__(self, "aisles", tuple(tuple(map(tuple, a)) for a in self.aisles))
        if self.n_items < 0:
            raise ValueError(f"n_items = {self.n_items!r} < 0 not understood.")
        if self.lb < 0:
            raise ValueError(f"lb = {self.lb!r} < 0 not understood.")
        if self.ub < self.lb:
            raise ValueError(f"ub = {self.ub!r} < lb = {self.lb!r} not understood.")
        if not self.aisles:
            raise ValueError("WaveProblem needs at least one aisle.")
        for index, order in enumerate(self.orders):
            _check_lines("order", index, order, self.n_items, allow_empty=False)
        for index, aisle in enumerate(self.aisles):
            _check_lines("aisle", index, aisle, self.n_items, allow_empty=True)

    @classmethod
    def from_mappings(
        cls,
        orders: Sequence[dict[int, int]],
        aisles: Sequence[dict[int, int]],
        *,
        n_items: int,
        lb: int,
        ub: int,
    ) -> WaveProblem:
        """Return a problem from ``{item: units}`` mappings (zero quantities are dropped).

        Raises:
            ValueError: as the constructor.
        """

        def lines(mapping: dict[int, int]) -> _Lines:
            return tuple(sorted((int(i), int(u)) for i, u in mapping.items() if u != 0))

        return cls(
            orders=tuple(lines(o) for o in orders),
            aisles=tuple(lines(a) for a in aisles),
            n_items=n_items,
            lb=lb,
            ub=ub,
        )

    def order_units(self, order: int) -> int:
        """Return the total units of order ``order``.

        Raises:
            IndexError: if ``order`` does not exist.
        """
        return sum(units for _, units in self.orders[order])


@dataclass(frozen=True, slots=True)
class WaveCheck:
    """The answer of ``evaluate``: is a wave feasible, and what is it worth.

    Attributes:
        feasible: all constraints hold.
        units: total units of the chosen orders.
        n_aisles: number of distinct aisles visited.
        objective: ``units / n_aisles`` (0 when no aisle is visited).
        violations: human-readable reasons the wave is infeasible (empty when feasible).
    """

    feasible: bool
    units: int
    n_aisles: int
    objective: float
    violations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WaveResult:
    """The answer of ``solve``.

    Attributes:
        orders: chosen order indices, increasing.
        aisles: visited aisle indices, increasing.
        units: total units of the chosen orders.
        objective: ``units / len(aisles)``; 0 when no feasible wave was found.
        feasible: whether the wave satisfies every constraint (checked by ``evaluate``).
        is_optimal: ``True`` when the objective is proven maximal (Dinkelbach converged).
        method: the method that produced the wave.
        runtime: wall-clock seconds spent in ``solve``.
        iterations: Dinkelbach iterations (solver calls) run; 0 for the heuristics.
    """

    orders: tuple[int, ...]
    aisles: tuple[int, ...]
    units: int
    objective: float
    feasible: bool
    is_optimal: bool
    method: str
    runtime: float
    iterations: int = 0


# ------------------------------------------------------------------------------------------
# Reading and checking


def read_instance(path: str | Path) -> WaveProblem:
    """Return the problem stored in a challenge instance file.

    The format is: ``n_orders n_items n_aisles``; one line per order, then one per aisle, each
    ``k item_1 units_1 ... item_k units_k``; then ``lb ub``.  Repeated items on a line are
    summed.

    Raises:
        ValueError: if the file is truncated or malformed, or the data fail ``WaveProblem``.
        OSError: if the file cannot be read.
    """
    tokens = Path(path).read_text().split()
    try:
        values = [int(t) for t in tokens]
    except ValueError as error:
        raise ValueError(f"{path}: non-integer token ({error}).") from None
    position = 0

    def take() -> int:
        nonlocal position
        if position >= len(values):
            raise ValueError(f"{path}: file ends early (after {position} numbers).")
        position += 1
        return values[position - 1]

    n_orders, n_items, n_aisles = take(), take(), take()
    rows: list[dict[int, int]] = []
    for _ in range(n_orders + n_aisles):
        row: dict[int, int] = {}
        for _ in range(take()):
            item = take()
            row[item] = row.get(item, 0) + take()
        rows.append(row)
    lb, ub = take(), take()
    if position != len(values):
        raise ValueError(f"{path}: {len(values) - position} unexpected trailing numbers.")
    return WaveProblem.from_mappings(
        rows[:n_orders], rows[n_orders:], n_items=n_items, lb=lb, ub=ub
    )


def evaluate(problem: WaveProblem, orders: Iterable[int], aisles: Iterable[int]) -> WaveCheck:
    """Return whether the wave (``orders``, ``aisles``) is feasible and its objective.

    Duplicated indices count once.

    Raises:
        ValueError: if an order or aisle index does not exist.
    """
    chosen = sorted(set(orders))
    visited = sorted(set(aisles))
    for o in chosen:
        if not 0 <= o < len(problem.orders):
            raise ValueError(f"order {o} does not exist.")
    for a in visited:
        if not 0 <= a < len(problem.aisles):
            raise ValueError(f"aisle {a} does not exist.")
    demand: dict[int, int] = {}
    for o in chosen:
        for item, units in problem.orders[o]:
            demand[item] = demand.get(item, 0) + units
    stock: dict[int, int] = {}
    for a in visited:
        for item, units in problem.aisles[a]:
            stock[item] = stock.get(item, 0) + units
    units = sum(demand.values())
    violations: list[str] = []
    if not visited:
        violations.append("no aisle is visited")
    if not problem.lb <= units <= problem.ub:
        violations.append(f"units {units} outside [{problem.lb}, {problem.ub}]")
    short = [item for item, need in demand.items() if stock.get(item, 0) < need]
    if short:
        violations.append(f"{len(short)} items short of stock, e.g. item {min(short)}")
    objective = units / len(visited) if visited else 0.0
    return WaveCheck(not violations, units, len(visited), objective, tuple(violations))


# ------------------------------------------------------------------------------------------
# Solving


def solve(
    problem: WaveProblem,
    *,
    method: str = "dinkelbach",
    seed: int = 0,
    time_limit: float = 60.0,
    workers: int = 2,
) -> WaveResult:
    """Return the best wave ``method`` finds within ``time_limit`` seconds.

    ``seed`` drives the local search's move order and CP-SAT's random seed; ``workers`` is
    the number of CP-SAT search threads.  The greedies take at most ``0.2 * time_limit + 2``
    seconds (usually far less); the local search gets 15 % of the limit before Dinkelbach.
    When no feasible wave exists (or none is found), the result has ``feasible=False``, no
    order, no aisle and objective 0.

    Raises:
        ValueError: if ``method`` is unknown, ``time_limit < 0`` or ``workers < 1``.
    """
    if method not in METHODS:
        raise ValueError(f"method = {method!r} not understood; choose one of {METHODS}.")
    if not time_limit >= 0:
        raise ValueError(f"time_limit = {time_limit!r} < 0 not understood.")
    if workers < 1:
        raise ValueError(f"workers = {workers!r} < 1 not understood.")
    start = time.perf_counter()
    deadline = start + time_limit
    data = _Data(problem)
    best = _greedy(data)
    marginal = _marginal_greedy(data, min(deadline, time.perf_counter() + 0.2 * time_limit + 2))
    if _better(marginal, best):
        best = marginal
    iterations = 0
    optimal = False
    if method in ("local_search", "dinkelbach"):
        share = 1.0 if method == "local_search" else 0.15
        ls_deadline = min(deadline, time.perf_counter() + share * time_limit)
        best = _local_search(data, best, random.Random(seed), ls_deadline)
    if method == "dinkelbach":
        best, iterations, optimal = _dinkelbach(data, best, seed, deadline, workers)
    if best is None:
        return WaveResult((), (), 0, 0.0, False, False, method, time.perf_counter() - start)
    orders, aisles = sorted(best.orders), sorted(best.aisles)
    check = evaluate(problem, orders, aisles)
    return WaveResult(
        orders=tuple(orders),
        aisles=tuple(aisles),
        units=check.units,
        objective=check.objective if check.feasible else 0.0,
        feasible=check.feasible,
        is_optimal=optimal and check.feasible,
        method=method,
        runtime=time.perf_counter() - start,
        iterations=iterations,
    )


@dataclass(frozen=True, slots=True)
class _Wave:
    orders: tuple[int, ...]
    aisles: tuple[int, ...]
    units: int

    @property
    def ratio(self) -> float:
        return self.units / len(self.aisles)


class _Data:
    """Flat numpy views of a problem, restricted to orders that can ever be picked."""

    def __init__(self, problem: WaveProblem) -> None:
        self.problem = problem
        n_items = problem.n_items
        self.lb, self.ub = problem.lb, problem.ub
        a_ptr = [0]
        a_items: list[int] = []
        a_qty: list[int] = []
        for aisle in problem.aisles:
            a_items += [i for i, _ in aisle]
            a_qty += [u for _, u in aisle]
            a_ptr.append(len(a_items))
        self.a_ptr = np.array(a_ptr, dtype=np.int64)
        self.a_items = np.array(a_items, dtype=np.int64)
        self.a_qty = np.array(a_qty, dtype=np.int64)
        total = np.zeros(n_items, dtype=np.int64)
        np.add.at(total, self.a_items, self.a_qty)
        # Orders that fit in the whole warehouse and under ub on their own.
        keep: list[int] = []
        for o, order in enumerate(problem.orders):
            units = sum(u for _, u in order)
            if units <= problem.ub and all(total[i] >= u for i, u in order):
                keep.append(o)
        self.ids = np.array(keep, dtype=np.int64)
        o_ptr = [0]
        o_items: list[int] = []
        o_qty: list[int] = []
        for o in keep:
            o_items += [i for i, _ in problem.orders[o]]
            o_qty += [u for _, u in problem.orders[o]]
            o_ptr.append(len(o_items))
        self.o_ptr = np.array(o_ptr, dtype=np.int64)
        self.o_items = np.array(o_items, dtype=np.int64)
        self.o_qty = np.array(o_qty, dtype=np.int64)
        self.o_units = np.add.reduceat(self.o_qty, self.o_ptr[:-1]) if keep else self.o_qty
        self.n_orders = len(keep)
        self.n_aisles = len(problem.aisles)
        demanded = np.zeros(n_items, dtype=bool)
        demanded[self.o_items] = True
        self.demanded = demanded
        # Stocked units of demanded items per aisle: the greedy's ranking key.
        useful = np.where(demanded[self.a_items], self.a_qty, 0)
        owner = np.repeat(np.arange(self.n_aisles), np.diff(self.a_ptr))
        self.aisle_value = np.bincount(owner, weights=useful, minlength=self.n_aisles).astype(
            np.int64
        )
        self.by_size = np.argsort(-self.o_units, kind="stable")
        self.n_items = n_items

    def supply(self, aisles: Iterable[int]) -> _IntArray:
        stock = np.zeros(self.n_items, dtype=np.int64)
        for a in aisles:
            s, e = self.a_ptr[a], self.a_ptr[a + 1]
            stock[self.a_items[s:e]] += self.a_qty[s:e]
        return stock

    def pack(self, aisles: Sequence[int]) -> _Wave | None:
        """Greedy packing of orders (largest first) into the stock of ``aisles`` under ub."""
        if not aisles or self.n_orders == 0:
            return None
        stock = self.supply(aisles)
        fits = self.o_qty <= stock[self.o_items]
        short = np.add.reduceat((~fits).astype(np.int64), self.o_ptr[:-1])
        candidates = self.by_size[short[self.by_size] == 0]
        if len(candidates) == 0:
            return None if self.lb > 0 else _Wave((), tuple(aisles), 0)
        chosen: list[int] = []
        units = 0
        ub = self.ub
        ptr, items, qty, sizes = self.o_ptr, self.o_items, self.o_qty, self.o_units
        for o in candidates.tolist():
            size = int(sizes[o])
            if units + size > ub:
                continue
            s, e = ptr[o], ptr[o + 1]
            its = items[s:e]
            q = qty[s:e]
            if e - s == 1:
                i = int(its[0])
                if stock[i] < q[0]:
                    continue
                stock[i] -= q[0]
            else:
                if (stock[its] < q).any():
                    continue
                stock[its] -= q
            chosen.append(o)
            units += size
            if units == ub:
                break
        if units < self.lb:
            return None
        return _Wave(tuple(int(self.ids[o]) for o in chosen), tuple(aisles), units)


def _better(a: _Wave | None, b: _Wave | None) -> bool:
    """True when ``a`` has a strictly higher ratio than ``b``."""
    if a is None:
        return False
    if b is None:
        return True
    return a.units * len(b.aisles) > b.units * len(a.aisles)


def _greedy(data: _Data) -> _Wave | None:
    ranking = np.argsort(-data.aisle_value, kind="stable").tolist()
    best: _Wave | None = None
    for k in range(1, len(ranking) + 1):
        if data.aisle_value[ranking[k - 1]] == 0:
            break
        wave = data.pack(ranking[:k])
        if _better(wave, best):
            best = wave
        if wave is not None and wave.units >= data.ub:
            break  # more aisles cannot add units any more
        if best is not None and data.ub / k < best.ratio:
            break  # even a full wave on k aisles could not beat the best
    return best


def _marginal_greedy(data: _Data, deadline: float) -> _Wave | None:
    """Aisle-by-aisle greedy on marginal gain.

    Each step opens the aisle whose stock completes the most units of not-yet-chosen orders
    (an order is complete when every item it needs is in stock in the open aisles), then packs
    the complete orders (largest first) under ``ub`` and the stock.  When no aisle completes
    any order, the aisle covering the most missing order lines (weighted by order size) is
    opened.  Every intermediate wave is a candidate; the best ratio is returned.
    """
    if data.n_orders == 0:
        return None
    ptr, items, qty, sizes = data.o_ptr, data.o_items, data.o_qty, data.o_units
    order_of_line = np.repeat(np.arange(data.n_orders), np.diff(ptr))
    lines_of_item: dict[int, list[int]] = {}
    for line, item in enumerate(items.tolist()):
        lines_of_item.setdefault(item, []).append(line)
    aisle_lines: list[_IntArray] = []
    aisle_qty: list[_IntArray] = []
    for a in range(data.n_aisles):
        ls: list[int] = []
        qs: list[int] = []
        for p in range(int(data.a_ptr[a]), int(data.a_ptr[a + 1])):
            found = lines_of_item.get(int(data.a_items[p]), ())
            ls += found
            qs += [int(data.a_qty[p])] * len(found)
        aisle_lines.append(np.array(ls, dtype=np.int64))
        aisle_qty.append(np.array(qs, dtype=np.int64))
    stock = np.zeros(data.n_items, dtype=np.int64)
    chosen = np.zeros(data.n_orders, dtype=bool)
    opened = np.zeros(data.n_aisles, dtype=bool)
    picked: list[int] = []
    aisles: list[int] = []
    units = 0
    best: _Wave | None = None
    while time.perf_counter() < deadline and len(aisles) < data.n_aisles:
        covered = qty <= stock[items]
        missing = np.bincount(order_of_line[~covered], minlength=data.n_orders)
        alive = ~chosen & (sizes <= data.ub - units)
        gains = np.full(data.n_aisles, -1.0)
        partial = np.zeros(data.n_aisles)
        for a in np.flatnonzero(~opened).tolist():
            lines = aisle_lines[a]
            if len(lines) == 0:
                continue
            hit = lines[(~covered[lines]) & (qty[lines] <= stock[items[lines]] + aisle_qty[a])]
            if len(hit) == 0:
                gains[a] = 0.0
                continue
            owners = order_of_line[hit]
            owners = owners[alive[owners]]
            if len(owners) == 0:
                gains[a] = 0.0
                continue
            counts = np.bincount(owners, minlength=data.n_orders)
            done = np.flatnonzero((counts > 0) & (counts == missing))
            gains[a] = float(min(int(sizes[done].sum()), data.ub - units))
            partial[a] = float((sizes[owners] / missing[owners]).sum())
        if gains.max() > 0:
            a = int(np.argmax(gains))
        elif partial.max() > 0:
            a = int(np.argmax(partial))
        else:
            break
        opened[a] = True
        aisles.append(a)
        s, e = data.a_ptr[a], data.a_ptr[a + 1]
        stock[data.a_items[s:e]] += data.a_qty[s:e]
        covered = qty <= stock[items]
        incomplete = np.bincount(order_of_line[~covered], minlength=data.n_orders)
        free = np.flatnonzero(~chosen & (incomplete == 0) & (sizes <= data.ub - units))
        for o in free[np.argsort(-sizes[free], kind="stable")].tolist():
            size = int(sizes[o])
            if units + size > data.ub:
                continue
            s, e = ptr[o], ptr[o + 1]
            if (stock[items[s:e]] < qty[s:e]).any():
                continue
            stock[items[s:e]] -= qty[s:e]
            chosen[o] = True
            picked.append(o)
            units += size
        if units >= data.lb:
            wave = _Wave(tuple(int(data.ids[o]) for o in picked), tuple(aisles), units)
            if _better(wave, best):
                best = wave
        if best is not None and data.ub / (len(aisles) + 1) <= best.ratio:
            break
    return best


def _local_search(
    data: _Data, start: _Wave | None, rng: random.Random, deadline: float
) -> _Wave | None:
    """First-improvement drop / add / swap moves on the aisle set, packed greedily."""
    if start is None:
        return None
    best = start
    useful = [a for a in range(data.n_aisles) if data.aisle_value[a] > 0]
    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        current = list(best.aisles)
        outside = [a for a in useful if a not in set(current)]
        outside.sort(key=lambda a: -int(data.aisle_value[a]))
        moves: list[tuple[int, int]] = [(a, -1) for a in current]  # drop a
        moves += [(-1, b) for b in outside[:40]]  # add b
        swaps = [(a, b) for a in current for b in outside[:20]]
        rng.shuffle(swaps)
        moves += swaps
        for drop, add in moves:
            if time.perf_counter() >= deadline:
                break
            aisles = [a for a in current if a != drop]
            if add >= 0:
                aisles.append(add)
            if not aisles or (best is not None and data.ub / len(aisles) <= best.ratio):
                continue
            wave = data.pack(aisles)
            if _better(wave, best):
                assert wave is not None
                best = wave
                improved = True
                break
    return best


class _Tracker(cp_model.CpSolverSolutionCallback):
    """Records the best-ratio wave among all solutions the solver reports."""

    def __init__(
        self,
        units: cp_model.IntVar,
        count: cp_model.IntVar,
        x: list[cp_model.IntVar],
        y: list[cp_model.IntVar],
        best: _Wave | None,
        ids: _IntArray,
    ) -> None:
        super().__init__()
        self._units, self._count, self._x, self._y = units, count, x, y
        self._ids = ids
        self.best = best
        self.improved = False
        self.last = time.perf_counter()

    def on_solution_callback(self) -> None:
        units, count = self.value(self._units), self.value(self._count)
        if count <= 0:
            return
        if self.best is not None and units * len(self.best.aisles) <= self.best.units * count:
            return
        solution = self.response_proto.solution
        orders = tuple(int(self._ids[k]) for k, v in enumerate(self._x) if solution[v.index])
        aisles = tuple(a for a, v in enumerate(self._y) if solution[v.index])
        self.best = _Wave(orders, aisles, int(units))
        self.improved = True
        self.last = time.perf_counter()


def _restart_when_stale(
    solver: cp_model.CpSolver, tracker: _Tracker, finished: threading.Event, patience: float
) -> None:
    """Stop the solver once it improved the ratio and then found nothing for ``patience`` s."""
    while not finished.wait(0.1):
        if tracker.improved and time.perf_counter() - tracker.last > patience:
            solver.stop_search()
            return


def _neighbourhood(data: _Data, best: _Wave, rng: random.Random) -> tuple[list[int], list[int]]:
    """Aisles to fix for one neighbourhood search around ``best``: (at 1, at 0).

    A few visited aisles (up to 8) and some unvisited ones (up to 16: half among the 24
    best-stocked, half at random) are left free; the other visited aisles are fixed at 1, the
    other unvisited ones at 0.
    """
    visited = sorted(best.aisles)
    inside = set(visited)
    free_in = set(rng.sample(visited, min(len(visited), 8)))
    outside = [a for a in range(data.n_aisles) if a not in inside and data.aisle_value[a] > 0]
    ranked = sorted(outside, key=lambda a: -int(data.aisle_value[a]))[:24]
    top = set(rng.sample(ranked, min(len(ranked), 8)))
    rest = [a for a in outside if a not in top]
    free_out = top | set(rng.sample(rest, min(len(rest), 8)))
    at_one = [a for a in visited if a not in free_in]
    at_zero = [a for a in range(data.n_aisles) if a not in inside and a not in free_out]
    return at_one, at_zero


def _dinkelbach(
    data: _Data, start: _Wave | None, seed: int, deadline: float, workers: int
) -> tuple[_Wave | None, int, bool]:
    if data.n_orders == 0:
        return start, 0, False
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{k}") for k in range(data.n_orders)]
    y = [model.new_bool_var(f"y{a}") for a in range(data.n_aisles)]
    rows: dict[int, list[tuple[cp_model.IntVar, int]]] = {}
    ptr, items, qty = data.o_ptr.tolist(), data.o_items.tolist(), data.o_qty.tolist()
    for k in range(data.n_orders):
        for p in range(ptr[k], ptr[k + 1]):
            rows.setdefault(items[p], []).append((x[k], qty[p]))
    stock_of: dict[int, list[tuple[cp_model.IntVar, int]]] = {}
    a_ptr, a_items, a_qty = data.a_ptr.tolist(), data.a_items.tolist(), data.a_qty.tolist()
    for a in range(data.n_aisles):
        for p in range(a_ptr[a], a_ptr[a + 1]):
            if a_items[p] in rows:
                stock_of.setdefault(a_items[p], []).append((y[a], a_qty[p]))
    for item, need in rows.items():
        supply = stock_of.get(item, [])
        model.add(
            cp_model.LinearExpr.weighted_sum([v for v, _ in need], [u for _, u in need])
            <= cp_model.LinearExpr.weighted_sum([v for v, _ in supply], [u for _, u in supply])
        )
    sizes = data.o_units.tolist()
    units = model.new_int_var(data.lb, data.ub, "units")
    count = model.new_int_var(1, data.n_aisles, "aisles")
    model.add(units == cp_model.LinearExpr.weighted_sum(x, sizes))
    model.add(count == sum(y))
    best = start
    iterations = 0
    optimal = False
    patience = max(1.0, 0.08 * (deadline - time.perf_counter()))
    rng = random.Random(seed)
    neighbourhoods = False  # switched on when a global solve stalls
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0.05:
            break
        if best is None:
            model.maximize(units - data.ub * count)  # any feasible wave first
            lam = None
        else:
            lam = Fraction(best.units, len(best.aisles))
            gain = lam.denominator * units - lam.numerator * count
            model.maximize(gain)
            # Valid cut: the incumbent scores 0, so the maximum is >= 0.  Cuts of earlier
            # iterations are implied by this one (lam only grows), so they may stay.
            model.add(gain >= 0)
            model.clear_hints()  # type: ignore[no-untyped-call]
            chosen = set(best.orders)
            visited = set(best.aisles)
            for k, var in enumerate(x):
                model.add_hint(var, int(data.ids[k]) in chosen)
            for a, var in enumerate(y):
                model.add_hint(var, a in visited)
            model.add_hint(units, best.units)
            model.add_hint(count, len(best.aisles))
        target = model
        limit = remaining if best is None else max(1.0, 0.5 * remaining)
        if neighbourhoods and best is not None:
            target = model.clone()
            at_one, at_zero = _neighbourhood(data, best, rng)
            for value, fixed in ((1, at_one), (0, at_zero)):
                for a in fixed:
                    domain = target.proto.variables[y[a].index].domain  # [0, 1] for a bool
                    domain[0] = domain[1] = value
            limit = min(remaining, max(1.0, 0.5 * patience))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, min(limit, remaining))
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = seed + iterations
        tracker = _Tracker(units, count, x, y, best, data.ids)
        finished = threading.Event()
        watcher = threading.Thread(
            target=_restart_when_stale, args=(solver, tracker, finished, patience), daemon=True
        )
        watcher.start()
        try:
            status = solver.solve(target, tracker)
        finally:
            finished.set()
            watcher.join()
        iterations += 1
        best = tracker.best
        if target is not model:
            continue  # a neighbourhood: whatever happened, try another one
        if status == cp_model.INFEASIBLE:
            break
        if status == cp_model.OPTIMAL and lam is not None:
            if solver.objective_value <= 0:
                optimal = True
                break
            continue
        if not tracker.improved:
            neighbourhoods = True  # the whole model stalls: search around the incumbent
    return best, iterations, optimal
