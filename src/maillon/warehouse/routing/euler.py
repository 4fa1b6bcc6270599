"""Euler circuits of a tour subgraph, and the pick order they give.

Both exact sweeps (single block and multi-block) end with a connected multigraph whose
degrees are all even; ``euler_circuit`` walks it from the depot (Hierholzer) and
``first_visits`` reads off the picks in the order the walk first reaches their nodes.
"""

from __future__ import annotations


def euler_circuit(n_nodes: int, edges: list[tuple[int, int]], start: int) -> list[int]:
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


def first_visits(circuit: list[int], picks_at: dict[int, list[int]]) -> list[int]:
    """Return the picks of ``picks_at`` (node -> pick indices) in first-visit order.

    ``picks_at`` is consumed: every node's picks are taken at its first visit.
    """
    order: list[int] = []
    for v in circuit:
        found = picks_at.pop(v, None)
        if found:
            order += found
    return order
