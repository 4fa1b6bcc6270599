"""Iterated local search on a distance matrix: 2-opt and Or-opt with double-bridge kicks.

The heuristic half of the matrix fallback (``matrix.py``) for more than ``HELD_KARP_MAX``
distinct locations; seeded, bounded by a round count and an optional deadline, NOT proven
optimal.
"""

from __future__ import annotations

import itertools
import random
import time

import numpy as np
import numpy.typing as npt

from maillon.warehouse.routing.view import EPS, INF


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
                if d[a][c] + d[b][e] < dab + d[c][e] - EPS:
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
                    if min(forward, backward) < removed - EPS:
                        piece = seg if forward <= backward else seg[::-1]
                        route = rest[: k + 1] + piece + rest[k + 1 :]
                        improved = True
                        break
                if improved:
                    break
            if improved:
                break
    return route[1:-1]


def local_search(
    matrix: npt.NDArray[np.float64],
    starts: list[list[int]],
    rng: random.Random,
    deadline: float | None,
    rounds: int = 60,
) -> tuple[float, list[int]]:
    """Iterated local search; returns (length, tour of nodes 1..n).  Not proven optimal."""
    d: list[list[float]] = matrix.tolist()
    best_tour: list[int] = []
    best = INF
    for k, tour in enumerate(starts):
        if k and deadline is not None and time.perf_counter() >= deadline:
            break
        tour = _two_opt_or_opt(d, tour)
        value = _tour_length(d, tour)
        if value < best - EPS:
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
        if value < current_value - EPS:
            current, current_value = kicked, value
            if value < best - EPS:
                best, best_tour = value, kicked
    return best, best_tour
