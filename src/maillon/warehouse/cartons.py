"""Carton choice for an order: which carton(s) to use and how to fill them (pure).

Given the order's items, a carton catalogue and a shipping tariff, ``choose_cartons``
returns the set of parcels minimising *carton cost + shipping cost*, where the
shipping cost is a price function of the **chargeable weight**: the larger of
the real weight (contents + empty carton) and the dimensional weight
``outer volume (cm³) / divisor`` kg.  Every parcel is checked with the 3D
engine of ``maillon.warehouse.packing`` (orientation rules, support rule and
weight limit kept) and comes with step-by-step packing instructions.

Units: millimetres, grams; money is a plain float in the tariff's currency.

Errors: constructors raise ``ValueError`` with a message naming the bad field;
``choose_cartons`` raises ``ValueError`` on an empty catalogue or a negative
time limit.  Units that no carton can take are reported, not raised.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from maillon.warehouse.packing import (
    Container,
    Item,
    PackingProblem,
    Placement,
    solve,
)

__all__ = [
    "Carton",
    "CartonLoad",
    "CartonPlan",
    "ShippingTariff",
    "WeightBands",
    "choose_cartons",
    "estimate_parcel",
    "packing_instructions",
]


@dataclass(frozen=True)
class Carton:
    """A carton of the catalogue: inner dimensions (mm), payload limit (g), cost.

    ``wall`` is the board thickness in mm (outer = inner + 2 × wall) and
    ``tare`` the empty carton's weight in grams.  Raises ``ValueError`` on a
    non-positive dimension or payload, or a negative cost, wall or tare.
    """

    name: str
    length: int
    width: int
    height: int
    max_weight: int
    cost: float
    wall: int = 0
    tare: int = 0

    def __post_init__(self) -> None:
        for what in ("length", "width", "height", "max_weight"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"Carton {self.name!r}: {what} must be a positive integer.")
        for what in ("wall", "tare"):
            value = getattr(self, what)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"Carton {self.name!r}: {what} must be an integer >= 0.")
        if not math.isfinite(self.cost) or self.cost < 0:
            raise ValueError(f"Carton {self.name!r}: cost must be a finite number >= 0.")

    @property
    def volume(self) -> int:
        """Return the inner volume in mm³."""
        return self.length * self.width * self.height

    @property
    def outer_volume_cm3(self) -> float:
        """Return the outer volume in cm³ (used for the dimensional weight)."""
        w2 = 2 * self.wall
        return (self.length + w2) * (self.width + w2) * (self.height + w2) / 1000.0


@dataclass(frozen=True)
class WeightBands:
    """A weight-band price table: ``bands`` = ((max grams, price), ...) ascending.

    Calling it with a chargeable weight returns the price of the first band
    that holds it, or ``math.inf`` above the last band (not shippable).
    Raises ``ValueError`` on an empty table, unsorted limits or negative prices.
    """

    bands: tuple[tuple[int, float], ...]

    def __init__(self, bands: Iterable[tuple[int, float]]) -> None:
        table = tuple((int(limit), float(price)) for limit, price in bands)
        if not table:
            raise ValueError("WeightBands needs at least one band.")
        limits = [limit for limit, _ in table]
        if any(b <= a for a, b in itertools.pairwise(limits)) or limits[0] <= 0:
            raise ValueError("WeightBands limits must be positive and strictly increasing.")
        if any(price < 0 or not math.isfinite(price) for _, price in table):
            raise ValueError("WeightBands prices must be finite and >= 0.")
        object.__setattr__(self, "bands", table)

    def __call__(self, grams: int) -> float:
        """Return the price for ``grams`` of chargeable weight (inf above the table)."""
        for limit, price in self.bands:
            if grams <= limit:
                return price
        return math.inf


@dataclass(frozen=True)
class ShippingTariff:
    """Shipping price: ``price(chargeable grams)`` with a dimensional divisor.

    ``divisor`` is in cm³ per kg (5000 is common for parcels).  A price of
    ``math.inf`` marks a parcel the carrier does not take.  Raises
    ``ValueError`` on a non-positive divisor.
    """

    price: Callable[[int], float]
    divisor: float = 5000.0

    def __post_init__(self) -> None:
        if not self.divisor > 0 or not math.isfinite(self.divisor):
            raise ValueError(f"ShippingTariff divisor must be > 0, got {self.divisor!r}.")

    def chargeable_weight(self, carton: Carton, contents_weight: int) -> int:
        """Return max(real weight, dimensional weight) in grams, rounded up."""
        dimensional = math.ceil(carton.outer_volume_cm3 / self.divisor * 1000.0 - 1e-9)
        return max(contents_weight + carton.tare, dimensional)

    def cost(self, carton: Carton, contents_weight: int) -> float:
        """Return the shipping price of ``carton`` holding ``contents_weight`` grams."""
        return float(self.price(self.chargeable_weight(carton, contents_weight)))


@dataclass(frozen=True)
class CartonLoad:
    """One carton of the plan with its contents.

    ``placements`` index the order's items (``Placement.container`` is 0) and
    are in loading order; ``instructions`` are the same steps in plain words.
    """

    carton: Carton
    placements: tuple[Placement, ...]
    contents_weight: int
    chargeable_weight: int
    carton_cost: float
    shipping_cost: float
    fill_pct: float
    instructions: tuple[str, ...]

    @property
    def cost(self) -> float:
        """Return carton cost + shipping cost."""
        return self.carton_cost + self.shipping_cost


@dataclass(frozen=True)
class CartonPlan:
    """What ``choose_cartons`` returns: parcels, units left out, total cost, runtime.

    ``unpackable`` holds one order-item index per unit that no carton of the
    catalogue can take (too big, too heavy or not shippable).
    """

    parcels: tuple[CartonLoad, ...]
    unpackable: tuple[int, ...]
    total_cost: float
    runtime: float

    @property
    def is_complete(self) -> bool:
        """Return True when every unit of the order is in a parcel."""
        return not self.unpackable


# --------------------------------------------------------------------------- helpers


def _fits_alone(item: Item, carton: Carton) -> bool:
    if item.weight > carton.max_weight:
        return False
    return any(
        dx <= carton.length and dy <= carton.width and dz <= carton.height
        for _, (dx, dy, dz) in item.rotations()
    )


def _container(carton: Carton, quantity: int = 1) -> Container:
    return Container(
        carton.name,
        carton.length,
        carton.width,
        carton.height,
        max_weight=carton.max_weight,
        quantity=quantity,
    )


def _subset(items: Sequence[Item], counts: Sequence[int]) -> tuple[list[Item], list[int]]:
    """Return the items with the given counts (zero counts dropped) and their indices."""
    sub: list[Item] = []
    index: list[int] = []
    for i, (item, n) in enumerate(zip(items, counts, strict=True)):
        if n > 0:
            sub.append(
                Item(
                    item.name,
                    item.length,
                    item.width,
                    item.height,
                    weight=item.weight,
                    quantity=n,
                    orientations=item.orientations,
                )
            )
            index.append(i)
    return sub, index


def _remap(placements: Iterable[Placement], index: Sequence[int]) -> tuple[Placement, ...]:
    return tuple(
        Placement(
            item=index[p.item],
            container=0,
            x=p.x,
            y=p.y,
            z=p.z,
            length=p.length,
            width=p.width,
            height=p.height,
            orientation=p.orientation,
        )
        for p in placements
    )


_HEIGHT_WORDS = {
    "z": "upright",
    "y": "on its side, width up",
    "x": "on its end, length up",
}


def packing_instructions(
    items: Sequence[Item], carton: Carton, placements: Sequence[Placement]
) -> tuple[str, ...]:
    """Return one plain-words instruction per placement, in loading order.

    Each step names the item, how it is turned, where it goes (distances from
    the left and back walls) and what it rests on.  Raises ``IndexError`` if
    a placement refers to an item outside ``items``.
    """
    steps: list[str] = []
    done: list[Placement] = []
    for n, p in enumerate(placements, start=1):
        item = items[p.item]
        turned = "" if p.orientation in ("xyz", "xzy", "zyx") else ", turned a quarter turn"
        pose = _HEIGHT_WORDS[p.orientation[2]] + turned
        if p.z == 0:
            rest = "on the bottom of the carton"
        else:
            below = sorted(
                {
                    items[q.item].name
                    for q in done
                    if q.z + q.height == p.z
                    and min(q.x + q.length, p.x + p.length) > max(q.x, p.x)
                    and min(q.y + q.width, p.y + p.width) > max(q.y, p.y)
                }
            )
            rest = "on top of " + ", ".join(below) if below else f"{p.z} mm above the bottom"
        steps.append(
            f"{n}. Put {item.name} {pose} ({p.length} × {p.width} mm footprint, "
            f"{p.height} mm high) {rest}, {p.x} mm from the left wall and {p.y} mm "
            f"from the back wall of carton {carton.name}."
        )
        done.append(p)
    return tuple(steps)


class _Chooser:
    def __init__(
        self,
        items: Sequence[Item],
        catalogue: Sequence[Carton],
        tariff: ShippingTariff,
        support_ratio: float,
        seed: int,
        deadline: float,
    ) -> None:
        self.items = items
        self.catalogue = catalogue
        self.tariff = tariff
        self.ratio = support_ratio
        self.seed = seed
        self.deadline = deadline

    def _budget(self, share: float) -> float:
        return max(0.0, (self.deadline - time.perf_counter()) * share)

    def parcel(self, carton: Carton, counts: Sequence[int], share: float) -> CartonLoad | None:
        """Return a parcel holding exactly ``counts`` in ``carton``, or None."""
        sub, index = _subset(self.items, counts)
        weight = sum(it.weight * it.quantity for it in sub)
        volume = sum(it.volume * it.quantity for it in sub)
        if weight > carton.max_weight or volume > carton.volume:
            return None
        if not all(_fits_alone(it, carton) for it in sub):
            return None
        shipping = self.tariff.cost(carton, weight)
        if not math.isfinite(shipping):
            return None
        problem = PackingProblem(sub, [_container(carton)], support_ratio=self.ratio)
        result = solve(problem, seed=self.seed, time_limit=self._budget(share))
        if not result.is_complete:
            return None
        placements = _remap(result.placements, index)
        return CartonLoad(
            carton=carton,
            placements=placements,
            contents_weight=weight,
            chargeable_weight=self.tariff.chargeable_weight(carton, weight),
            carton_cost=carton.cost,
            shipping_cost=shipping,
            fill_pct=100.0 * volume / carton.volume,
            instructions=packing_instructions(self.items, carton, placements),
        )

    def cheapest_single(self, counts: Sequence[int], share: float) -> CartonLoad | None:
        """Return the cheapest single parcel holding ``counts``, or None."""
        weight = sum(it.weight * n for it, n in zip(self.items, counts, strict=True))
        ranked = sorted(
            self.catalogue,
            key=lambda c: (c.cost + self.tariff.cost(c, weight), c.volume),
        )
        tries = [c for c in ranked if math.isfinite(c.cost + self.tariff.cost(c, weight))]
        for k, carton in enumerate(tries):
            found = self.parcel(carton, counts, share / max(1, len(tries) - k))
            if found is not None:
                return found  # ranked by exact cost: the first feasible one is the cheapest
        return None

    def split(
        self, cartons: Sequence[Carton], counts: Sequence[int], share: float
    ) -> tuple[list[CartonLoad], list[int]]:
        """Spread ``counts`` over ``cartons`` (opened in that order, as many as needed),
        then re-box each parcel in its cheapest carton; return parcels and leftovers."""
        sub, index = _subset(self.items, counts)
        if not sub:
            return [], list(counts)
        units = sum(counts)
        problem = PackingProblem(
            sub, [_container(c, quantity=units) for c in cartons], support_ratio=self.ratio
        )
        result = solve(problem, seed=self.seed, time_limit=self._budget(share / 2))
        leftover = [0] * len(self.items)
        for i in result.unplaced:
            leftover[index[i]] += 1
        parcels: list[CartonLoad] = []
        n_loads = len(result.containers)
        for k, load in enumerate(result.containers):
            part = [0] * len(self.items)
            for p in result.in_container(k):
                part[index[p.item]] += 1
            best = self.cheapest_single(part, share / 2 / max(1, n_loads - k))
            if best is None:
                carton = cartons[load.container]
                placements = _remap(result.in_container(k), index)
                weight = sum(self.items[p.item].weight for p in placements)
                shipping = self.tariff.cost(carton, weight)
                if not math.isfinite(shipping):
                    for p in placements:
                        leftover[p.item] += 1
                    continue
                volume = sum(self.items[p.item].volume for p in placements)
                best = CartonLoad(
                    carton=carton,
                    placements=placements,
                    contents_weight=weight,
                    chargeable_weight=self.tariff.chargeable_weight(carton, weight),
                    carton_cost=carton.cost,
                    shipping_cost=shipping,
                    fill_pct=100.0 * volume / carton.volume,
                    instructions=packing_instructions(self.items, carton, placements),
                )
            parcels.append(best)
        return parcels, leftover


def choose_cartons(
    items: Iterable[Item],
    catalogue: Iterable[Carton],
    tariff: ShippingTariff,
    *,
    support_ratio: float = 1.0,
    seed: int = 0,
    time_limit: float = 1.0,
) -> CartonPlan:
    """Return the cheapest ``CartonPlan`` found for the order ``items``.

    First the cheapest single carton that holds the whole order (cartons are
    tried by exact cost, so the first that packs wins); then, within the time
    limit, splits over each carton type whose parcels are re-boxed in their
    cheapest carton; the cheaper plan wins.  Units that fit no carton (size,
    weight or tariff) are reported in ``unpackable``.  Raises ``ValueError``
    on an empty catalogue, a negative time limit or a bad support ratio.
    """
    start = time.perf_counter()
    items_t = tuple(items)
    cartons = tuple(catalogue)
    if not cartons:
        raise ValueError("choose_cartons needs a non-empty carton catalogue.")
    if time_limit < 0 or math.isnan(time_limit):
        raise ValueError(f"time_limit < 0 not understood: {time_limit!r}.")
    if not (0.0 < support_ratio <= 1.0):
        raise ValueError(f"support_ratio must be in (0, 1], got {support_ratio!r}.")
    chooser = _Chooser(items_t, cartons, tariff, support_ratio, seed, start + time_limit)

    counts = [it.quantity for it in items_t]
    unpackable: list[int] = []
    for i, item in enumerate(items_t):
        if not any(
            _fits_alone(item, c) and math.isfinite(tariff.cost(c, item.weight)) for c in cartons
        ):
            unpackable.extend([i] * counts[i])
            counts[i] = 0

    plans: list[list[CartonLoad]] = []
    if sum(counts) > 0:
        single = chooser.cheapest_single(counts, 0.4)
        if single is not None:
            plans.append([single])
        # a split has at least two parcels, each costing at least this much
        # (shipping prices are assumed not to fall when the weight rises)
        cheapest_parcel = min(c.cost + tariff.cost(c, 0) for c in cartons)
        by_size = sorted(cartons, key=lambda c: -c.volume)
        if single is None or single.cost > 2 * cheapest_parcel:
            for k, carton in enumerate(by_size):
                if time.perf_counter() >= chooser.deadline and plans:
                    break
                needed = (it for it, n in zip(items_t, counts, strict=True) if n)
                if not all(_fits_alone(it, carton) for it in needed):
                    continue
                parts, left = chooser.split([carton], counts, 1.0 / max(1, len(by_size) - k))
                if not any(left) and len(parts) > 1:
                    plans.append(parts)
        if not plans:
            # mixed catalogue needed (or time ran out): open the biggest cartons first
            parts, left = chooser.split(by_size, counts, 1.0)
            plans.append(parts)
            for i, n in enumerate(left):
                unpackable.extend([i] * n)
    best = min(plans, key=lambda ps: sum(p.cost for p in ps), default=[])
    return CartonPlan(
        parcels=tuple(best),
        unpackable=tuple(sorted(unpackable)),
        total_cost=sum(p.cost for p in best),
        runtime=time.perf_counter() - start,
    )


def estimate_parcel(items: list[tuple[int, int, int, int, int]]) -> tuple[int, int, int, int]:
    """Return (weight_g, length_mm, width_mm, height_mm) of one parcel holding ``items``.

    ``items`` are (quantity, weight_g, length_mm, width_mm, height_mm). The box is a rough
    estimate (volume plus 25 % air, no side shorter than the longest item needs); the packing
    module chooses real cartons. Raises ValueError for an empty list.
    """
    if not items:
        raise ValueError("a parcel needs at least one item")
    weight = sum(q * w for q, w, *_ in items)
    volume = sum(q * a * b * c for q, _w, a, b, c in items) * 1.25
    longest = max(max(a, b, c) for _q, _w, a, b, c in items)
    side = max(1, math.ceil(volume ** (1 / 3)))
    length = max(longest, side)
    rest = max(1, math.ceil(math.sqrt(volume / length)))
    packaging = 50 + weight // 20
    return weight + packaging, length + 20, rest + 20, rest + 20
