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
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from maillon.warehouse import routing
from maillon.warehouse.layout import Layout, PickLocation
from maillon.warehouse.routing import PickingProblem

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

TRAVELS: tuple[str, ...] = ("round_trip", "within_aisle")
"""Names accepted by ``SlottingProblem.travel`` (the per-pick slot cost estimate)."""

_EPS = 1e-9


def _check_capacity(owner: str, name: str, value: float | None) -> None:
    if value is not None and (not math.isfinite(value) or value < 0):
        raise ValueError(f"{owner}: {name} = {value!r} must be a finite number >= 0 or None.")


def _check_nonneg(owner: str, name: str, value: float) -> None:
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{owner}: {name} = {value!r} must be a finite number >= 0.")


@dataclass(frozen=True, slots=True)
class Slot:
    """One storage slot (pick face).

    Attributes:
        id: unique label (bin code).
        location: where it is; several slots may share a location (levels of one bay).
        volume: capacity in volume (``None``: unlimited).
        max_units: capacity in units (``None``: unlimited).
        max_weight: capacity in weight (``None``: unlimited).
        zone: restriction zone (``"cold"``, ``"hazmat"``, ...); ``None`` is the general zone.
        ergonomic_class: 0 is the golden zone (waist height), higher is less convenient.
        blocked: no SKU may be put here (a SKU currently here must leave).
        fixed: the SKU currently here stays (an empty fixed slot stays empty).
        mixing: putaway may put several SKUs here (slotting never does).

    Raises:
        ValueError: if ``id`` is empty, a capacity is negative or not finite,
            ``ergonomic_class`` is negative, or the slot is both blocked and fixed.
    """

    id: str
    location: PickLocation
    volume: float | None = None
    max_units: int | None = None
    max_weight: float | None = None
    zone: str | None = None
    ergonomic_class: int = 0
    blocked: bool = False
    fixed: bool = False
    mixing: bool = False

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Slot.id must be a non-empty string.")
        owner = f"Slot {self.id!r}"
        _check_capacity(owner, "volume", self.volume)
        _check_capacity(owner, "max_weight", self.max_weight)
        if self.max_units is not None and self.max_units < 0:
            raise ValueError(f"{owner}: max_units = {self.max_units!r} must be >= 0 or None.")
        if self.ergonomic_class < 0:
            raise ValueError(f"{owner}: ergonomic_class = {self.ergonomic_class!r} must be >= 0.")
        if self.blocked and self.fixed:
            raise ValueError(f"{owner}: a slot cannot be both blocked and fixed.")

    def room(self, *, unit_cube: float, unit_weight: float, used: tuple[float, int, float]) -> int:
        """Return how many more units of that cube and weight fit, given ``used``.

        ``used`` is (volume, units, weight) already in the slot.  Returns ``2**62`` when no
        capacity limits the count.  Zones and blocking are not checked here.
        """
        used_volume, used_units, used_weight = used
        fit = 2**62
        if self.volume is not None and unit_cube > 0:
            fit = min(fit, math.floor((self.volume - used_volume) / unit_cube + _EPS))
        if self.max_units is not None:
            fit = min(fit, self.max_units - used_units)
        if self.max_weight is not None and unit_weight > 0:
            fit = min(fit, math.floor((self.max_weight - used_weight) / unit_weight + _EPS))
        return max(fit, 0)


@dataclass(frozen=True, slots=True)
class Sku:
    """One SKU as slotting sees it.

    Attributes:
        id: unique SKU code.
        picks: order lines per period (the velocity).
        units: units sold per period (for the cube-per-order index).
        unit_cube: volume of one unit (0: unknown, the SKU then counts as one slot of space).
        unit_weight: weight of one unit.
        face_units: units its pick face must hold (checked against slot capacity).
        current: id of the slot holding it now (``None``: not slotted yet).
        zone: restriction zone it needs (``None``: general).

    Raises:
        ValueError: if ``id`` is empty, a number is negative or not finite, or
            ``face_units < 1``.
    """

    id: str
    picks: float
    units: float = 0.0
    unit_cube: float = 0.0
    unit_weight: float = 0.0
    face_units: int = 1
    current: str | None = None
    zone: str | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("Sku.id must be a non-empty string.")
        owner = f"Sku {self.id!r}"
        for name in ("picks", "units", "unit_cube", "unit_weight"):
            _check_nonneg(owner, name, getattr(self, name))
        if self.face_units < 1:
            raise ValueError(f"{owner}: face_units = {self.face_units!r} must be >= 1.")

    @property
    def space(self) -> float:
        """Return the space COI charges: cube moved per period, or 1 (one slot) if unknown."""
        return self.units * self.unit_cube if self.units > 0 and self.unit_cube > 0 else 1.0

    @property
    def coi(self) -> float:
        """Return Heskett's cube-per-order index ``space / picks`` (``inf`` with no pick)."""
        return self.space / self.picks if self.picks > 0 else math.inf

    def fits(self, slot: Slot) -> bool:
        """Return whether this SKU may be slotted in ``slot`` (zone, blocking, capacity)."""
        if slot.blocked or slot.zone != self.zone:
            return False
        room = slot.room(unit_cube=self.unit_cube, unit_weight=self.unit_weight, used=(0, 0, 0))
        return room >= self.face_units


def slot_travel(layout: Layout, location: PickLocation, *, travel: str = "round_trip") -> float:
    """Return the expected walking metres of one pick at ``location`` (see module docstring).

    Raises:
        ValueError: if ``travel`` is unknown or the location is not in ``layout``.
    """
    if travel == "round_trip":
        return 2.0 * layout.distance(layout.depot, location)
    if travel == "within_aisle":
        layout.check_pick(location)
        across = abs(layout.aisles[location.aisle].x - layout.depot.x) + layout.depot.offset
        return 2.0 * across + layout.aisle_length
    raise ValueError(f"travel = {travel!r} not understood; choose one of {TRAVELS}.")


def class_labels(n: int) -> tuple[str, ...]:
    """Return the labels of ``n`` classes: ``("A", "B", ...)``.

    Raises:
        ValueError: if ``n`` is not between 1 and 26.
    """
    if not 1 <= n <= 26:
        raise ValueError(f"{n} classes not understood; between 1 and 26.")
    return tuple(chr(ord("A") + k) for k in range(n))


def _check_thresholds(thresholds: Sequence[float]) -> None:
    previous = 0.0
    for t in thresholds:
        if not previous < t <= 1:
            raise ValueError(
                f"abc_thresholds = {tuple(thresholds)!r} must increase strictly within (0, 1]."
            )
        previous = t
    class_labels(len(thresholds) + 1)


def abc_classes(
    skus: Iterable[Sku], *, thresholds: Sequence[float] = (0.8, 0.95)
) -> dict[str, str]:
    """Return the ABC class of every SKU id, by cumulative share of picks.

    SKUs are ranked by decreasing picks (ties by id); a SKU is in class ``A`` if the share of
    picks of the SKUs ranked before it is below ``thresholds[0]`` (so the SKU that crosses the
    threshold is still ``A``), ``B`` below ``thresholds[1]``, and so on.  SKUs without a pick
    are in the last class.

    Raises:
        ValueError: if ``thresholds`` do not increase strictly within ``(0, 1]``.
    """
    _check_thresholds(thresholds)
    labels = class_labels(len(thresholds) + 1)
    ranked = sorted(skus, key=lambda s: (-s.picks, s.id))
    total = sum(s.picks for s in ranked)
    classes: dict[str, str] = {}
    before = 0.0
    for sku in ranked:
        share = before / total if total > 0 else 1.0
        k = sum(1 for t in thresholds if share >= t - _EPS)
        classes[sku.id] = labels[-1] if sku.picks <= 0 else labels[k]
        before += sku.picks
    return classes


@dataclass(frozen=True, slots=True)
class SlottingProblem:
    """A slotting instance.

    Attributes:
        layout: the warehouse.
        slots: the slots (unique ids, locations in ``layout``).
        skus: the SKUs (unique ids; a SKU's ``current`` slot exists and holds only it).
        orders: historical orders, each the SKU ids of its lines, routed by ``solve`` before
            and after to measure the saving (empty: no measurement).
        travel: the per-pick slot cost estimate, one of ``TRAVELS``.
        ergonomic_penalty: metres-equivalent added per pick per ergonomic class step.
        routing_method: the ``routing.solve`` method used to measure ``orders``.
        abc_thresholds: cumulative pick shares separating the ABC classes.

    Raises:
        ValueError: on duplicate ids, a slot outside the layout, a SKU's unknown or shared
            current slot, more SKUs than usable slots, a SKU no slot fits, an order naming
            an unknown SKU, or an unknown ``travel`` / ``routing_method``; the message names
            the offending field.
    """

    layout: Layout
    slots: tuple[Slot, ...]
    skus: tuple[Sku, ...]
    orders: tuple[tuple[str, ...], ...] = ()
    travel: str = "round_trip"
    ergonomic_penalty: float = 0.0
    routing_method: str = "exact"
    abc_thresholds: tuple[float, ...] = (0.8, 0.95)
    slot_index: dict[str, int] = field(init=False, repr=False, compare=False)
    sku_index: dict[str, int] = field(init=False, repr=False, compare=False)
    costs: tuple[float, ...] = field(init=False, repr=False, compare=False)
    travels: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "slots", tuple(self.slots))
        object.__setattr__(self, "skus", tuple(self.skus))
        object.__setattr__(self, "orders", tuple(tuple(o) for o in self.orders))
        object.__setattr__(self, "abc_thresholds", tuple(self.abc_thresholds))
        if self.travel not in TRAVELS:
            raise ValueError(f"travel = {self.travel!r} not understood; choose one of {TRAVELS}.")
        if self.routing_method not in routing.METHODS:
            raise ValueError(
                f"routing_method = {self.routing_method!r} not understood; "
                f"choose one of {routing.METHODS}."
            )
        _check_nonneg("SlottingProblem", "ergonomic_penalty", self.ergonomic_penalty)
        _check_thresholds(self.abc_thresholds)
        slot_index: dict[str, int] = {}
        for k, slot in enumerate(self.slots):
            if slot.id in slot_index:
                raise ValueError(f"slots: duplicate slot id {slot.id!r}.")
            try:
                self.layout.check_pick(slot.location)
            except ValueError as exc:
                raise ValueError(f"slots: slot {slot.id!r}: {exc}") from None
            slot_index[slot.id] = k
        object.__setattr__(self, "slot_index", slot_index)
        sku_index: dict[str, int] = {}
        holder: dict[str, str] = {}
        for k, sku in enumerate(self.skus):
            if sku.id in sku_index:
                raise ValueError(f"skus: duplicate SKU id {sku.id!r}.")
            sku_index[sku.id] = k
            if sku.current is not None:
                if sku.current not in slot_index:
                    raise ValueError(
                        f"skus: SKU {sku.id!r} has current slot {sku.current!r}, "
                        "which is not in slots."
                    )
                if sku.current in holder:
                    raise ValueError(
                        f"skus: slot {sku.current!r} is the current slot of both "
                        f"{holder[sku.current]!r} and {sku.id!r}."
                    )
                holder[sku.current] = sku.id
        usable = [s for s in self.slots if not s.blocked and not s.fixed]
        movable = [
            s for s in self.skus if s.current is None or not self.slots[slot_index[s.current]].fixed
        ]
        if len(movable) > len(usable):
            raise ValueError(
                f"skus: {len(movable)} SKUs to slot but only {len(usable)} usable slots "
                "(not blocked, not fixed)."
            )
        signatures = {(s.zone, s.volume, s.max_units, s.max_weight): s for s in usable}
        for sku in movable:
            if not any(sku.fits(s) for s in signatures.values()):
                raise ValueError(
                    f"skus: no usable slot fits SKU {sku.id!r} (zone {sku.zone!r}, "
                    f"face of {sku.face_units} units)."
                )
        for k, order in enumerate(self.orders):
            for sku_id in order:
                if sku_id not in sku_index:
                    raise ValueError(f"orders: order {k} names unknown SKU {sku_id!r}.")
        travels = tuple(
            slot_travel(self.layout, s.location, travel=self.travel) for s in self.slots
        )
        costs = tuple(
            t + self.ergonomic_penalty * s.ergonomic_class
            for t, s in zip(travels, self.slots, strict=True)
        )
        object.__setattr__(self, "sku_index", sku_index)
        object.__setattr__(self, "travels", travels)
        object.__setattr__(self, "costs", costs)

    def current_assignment(self) -> dict[str, str]:
        """Return SKU id -> current slot id for every SKU that has a current slot."""
        return {s.id: s.current for s in self.skus if s.current is not None}


@dataclass(frozen=True, slots=True)
class Move:
    """One step of the move list.

    ``sku`` goes from ``source`` (``None``: a new SKU, placed for the first time) to
    ``target``.  If ``swap_with`` is set, that SKU stood in ``target`` and goes to ``source``
    in the same step (a swap); otherwise ``target`` is empty when the step starts.
    ``saving`` is the expected metres saved per period by this step (travel estimate:
    ``picks x (travel(source) - travel(target))`` summed over the SKUs moved, 0 for a new
    SKU's placement); it may be negative for a SKU making room for a faster one.
    """

    sku: str
    source: str | None
    target: str
    saving: float
    swap_with: str | None = None

    @property
    def relocations(self) -> int:
        """Return how many SKUs this step relocates (2 for a swap)."""
        return 2 if self.swap_with is not None else 1


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


# ------------------------------------------------------------------------------------------
# Target assignment


class _Pools:
    """Usable slots grouped by (zone, capacities, class label), each sorted by cost key."""

    def __init__(self, problem: SlottingProblem, labels: Sequence[str]) -> None:
        self.problem = problem
        groups: dict[tuple[object, ...], list[int]] = {}
        for k, slot in enumerate(problem.slots):
            if slot.blocked or slot.fixed:
                continue
            key = (slot.zone, slot.volume, slot.max_units, slot.max_weight, labels[k])
            groups.setdefault(key, []).append(k)
        self.keys = list(groups)
        self.label = [str(key[4]) for key in self.keys]
        self.members = [sorted(groups[key], key=self.sort_key) for key in self.keys]
        self.pointer = [0] * len(self.keys)
        self.fit_cache: dict[tuple[object, ...], list[int]] = {}

    def sort_key(self, k: int) -> tuple[float, int, float, str]:
        p = self.problem
        slot = p.slots[k]
        return (p.costs[k], slot.ergonomic_class, p.travels[k], slot.id)

    def fitting(self, sku: Sku) -> list[int]:
        """Return the groups whose slots fit ``sku``."""
        sig = (sku.zone, sku.unit_cube, sku.unit_weight, sku.face_units)
        found = self.fit_cache.get(sig)
        if found is None:
            found = [
                g
                for g, members in enumerate(self.members)
                if sku.fits(self.problem.slots[members[0]])
            ]
            self.fit_cache[sig] = found
        return found

    def cheapest(self, sku: Sku, owner: list[int], label: str | None = None) -> int | None:
        """Return the cheapest free slot fitting ``sku`` (in class ``label`` if given)."""
        best: int | None = None
        for g in self.fitting(sku):
            if label is not None and self.label[g] != label:
                continue
            members = self.members[g]
            i = self.pointer[g]
            while i < len(members) and owner[members[i]] >= 0:
                i += 1
            self.pointer[g] = i
            if i < len(members) and (
                best is None or self.sort_key(members[i]) < self.sort_key(best)
            ):
                best = members[i]
        return best

    def all_fitting(self, sku: Sku) -> list[int]:
        """Return every usable slot fitting ``sku``, cheapest first."""
        return sorted((k for g in self.fitting(sku) for k in self.members[g]), key=self.sort_key)


def _class_zones(problem: SlottingProblem, classes: Mapping[str, str]) -> list[str]:
    """Return the class label of every slot: per slot zone, the cheapest slots go to A, ..."""
    labels = class_labels(len(problem.abc_thresholds) + 1)
    result = [labels[-1]] * len(problem.slots)
    by_zone: dict[str | None, list[int]] = {}
    for k, slot in enumerate(problem.slots):
        if not slot.blocked and not slot.fixed:
            by_zone.setdefault(slot.zone, []).append(k)
    for zone, members in by_zone.items():
        members.sort(key=lambda k: (problem.costs[k], problem.slots[k].ergonomic_class, k))
        counts = dict.fromkeys(labels, 0)
        for sku in problem.skus:
            fixed = sku.current is not None and problem.slots[problem.slot_index[sku.current]].fixed
            if sku.zone == zone and not fixed:
                counts[classes[sku.id]] += 1
        start = 0
        for label in labels:
            for k in members[start : start + counts[label]]:
                result[k] = label
            start += counts[label]
    return result


def _target(problem: SlottingProblem, method: str, classes: Mapping[str, str]) -> list[int]:
    """Return the target slot index of every SKU (by SKU index)."""
    n_slots = len(problem.slots)
    skus = problem.skus
    owner = [-1] * n_slots
    target = [-1] * len(skus)
    current = [-1 if s.current is None else problem.slot_index[s.current] for s in skus]
    movable: list[int] = []
    for i in range(len(skus)):
        if current[i] >= 0 and problem.slots[current[i]].fixed:
            target[i] = current[i]
            owner[current[i]] = i
        else:
            movable.append(i)
    labels = _class_zones(problem, classes) if method == "abc" else [""] * n_slots
    pools = _Pools(problem, labels)

    def place(i: int, slot: int) -> None:
        target[i] = slot
        owner[slot] = i

    if method == "abc":
        waiting: list[int] = []
        for i in movable:
            c = current[i]
            usable = c >= 0 and not problem.slots[c].blocked and skus[i].fits(problem.slots[c])
            if usable and labels[c] == classes[skus[i].id] and owner[c] < 0:
                place(i, c)
            else:
                waiting.append(i)
        rank = {label: k for k, label in enumerate(class_labels(len(problem.abc_thresholds) + 1))}
        waiting.sort(key=lambda i: (rank[classes[skus[i].id]], -skus[i].picks, skus[i].id))
        for i in waiting:
            slot = pools.cheapest(skus[i], owner, classes[skus[i].id])
            if slot is None:
                slot = pools.cheapest(skus[i], owner)
            if slot is not None:
                place(i, slot)
    else:
        if method == "turnover":
            movable.sort(key=lambda i: (-skus[i].picks, skus[i].id))
        else:
            movable.sort(key=lambda i: (skus[i].coi, -skus[i].picks, skus[i].id))
        for i in movable:
            slot = pools.cheapest(skus[i], owner)
            if slot is not None:
                place(i, slot)
    for i in movable:
        if target[i] < 0 and not _augment(problem, pools, i, target, owner):
            raise ValueError(
                f"skus: no feasible slotting exists: SKU {skus[i].id!r} cannot be given a "
                "slot without leaving another SKU out (zones or capacities too tight)."
            )
    if method != "abc":
        _keep_neutral(problem, current, target, owner)
    return target


def _augment(
    problem: SlottingProblem, pools: _Pools, start: int, target: list[int], owner: list[int]
) -> bool:
    """Place SKU ``start`` along an augmenting path (Kuhn); return whether one was found."""
    parent: dict[int, int] = {}
    queue = [start]
    for sku_index in queue:
        for slot in pools.all_fitting(problem.skus[sku_index]):
            if slot in parent:
                continue
            parent[slot] = sku_index
            if owner[slot] < 0:
                i, s = sku_index, slot
                while True:
                    previous = target[i]
                    target[i] = s
                    owner[s] = i
                    if previous < 0:
                        return True
                    s, i = previous, parent[previous]
            queue.append(owner[slot])
    return False


def _keep_neutral(
    problem: SlottingProblem, current: list[int], target: list[int], owner: list[int]
) -> None:
    """Let SKUs stay where they are when that changes neither cost nor feasibility."""
    skus, costs, slots = problem.skus, problem.costs, problem.slots
    for _ in range(3):
        changed = False
        for i, sku in enumerate(skus):
            c, t = current[i], target[i]
            if c < 0 or c == t or slots[c].blocked or slots[c].fixed or not sku.fits(slots[c]):
                continue
            other = owner[c]
            if other < 0:
                if costs[c] <= costs[t] + _EPS:
                    owner[t], owner[c], target[i] = -1, i, c
                    changed = True
                continue
            delta = (sku.picks - skus[other].picks) * (costs[c] - costs[t])
            if abs(delta) <= _EPS and skus[other].fits(slots[t]):
                target[i], target[other] = c, t
                owner[c], owner[t] = i, other
                changed = True
        if not changed:
            return


# ------------------------------------------------------------------------------------------
# Move planning


@dataclass
class _Block:
    moves: list[Move]
    relocations: int
    saving: float
    mandatory: bool
    order: tuple[int, int]

    @property
    def ratio(self) -> float:
        return self.saving / self.relocations if self.relocations else 0.0


def _gain(problem: SlottingProblem, sku: int, source: int, target: int) -> float:
    if source < 0:
        return 0.0
    return problem.skus[sku].picks * (problem.travels[source] - problem.travels[target])


def _step(problem: SlottingProblem, sku: int, source: int, target: int) -> Move:
    slots = problem.slots
    return Move(
        sku=problem.skus[sku].id,
        source=slots[source].id if source >= 0 else None,
        target=slots[target].id,
        saving=_gain(problem, sku, source, target),
    )


def _swap(problem: SlottingProblem, a: int, b: int, slot_a: int, slot_b: int) -> Move:
    """SKU ``a`` in ``slot_a`` and SKU ``b`` in ``slot_b`` exchange places."""
    saving = _gain(problem, a, slot_a, slot_b) + _gain(problem, b, slot_b, slot_a)
    return Move(
        sku=problem.skus[a].id,
        source=problem.slots[slot_a].id,
        target=problem.slots[slot_b].id,
        saving=saving,
        swap_with=problem.skus[b].id,
    )


def _pool_blocks(blocks: list[_Block]) -> list[_Block]:
    """Merge consecutive blocks until their saving per relocation is non-increasing."""
    merged: list[_Block] = []
    for block in blocks:
        merged.append(block)
        while len(merged) > 1 and merged[-1].ratio > merged[-2].ratio + _EPS:
            last = merged.pop()
            head = merged[-1]
            head.moves += last.moves
            head.relocations += last.relocations
            head.saving += last.saving
    return merged


def _plan(problem: SlottingProblem, current: list[int], target: list[int]) -> list[_Block]:
    """Return the moves from ``current`` to ``target`` as blocks (chains cut, cycles whole)."""
    n_slots = len(problem.slots)
    occupant = [-1] * n_slots
    for i, c in enumerate(current):
        if c >= 0:
            occupant[c] = i
    targeted = [False] * n_slots
    for t in target:
        targeted[t] = True
    movers = [i for i in range(len(target)) if current[i] != target[i]]
    nxt = {i: occupant[target[i]] for i in movers}  # SKU whose slot i takes (-1: empty)
    has_prev = {j for j in nxt.values() if j >= 0}
    buffers = [
        k
        for k in range(n_slots)
        if occupant[k] < 0
        and not targeted[k]
        and not problem.slots[k].blocked
        and not problem.slots[k].fixed
    ]
    buffers.sort(key=lambda k: problem.travels[k])
    blocks: list[_Block] = []
    seen: set[int] = set()
    for number, head in enumerate(i for i in movers if i not in has_prev):
        chain = [head]
        while nxt[chain[-1]] >= 0:
            chain.append(nxt[chain[-1]])
        seen.update(chain)
        steps = [_step(problem, i, current[i], target[i]) for i in reversed(chain)]
        mandatory = current[head] < 0
        parts = [_Block([m], 1, m.saving, mandatory, (number, k)) for k, m in enumerate(steps)]
        blocks += _pool_blocks(parts)
    for number, first in enumerate(movers, start=len(movers)):
        if first in seen:
            continue
        cycle = [first]
        while nxt[cycle[-1]] != first:
            cycle.append(nxt[cycle[-1]])
        seen.update(cycle)
        blocks.append(_Block(_cycle_moves(problem, cycle, current, target, buffers), 0, 0.0,
                             False, (number, 0)))  # fmt: skip
        blocks[-1].relocations = sum(m.relocations for m in blocks[-1].moves)
        blocks[-1].saving = sum(m.saving for m in blocks[-1].moves)
    return blocks


def _cycle_moves(
    problem: SlottingProblem,
    cycle: list[int],
    current: list[int],
    target: list[int],
    buffers: list[int],
) -> list[Move]:
    """Moves closing a cycle (SKU ``cycle[k]`` takes the slot of ``cycle[k + 1]``)."""
    skus, slots = problem.skus, problem.slots
    if len(cycle) >= 3:
        for shift in range(len(cycle)):
            first = cycle[shift]
            buffer = next((b for b in buffers if skus[first].fits(slots[b])), None)
            if buffer is None:
                continue
            order = cycle[shift:] + cycle[:shift]
            steps = [_step(problem, first, current[first], buffer)]
            steps += [_step(problem, i, current[i], target[i]) for i in reversed(order[1:])]
            steps.append(_step(problem, first, buffer, target[first]))
            return steps
    # Swaps: after swapping cycle[k] into place, cycle[k + 1] stands in cycle[0]'s slot.
    # Prefer a rotation where every parked SKU fits that slot.
    best = cycle
    for shift in range(len(cycle)):
        order = cycle[shift:] + cycle[:shift]
        home = slots[current[order[0]]]
        if all(skus[i].fits(home) for i in order[1:-1]):
            best = order
            break
    moves: list[Move] = []
    parked = current[best[0]]
    for a, b in itertools.pairwise(best):
        moves.append(_swap(problem, a, b, parked, current[b]))
    return moves


def _select(blocks: list[_Block], max_moves: int | None) -> list[_Block]:
    """Return the blocks to make, in execution order."""
    mandatory = sorted((b for b in blocks if b.mandatory), key=lambda b: b.order)
    optional = sorted((b for b in blocks if not b.mandatory), key=lambda b: (-b.ratio, b.order))
    if max_moves is None:
        return mandatory + optional
    budget = max_moves - sum(b.relocations for b in mandatory)
    chosen: list[_Block] = []
    stopped: set[int] = set()
    for block in optional:
        chain = block.order[0]
        if chain in stopped:
            continue
        if block.saving <= _EPS or block.relocations > budget:
            stopped.add(chain)
            continue
        chosen.append(block)
        budget -= block.relocations
    return mandatory + chosen


# ------------------------------------------------------------------------------------------
# Measurement and entry point


def _measure(
    problem: SlottingProblem,
    assignments: Sequence[Mapping[str, str]],
    orders: Sequence[Sequence[str]],
    method: str,
    seed: int,
    time_limit: float | None,
) -> tuple[list[float], int, int]:
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
    totals, routed, skipped = _measure(problem, [assignment], todo, chosen, seed, time_limit)
    return RouteMeasure(metres=totals[0], orders=routed, skipped=skipped)


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
    target = _target(problem, method, classes)
    current = [-1 if s.current is None else problem.slot_index[s.current] for s in skus]
    blocks = _plan(problem, current, target)
    chosen = _select(blocks, max_moves)
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
        totals, routed, _ = _measure(
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
