"""Ratliff & Rosenthal (1983): the exact shortest picker tour of a single-block warehouse.

A tour is a connected, even-degree multigraph on the aisle graph covering the depot and every
pick.  Sweeping aisles left to right, a partial tour subgraph is summarised by the degree of
the two frontier vertices (front a_j and back b_j of the current aisle: 0, odd, even > 0) and
how its components touch them.  Seven classes are reachable; the transition tables below are
derived once, at import, by simulating the component bookkeeping, rather than typed by hand.
``ratliff_rosenthal(view)`` runs the sweep (linear in the number of aisles) and reads the pick
order off an Euler circuit of the chosen tour subgraph.
"""

from __future__ import annotations

from maillon.warehouse.routing.euler import euler_circuit, first_visits
from maillon.warehouse.routing.segments import (
    HORIZONTAL,
    VERTICAL,
    Column,
    Deg,
    add_degree,
)
from maillon.warehouse.routing.view import EPS, INF, View

_ClassKey = tuple[Deg, Deg, str]  # (deg a, deg b, "none" | "one" | "two" | "closed")


def _components(key: _ClassKey) -> tuple[list[set[str]], int]:
    deg_a, deg_b, kind = key
    if kind == "none":
        return [], 0
    if kind == "closed":
        return [], 1
    if kind == "two":
        return [{"a"}, {"b"}], 0
    return [{v for v, d in (("a", deg_a), ("b", deg_b)) if d}], 0


def _classify(deg_a: Deg, deg_b: Deg, comps: list[set[str]], detached: int) -> _ClassKey | None:
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
    add_a, add_b, connect = VERTICAL[config]
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
    return _classify(add_degree(key[0], add_a), add_degree(key[1], add_b), comps, detached)


def _horizontal_step(key: _ClassKey, config: int) -> tuple[_ClassKey, bool, bool] | None:
    front, back = HORIZONTAL[config]
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
    new = _classify(add_degree(0, front), add_degree(0, back), carried, detached)
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
        for config in range(len(VERTICAL)):
            after = _vertical_step(key, config)
            if after is not None:
                vertical[(s, config)] = intern(after)
        for config in range(len(HORIZONTAL)):
            step = _horizontal_step(key, config)
            if step is not None:
                horizontal[(s, config)] = (intern(step[0]), step[1], step[2])
    vt: list[list[tuple[int, int]]] = [[] for _ in VERTICAL]
    for (s, config), t in sorted(vertical.items()):
        vt[config].append((s, t))
    ht: list[list[tuple[int, int, bool, bool]]] = [[] for _ in HORIZONTAL]
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


def _sweep_columns(view: View) -> tuple[list[Column], int, list[list[int]]]:
    """Columns between the leftmost and rightmost of depot and pick aisles, left to right.

    Returns the columns, the index of the depot column and, per column, the aisle index it
    stands for (``[]`` for a virtual depot column).
    """
    xs, depot_x, length = view.xs, view.depot_x, view.length
    lo = min(xs[view.pick_aisles[0]], depot_x)
    hi = max(xs[view.pick_aisles[-1]], depot_x)
    columns: list[Column] = []
    aisle_of: list[list[int]] = []
    depot_column = -1
    depot_placed = False
    for j, x in enumerate(xs):
        if x < lo - EPS or x > hi + EPS:
            continue
        if not depot_placed and depot_x < x - EPS:
            columns.append(Column(depot_x, [0.0], length, walkable=False))
            aisle_of.append([])
            depot_column, depot_placed = len(columns) - 1, True
        ys = [y for y, _ in view.by_aisle.get(j, [])]
        if not depot_placed and abs(depot_x - x) <= EPS:
            ys.append(0.0)
            depot_column, depot_placed = len(columns), True
        columns.append(Column(x, ys, length, walkable=True))
        aisle_of.append([j])
    if not depot_placed:
        columns.append(Column(depot_x, [0.0], length, walkable=False))
        aisle_of.append([])
        depot_column = len(columns) - 1
    return columns, depot_column, aisle_of


def ratliff_rosenthal(view: View) -> tuple[float, list[int]]:
    columns, depot_column, aisle_of = _sweep_columns(view)
    last = len(columns) - 1
    cost = [INF] * _N_CLASSES
    cost[0] = 0.0
    back_v: list[list[tuple[int, int]]] = []
    back_h: list[list[tuple[int, int]]] = []
    for c, column in enumerate(columns):
        new = [INF] * _N_CLASSES
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
        new = [INF] * _N_CLASSES
        choice = [(-1, -1)] * _N_CLASSES
        for config, (front, back) in enumerate(HORIZONTAL):
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
    best, state = INF, -1
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
    view: View,
    columns: list[Column],
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
    edges: list[tuple[int, int]] = []
    for c, column in enumerate(columns):
        base = node_base[c]
        for k, times in enumerate(column.segments(vertical_choice[c])):
            edges += [(base + k, base + k + 1)] * times
        if c < len(columns) - 1:
            front, back = HORIZONTAL[horizontal_choice[c]]
            edges += [(base, node_base[c + 1])] * front
            following = node_base[c + 1] + len(columns[c + 1].points) - 1
            edges += [(base + len(column.points) - 1, following)] * back

    picks_at: dict[int, list[int]] = {}
    for c, column in enumerate(columns):
        for j in aisle_of[c]:
            position = {y: k for k, y in enumerate(column.points)}
            for y, index in view.by_aisle.get(j, []):
                if y <= EPS:
                    k = 0
                elif y >= view.length - EPS:
                    k = len(column.points) - 1
                else:
                    k = position[y]
                picks_at.setdefault(node_base[c] + k, []).append(index)
    return first_visits(euler_circuit(n_nodes, edges, node_base[depot_column]), picks_at)
