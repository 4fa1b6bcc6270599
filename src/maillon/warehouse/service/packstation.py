"""Packing station use cases: the carton catalogue, the pack plan of an order and the
scan-driven packing that follows it.

:func:`pack_plan` is the entry point other packages use (shipping calls it through
``maillon.warehouse.service.pack_plan``): for each warehouse an order ships from, it chooses
the carton(s) with :func:`maillon.warehouse.cartons.choose_cartons` (carton cost + shipping
cost on the chargeable weight, real 3D placement by :mod:`maillon.warehouse.packing`,
splitting into several cartons when needed) and says where every unit goes.
Money is in integer cents; lengths in millimetres; weights in grams.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import (
    Conflict,
    DuplicateError,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.model import AllocationStatus
from maillon.orders.tables import Allocation, Order, OrderLine
from maillon.warehouse import cartons
from maillon.warehouse.model import PickLineStatus, PickListStatus
from maillon.warehouse.packing import Item
from maillon.warehouse.tables import (
    CartonType,
    PickList,
)

__all__ = [
    "DEFAULT_CARTONS",
    "DEFAULT_TARIFF",
    "FieldConflict",
    "PackPlan",
    "PlannedParcel",
    "PlannedUnit",
    "create_carton",
    "delete_carton",
    "get_carton",
    "list_cartons",
    "pack_plan",
    "seed_cartons",
    "update_carton",
]

#: The default catalogue (``maillon warehouse cartons-seed``): code, inner L, W, H (mm),
#: payload (g), cost (cents), board thickness (mm), empty weight (g).
DEFAULT_CARTONS: tuple[tuple[str, int, int, int, int, int, int, int], ...] = (
    ("MAILER-S", 250, 180, 60, 3_000, 28, 2, 60),
    ("BOX-S", 300, 200, 150, 10_000, 45, 4, 150),
    ("BOX-M", 350, 250, 200, 15_000, 62, 4, 220),
    ("BOX-L", 400, 300, 250, 20_000, 85, 5, 320),
    ("BOX-XL", 500, 400, 300, 25_000, 125, 5, 480),
    ("BOX-XXL", 600, 400, 400, 30_000, 170, 6, 650),
)

#: Shipping price in cents by chargeable weight (a French home-delivery parcel tariff),
#: dimensional divisor 5000 cm3/kg. Shipping passes its own carrier's tariff to
#: :func:`pack_plan`; this one is used when none is given.
DEFAULT_TARIFF = cartons.ShippingTariff(
    price=cartons.WeightBands(
        [
            (500, 699),
            (1_000, 849),
            (2_000, 999),
            (5_000, 1_549),
            (10_000, 2_249),
            (15_000, 2_849),
            (30_000, 3_449),
        ]
    ),
    divisor=5000.0,
)

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
_LIMITS = {
    "length_mm": (1, 3_000),
    "width_mm": (1, 3_000),
    "height_mm": (1, 3_000),
    "max_weight_g": (1, 1_000_000),
    "cost_cents": (0, 1_000_000),
    "wall_mm": (0, 50),
    "tare_g": (0, 100_000),
}


class FieldConflict(Conflict):
    """A well-formed request the current state refuses because of one field's value (a
    scanned location or barcode that is not the expected one): 409 naming ``field``."""

    code = "mismatch"

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")

    def to_dict(self) -> dict[str, Any]:
        body = super().to_dict()
        body["field"] = self.field
        return body


# --------------------------------------------------------------------------- catalogue


def list_cartons(*, session: Session, active_only: bool = False) -> Sequence[CartonType]:
    """Return the carton catalogue, smallest inner volume first."""
    query = select(CartonType)
    if active_only:
        query = query.where(CartonType.active.is_(True))
    rows = session.scalars(query.order_by(CartonType.code)).all()
    return sorted(rows, key=lambda c: (c.length_mm * c.width_mm * c.height_mm, c.code))


def get_carton(*, session: Session, code: str) -> CartonType:
    """Return the carton ``code``. Raises NotFound naming ``code``."""
    row = session.scalar(select(CartonType).where(CartonType.code == code))
    if row is None:
        raise NotFound("carton", code, field="code")
    return row


def _check_carton(values: dict[str, Any]) -> None:
    errors = ErrorCollector()
    code = values.get("code")
    if code is not None and not _CODE.match(code):
        errors.add("code", "1-40 letters, digits, '.', '-' or '_', starting with a letter/digit")
    for name, (low, high) in _LIMITS.items():
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors.add(name, f"must be a whole number from {low} to {high}")
    errors.raise_if_any()


def create_carton(
    *,
    session: Session,
    code: str,
    length_mm: int,
    width_mm: int,
    height_mm: int,
    max_weight_g: int,
    cost_cents: int,
    wall_mm: int = 0,
    tare_g: int = 0,
    active: bool = True,
) -> CartonType:
    """Add a carton to the catalogue. Raises ValidationError naming a bad field,
    DuplicateError (``code``) when the code is taken."""
    values = dict(
        code=code,
        length_mm=length_mm,
        width_mm=width_mm,
        height_mm=height_mm,
        max_weight_g=max_weight_g,
        cost_cents=cost_cents,
        wall_mm=wall_mm,
        tare_g=tare_g,
    )
    _check_carton(values)
    if session.scalar(select(CartonType.id).where(CartonType.code == code)) is not None:
        raise DuplicateError("carton", "code", code)
    row = CartonType(**values, active=active, updated_at=clock.now())
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # taken by a concurrent request since the check
        raise DuplicateError("carton", "code", code) from None
    return row


def update_carton(*, session: Session, code: str, changes: dict[str, Any]) -> CartonType:
    """Change some fields of a carton (not its code). Raises NotFound, ValidationError."""
    unknown = set(changes) - set(_LIMITS) - {"active"}
    if unknown:
        raise ValidationError([FieldError(name, "cannot be changed") for name in sorted(unknown)])
    _check_carton(changes)
    row = get_carton(session=session, code=code)
    for name, value in changes.items():
        setattr(row, name, value)
    row.updated_at = clock.now()
    return row


def delete_carton(*, session: Session, code: str) -> None:
    """Remove a carton from the catalogue (plans already made keep their copy). Raises NotFound."""
    session.delete(get_carton(session=session, code=code))


def seed_cartons(*, session: Session) -> tuple[list[str], list[str]]:
    """Add the default catalogue's cartons that are missing; return (added, already there)."""
    existing = set(session.scalars(select(CartonType.code)))
    added, kept = [], []
    for code, ln, wd, h, kg, cost, wall, tare in DEFAULT_CARTONS:
        if code in existing:
            kept.append(code)
            continue
        session.add(
            CartonType(
                code=code,
                length_mm=ln,
                width_mm=wd,
                height_mm=h,
                max_weight_g=kg,
                cost_cents=cost,
                wall_mm=wall,
                tare_g=tare,
                active=True,
                updated_at=clock.now(),
            )
        )
        added.append(code)
    session.flush()
    return added, kept


def _catalogue(session: Session) -> tuple[list[cartons.Carton], str]:
    rows = list_cartons(session=session, active_only=True)
    if rows:
        return [
            cartons.Carton(
                c.code,
                c.length_mm,
                c.width_mm,
                c.height_mm,
                c.max_weight_g,
                float(c.cost_cents),
                wall=c.wall_mm,
                tare=c.tare_g,
            )
            for c in rows
        ], "catalogue"
    return [
        cartons.Carton(code, ln, wd, h, kg, float(cost), wall=wall, tare=tare)
        for code, ln, wd, h, kg, cost, wall, tare in DEFAULT_CARTONS
    ], "default"


# --------------------------------------------------------------------------- pack plan


@dataclass(frozen=True)
class PlannedUnit:
    """One unit in a parcel: loading ``step`` (from 1), its corner and size once turned."""

    step: int
    sku: str
    name: str
    gtin: str | None
    x: int
    y: int
    z: int
    length: int
    width: int
    height: int
    orientation: str
    instruction: str


@dataclass(frozen=True)
class PlannedParcel:
    """A carton of the plan: its size, weights, costs (cents) and units in loading order."""

    number: int
    carton: str
    inner_mm: tuple[int, int, int]
    outer_mm: tuple[int, int, int]
    contents_weight_g: int
    gross_weight_g: int
    chargeable_weight_g: int
    carton_cost_cents: int
    shipping_cost_cents: int
    fill_pct: float
    units: tuple[PlannedUnit, ...]


@dataclass(frozen=True)
class PackPlan:
    """How to pack what an order takes from one warehouse.

    ``unpackable`` lists one SKU per unit no carton can take (too big or heavy: pack by hand);
    ``catalogue`` says whether the cartons came from the catalogue table or the defaults.
    """

    order: str
    warehouse: str
    parcels: tuple[PlannedParcel, ...]
    unpackable: tuple[str, ...]
    total_cost_cents: int
    catalogue: str

    @property
    def units(self) -> int:
        """Return the number of units placed in parcels."""
        return sum(len(p.units) for p in self.parcels)

    def to_dict(self) -> dict[str, Any]:
        """Return the plan as plain JSON data (stored with a packing session)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PackPlan:
        """Return the plan stored by :meth:`to_dict`."""
        parcels = tuple(
            PlannedParcel(
                **{
                    **p,
                    "inner_mm": tuple(p["inner_mm"]),
                    "outer_mm": tuple(p["outer_mm"]),
                    "units": tuple(PlannedUnit(**u) for u in p["units"]),
                }
            )
            for p in data["parcels"]
        )
        return cls(
            order=data["order"],
            warehouse=data["warehouse"],
            parcels=parcels,
            unpackable=tuple(data["unpackable"]),
            total_cost_cents=data["total_cost_cents"],
            catalogue=data["catalogue"],
        )


def units_to_pack(*, session: Session, order: Order) -> dict[int, dict[str, int]]:
    """Return, per warehouse id, the units of each SKU the order takes from it.

    From the pick lists when there are any (units picked once a line is confirmed, else
    asked), otherwise from the reserved allocations.
    """
    lists = session.scalars(
        select(PickList).where(
            PickList.order_id == order.id, PickList.status != PickListStatus.CANCELLED
        )
    ).all()
    out: dict[int, dict[str, int]] = {}
    if lists:
        for pick_list in lists:
            here = out.setdefault(pick_list.warehouse_id, {})
            for line in pick_list.lines:
                n = line.quantity if line.status == PickLineStatus.OPEN else line.picked_quantity
                if pick_list.status == PickListStatus.DONE:
                    n = line.picked_quantity
                if n > 0:
                    here[line.sku] = here.get(line.sku, 0) + n
        return out
    rows = session.execute(
        select(Allocation.warehouse_id, OrderLine.sku, func.sum(Allocation.quantity))
        .join(OrderLine, OrderLine.id == Allocation.order_line_id)
        .where(Allocation.order_id == order.id, Allocation.status == AllocationStatus.RESERVED)
        .group_by(Allocation.warehouse_id, OrderLine.sku)
    ).all()
    for warehouse_id, sku, n in rows:
        out.setdefault(warehouse_id, {})[sku] = int(n)
    return out


def plan_units(
    *,
    session: Session,
    order_number: str,
    warehouse_code: str,
    units: dict[str, int],
    tariff: cartons.ShippingTariff | None = None,
    time_limit: float = 0.0,
) -> PackPlan:
    """Return the pack plan of ``units`` (SKU -> quantity) from one warehouse."""
    skus = sorted(sku for sku, n in units.items() if n > 0)
    products = {p.sku: p for p in session.scalars(select(Product).where(Product.sku.in_(skus)))}
    items = [
        Item(
            f"{products[sku].name} ({sku})",
            products[sku].length_mm,
            products[sku].width_mm,
            products[sku].height_mm,
            weight=products[sku].weight_g,
            quantity=units[sku],
        )
        for sku in skus
    ]
    catalogue, source = _catalogue(session)
    if not items:
        return PackPlan(order_number, warehouse_code, (), (), 0, source)
    plan = cartons.choose_cartons(
        items, catalogue, tariff or DEFAULT_TARIFF, seed=0, time_limit=time_limit
    )
    parcels = []
    for number, parcel in enumerate(plan.parcels, start=1):
        c = parcel.carton
        planned = []
        for step, (p, text) in enumerate(
            zip(parcel.placements, parcel.instructions, strict=True), start=1
        ):
            product = products[skus[p.item]]
            planned.append(
                PlannedUnit(
                    step=step,
                    sku=product.sku,
                    name=product.name,
                    gtin=product.gtin,
                    x=p.x,
                    y=p.y,
                    z=p.z,
                    length=p.length,
                    width=p.width,
                    height=p.height,
                    orientation=p.orientation,
                    instruction=text,
                )
            )
        w2 = 2 * c.wall
        parcels.append(
            PlannedParcel(
                number=number,
                carton=c.name,
                inner_mm=(c.length, c.width, c.height),
                outer_mm=(c.length + w2, c.width + w2, c.height + w2),
                contents_weight_g=parcel.contents_weight,
                gross_weight_g=parcel.contents_weight + c.tare,
                chargeable_weight_g=parcel.chargeable_weight,
                carton_cost_cents=round(parcel.carton_cost),
                shipping_cost_cents=round(parcel.shipping_cost),
                fill_pct=round(parcel.fill_pct, 1),
                units=tuple(planned),
            )
        )
    return PackPlan(
        order=order_number,
        warehouse=warehouse_code,
        parcels=tuple(parcels),
        unpackable=tuple(skus[i] for i in plan.unpackable),
        total_cost_cents=sum(p.carton_cost_cents + p.shipping_cost_cents for p in parcels),
        catalogue=source,
    )


def pack_plan(
    *,
    session: Session,
    number: str,
    warehouse: str | None = None,
    tariff: cartons.ShippingTariff | None = None,
    time_limit: float = 0.0,
) -> list[PackPlan]:
    """Return the pack plan of an order, one per warehouse it ships from (by warehouse code).

    The units are the order's picked lines (asked units for lines not picked yet; reserved
    allocations before any pick list exists). Cartons come from the active catalogue (the
    default catalogue when the table is empty); ``tariff`` prices a parcel by chargeable
    weight in cents (default :data:`DEFAULT_TARIFF`). With ``time_limit`` 0 the plan is
    deterministic; more time may find cheaper plans for large orders.
    Raises NotFound (order, or ``warehouse`` when given and unknown).
    """
    order = orders.get_order(session=session, number=number)
    by_warehouse = units_to_pack(session=session, order=order)
    codes = dict(
        session.execute(
            select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(list(by_warehouse)))
        ).all()
    )
    if warehouse is not None:
        wanted = session.scalar(select(Warehouse.id).where(Warehouse.code == warehouse))
        if wanted is None:
            raise NotFound("warehouse", warehouse, field="warehouse")
        by_warehouse = {wanted: by_warehouse.get(wanted, {})}
        codes[wanted] = warehouse
    return [
        plan_units(
            session=session,
            order_number=order.number,
            warehouse_code=codes[wid],
            units=units,
            tariff=tariff,
            time_limit=time_limit,
        )
        for wid, units in sorted(by_warehouse.items())
    ]
