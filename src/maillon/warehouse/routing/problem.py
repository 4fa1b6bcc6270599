"""The routing problem and its answer: ``PickingProblem`` in, ``RouteResult`` out.

``route_length`` measures any visiting order of a problem along shortest paths of the aisle
graph, the yardstick the heuristics and the tests compare routes with.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from maillon.warehouse.layout import Layout, PickLocation


@dataclass(frozen=True, slots=True)
class PickingProblem:
    """One routing problem: a warehouse and the locations to visit (duplicates allowed).

    Raises:
        ValueError: if a pick location does not exist in ``layout``.
    """

    layout: Layout
    picks: tuple[PickLocation, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "picks", tuple(self.picks))
        for pick in self.picks:
            self.layout.check_pick(pick)


@dataclass(frozen=True, slots=True)
class RouteResult:
    """The answer of ``solve``.

    Attributes:
        distance: length of the walk, depot to depot (includes the depot offset twice).
        sequence: indices into ``problem.picks``, in visiting order; each index exactly once.
        picks: the pick locations in visiting order (``problem.picks[i] for i in sequence``).
        method: the method that produced the route.
        runtime: wall-clock seconds spent in ``solve``.
        is_optimal: ``True`` when the route is proven shortest (exact DP or Held-Karp).
    """

    distance: float
    sequence: tuple[int, ...]
    picks: tuple[PickLocation, ...]
    method: str
    runtime: float
    is_optimal: bool

    def next_task(self, done: int) -> PickLocation | None:
        """Return the pick to do after ``done`` completed picks, or ``None`` when finished.

        Raises:
            ValueError: if ``done`` is negative.
        """
        if done < 0:
            raise ValueError(f"done = {done!r} < 0 not understood.")
        return self.picks[done] if done < len(self.picks) else None


def route_length(problem: PickingProblem, sequence: Sequence[int]) -> float:
    """Return the shortest-path length of visiting the picks in ``sequence`` order.

    The walk starts and ends at the depot and goes between consecutive picks along shortest
    paths of the aisle graph.

    Raises:
        ValueError: if ``sequence`` is not a permutation of ``range(len(problem.picks))``.
    """
    if sorted(sequence) != list(range(len(problem.picks))):
        raise ValueError("sequence must visit every pick of the problem exactly once.")
    if not sequence:
        return 0.0
    matrix = problem.layout.distance_matrix(problem.picks)
    nodes = [0, *(i + 1 for i in sequence), 0]
    return float(sum(matrix[u, v] for u, v in itertools.pairwise(nodes)))
