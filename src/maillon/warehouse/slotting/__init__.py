"""Slotting: which SKU goes in which pick slot, and the moves that get the warehouse there.

``solve(problem, method=...)`` takes an immutable ``SlottingProblem`` (a ``Layout``, its slots,
the SKUs with their velocity and current slot, optionally historical orders) and returns a
frozen ``SlottingResult``: the target assignment, an executable list of moves ordered by
benefit, the expected metres saved per period and, when orders are given, the metres saved
measured by re-routing those orders before and after (``routing.solve``) -- the honest figure.

Every SKU occupies exactly one slot and a slot holds at most one SKU.  A SKU fits a slot when
the zones are equal (``None`` is the general zone: a ``"cold"`` SKU only goes in ``"cold"``
slots and a general SKU never in them), the slot is not blocked and its capacity (volume,
units, weight) holds the SKU's pick face (``face_units`` units).  A fixed slot keeps its SKU.

Slot cost (what one pick of a SKU stored there is expected to cost, in metres):

``"round_trip"`` (default)
    twice the walking distance from the depot along the aisle graph (``Layout.distance``):
    exact for single-line orders under any routing policy, an upper bound otherwise.
``"within_aisle"``
    ``2 x`` (depot offset + distance along the front cross-aisle to the aisle) ``+`` the aisle
    length: what a traversal (S-shape) picker pays to add one aisle; slots of one aisle differ
    only by a tie-break on depth.  It fills the aisles next to the depot first, the storage
    that suits traversal routing of large orders (Petersen 1999).

plus ``ergonomic_penalty x ergonomic_class`` (class 0 is the golden zone); the golden zone also
breaks ties between slots of equal travel.

Methods (each builds a target greedily, cheapest feasible slot first, then repairs with
augmenting paths if a SKU was left without a feasible slot):

``"coi"`` (default)
    Heskett's cube-per-order index: SKUs by increasing ``space / picks``, where ``space`` is
    the cube moved per period (``units x unit_cube``) or one slot when the cube is unknown
    (``unit_cube = 0``), in which case COI ranks exactly as ``"turnover"``.
``"turnover"``
    SKUs by decreasing picks (order lines per period).
``"abc"``
    Class-based storage: ``abc_classes`` splits SKUs by cumulative share of picks
    (``abc_thresholds``, default 80 / 15 / 5 %); each class gets a zone of the cheapest slots
    (as many slots as it has SKUs, per slot zone).  A SKU already in its class zone stays;
    the others go to the cheapest free slot of their class zone.  Fewer moves, less saving.

Moves: the difference between the current and the target assignment splits into chains (a
SKU moves into a slot that another moving SKU vacates, ending on an empty slot) and cycles.
A chain runs from its end, so every move targets an empty slot; a 2-cycle is one swap; a
longer cycle uses a buffer slot (empty before and after) when one fits, else swaps.
``max_moves`` bounds the SKU relocations (a swap relocates two SKUs): chains are cut into
blocks of decreasing saving per relocation (a chain can stop after any block, since it runs
from its end), cycles are atomic, and blocks with a positive saving are taken greedily by
saving per relocation.  Chains that place a SKU without a current slot are always made.

One concept per module: ``slots`` (``Slot``, ``Sku``, ``slot_travel``), ``classes`` (ABC
classes), ``problem`` (``SlottingProblem``), ``target`` (the target assignment), ``moves``
(the move plan and its selection) and ``measure`` (orders routed before and after).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from maillon.warehouse.slotting.classes import abc_classes, class_labels
from maillon.warehouse.slotting.measure import RouteMeasure, measure, route_metres
from maillon.warehouse.slotting.moves import Move, plan, select
from maillon.warehouse.slotting.problem import SlottingProblem
from maillon.warehouse.slotting.slots import TRAVELS, Sku, Slot, slot_travel
from maillon.warehouse.slotting.target import target_assignment

__all__ = [
    "METHODS",
    "TRAVELS",
    "Move",
    "RouteMeasure",
    "Sku",
    "Slot",
    "SlottingProblem",
    "SlottingResult",
    "abc_classes",
    "class_labels",
    "route_metres",
    "slot_travel",
    "solve",
]

METHODS: tuple[str, ...] = ("coi", "abc", "turnover")
"""Names accepted by ``solve(method=...)``."""


@dataclass(frozen=True, slots=True)
class SlottingResult:
    """The answer of ``solve``.

    Attributes:
        method: the slotting method.
        target: SKU id -> slot id of the full re-slot the method proposes.
        final: SKU id -> slot id after applying ``moves`` in order (``target`` when
            ``max_moves`` is ``None``).
        moves: the steps, executable in order (see ``Move``), most saving per relocation
            first (chains that place new SKUs come first).
        relocations: SKU relocations in ``moves`` (a swap counts 2).
        expected_saving: metres per period saved by ``moves`` (travel estimate).
        expected_saving_full: the same for the full re-slot to ``target``.
        classes: the ABC class of every SKU (for any method).
        measured_before: metres walked routing ``problem.orders`` on the current slotting
            (``None`` without orders).
        measured_after: the same on ``final``.
        measured_orders: orders routed (orders with a SKU not slotted before or after are
            skipped).
        runtime: wall-clock seconds spent in ``solve``.
    """

    method: str
    target: Mapping[str, str]
    final: Mapping[str, str]
    moves: tuple[Move, ...]
    relocations: int
    expected_saving: float
    expected_saving_full: float
    classes: Mapping[str, str]
    measured_before: float | None
    measured_after: float | None
    measured_orders: int
    runtime: float

    @property
    def measured_saving(self) -> float | None:
        """Return metres saved on the historical orders (before - after), if measured."""
        if self.measured_before is None or self.measured_after is None:
            return None
        return self.measured_before - self.measured_after


def solve(
    problem: SlottingProblem,
    *,
    method: str = "coi",
    max_moves: int | None = None,
    seed: int = 0,
    time_limit: float | None = None,
) -> SlottingResult:
    """Return a slotting of ``problem`` by ``method`` and the moves to reach it.

    ``max_moves`` bounds the SKU relocations of the move list (``None``: the full re-slot;
    see the module docstring for how moves are chosen).  ``seed`` and ``time_limit`` (seconds
    per order) only reach ``routing.solve`` when ``problem.orders`` are measured (they matter
    for multi-block exact routing only); the slotting itself is deterministic.

    Raises:
        ValueError: if ``method`` is unknown, ``max_moves`` is negative, ``time_limit`` is
            negative, or no feasible slotting exists (zones or capacities too tight).
    """
    if method not in METHODS:
        raise ValueError(f"method = {method!r} not understood; choose one of {METHODS}.")
    if max_moves is not None and max_moves < 0:
        raise ValueError(f"max_moves = {max_moves!r} < 0 not understood.")
    if time_limit is not None and time_limit < 0:
        raise ValueError(f"time_limit = {time_limit!r} < 0 not understood.")
    start = time.perf_counter()
    skus, slots = problem.skus, problem.slots
    classes = abc_classes(skus, thresholds=problem.abc_thresholds)
    target = target_assignment(problem, method, classes)
    current = [-1 if s.current is None else problem.slot_index[s.current] for s in skus]
    blocks = plan(problem, current, target)
    chosen = select(blocks, max_moves)
    moves = tuple(m for b in chosen for m in b.moves)
    final = problem.current_assignment()
    for move in moves:
        final[move.sku] = move.target
        if move.swap_with is not None and move.source is not None:
            final[move.swap_with] = move.source
    before = after = None
    routed = 0
    if problem.orders:
        current_map = problem.current_assignment()
        totals, routed, _ = measure(
            problem, [current_map, final], problem.orders, problem.routing_method, seed,
            time_limit,
        )  # fmt: skip
        before, after = totals
    return SlottingResult(
        method=method,
        target={skus[i].id: slots[t].id for i, t in enumerate(target)},
        final=final,
        moves=moves,
        relocations=sum(m.relocations for m in moves),
        expected_saving=float(sum(m.saving for m in moves)),
        expected_saving_full=float(sum(b.saving for b in blocks)),
        classes=classes,
        measured_before=before,
        measured_after=after,
        measured_orders=routed,
        runtime=time.perf_counter() - start,
    )
