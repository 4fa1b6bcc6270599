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
"""

from __future__ import annotations

import functools
import itertools
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from maillon.warehouse.layout import Layout, PickLocation

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

HELD_KARP_MAX = 12
"""Largest number of distinct pick locations solved exactly by Held-Karp (the fallback used
for layouts of more than ``_DP_MAX_BLOCKS`` blocks)."""

_DP_MAX_BLOCKS = 5
"""Most blocks solved by the multi-block DP (its state table: 7, 25, 113, 569, 3033 states for
1-5 blocks; about 5 times more per extra block, so 6 blocks would cost ~4 s to build the table
and ~0.15 s per route)."""

_INF = math.inf
_EPS = 1e-9


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
    view = _View(problem)
    if not problem.picks:
        distance, order, optimal = 0.0, [], True
    elif view.at_depot_only():
        distance, order, optimal = 2 * view.offset, list(range(len(problem.picks))), True
    elif method == "exact":
        if problem.layout.n_blocks == 1:
            distance, order, optimal = *_ratliff_rosenthal(view), True
        elif problem.layout.n_blocks <= _DP_MAX_BLOCKS:
            distance, order, optimal = *_multi_block_dp(view), True
        else:
            distance, order, optimal = _matrix_route(view, seed, time_limit, start)
    else:
        distance, order = _HEURISTICS[method](view)
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


# ------------------------------------------------------------------------------------------
# Shared preprocessing


class _View:
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
            abs(self.xs[j] - self.depot_x) <= _EPS and all(y <= _EPS for y, _ in entries)
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


# ------------------------------------------------------------------------------------------
# Heuristics (single-block rules)


def _return(view: _View) -> tuple[float, list[int]]:
    distance = view.horizontal_span() + 2 * view.offset
    order: list[int] = []
    for j in view.pick_aisles:
        distance += 2 * view.ymax(j)
        order += view.up(j)
    return distance, order


def _sshape(view: _View) -> tuple[float, list[int]]:
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


def _split_route(view: _View, split: Callable[[list[float]], int]) -> tuple[float, list[int]]:
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


def _midpoint(view: _View) -> tuple[float, list[int]]:
    half = view.length / 2

    def split(ys: list[float]) -> int:
        return sum(1 for y in ys if y <= half)

    return _split_route(view, split)


def _largest_gap(view: _View) -> tuple[float, list[int]]:
    length = view.length

    def split(ys: list[float]) -> int:
        points = [0.0, *ys, length]
        gaps = [points[k + 1] - points[k] for k in range(len(points) - 1)]
        return max(range(len(gaps)), key=gaps.__getitem__)

    return _split_route(view, split)


def _combined(view: _View) -> tuple[float, list[int]]:
    aisles = view.pick_aisles
    length = view.length
    # cost[s]: best distance with the picker at the front (s=0) or back (s=1) of the aisle
    # just finished; choices[k][s] = (previous side, traversed?) for backtracking.
    cost = [0.0, _INF]
    choices: list[tuple[tuple[int, bool], tuple[int, bool]]] = []
    previous_x = view.xs[aisles[0]]
    for j in aisles:
        dx = view.xs[j] - previous_x
        previous_x = view.xs[j]
        arrive = [cost[0] + dx, cost[1] + dx]
        ret = [2 * view.ymax(j), 2 * (length - view.ymin(j))]
        new = [_INF, _INF]
        pick: list[tuple[int, bool]] = [(0, False), (0, False)]
        for side in (0, 1):
            if arrive[side] == _INF:
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


_HEURISTICS: dict[str, Callable[[_View], tuple[float, list[int]]]] = {
    "sshape": _sshape,
    "return": _return,
    "midpoint": _midpoint,
    "largest_gap": _largest_gap,
    "combined": _combined,
}


# ------------------------------------------------------------------------------------------
# Ratliff & Rosenthal (1983): exact DP for a single block
#
# A tour is a connected, even-degree multigraph on the aisle graph covering the depot and every
# pick.  Sweeping aisles left to right, a partial tour subgraph is summarised by the degree of
# the two frontier vertices (front a_j and back b_j of the current aisle: 0, odd, even > 0) and
# how its components touch them.  Seven classes are reachable; the transition tables below are
# derived once, at import, by simulating the component bookkeeping, rather than typed by hand.

_Deg = int  # 0 = no edge, 1 = odd, 2 = even and positive
_ClassKey = tuple[_Deg, _Deg, str]  # (deg a, deg b, "none" | "one" | "two" | "closed")

# Vertical configurations inside an aisle: (edges added at a, at b, a and b joined).
_TRAVERSE1, _TRAVERSE2, _GAP, _FRONT, _BACK, _NOTHING = range(6)
_VERTICAL: tuple[tuple[int, int, bool], ...] = (
    (1, 1, True),
    (2, 2, True),
    (2, 2, False),
    (2, 0, False),
    (0, 2, False),
    (0, 0, False),
)
# Horizontal configurations between two aisles: (front edge count, back edge count).
_HORIZONTAL: tuple[tuple[int, int], ...] = ((0, 0), (1, 1), (2, 0), (0, 2), (2, 2))


def _add_degree(deg: _Deg, edges: int) -> _Deg:
    if edges == 0:
        return deg
    odd = (deg == 1) != (edges % 2 == 1)
    return 1 if odd else 2


def _components(key: _ClassKey) -> tuple[list[set[str]], int]:
    deg_a, deg_b, kind = key
    if kind == "none":
        return [], 0
    if kind == "closed":
        return [], 1
    if kind == "two":
        return [{"a"}, {"b"}], 0
    return [{v for v, d in (("a", deg_a), ("b", deg_b)) if d}], 0


def _classify(deg_a: _Deg, deg_b: _Deg, comps: list[set[str]], detached: int) -> _ClassKey | None:
    live = [c for c in comps if c]
    detached += len(comps) - len(live)
    if detached:
        if live or detached > 1:
            return None
        return (0, 0, "closed")
    if not live:
        return (0, 0, "none")
    if len(live) == 1:
        if (deg_a == 1) != (deg_b == 1):
            return None
        return (deg_a, deg_b, "one")
    return (deg_a, deg_b, "two") if deg_a == 2 and deg_b == 2 else None


def _join(comps: list[set[str]], vertex: str) -> None:
    if not any(vertex in c for c in comps):
        comps.append({vertex})


def _vertical_step(key: _ClassKey, config: int) -> _ClassKey | None:
    add_a, add_b, connect = _VERTICAL[config]
    if key[2] == "closed" and (add_a or add_b):
        return None
    comps, detached = _components(key)
    if add_a:
        _join(comps, "a")
    if add_b:
        _join(comps, "b")
    if connect:
        merged = set().union(*(c for c in comps if "a" in c or "b" in c))
        comps = [c for c in comps if not ("a" in c or "b" in c)] + [merged]
    return _classify(_add_degree(key[0], add_a), _add_degree(key[1], add_b), comps, detached)


def _horizontal_step(key: _ClassKey, config: int) -> tuple[_ClassKey, bool, bool] | None:
    front, back = _HORIZONTAL[config]
    deg_a, deg_b, kind = key
    if kind == "closed":
        return None if front or back else (key, False, False)
    if (deg_a == 1) != (front % 2 == 1) or (deg_b == 1) != (back % 2 == 1):
        return None  # a_j or b_j would keep an odd degree
    comps, detached = _components(key)
    if front:
        _join(comps, "a")
    if back:
        _join(comps, "b")
    carried = [{v for v, n in (("a", front), ("b", back)) if n and v in c} for c in comps]
    new = _classify(_add_degree(0, front), _add_degree(0, back), carried, detached)
    if new is None:
        return None
    return new, bool(deg_a or front), bool(deg_b or back)


def _build_tables() -> tuple[
    list[_ClassKey],
    list[list[tuple[int, int]]],
    list[list[tuple[int, int, bool, bool]]],
    list[tuple[int, bool, bool]],
]:
    start: _ClassKey = (0, 0, "none")
    keys = [start]
    index = {start: 0}
    frontier = [start]
    vertical: dict[tuple[int, int], int] = {}
    horizontal: dict[tuple[int, int], tuple[int, bool, bool]] = {}

    def intern(key: _ClassKey) -> int:
        if key not in index:
            index[key] = len(keys)
            keys.append(key)
            frontier.append(key)
        return index[key]

    while frontier:
        key = frontier.pop()
        s = index[key]
        for config in range(len(_VERTICAL)):
            after = _vertical_step(key, config)
            if after is not None:
                vertical[(s, config)] = intern(after)
        for config in range(len(_HORIZONTAL)):
            step = _horizontal_step(key, config)
            if step is not None:
                horizontal[(s, config)] = (intern(step[0]), step[1], step[2])
    vt: list[list[tuple[int, int]]] = [[] for _ in _VERTICAL]
    for (s, config), t in sorted(vertical.items()):
        vt[config].append((s, t))
    ht: list[list[tuple[int, int, bool, bool]]] = [[] for _ in _HORIZONTAL]
    for (s, config), (t, a_has, b_has) in sorted(horizontal.items()):
        ht[config].append((s, t, a_has, b_has))
    final = [
        (index[k], k[0] > 0, k[1] > 0)
        for k in keys
        if k[2] == "closed" or (k[2] == "one" and k[0] != 1 and k[1] != 1)
    ]
    return keys, vt, ht, final


_CLASSES, _VT, _HT, _FINAL = _build_tables()
_N_CLASSES = len(_CLASSES)


class _Column:
    """One aisle of the DP sweep (or a virtual, non-walkable column holding the depot)."""

    __slots__ = ("configs", "points", "req_a", "req_b", "walkable", "x")

    def __init__(self, x: float, ys: list[float], length: float, walkable: bool) -> None:
        self.x = x
        self.walkable = walkable
        interior = sorted({y for y in ys if _EPS < y < length - _EPS})
        self.req_a = any(y <= _EPS for y in ys)
        self.req_b = any(y >= length - _EPS for y in ys)
        self.points = [0.0, *interior, length]
        configs: list[tuple[int, float]] = []
        if not walkable:
            configs.append((_NOTHING, 0.0))
        elif not interior:
            configs += [(_NOTHING, 0.0), (_TRAVERSE1, length), (_TRAVERSE2, 2 * length)]
        else:
            configs += [
                (_TRAVERSE1, length),
                (_TRAVERSE2, 2 * length),
                (_FRONT, 2 * interior[-1]),
                (_BACK, 2 * (length - interior[0])),
            ]
            if len(interior) > 1:
                gap = max(b - a for a, b in itertools.pairwise(interior))
                configs.append((_GAP, 2 * (length - gap)))
        self.configs = configs

    def segments(self, config: int) -> list[int]:
        """Multiplicity of each segment between consecutive points under ``config``."""
        n = len(self.points) - 1
        if config == _TRAVERSE1:
            return [1] * n
        if config == _TRAVERSE2:
            return [2] * n
        if config == _FRONT:
            return [2] * (n - 1) + [0]
        if config == _BACK:
            return [0] + [2] * (n - 1)
        if config == _GAP:
            gaps = [self.points[k + 1] - self.points[k] for k in range(1, n - 1)]
            skip = 1 + max(range(len(gaps)), key=gaps.__getitem__)
            return [0 if k == skip else 2 for k in range(n)]
        return [0] * n


def _sweep_columns(view: _View) -> tuple[list[_Column], int, list[list[int]]]:
    """Columns between the leftmost and rightmost of depot and pick aisles, left to right.

    Returns the columns, the index of the depot column and, per column, the aisle index it
    stands for (``[]`` for a virtual depot column).
    """
    xs, depot_x, length = view.xs, view.depot_x, view.length
    lo = min(xs[view.pick_aisles[0]], depot_x)
    hi = max(xs[view.pick_aisles[-1]], depot_x)
    columns: list[_Column] = []
    aisle_of: list[list[int]] = []
    depot_column = -1
    depot_placed = False
    for j, x in enumerate(xs):
        if x < lo - _EPS or x > hi + _EPS:
            continue
        if not depot_placed and depot_x < x - _EPS:
            columns.append(_Column(depot_x, [0.0], length, walkable=False))
            aisle_of.append([])
            depot_column, depot_placed = len(columns) - 1, True
        ys = [y for y, _ in view.by_aisle.get(j, [])]
        if not depot_placed and abs(depot_x - x) <= _EPS:
            ys.append(0.0)
            depot_column, depot_placed = len(columns), True
        columns.append(_Column(x, ys, length, walkable=True))
        aisle_of.append([j])
    if not depot_placed:
        columns.append(_Column(depot_x, [0.0], length, walkable=False))
        aisle_of.append([])
        depot_column = len(columns) - 1
    return columns, depot_column, aisle_of


def _ratliff_rosenthal(view: _View) -> tuple[float, list[int]]:
    columns, depot_column, aisle_of = _sweep_columns(view)
    last = len(columns) - 1
    cost = [_INF] * _N_CLASSES
    cost[0] = 0.0
    back_v: list[list[tuple[int, int]]] = []
    back_h: list[list[tuple[int, int]]] = []
    for c, column in enumerate(columns):
        new = [_INF] * _N_CLASSES
        choice = [(-1, -1)] * _N_CLASSES
        for config, extra in column.configs:
            for s, t in _VT[config]:
                value = cost[s] + extra
                if value < new[t]:
                    new[t] = value
                    choice[t] = (s, config)
        back_v.append(choice)
        cost = new
        if c == last:
            break
        dx = columns[c + 1].x - column.x
        req_a, req_b = column.req_a, column.req_b
        new = [_INF] * _N_CLASSES
        choice = [(-1, -1)] * _N_CLASSES
        for config, (front, back) in enumerate(_HORIZONTAL):
            extra = (front + back) * dx
            for s, t, a_has, b_has in _HT[config]:
                if (req_a and not a_has) or (req_b and not b_has):
                    continue
                value = cost[s] + extra
                if value < new[t]:
                    new[t] = value
                    choice[t] = (s, config)
        back_h.append(choice)
        cost = new
    best, state = _INF, -1
    for s, a_has, b_has in _FINAL:
        if (columns[last].req_a and not a_has) or (columns[last].req_b and not b_has):
            continue
        if cost[s] < best:
            best, state = cost[s], s
    if state < 0:  # cannot happen for a valid problem: a return route is always feasible
        raise RuntimeError("Ratliff-Rosenthal DP found no tour.")
    vertical_choice = [0] * len(columns)
    horizontal_choice = [0] * last
    for c in range(last, -1, -1):
        state, vertical_choice[c] = back_v[c][state]
        if c > 0:
            state, horizontal_choice[c - 1] = back_h[c - 1][state]
    order = _euler_order(view, columns, depot_column, aisle_of, vertical_choice, horizontal_choice)
    return best + 2 * view.offset, order


def _euler_order(
    view: _View,
    columns: list[_Column],
    depot_column: int,
    aisle_of: list[list[int]],
    vertical_choice: list[int],
    horizontal_choice: list[int],
) -> list[int]:
    """Walk an Euler circuit of the chosen tour subgraph; return picks in first-visit order."""
    node_base: list[int] = []
    n_nodes = 0
    for column in columns:
        node_base.append(n_nodes)
        n_nodes += len(column.points)
    adjacency: list[list[int]] = [[] for _ in range(n_nodes)]
    ends: list[tuple[int, int]] = []

    def add(u: int, v: int, times: int) -> None:
        for _ in range(times):
            adjacency[u].append(len(ends))
            adjacency[v].append(len(ends))
            ends.append((u, v))

    for c, column in enumerate(columns):
        base = node_base[c]
        for k, times in enumerate(column.segments(vertical_choice[c])):
            add(base + k, base + k + 1, times)
        if c < len(columns) - 1:
            front, back = _HORIZONTAL[horizontal_choice[c]]
            add(base, node_base[c + 1], front)
            following = node_base[c + 1] + len(columns[c + 1].points) - 1
            add(base + len(column.points) - 1, following, back)

    picks_at: dict[int, list[int]] = {}
    for c, column in enumerate(columns):
        for j in aisle_of[c]:
            position = {y: k for k, y in enumerate(column.points)}
            for y, index in view.by_aisle.get(j, []):
                if y <= _EPS:
                    k = 0
                elif y >= view.length - _EPS:
                    k = len(column.points) - 1
                else:
                    k = position[y]
                picks_at.setdefault(node_base[c] + k, []).append(index)

    used = [False] * len(ends)
    cursor = [0] * n_nodes
    stack = [node_base[depot_column]]
    circuit: list[int] = []
    while stack:
        v = stack[-1]
        edges = adjacency[v]
        while cursor[v] < len(edges) and used[edges[cursor[v]]]:
            cursor[v] += 1
        if cursor[v] == len(edges):
            circuit.append(stack.pop())
        else:
            e = edges[cursor[v]]
            used[e] = True
            u, w = ends[e]
            stack.append(w if u == v else u)
    order: list[int] = []
    for v in circuit:
        found = picks_at.pop(v, None)
        if found:
            order += found
    return order


# ------------------------------------------------------------------------------------------
# Multi-block: exact DP over partial tour subgraphs (Roodbergen & De Koster 2001, generalised)
#
# Roodbergen & De Koster (2001) extend Ratliff & Rosenthal's sweep to a warehouse with one
# middle cross-aisle: the frontier of a partial tour subgraph is the three cross-aisle
# vertices of the current aisle, and a state records their degree parities and which of them
# are already connected (25 classes).  The same sweep works for any number of cross-aisles
# (cf. Pansart, Catusse & Cambazard 2018 for this general construction): with K blocks
# the frontier has K + 1 vertices, and a state is
#
#     (closed, degree class of each vertex, component label of each vertex)
#
# where a degree class is 0 (no edge), 1 (odd) or 2 (even and positive), labels number the
# connected components of the partial subgraph in canonical order (0 = vertex not touched),
# and ``closed`` means the tour has already been completed to the left.  Each aisle is
# handled block by block (one vertical step per block segment, with Ratliff & Rosenthal's
# segment configurations: traverse once or twice, enter from one end, or leave the largest
# gap), then one horizontal step sets the multiplicity (0, 1 or 2) of every cross-aisle edge
# to the next column.  A component that stops touching the frontier is only allowed when it
# is the whole tour.  The reachable states and their transitions are enumerated once per block
# count (on first use) and the sweep runs on them as numpy arrays.  The state count grows with
# the number of cross-aisles (25, 113, 569, 3033 for 2-5 blocks; the problem is NP-hard when
# the block count is part of the input), not with the number of aisles or picks.  The result
# is a proven optimum; ``_DP_MAX_BLOCKS`` caps the block count for time and memory.

_MBState = tuple[int, ...]  # (closed, deg_0 .. deg_K, label_0 .. label_K)
_MBMove = tuple[_MBState, tuple[int, ...], int]  # (next state, edge counts, touched vertices)


def _mb_canonical(closed: int, degrees: Sequence[int], labels: Sequence[int]) -> _MBState:
    """Return the state with labels renumbered 1, 2, ... in order of first appearance."""
    mapping: dict[int, int] = {}
    renamed: list[int] = []
    for label in labels:
        if label == 0:
            renamed.append(0)
        else:
            renamed.append(mapping.setdefault(label, len(mapping) + 1))
    return (closed, *degrees, *renamed)


def _mb_start(n_vertices: int) -> _MBState:
    return (0,) + (0,) * (2 * n_vertices)


def _mb_closed(n_vertices: int) -> _MBState:
    return (1,) + (0,) * (2 * n_vertices)


def _mb_vertical(state: _MBState, block: int, config: int) -> _MBState | None:
    """State after adding ``config`` (a ``_VERTICAL`` entry) on block segment ``block``."""
    add_lo, add_hi, connect = _VERTICAL[config]
    if not add_lo and not add_hi:
        return state
    if state[0]:
        return None  # the tour is closed: no more edges
    n = (len(state) - 1) // 2
    degrees = list(state[1 : n + 1])
    labels = list(state[n + 1 :])
    fresh = max(labels) + 1
    for vertex, added in ((block, add_lo), (block + 1, add_hi)):
        if added:
            degrees[vertex] = _add_degree(degrees[vertex], added)
            if labels[vertex] == 0:
                labels[vertex], fresh = fresh, fresh + 1
    if connect:
        keep, drop = labels[block], labels[block + 1]
        labels = [keep if label == drop else label for label in labels]
    return _mb_canonical(0, degrees, labels)


def _mb_horizontal(state: _MBState) -> tuple[_MBMove, ...]:
    """Every feasible choice of cross-aisle edges to the next column from ``state``.

    Each move is (next state, edge count per cross-aisle, bit mask of the frontier vertices
    that end with a positive degree).  Odd vertices take exactly one edge, the others none or
    two, so every vertex left behind has an even degree.
    """
    n = (len(state) - 1) // 2
    if state[0]:
        return ((state, (0,) * n, 0),)
    degrees = state[1 : n + 1]
    labels = state[n + 1 :]
    live = {label for label in labels if label}
    options = [(1,) if d == 1 else (0, 2) for d in degrees]
    moves: list[_MBMove] = []
    for edges in itertools.product(*options):
        touched = sum(1 << k for k in range(n) if degrees[k] or edges[k])
        fresh = max(labels) + 1
        new_labels: list[int] = []
        for k in range(n):
            if not edges[k]:
                new_labels.append(0)
            elif labels[k]:
                new_labels.append(labels[k])
            else:
                new_labels.append(fresh)
                fresh += 1
        if live - set(new_labels):  # a component no longer touches the frontier
            if len(live) == 1 and not any(edges):
                moves.append((_mb_closed(n), edges, touched))
            continue
        moves.append((_mb_canonical(0, edges, new_labels), edges, touched))
    return tuple(moves)


class _MBColumn:
    """One aisle of the multi-block sweep (or a virtual, non-walkable depot column)."""

    __slots__ = ("aisle", "blocks", "required", "x")

    def __init__(
        self, x: float, aisle: int | None, segments: list[list[float]], bounds: Sequence[float]
    ) -> None:
        self.x = x
        self.aisle = aisle
        self.blocks = [
            _Column(x, ys, bounds[b + 1] - bounds[b], walkable=aisle is not None)
            for b, ys in enumerate(segments)
        ]
        required = 0
        for b, block in enumerate(self.blocks):
            required |= (block.req_a << b) | (block.req_b << (b + 1))
        self.required = required


def _mb_locate(y: float, bounds: Sequence[float]) -> tuple[int, float]:
    """Return (block, position relative to the block's front) of ``y``."""
    for b in range(len(bounds) - 2):
        if y <= bounds[b + 1] + _EPS:
            return b, y - bounds[b]
    return len(bounds) - 2, y - bounds[-2]


def _mb_columns(view: _View) -> tuple[list[_MBColumn], int]:
    """Columns between the leftmost and rightmost of depot and pick aisles, and the depot's."""
    bounds = view.problem.layout.cross_aisles
    n_blocks = len(bounds) - 1
    xs, depot_x = view.xs, view.depot_x
    lo = min(xs[view.pick_aisles[0]], depot_x)
    hi = max(xs[view.pick_aisles[-1]], depot_x)
    depot_segments: list[list[float]] = [[0.0]] + [[] for _ in range(n_blocks - 1)]
    columns: list[_MBColumn] = []
    depot_column = -1
    for j, x in enumerate(xs):
        if x < lo - _EPS or x > hi + _EPS:
            continue
        if depot_column < 0 and depot_x < x - _EPS:
            depot_column = len(columns)
            columns.append(_MBColumn(depot_x, None, depot_segments, bounds))
        segments: list[list[float]] = [[] for _ in range(n_blocks)]
        for y, _ in view.by_aisle.get(j, []):
            block, relative = _mb_locate(y, bounds)
            segments[block].append(relative)
        if depot_column < 0 and abs(depot_x - x) <= _EPS:
            segments[0].append(0.0)
            depot_column = len(columns)
        columns.append(_MBColumn(x, j, segments, bounds))
    if depot_column < 0:
        depot_column = len(columns)
        columns.append(_MBColumn(depot_x, None, depot_segments, bounds))
    return columns, depot_column


_IntArray = npt.NDArray[np.int64]
_FloatArray = npt.NDArray[np.float64]


class _MBTables:
    """Every reachable state of the sweep for one frontier size, with transitions as arrays.

    ``vertical[b][config]`` holds (source ids, target ids) of the vertical step on block ``b``;
    the horizontal step is flat: ``h_src``, ``h_dst``, ``h_edges`` (total edge count),
    ``h_touched`` (bit mask of frontier vertices with a positive degree) and ``h_counts``
    (edge count per cross-aisle, for drawing the tour).
    """

    def __init__(self, n_vertices: int) -> None:
        start = _mb_start(n_vertices)
        index = {start: 0}
        frontier = [start]
        vertical: list[list[tuple[list[int], list[int]]]] = [
            [([], []) for _ in _VERTICAL] for _ in range(n_vertices - 1)
        ]
        horizontal: list[tuple[int, int, tuple[int, ...], int]] = []

        def intern(state: _MBState) -> int:
            if state not in index:
                index[state] = len(index)
                frontier.append(state)
            return index[state]

        while frontier:
            state = frontier.pop()
            s = index[state]
            for b in range(n_vertices - 1):
                for config in range(len(_VERTICAL)):
                    after = _mb_vertical(state, b, config)
                    if after is not None:
                        vertical[b][config][0].append(s)
                        vertical[b][config][1].append(intern(after))
            for after, counts, touched in _mb_horizontal(state):
                horizontal.append((s, intern(after), counts, touched))
        self.n_states = len(index)
        self.start = 0
        self.closed = index[_mb_closed(n_vertices)]
        self.vertical = [
            [(np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)) for src, dst in per]
            for per in vertical
        ]
        self.h_src = np.array([h[0] for h in horizontal], dtype=np.int64)
        self.h_dst = np.array([h[1] for h in horizontal], dtype=np.int64)
        self.h_counts = np.array([h[2] for h in horizontal], dtype=np.int64)
        self.h_edges = self.h_counts.sum(axis=1).astype(np.float64)
        self.h_touched = np.array([h[3] for h in horizontal], dtype=np.int64)
        self._merged: dict[tuple[int, tuple[int, ...]], tuple[_IntArray, _IntArray, _IntArray]]
        self._merged = {}

    def block_step(
        self, block: int, configs: tuple[int, ...]
    ) -> tuple[_IntArray, _IntArray, _IntArray]:
        """Return (source, target, config) of the vertical transitions allowed by ``configs``."""
        key = (block, configs)
        if key not in self._merged:
            parts = [self.vertical[block][c] for c in configs]
            self._merged[key] = (
                np.concatenate([src for src, _ in parts]),
                np.concatenate([dst for _, dst in parts]),
                np.concatenate(
                    [
                        np.full(len(src), c, dtype=np.int64)
                        for c, (src, _) in zip(configs, parts, strict=True)
                    ]
                ),
            )
        return self._merged[key]


@functools.cache
def _mb_tables(n_vertices: int) -> _MBTables:
    return _MBTables(n_vertices)


def _mb_relax(
    cost: _FloatArray, src: _IntArray, dst: _IntArray, extra: _FloatArray, n_states: int
) -> tuple[_FloatArray, _IntArray]:
    """One DP step: the best cost per target and, per target, the winning transition."""
    candidate = cost[src] + extra
    new = np.full(n_states, _INF)
    np.minimum.at(new, dst, candidate)
    winners = np.flatnonzero((candidate == new[dst]) & np.isfinite(candidate))
    back = np.full(n_states, -1, dtype=np.int64)
    back[dst[winners]] = winners
    return new, back


def _multi_block_dp(view: _View) -> tuple[float, list[int]]:
    """Exact shortest tour for any number of blocks; returns (distance, pick order)."""
    columns, depot_column = _mb_columns(view)
    tables = _mb_tables(len(view.problem.layout.cross_aisles))
    n_states = tables.n_states
    cost = np.full(n_states, _INF)
    cost[tables.start] = 0.0
    # per column: one (back, source, label) per block, then one for the horizontal step
    trace: list[list[tuple[_IntArray, _IntArray, _IntArray]]] = []
    all_moves = np.arange(len(tables.h_src), dtype=np.int64)
    for c, column in enumerate(columns):
        steps: list[tuple[_IntArray, _IntArray, _IntArray]] = []
        for b, block in enumerate(column.blocks):
            src, dst, config = tables.block_step(b, tuple(cfg for cfg, _ in block.configs))
            extras = np.zeros(len(_VERTICAL))
            for cfg, extra in block.configs:
                extras[cfg] = extra
            cost, back = _mb_relax(cost, src, dst, extras[config], n_states)
            steps.append((back, src, config))
        last = c == len(columns) - 1
        keep = (tables.h_touched & column.required) == column.required
        if last:
            keep &= tables.h_dst == tables.closed
        moves = all_moves[keep]
        dx = 0.0 if last else columns[c + 1].x - column.x
        cost, back = _mb_relax(
            cost, tables.h_src[moves], tables.h_dst[moves], tables.h_edges[moves] * dx, n_states
        )
        steps.append((back, tables.h_src[moves], moves))
        trace.append(steps)
    best = float(cost[tables.closed])
    if not math.isfinite(best):  # cannot happen for a valid problem: a return route is feasible
        raise RuntimeError("multi-block DP found no tour.")
    configs: list[list[int]] = [[] for _ in columns]
    crossings: list[tuple[int, ...]] = [() for _ in columns]
    state = tables.closed
    for c in range(len(columns) - 1, -1, -1):
        back, src, label = trace[c][-1]
        k = int(back[state])
        state = int(src[k])
        crossings[c] = tuple(int(n) for n in tables.h_counts[label[k]])
        for b in range(len(columns[c].blocks) - 1, -1, -1):
            back, src, label = trace[c][b]
            k = int(back[state])
            state = int(src[k])
            configs[c].append(int(label[k]))
        configs[c].reverse()
    order = _mb_euler_order(view, columns, depot_column, configs, crossings)
    return best + 2 * view.offset, order


def _mb_euler_order(
    view: _View,
    columns: list[_MBColumn],
    depot_column: int,
    configs: list[list[int]],
    crossings: list[tuple[int, ...]],
) -> list[int]:
    """Walk an Euler circuit of the chosen tour subgraph; return picks in first-visit order."""
    bounds = view.problem.layout.cross_aisles
    n_vertices = len(bounds)
    n_nodes = 0
    vertex_node: list[list[int]] = []  # [column][cross-aisle] -> node
    block_nodes: list[list[list[int]]] = []  # [column][block] -> nodes of its points
    for column in columns:
        vertex_node.append(list(range(n_nodes, n_nodes + n_vertices)))
        n_nodes += n_vertices
        per_block: list[list[int]] = []
        for b, block in enumerate(column.blocks):
            inner = list(range(n_nodes, n_nodes + len(block.points) - 2))
            n_nodes += len(inner)
            per_block.append([vertex_node[-1][b], *inner, vertex_node[-1][b + 1]])
        block_nodes.append(per_block)
    edges: list[tuple[int, int]] = []
    for c, column in enumerate(columns):
        for b, block in enumerate(column.blocks):
            nodes = block_nodes[c][b]
            for k, times in enumerate(block.segments(configs[c][b])):
                edges += [(nodes[k], nodes[k + 1])] * times
        for k, times in enumerate(crossings[c]):
            if times:
                edges += [(vertex_node[c][k], vertex_node[c + 1][k])] * times
    picks_at: dict[int, list[int]] = {}
    for c, column in enumerate(columns):
        if column.aisle is None:
            continue
        for y, index in view.by_aisle.get(column.aisle, []):
            b, relative = _mb_locate(y, bounds)
            block = column.blocks[b]
            if relative <= _EPS:
                node = block_nodes[c][b][0]
            elif relative >= block.points[-1] - _EPS:
                node = block_nodes[c][b][-1]
            else:
                node = block_nodes[c][b][block.points.index(relative)]
            picks_at.setdefault(node, []).append(index)
    circuit = _euler_circuit(n_nodes, edges, vertex_node[depot_column][0])
    order: list[int] = []
    for v in circuit:
        found = picks_at.pop(v, None)
        if found:
            order += found
    return order


def _euler_circuit(n_nodes: int, edges: list[tuple[int, int]], start: int) -> list[int]:
    """Hierholzer's algorithm on an undirected multigraph whose degrees are all even."""
    adjacency: list[list[int]] = [[] for _ in range(n_nodes)]
    for e, (u, v) in enumerate(edges):
        adjacency[u].append(e)
        adjacency[v].append(e)
    used = [False] * len(edges)
    cursor = [0] * n_nodes
    stack = [start]
    circuit: list[int] = []
    while stack:
        v = stack[-1]
        incident = adjacency[v]
        while cursor[v] < len(incident) and used[incident[cursor[v]]]:
            cursor[v] += 1
        if cursor[v] == len(incident):
            circuit.append(stack.pop())
        else:
            e = incident[cursor[v]]
            used[e] = True
            u, w = edges[e]
            stack.append(w if u == v else u)
    return circuit


# ------------------------------------------------------------------------------------------
# Any layout: Held-Karp (exact) or local search (heuristic) on the shortest-path matrix.
# "exact" uses it only beyond _DP_MAX_BLOCKS blocks; it was the multi-block method before the
# DP above and stays as an independent check (tests) and a baseline (bench/picking.py).


def _matrix_route(
    view: _View, seed: int, time_limit: float | None, start: float
) -> tuple[float, list[int], bool]:
    """Held-Karp up to ``HELD_KARP_MAX`` distinct locations, else iterated local search.

    Returns (distance, pick order, proven optimal).
    """
    problem = view.problem
    location_of: dict[tuple[int, float], int] = {}
    members: list[list[int]] = []
    node_of: list[int] = []  # matrix node (1-based) of each pick
    for index, pick in enumerate(problem.picks):
        key = (pick.aisle, min(pick.position, view.length))
        if key not in location_of:
            location_of[key] = len(members)
            members.append([])
        members[location_of[key]].append(index)
        node_of.append(location_of[key] + 1)
    unique = tuple(problem.picks[m[0]] for m in members)
    matrix = problem.layout.distance_matrix(unique)
    if len(unique) <= HELD_KARP_MAX:
        distance, tour = _held_karp(matrix)
        optimal = True
    else:
        starts = []
        for heuristic in _HEURISTICS.values():
            _, order = heuristic(view)
            starts.append(list(dict.fromkeys(node_of[i] for i in order)))
        deadline = None if time_limit is None else start + time_limit
        distance, tour = _local_search(matrix, starts, random.Random(seed), deadline)
        optimal = False
    order = [i for node in tour for i in members[node - 1]]
    return distance, order, optimal


def _held_karp(matrix: npt.NDArray[np.float64]) -> tuple[float, list[int]]:
    """Exact TSP from node 0 through all other nodes; returns (length, nodes 1..n in order)."""
    n = matrix.shape[0] - 1
    if n == 1:
        return float(matrix[0, 1] + matrix[1, 0]), [1]
    inner = matrix[1:, 1:]
    size = 1 << n
    dp = np.full((size, n), _INF)
    parent = np.full((size, n), -1, dtype=np.int8)
    bits = 1 << np.arange(n)
    dp[bits, np.arange(n)] = matrix[0, 1:]
    masks = np.arange(size)
    popcount = np.zeros(size, dtype=np.int64)
    for k in range(n):
        popcount += (masks >> k) & 1
    for layer in range(1, n):
        rows = masks[popcount == layer]
        candidates = dp[rows][:, :, None] + inner[None, :, :]  # (M, from, to)
        best_from = np.argmin(candidates, axis=1)
        best = np.take_along_axis(candidates, best_from[:, None, :], axis=1)[:, 0, :]
        for k in range(n):
            free = (rows & bits[k]) == 0
            targets = rows[free] | bits[k]
            dp[targets, k] = best[free, k]
            parent[targets, k] = best_from[free, k]
    full = size - 1
    closing = dp[full] + matrix[1:, 0]
    last = int(np.argmin(closing))
    length = float(closing[last])
    tour: list[int] = []
    mask = full
    while last >= 0:
        tour.append(last + 1)
        previous = int(parent[mask, last])
        mask ^= 1 << last
        last = previous
    tour.reverse()
    return length, tour


def _tour_length(d: list[list[float]], tour: list[int]) -> float:
    total = d[0][tour[0]] + d[tour[-1]][0]
    for u, v in itertools.pairwise(tour):
        total += d[u][v]
    return total


def _two_opt_or_opt(d: list[list[float]], tour: list[int]) -> list[int]:
    """First-improvement 2-opt and Or-opt (segments of 1-3) until a local optimum."""
    route = [0, *tour, 0]
    improved = True
    while improved:
        improved = False
        n = len(route)
        for i in range(n - 3):
            a, b = route[i], route[i + 1]
            dab = d[a][b]
            for k in range(i + 2, n - 1):
                c, e = route[k], route[k + 1]
                if d[a][c] + d[b][e] < dab + d[c][e] - _EPS:
                    route[i + 1 : k + 1] = route[k:i:-1]
                    improved = True
                    break
            if improved:
                break
        if improved:
            continue
        for length in (1, 2, 3):
            for i in range(1, n - length):
                seg = route[i : i + length]
                p, q = route[i - 1], route[i + length]
                removed = d[p][seg[0]] + d[seg[-1]][q] - d[p][q]
                rest = route[:i] + route[i + length :]
                for k in range(len(rest) - 1):
                    u, v = rest[k], rest[k + 1]
                    forward = d[u][seg[0]] + d[seg[-1]][v] - d[u][v]
                    backward = d[u][seg[-1]] + d[seg[0]][v] - d[u][v]
                    if min(forward, backward) < removed - _EPS:
                        piece = seg if forward <= backward else seg[::-1]
                        route = rest[: k + 1] + piece + rest[k + 1 :]
                        improved = True
                        break
                if improved:
                    break
            if improved:
                break
    return route[1:-1]


def _local_search(
    matrix: npt.NDArray[np.float64],
    starts: list[list[int]],
    rng: random.Random,
    deadline: float | None,
    rounds: int = 60,
) -> tuple[float, list[int]]:
    """Iterated local search; returns (length, tour of nodes 1..n).  Not proven optimal."""
    d: list[list[float]] = matrix.tolist()
    best_tour: list[int] = []
    best = _INF
    for k, tour in enumerate(starts):
        if k and deadline is not None and time.perf_counter() >= deadline:
            break
        tour = _two_opt_or_opt(d, tour)
        value = _tour_length(d, tour)
        if value < best - _EPS:
            best, best_tour = value, tour
    current, current_value = best_tour, best
    for _ in range(rounds):
        if deadline is not None and time.perf_counter() >= deadline:
            break
        n = len(current)
        if n < 8:
            break
        cuts = sorted(rng.sample(range(1, n), 3))
        p, q, r = cuts
        kicked = current[:p] + current[q:r] + current[p:q] + current[r:]
        kicked = _two_opt_or_opt(d, kicked)
        value = _tour_length(d, kicked)
        if value < current_value - _EPS:
            current, current_value = kicked, value
            if value < best - _EPS:
                best, best_tour = value, kicked
    return best, best_tour
