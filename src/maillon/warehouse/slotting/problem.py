"""The slotting instance: ``SlottingProblem``, validated once, with each slot's cost.

Its constructor checks ids, locations, current slots, capacity and zones (naming the
offending field) and precomputes the slot index, the SKU index and every slot's travel and
cost (travel plus the ergonomic penalty) that the target and the move plan read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from maillon.warehouse import routing
from maillon.warehouse.layout import Layout
from maillon.warehouse.slotting.classes import check_thresholds
from maillon.warehouse.slotting.slots import TRAVELS, Sku, Slot, check_nonneg, slot_travel


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
        check_nonneg("SlottingProblem", "ergonomic_penalty", self.ergonomic_penalty)
        check_thresholds(self.abc_thresholds)
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
