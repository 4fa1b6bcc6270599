"""Multi-block: the exact shortest picker tour over partial tour subgraphs.

Roodbergen & De Koster (2001) extend Ratliff & Rosenthal's sweep to a warehouse with one
middle cross-aisle: the frontier of a partial tour subgraph is the three cross-aisle
vertices of the current aisle, and a state records their degree parities and which of them
are already connected (25 classes).  The same sweep works for any number of cross-aisles
(cf. Pansart, Catusse & Cambazard 2018 for this general construction): with K blocks
the frontier has K + 1 vertices, and a state is

    (closed, degree class of each vertex, component label of each vertex)

where a degree class is 0 (no edge), 1 (odd) or 2 (even and positive), labels number the
connected components of the partial subgraph in canonical order (0 = vertex not touched),
and ``closed`` means the tour has already been completed to the left.  Each aisle is
handled block by block (one vertical step per block segment, with Ratliff & Rosenthal's
segment configurations: traverse once or twice, enter from one end, or leave the largest
gap), then one horizontal step sets the multiplicity (0, 1 or 2) of every cross-aisle edge
to the next column.  A component that stops touching the frontier is only allowed when it
is the whole tour.  The reachable states and their transitions are enumerated once per block
count (on first use) and the sweep runs on them as numpy arrays.  The state count grows with
the number of cross-aisles (25, 113, 569, 3033 for 2-5 blocks; the problem is NP-hard when
the block count is part of the input), not with the number of aisles or picks.  The result
is a proven optimum; ``DP_MAX_BLOCKS`` caps the block count for time and memory.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from maillon.warehouse.routing.euler import euler_circuit, first_visits
from maillon.warehouse.routing.segments import VERTICAL, Column, add_degree
from maillon.warehouse.routing.view import EPS, INF, View

DP_MAX_BLOCKS = 5
"""Most blocks solved by the multi-block DP (its state table: 7, 25, 113, 569, 3033 states for
1-5 blocks; about 5 times more per extra block, so 6 blocks would cost ~4 s to build the table
and ~0.15 s per route)."""

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
    """State after adding ``config`` (a ``VERTICAL`` entry) on block segment ``block``."""
    add_lo, add_hi, connect = VERTICAL[config]
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
            degrees[vertex] = add_degree(degrees[vertex], added)
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
            Column(x, ys, bounds[b + 1] - bounds[b], walkable=aisle is not None)
            for b, ys in enumerate(segments)
        ]
        required = 0
        for b, block in enumerate(self.blocks):
            required |= (block.req_a << b) | (block.req_b << (b + 1))
        self.required = required


def _mb_locate(y: float, bounds: Sequence[float]) -> tuple[int, float]:
    """Return (block, position relative to the block's front) of ``y``."""
    for b in range(len(bounds) - 2):
        if y <= bounds[b + 1] + EPS:
            return b, y - bounds[b]
    return len(bounds) - 2, y - bounds[-2]


def _mb_columns(view: View) -> tuple[list[_MBColumn], int]:
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
        if x < lo - EPS or x > hi + EPS:
            continue
        if depot_column < 0 and depot_x < x - EPS:
            depot_column = len(columns)
            columns.append(_MBColumn(depot_x, None, depot_segments, bounds))
        segments: list[list[float]] = [[] for _ in range(n_blocks)]
        for y, _ in view.by_aisle.get(j, []):
            block, relative = _mb_locate(y, bounds)
            segments[block].append(relative)
        if depot_column < 0 and abs(depot_x - x) <= EPS:
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
            [([], []) for _ in VERTICAL] for _ in range(n_vertices - 1)
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
                for config in range(len(VERTICAL)):
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
def mb_tables(n_vertices: int) -> _MBTables:
    return _MBTables(n_vertices)


def _mb_relax(
    cost: _FloatArray, src: _IntArray, dst: _IntArray, extra: _FloatArray, n_states: int
) -> tuple[_FloatArray, _IntArray]:
    """One DP step: the best cost per target and, per target, the winning transition."""
    candidate = cost[src] + extra
    new = np.full(n_states, INF)
    np.minimum.at(new, dst, candidate)
    winners = np.flatnonzero((candidate == new[dst]) & np.isfinite(candidate))
    back = np.full(n_states, -1, dtype=np.int64)
    back[dst[winners]] = winners
    return new, back


def multi_block_dp(view: View) -> tuple[float, list[int]]:
    """Exact shortest tour for any number of blocks; returns (distance, pick order)."""
    columns, depot_column = _mb_columns(view)
    tables = mb_tables(len(view.problem.layout.cross_aisles))
    n_states = tables.n_states
    cost = np.full(n_states, INF)
    cost[tables.start] = 0.0
    # per column: one (back, source, label) per block, then one for the horizontal step
    trace: list[list[tuple[_IntArray, _IntArray, _IntArray]]] = []
    all_moves = np.arange(len(tables.h_src), dtype=np.int64)
    for c, column in enumerate(columns):
        steps: list[tuple[_IntArray, _IntArray, _IntArray]] = []
        for b, block in enumerate(column.blocks):
            src, dst, config = tables.block_step(b, tuple(cfg for cfg, _ in block.configs))
            extras = np.zeros(len(VERTICAL))
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
    view: View,
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
            if relative <= EPS:
                node = block_nodes[c][b][0]
            elif relative >= block.points[-1] - EPS:
                node = block_nodes[c][b][-1]
            else:
                node = block_nodes[c][b][block.points.index(relative)]
            picks_at.setdefault(node, []).append(index)
    circuit = euler_circuit(n_nodes, edges, vertex_node[depot_column][0])
    return first_visits(circuit, picks_at)
