"""Dinkelbach's parametric method on a CP-SAT model of the exact wave problem.

With ``lam`` the best ratio so far, the model maximises ``units - lam * aisles`` under the
cut ``units - lam * aisles >= 0``; every reported solution is checked for its ratio
(``_Tracker``), a solve that stalls is stopped, and once the whole model stalls the remaining
time goes to neighbourhood searches around the incumbent (see the package docstring).
"""

from __future__ import annotations

import random
import threading
import time
from fractions import Fraction

from ortools.sat.python import cp_model

from maillon.warehouse.waves.data import Data, IntArray, Wave


class _Tracker(cp_model.CpSolverSolutionCallback):
    """Records the best-ratio wave among all solutions the solver reports."""

    def __init__(
        self,
        units: cp_model.IntVar,
        count: cp_model.IntVar,
        x: list[cp_model.IntVar],
        y: list[cp_model.IntVar],
        best: Wave | None,
        ids: IntArray,
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
        self.best = Wave(orders, aisles, int(units))
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


def _neighbourhood(data: Data, best: Wave, rng: random.Random) -> tuple[list[int], list[int]]:
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


class _Model:
    """The CP-SAT model of the exact wave problem: order and aisle variables, stock rows."""

    def __init__(self, data: Data) -> None:
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
        self.model, self.x, self.y, self.units, self.count = model, x, y, units, count

    def aim(self, data: Data, best: Wave | None) -> Fraction | None:
        """Set the objective for the next iteration; return its ``lam`` (``None``: the first).

        With an incumbent, maximise ``units - lam * aisles`` for its ratio ``lam``, add the cut
        that keeps the maximum >= 0 and hint the incumbent.
        """
        model, units, count = self.model, self.units, self.count
        if best is None:
            model.maximize(units - data.ub * count)  # any feasible wave first
            return None
        lam = Fraction(best.units, len(best.aisles))
        gain = lam.denominator * units - lam.numerator * count
        model.maximize(gain)
        # Valid cut: the incumbent scores 0, so the maximum is >= 0.  Cuts of earlier
        # iterations are implied by this one (lam only grows), so they may stay.
        model.add(gain >= 0)
        model.clear_hints()  # type: ignore[no-untyped-call]
        chosen = set(best.orders)
        visited = set(best.aisles)
        for k, var in enumerate(self.x):
            model.add_hint(var, int(data.ids[k]) in chosen)
        for a, var in enumerate(self.y):
            model.add_hint(var, a in visited)
        model.add_hint(units, best.units)
        model.add_hint(count, len(best.aisles))
        return lam

    def around(self, data: Data, best: Wave, rng: random.Random) -> cp_model.CpModel:
        """Return a copy of the model restricted to a neighbourhood of ``best``."""
        target = self.model.clone()
        at_one, at_zero = _neighbourhood(data, best, rng)
        for value, fixed in ((1, at_one), (0, at_zero)):
            for a in fixed:
                domain = target.proto.variables[self.y[a].index].domain  # [0, 1] for a bool
                domain[0] = domain[1] = value
        return target


def _run(
    target: cp_model.CpModel,
    tracker: _Tracker,
    limit: float,
    *,
    seed: int,
    workers: int,
    patience: float,
) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
    """Solve ``target`` within ``limit`` seconds, stopped once stale; return (solver, status)."""
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
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
    return solver, status


def dinkelbach(
    data: Data, start: Wave | None, seed: int, deadline: float, workers: int
) -> tuple[Wave | None, int, bool]:
    if data.n_orders == 0:
        return start, 0, False
    built = _Model(data)
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
        lam = built.aim(data, best)
        target = built.model
        limit = remaining if best is None else max(1.0, 0.5 * remaining)
        if neighbourhoods and best is not None:
            target = built.around(data, best, rng)
            limit = min(remaining, max(1.0, 0.5 * patience))
        tracker = _Tracker(built.units, built.count, built.x, built.y, best, data.ids)
        solver, status = _run(
            target,
            tracker,
            max(0.05, min(limit, remaining)),
            seed=seed + iterations,
            workers=workers,
            patience=patience,
        )
        iterations += 1
        best = tracker.best
        if target is not built.model:
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
