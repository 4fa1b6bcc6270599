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

One concept per module: ``problem`` (the problem, the result, ``read_instance`` and
``evaluate``), ``data`` (the solvers' numpy form of a problem and candidate waves),
``greedy`` (the greedies and the local search) and ``dinkelbach`` (the CP-SAT method).
"""

from __future__ import annotations

import random
import time

from maillon.warehouse.waves.data import Data, better
from maillon.warehouse.waves.dinkelbach import dinkelbach
from maillon.warehouse.waves.greedy import greedy, local_search, marginal_greedy
from maillon.warehouse.waves.problem import (
    WaveCheck,
    WaveProblem,
    WaveResult,
    evaluate,
    read_instance,
)

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
    data = Data(problem)
    best = greedy(data)
    marginal = marginal_greedy(data, min(deadline, time.perf_counter() + 0.2 * time_limit + 2))
    if better(marginal, best):
        best = marginal
    iterations = 0
    optimal = False
    if method in ("local_search", "dinkelbach"):
        share = 1.0 if method == "local_search" else 0.15
        ls_deadline = min(deadline, time.perf_counter() + share * time_limit)
        best = local_search(data, best, random.Random(seed), ls_deadline)
    if method == "dinkelbach":
        best, iterations, optimal = dinkelbach(data, best, seed, deadline, workers)
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
