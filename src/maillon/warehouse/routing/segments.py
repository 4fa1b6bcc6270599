"""How a tour may cover one aisle segment and the cross-aisle between two aisles.

The vocabulary both exact sweeps (single block and multi-block) share: the vertical
configurations of a segment (traverse once or twice, enter from the front or the back, leave
the largest gap, nothing), the horizontal ones between two columns, degree-parity bookkeeping
(``add_degree``) and ``Column``, one aisle segment with its pick points and allowed
configurations.
"""

from __future__ import annotations

import itertools

from maillon.warehouse.routing.view import EPS

Deg = int  # 0 = no edge, 1 = odd, 2 = even and positive

# Vertical configurations inside an aisle: (edges added at a, at b, a and b joined).
TRAVERSE1, TRAVERSE2, GAP, FRONT, BACK, NOTHING = range(6)
VERTICAL: tuple[tuple[int, int, bool], ...] = (
    (1, 1, True),
    (2, 2, True),
    (2, 2, False),
    (2, 0, False),
    (0, 2, False),
    (0, 0, False),
)
# Horizontal configurations between two aisles: (front edge count, back edge count).
HORIZONTAL: tuple[tuple[int, int], ...] = ((0, 0), (1, 1), (2, 0), (0, 2), (2, 2))


def add_degree(deg: Deg, edges: int) -> Deg:
    """Return the degree class of a vertex of class ``deg`` after adding ``edges`` edges."""
    if edges == 0:
        return deg
    odd = (deg == 1) != (edges % 2 == 1)
    return 1 if odd else 2


class Column:
    """One aisle of the DP sweep (or a virtual, non-walkable column holding the depot)."""

    __slots__ = ("configs", "points", "req_a", "req_b", "walkable", "x")

    def __init__(self, x: float, ys: list[float], length: float, walkable: bool) -> None:
        self.x = x
        self.walkable = walkable
        interior = sorted({y for y in ys if EPS < y < length - EPS})
        self.req_a = any(y <= EPS for y in ys)
        self.req_b = any(y >= length - EPS for y in ys)
        self.points = [0.0, *interior, length]
        configs: list[tuple[int, float]] = []
        if not walkable:
            configs.append((NOTHING, 0.0))
        elif not interior:
            configs += [(NOTHING, 0.0), (TRAVERSE1, length), (TRAVERSE2, 2 * length)]
        else:
            configs += [
                (TRAVERSE1, length),
                (TRAVERSE2, 2 * length),
                (FRONT, 2 * interior[-1]),
                (BACK, 2 * (length - interior[0])),
            ]
            if len(interior) > 1:
                gap = max(b - a for a, b in itertools.pairwise(interior))
                configs.append((GAP, 2 * (length - gap)))
        self.configs = configs

    def segments(self, config: int) -> list[int]:
        """Multiplicity of each segment between consecutive points under ``config``."""
        n = len(self.points) - 1
        if config == TRAVERSE1:
            return [1] * n
        if config == TRAVERSE2:
            return [2] * n
        if config == FRONT:
            return [2] * (n - 1) + [0]
        if config == BACK:
            return [0] + [2] * (n - 1)
        if config == GAP:
            gaps = [self.points[k + 1] - self.points[k] for k in range(1, n - 1)]
            skip = 1 + max(range(len(gaps)), key=gaps.__getitem__)
            return [0 if k == skip else 2 for k in range(n)]
        return [0] * n
