"""Picker routing in a parallel-aisle warehouse: the order in which to walk to the picks.

``solve(problem, method=...)`` takes an immutable ``PickingProblem`` (a ``Layout`` and the pick
locations of one order or batch) and returns a frozen ``RouteResult``: the walking distance, the
picks in visiting order (what a handheld shows as "next task"), the method and the runtime.

Methods (all routes start and end at the depot):

``"exact"``
    Single block: Ratliff & Rosenthal's (1983) dynamic programme over equivalence classes of
    partial tour subgraphs -- exact, linear in the number of aisles.  2 to 5 blocks: the
    same sweep with middle cross-aisles, as Roodbergen & De Koster (2001) do for one middle
    cross-aisle, generalised to several (a connectivity state over the cross-aisle vertices of
    an aisle) -- exact for any number of picks, linear in the number of aisles, exponential
    only in the number of blocks.  More than 5 blocks: Held-Karp on the shortest-path matrix
    of the aisle graph when the order has at most ``HELD_KARP_MAX`` distinct locations
    (exact), otherwise 2-opt / Or-opt local search with double-bridge perturbations from the
    best heuristic tour (NOT proven optimal).  ``RouteResult.is_optimal`` says which.
``"sshape"``
    S-shape (traversal): every aisle with picks is walked through entirely, left to right;
    with an odd number of such aisles the last one is entered and left from the front.
``"return"``
    Every aisle with picks is entered and left from the front.
``"midpoint"``
    The leftmost and rightmost pick aisles are traversed; picks in the front half of the other
    aisles are reached from the front, those in the back half from the back.
``"largest_gap"``
    As midpoint, but each middle aisle is split at its largest gap (between adjacent picks or
    a pick and a cross-aisle), which is never walked.
``"combined"``
    Roodbergen & De Koster's combined heuristic: aisles left to right, each either traversed
    or entered and left from the side the picker is on, chosen by a two-state dynamic
    programme so that the picker ends at the front.

The exact DPs sweep the aisles between the depot and the outermost pick aisles; a depot that
faces no aisle gets a virtual, non-walkable column.  Their transition tables (7 equivalence
classes for one block, 25 for two -- Roodbergen & De Koster's count -- then 113, 569, 3033) are
derived by simulating degree parity and component bookkeeping rather than typed by hand: at
import for one block, on first use for more.  Tests check both against brute force and
Held-Karp; the benchmark (``bench/picking.py``) reports the heuristics' gaps to them, the DP's
latency and that of the former multi-block method (Held-Karp / local search).

The heuristics are the single-block textbook rules; on a multi-block layout they ignore the
middle cross-aisles (the route is still a valid walk, just not the multi-block variants of
Roodbergen & De Koster 2001).  Each heuristic's ``distance`` is the length of the walk the rule
prescribes (as in the literature), which may exceed the shortest-path length of its visiting
order (``route_length``).

One concept per module: ``problem`` (the problem, the result, ``route_length``), ``view``
(picks grouped by aisle), ``heuristics``, ``segments`` (the aisle-segment configurations both
exact sweeps share), ``single_block`` (Ratliff & Rosenthal), ``multi_block`` (the multi-block
DP), ``euler`` (the Euler circuit both sweeps read their pick order from), ``matrix``
(Held-Karp on the shortest-path matrix) and ``local_search``.
"""

from __future__ import annotations

import time

from maillon.warehouse.routing.heuristics import HEURISTICS
from maillon.warehouse.routing.matrix import HELD_KARP_MAX, matrix_route
from maillon.warehouse.routing.multi_block import DP_MAX_BLOCKS, multi_block_dp
from maillon.warehouse.routing.problem import PickingProblem, RouteResult, route_length
from maillon.warehouse.routing.single_block import ratliff_rosenthal
from maillon.warehouse.routing.view import View

__all__ = [
    "HELD_KARP_MAX",
    "METHODS",
    "PickingProblem",
    "RouteResult",
    "route_length",
    "solve",
]

METHODS: tuple[str, ...] = ("exact", "sshape", "return", "midpoint", "largest_gap", "combined")
"""Names accepted by ``solve(method=...)``."""


def solve(
    problem: PickingProblem,
    *,
    method: str = "exact",
    seed: int = 0,
    time_limit: float | None = None,
) -> RouteResult:
    """Return a picker route for ``problem`` computed by ``method`` (see the module docstring).

    ``seed`` and ``time_limit`` (seconds) only matter for the fallback local search used by
    ``"exact"`` on layouts of more than 5 blocks with more than ``HELD_KARP_MAX`` distinct
    locations: it runs at most 60 seeded perturbation rounds, fewer if ``time_limit`` runs out
    (it always returns the best route found, at worst the locally optimised heuristic start).
    The dynamic programmes and Held-Karp ignore both (they take milliseconds).

    Raises:
        ValueError: if ``method`` is unknown or ``time_limit`` is negative.
    """
    if method not in METHODS:
        raise ValueError(f"method = {method!r} not understood; choose one of {METHODS}.")
    if time_limit is not None and time_limit < 0:
        raise ValueError("time_limit < 0 not understood.")
    start = time.perf_counter()
    view = View(problem)
    if not problem.picks:
        distance, order, optimal = 0.0, [], True
    elif view.at_depot_only():
        distance, order, optimal = 2 * view.offset, list(range(len(problem.picks))), True
    elif method == "exact":
        if problem.layout.n_blocks == 1:
            distance, order, optimal = *ratliff_rosenthal(view), True
        elif problem.layout.n_blocks <= DP_MAX_BLOCKS:
            distance, order, optimal = *multi_block_dp(view), True
        else:
            distance, order, optimal = matrix_route(view, seed, time_limit, start)
    else:
        distance, order = HEURISTICS[method](view)
        optimal = False
    sequence = tuple(order)
    return RouteResult(
        distance=float(distance),
        sequence=sequence,
        picks=tuple(problem.picks[i] for i in sequence),
        method=method,
        runtime=time.perf_counter() - start,
        is_optimal=optimal,
    )
