"""The wave problem as the challenge poses it, its answer, and reading and checking waves.

``WaveProblem`` (orders and aisles as (item, units) lines, bounds ``[lb, ub]``), validated in
its constructor; ``WaveResult``; ``read_instance`` for the challenge's text format and
``evaluate``, which checks any wave against the constraints (``WaveCheck``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

_Lines = tuple[tuple[int, int], ...]  # (item, units) pairs, items distinct and increasing


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
