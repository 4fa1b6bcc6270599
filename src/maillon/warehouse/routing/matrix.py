"""Routing on the shortest-path matrix of the aisle graph, for any layout.

Held-Karp (exact) up to ``HELD_KARP_MAX`` distinct pick locations, else iterated local search
from the heuristic tours (``local_search``, NOT proven optimal).  ``"exact"`` uses it only
beyond ``DP_MAX_BLOCKS`` blocks; it was the multi-block method before the multi-block DP and
stays as an independent check (tests) and a baseline (``bench/picking.py``).
"""

from __future__ import annotations

import random

import numpy as np
import numpy.typing as npt

from maillon.warehouse.routing.heuristics import HEURISTICS
from maillon.warehouse.routing.local_search import local_search
from maillon.warehouse.routing.view import INF, View

HELD_KARP_MAX = 12
"""Largest number of distinct pick locations solved exactly by Held-Karp (the fallback used
for layouts of more than ``DP_MAX_BLOCKS`` blocks)."""


def matrix_route(
    view: View, seed: int, time_limit: float | None, start: float
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
        distance, tour = held_karp(matrix)
        optimal = True
    else:
        starts = []
        for heuristic in HEURISTICS.values():
            _, order = heuristic(view)
            starts.append(list(dict.fromkeys(node_of[i] for i in order)))
        deadline = None if time_limit is None else start + time_limit
        distance, tour = local_search(matrix, starts, random.Random(seed), deadline)
        optimal = False
    order = [i for node in tour for i in members[node - 1]]
    return distance, order, optimal


def held_karp(matrix: npt.NDArray[np.float64]) -> tuple[float, list[int]]:
    """Exact TSP from node 0 through all other nodes; returns (length, nodes 1..n in order)."""
    n = matrix.shape[0] - 1
    if n == 1:
        return float(matrix[0, 1] + matrix[1, 0]), [1]
    inner = matrix[1:, 1:]
    size = 1 << n
    dp = np.full((size, n), INF)
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
