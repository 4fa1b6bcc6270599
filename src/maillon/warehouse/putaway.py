"""Putaway: where to store an incoming quantity of one SKU.

``suggest_putaway(...)`` takes the SKU (quantity, unit cube and weight, zone, lot, ABC class)
and the state of the slots (``SlotState``: a ``slotting.Slot`` and what it holds) and returns
a frozen ``PutawayResult``: ranked suggestions (slot, location, quantity that fits, reason)
whose quantities add up to what could be placed, and the quantity left unplaced.

Slots are tried in this order, filling each with as much as fits before the next:

1. ``"consolidate"``: slots already holding the SKU (the same lot when ``lot`` is given,
   unless ``mix_lots``), nearest to the depot first, ties by most room;
2. ``"class_zone"``: empty slots of the SKU's ABC class zone, cheapest first (the zones are
   the cheapest ``class_shares[0]`` of the slots of its zone for A, the next
   ``class_shares[1]`` for B, ...: fast movers near the depot);
3. ``"near_class_zone"``: other empty slots, nearest (in slot rank) to the class zone first;
   without ``abc_class`` every empty slot is ``"empty"``, cheapest first;
4. ``"shared"``: slots holding other SKUs, only when ``allow_mixing`` and the slot allows
   mixing (``Slot.mixing``), cheapest first.

A slot is a candidate only if it is not blocked and its zone equals the SKU's (``None`` is
the general zone: a ``"cold"`` SKU only goes in ``"cold"`` slots, a general SKU never in
them).  What fits is bounded by the slot's free volume, units and weight.  Slot cost is
``slotting.slot_travel`` (``travel``) and, on ties, the ergonomic class.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from maillon.warehouse.layout import Layout, PickLocation
from maillon.warehouse.slotting import TRAVELS, Slot, class_labels, slot_travel

__all__ = [
    "REASONS",
    "Holding",
    "PutawayResult",
    "PutawaySuggestion",
    "SlotState",
    "suggest_putaway",
]

REASONS: tuple[str, ...] = ("consolidate", "class_zone", "near_class_zone", "empty", "shared")
"""Values of ``PutawaySuggestion.reason``, in the order slots are tried."""

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class Holding:
    """Units of one SKU (and lot) stored in a slot.

    Raises:
        ValueError: if ``sku`` is empty, ``units`` is negative, or a unit cube or weight is
            negative or not finite.
    """

    sku: str
    units: int
    lot: str | None = None
    unit_cube: float = 0.0
    unit_weight: float = 0.0

    def __post_init__(self) -> None:
        if not self.sku:
            raise ValueError("Holding.sku must be a non-empty string.")
        if self.units < 0:
            raise ValueError(f"Holding {self.sku!r}: units = {self.units!r} must be >= 0.")
        for name in ("unit_cube", "unit_weight"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"Holding {self.sku!r}: {name} = {value!r} must be >= 0.")


@dataclass(frozen=True, slots=True)
class SlotState:
    """A slot and what it holds now (holdings with zero units are ignored)."""

    slot: Slot
    holdings: tuple[Holding, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "holdings", tuple(h for h in self.holdings if h.units > 0))

    @property
    def used(self) -> tuple[float, int, float]:
        """Return (volume, units, weight) already used."""
        return (
            sum(h.units * h.unit_cube for h in self.holdings),
            sum(h.units for h in self.holdings),
            sum(h.units * h.unit_weight for h in self.holdings),
        )


@dataclass(frozen=True, slots=True)
class PutawaySuggestion:
    """Put ``quantity`` units in slot ``slot_id`` at ``location``; ``reason`` is in REASONS."""

    slot_id: str
    location: PickLocation
    quantity: int
    reason: str
    travel: float


@dataclass(frozen=True, slots=True)
class PutawayResult:
    """The answer of ``suggest_putaway``.

    Attributes:
        sku: the SKU put away.
        quantity: the units asked for.
        suggestions: where to put them, in order (each with ``quantity >= 1``).
        unplaced: units no candidate slot could take.
    """

    sku: str
    quantity: int
    suggestions: tuple[PutawaySuggestion, ...]
    unplaced: int

    @property
    def placed(self) -> int:
        """Return the units the suggestions place."""
        return self.quantity - self.unplaced


def _class_range(
    ranked: Sequence[int], abc_class: str, class_shares: Sequence[float]
) -> tuple[int, int]:
    """Return the [start, end) ranks of ``abc_class``'s zone among ``ranked`` slots."""
    labels = class_labels(len(class_shares))
    index = labels.index(abc_class)
    total = sum(class_shares)
    before = sum(class_shares[:index]) / total
    upto = sum(class_shares[: index + 1]) / total
    n = len(ranked)
    return round(before * n), round(upto * n)


def suggest_putaway(
    *,
    layout: Layout,
    sku: str,
    quantity: int,
    unit_cube: float,
    slots_state: Sequence[SlotState],
    unit_weight: float = 0.0,
    zone: str | None = None,
    lot: str | None = None,
    abc_class: str | None = None,
    class_shares: Sequence[float] = (0.2, 0.3, 0.5),
    allow_mixing: bool = False,
    mix_lots: bool = False,
    max_slots: int | None = None,
    travel: str = "round_trip",
) -> PutawayResult:
    """Return where to put ``quantity`` units of ``sku`` (see the module docstring).

    ``abc_class`` is a label of ``class_labels(len(class_shares))`` (``"A"``, ``"B"``, ...)
    or ``None`` (no class preference: nearest empty slot first).  ``max_slots`` bounds the
    number of slots the quantity is split over (``None``: no bound).

    Raises:
        ValueError: naming the field, if ``sku`` is empty, ``quantity < 1``, ``unit_cube``
            or ``unit_weight`` is negative or not finite, ``abc_class`` is not a class label,
            ``class_shares`` has a negative or no positive share, ``max_slots < 1``,
            ``travel`` is unknown, two slot states share a slot id, or a slot is not in
            ``layout``.
    """
    _check_request(
        layout=layout,
        sku=sku,
        quantity=quantity,
        unit_cube=unit_cube,
        unit_weight=unit_weight,
        slots_state=slots_state,
        abc_class=abc_class,
        class_shares=class_shares,
        max_slots=max_slots,
        travel=travel,
    )
    candidates = [s for s in slots_state if not s.slot.blocked and s.slot.zone == zone]
    cost = {s.slot.id: slot_travel(layout, s.slot.location, travel=travel) for s in candidates}

    def room(state: SlotState) -> int:
        return state.slot.room(unit_cube=unit_cube, unit_weight=unit_weight, used=state.used)

    ranked = _consolidation(candidates, cost, room, sku=sku, lot=lot, mix_lots=mix_lots)
    ranked += _empty(candidates, cost, abc_class, class_shares)
    if allow_mixing:
        ranked += _shared(candidates, cost, ranked, sku=sku, mix_lots=mix_lots)

    left = quantity
    suggestions: list[PutawaySuggestion] = []
    for reason, state in ranked:
        if left == 0 or (max_slots is not None and len(suggestions) >= max_slots):
            break
        fits = min(room(state), left)
        if fits <= 0:
            continue
        suggestions.append(
            PutawaySuggestion(
                slot_id=state.slot.id,
                location=state.slot.location,
                quantity=fits,
                reason=reason,
                travel=cost[state.slot.id],
            )
        )
        left -= fits
    return PutawayResult(sku=sku, quantity=quantity, suggestions=tuple(suggestions), unplaced=left)


def _check_request(
    *,
    layout: Layout,
    sku: str,
    quantity: int,
    unit_cube: float,
    unit_weight: float,
    slots_state: Sequence[SlotState],
    abc_class: str | None,
    class_shares: Sequence[float],
    max_slots: int | None,
    travel: str,
) -> None:
    """Raise the ``ValueError`` ``suggest_putaway`` documents, naming the field."""
    if not sku:
        raise ValueError("sku must be a non-empty string.")
    if quantity < 1:
        raise ValueError(f"quantity = {quantity!r} must be >= 1.")
    for name, value in (("unit_cube", unit_cube), ("unit_weight", unit_weight)):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} = {value!r} must be a finite number >= 0.")
    if not class_shares or any(not (math.isfinite(s) and s >= 0) for s in class_shares):
        raise ValueError(f"class_shares = {tuple(class_shares)!r} must be finite and >= 0.")
    if sum(class_shares) <= 0:
        raise ValueError("class_shares must have a positive share.")
    labels = class_labels(len(class_shares))
    if abc_class is not None and abc_class not in labels:
        raise ValueError(f"abc_class = {abc_class!r} not understood; choose one of {labels}.")
    if max_slots is not None and max_slots < 1:
        raise ValueError(f"max_slots = {max_slots!r} must be >= 1.")
    if travel not in TRAVELS:
        raise ValueError(f"travel = {travel!r} not understood; choose one of {TRAVELS}.")
    seen: set[str] = set()
    for state in slots_state:
        if state.slot.id in seen:
            raise ValueError(f"slots_state: duplicate slot id {state.slot.id!r}.")
        seen.add(state.slot.id)
        try:
            layout.check_pick(state.slot.location)
        except ValueError as exc:
            raise ValueError(f"slots_state: slot {state.slot.id!r}: {exc}") from None


def _by_cost(cost: Mapping[str, float]) -> Callable[[SlotState], tuple[float, int, str]]:
    """Return the sort key of slots: travel, then ergonomic class, then id."""

    def key(state: SlotState) -> tuple[float, int, str]:
        return (cost[state.slot.id], state.slot.ergonomic_class, state.slot.id)

    return key


def _consolidation(
    candidates: Sequence[SlotState],
    cost: Mapping[str, float],
    room: Callable[[SlotState], int],
    *,
    sku: str,
    lot: str | None,
    mix_lots: bool,
) -> list[tuple[str, SlotState]]:
    """Slots already holding the SKU (and lot), nearest first, ties by most room."""
    same = [
        s
        for s in candidates
        if any(h.sku == sku and (mix_lots or lot is None or h.lot == lot) for h in s.holdings)
        and all(h.sku != sku or mix_lots or lot is None or h.lot == lot for h in s.holdings)
        and (s.slot.mixing or all(h.sku == sku for h in s.holdings))
    ]
    same.sort(key=lambda s: (cost[s.slot.id], -room(s), s.slot.ergonomic_class, s.slot.id))
    return [("consolidate", s) for s in same]


def _empty(
    candidates: Sequence[SlotState],
    cost: Mapping[str, float],
    abc_class: str | None,
    class_shares: Sequence[float],
) -> list[tuple[str, SlotState]]:
    """Empty slots: the class zone first, then nearest to it (or cheapest, without a class)."""
    empty = sorted((s for s in candidates if not s.holdings), key=_by_cost(cost))
    if abc_class is None:
        return [("empty", s) for s in empty]
    start, end = _class_range(range(len(empty)), abc_class, class_shares)
    ranked = [("class_zone", s) for s in empty[start:end]]
    outside = [(k, s) for k, s in enumerate(empty) if not start <= k < end]
    outside.sort(key=lambda ks: (start - ks[0] if ks[0] < start else ks[0] - end + 1, ks[0]))
    return ranked + [("near_class_zone", s) for _, s in outside]


def _shared(
    candidates: Sequence[SlotState],
    cost: Mapping[str, float],
    ranked: Sequence[tuple[str, SlotState]],
    *,
    sku: str,
    mix_lots: bool,
) -> list[tuple[str, SlotState]]:
    """Mixing slots holding other SKUs and not ranked yet, cheapest first."""
    taken = {s.slot.id for _, s in ranked}
    shared = sorted(
        (
            s
            for s in candidates
            if s.slot.mixing
            and s.holdings
            and s.slot.id not in taken
            and (mix_lots or all(h.sku != sku for h in s.holdings))
        ),
        key=_by_cost(cost),
    )
    return [("shared", s) for s in shared]
