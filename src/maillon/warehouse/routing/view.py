"""The picks of a problem grouped by aisle, with the geometry every routing method reads.

``View`` is the shared preprocessing of the heuristics, the exact sweeps and the matrix
fallback; ``EPS`` and ``INF`` are the tolerance and the infinity they all use.
"""

from __future__ import annotations

import math

from maillon.warehouse.routing.problem import PickingProblem

INF = math.inf
EPS = 1e-9


class View:
    """Picks grouped by aisle, with the geometry the algorithms need."""

    def __init__(self, problem: PickingProblem) -> None:
        layout = problem.layout
        self.problem = problem
        self.length = length = layout.aisle_length
        self.xs = [a.x for a in layout.aisles]
        self.depot_x = layout.depot.x
        self.offset = layout.depot.offset
        by_aisle: dict[int, list[tuple[float, int]]] = {}
        for index, pick in enumerate(problem.picks):
            by_aisle.setdefault(pick.aisle, []).append((min(pick.position, length), index))
        for entries in by_aisle.values():
            entries.sort()
        self.by_aisle = by_aisle
        self.pick_aisles = sorted(by_aisle)  # aisles are sorted by x already

    def at_depot_only(self) -> bool:
        """True when every pick lies on the front cross-aisle exactly at the depot."""
        return all(
            abs(self.xs[j] - self.depot_x) <= EPS and all(y <= EPS for y, _ in entries)
            for j, entries in self.by_aisle.items()
        )

    def horizontal_span(self) -> float:
        """Twice the span of the front cross-aisle covering the depot and all pick aisles."""
        left = min(self.xs[self.pick_aisles[0]], self.depot_x)
        right = max(self.xs[self.pick_aisles[-1]], self.depot_x)
        return 2 * (right - left)

    def ymax(self, j: int) -> float:
        return self.by_aisle[j][-1][0]

    def ymin(self, j: int) -> float:
        return self.by_aisle[j][0][0]

    def up(self, j: int) -> list[int]:
        return [i for _, i in self.by_aisle[j]]

    def down(self, j: int) -> list[int]:
        return [i for _, i in reversed(self.by_aisle[j])]
