"""Measured metres: historical orders routed one by one (``routing.solve``) on an assignment.

The honest figure of a slotting: ``route_metres`` routes each order alone with its SKUs
stored per an assignment; ``solve`` measures before and after with the same ``measure``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from maillon.warehouse import routing
from maillon.warehouse.routing import PickingProblem
from maillon.warehouse.slotting.problem import SlottingProblem


@dataclass(frozen=True, slots=True)
class RouteMeasure:
    """Metres walked by routing orders one by one (``route_metres``)."""

    metres: float
    orders: int
    skipped: int

    @property
    def per_order(self) -> float:
        """Return metres per routed order (0 when none was routed)."""
        return self.metres / self.orders if self.orders else 0.0


def measure(
    problem: SlottingProblem,
    assignments: Sequence[Mapping[str, str]],
    orders: Sequence[Sequence[str]],
    method: str,
    seed: int,
    time_limit: float | None,
) -> tuple[list[float], int, int]:
    """Route every order on every assignment; return (metres per assignment, routed, skipped)."""
    slots, index = problem.slots, problem.slot_index
    totals = [0.0] * len(assignments)
    routed = skipped = 0
    for order in orders:
        if not order or any(s not in a for a in assignments for s in order):
            skipped += 1
            continue
        routed += 1
        for k, assignment in enumerate(assignments):
            picks = tuple(slots[index[assignment[s]]].location for s in order)
            totals[k] += routing.solve(
                PickingProblem(problem.layout, picks),
                method=method,
                seed=seed,
                time_limit=time_limit,
            ).distance
    return totals, routed, skipped


def route_metres(
    problem: SlottingProblem,
    assignment: Mapping[str, str],
    *,
    orders: Sequence[Sequence[str]] | None = None,
    method: str | None = None,
    seed: int = 0,
    time_limit: float | None = None,
) -> RouteMeasure:
    """Return the metres walked routing each order alone with SKUs stored per ``assignment``.

    ``orders`` defaults to ``problem.orders`` and ``method`` to ``problem.routing_method``;
    orders with a SKU missing from ``assignment`` (or empty) are skipped and counted.

    Raises:
        ValueError: if ``assignment`` names an unknown slot or ``method`` is unknown.
    """
    for sku_id, slot_id in assignment.items():
        if slot_id not in problem.slot_index:
            raise ValueError(f"assignment: SKU {sku_id!r} is in unknown slot {slot_id!r}.")
    chosen = problem.routing_method if method is None else method
    if chosen not in routing.METHODS:
        raise ValueError(f"method = {chosen!r} not understood; choose one of {routing.METHODS}.")
    todo = problem.orders if orders is None else orders
    totals, routed, skipped = measure(problem, [assignment], todo, chosen, seed, time_limit)
    return RouteMeasure(metres=totals[0], orders=routed, skipped=skipped)
