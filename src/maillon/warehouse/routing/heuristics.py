"""The textbook single-block routing heuristics: S-shape, return, midpoint, largest gap and
combined (Roodbergen & De Koster), each a function of a ``View`` returning (distance, order).

``HEURISTICS`` maps the ``solve(method=...)`` names to them; on a multi-block layout they
ignore the middle cross-aisles (see the package docstring).
"""

from __future__ import annotations

from collections.abc import Callable

from maillon.warehouse.routing.view import INF, View


def _return(view: View) -> tuple[float, list[int]]:
    distance = view.horizontal_span() + 2 * view.offset
    order: list[int] = []
    for j in view.pick_aisles:
        distance += 2 * view.ymax(j)
        order += view.up(j)
    return distance, order


def _sshape(view: View) -> tuple[float, list[int]]:
    aisles = view.pick_aisles
    distance = view.horizontal_span() + 2 * view.offset
    order: list[int] = []
    at_front = True
    for k, j in enumerate(aisles):
        if k == len(aisles) - 1 and len(aisles) % 2 == 1:
            distance += 2 * view.ymax(j)
            order += view.up(j)
        else:
            distance += view.length
            order += view.up(j) if at_front else view.down(j)
            at_front = not at_front
    return distance, order


def _split_route(view: View, split: Callable[[list[float]], int]) -> tuple[float, list[int]]:
    """Midpoint / largest-gap skeleton.  ``split(ys)`` = how many picks go from the front."""
    aisles = view.pick_aisles
    if len(aisles) == 1:
        return _return(view)
    length = view.length
    distance = view.horizontal_span() + 2 * length + 2 * view.offset
    front: dict[int, list[int]] = {}
    back: dict[int, list[int]] = {}
    for j in aisles[1:-1]:
        entries = view.by_aisle[j]
        cut = split([y for y, _ in entries])
        lower, upper = entries[:cut], entries[cut:]
        if lower:
            distance += 2 * lower[-1][0]
        if upper:
            distance += 2 * (length - upper[0][0])
        front[j] = [i for _, i in lower]
        back[j] = [i for _, i in reversed(upper)]
    middle = aisles[1:-1]
    order: list[int] = []
    for j in reversed(middle):  # on the way out, moving left from the depot
        if view.xs[j] < view.depot_x:
            order += front[j]
    order += view.up(aisles[0])
    for j in middle:
        order += back[j]
    order += view.down(aisles[-1])
    for j in reversed(middle):  # on the way back, moving left towards the depot
        if view.xs[j] >= view.depot_x:
            order += front[j]
    return distance, order


def _midpoint(view: View) -> tuple[float, list[int]]:
    half = view.length / 2

    def split(ys: list[float]) -> int:
        return sum(1 for y in ys if y <= half)

    return _split_route(view, split)


def _largest_gap(view: View) -> tuple[float, list[int]]:
    length = view.length

    def split(ys: list[float]) -> int:
        points = [0.0, *ys, length]
        gaps = [points[k + 1] - points[k] for k in range(len(points) - 1)]
        return max(range(len(gaps)), key=gaps.__getitem__)

    return _split_route(view, split)


def _combined(view: View) -> tuple[float, list[int]]:
    aisles = view.pick_aisles
    length = view.length
    # cost[s]: best distance with the picker at the front (s=0) or back (s=1) of the aisle
    # just finished; choices[k][s] = (previous side, traversed?) for backtracking.
    cost = [0.0, INF]
    choices: list[tuple[tuple[int, bool], tuple[int, bool]]] = []
    previous_x = view.xs[aisles[0]]
    for j in aisles:
        dx = view.xs[j] - previous_x
        previous_x = view.xs[j]
        arrive = [cost[0] + dx, cost[1] + dx]
        ret = [2 * view.ymax(j), 2 * (length - view.ymin(j))]
        new = [INF, INF]
        pick: list[tuple[int, bool]] = [(0, False), (0, False)]
        for side in (0, 1):
            if arrive[side] == INF:
                continue
            stay = arrive[side] + ret[side]
            if stay < new[side]:
                new[side], pick[side] = stay, (side, False)
            cross = arrive[side] + length
            if cross < new[1 - side]:
                new[1 - side], pick[1 - side] = cross, (side, True)
        cost = new
        choices.append((pick[0], pick[1]))
    distance = cost[0] + view.horizontal_span() + 2 * view.offset
    distance -= view.xs[aisles[-1]] - view.xs[aisles[0]]  # counted in the DP already
    sides: list[tuple[int, bool]] = []
    side = 0
    for k in range(len(aisles) - 1, -1, -1):
        came_from, traversed = choices[k][side]
        sides.append((came_from, traversed))
        side = came_from
    sides.reverse()
    order: list[int] = []
    for j, (entered, _traversed) in zip(aisles, sides, strict=True):
        order += view.up(j) if entered == 0 else view.down(j)
    return distance, order


HEURISTICS: dict[str, Callable[[View], tuple[float, list[int]]]] = {
    "sshape": _sshape,
    "return": _return,
    "midpoint": _midpoint,
    "largest_gap": _largest_gap,
    "combined": _combined,
}
