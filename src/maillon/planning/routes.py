"""Planning routes: suppliers, demand history, replenishment proposals, purchase orders."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from sqlalchemy.orm import Session

from maillon.api.deps import DbDep, PageDep, allow
from maillon.core.auth import Principal, Role
from maillon.core.errors import FieldError, ValidationError
from maillon.inventory.tables import Warehouse
from maillon.planning import service
from maillon.planning.demand import build_demand_series
from maillon.planning.schemas import (
    PoCreate,
    PoRead,
    PoReceive,
    ProposalRead,
    SupplierCreate,
    SupplierItemSet,
    SupplierRead,
)
from maillon.planning.tables import PurchaseOrder, Supplier

router = APIRouter(tags=["planning"])
Planner = Annotated[Principal, Depends(allow(Role.OPERATOR))]
Code = Annotated[str, Path(min_length=1, max_length=30)]
Sku = Annotated[str, Path(min_length=1, max_length=64)]


def supplier_read(s: Supplier) -> SupplierRead:
    """Return the response model of a supplier."""
    return SupplierRead(
        code=s.code,
        name=s.name,
        email=s.email,
        lead_time_days=s.lead_time_days,
        lead_time_sd_days=s.lead_time_sd_days,
        order_cost_cents=s.order_cost_cents,
    )


def po_read(session: Session, po: PurchaseOrder) -> PoRead:
    """Return the response model of a purchase order."""
    supplier = session.get(Supplier, po.supplier_id)
    warehouse = session.get(Warehouse, po.warehouse_id)
    assert supplier is not None and warehouse is not None
    return PoRead(**service.purchase_order_summary(po, supplier.code, warehouse.code))


@router.post("/api/v1/suppliers", status_code=status.HTTP_201_CREATED, response_model=SupplierRead)
def create_supplier(body: SupplierCreate, db: DbDep, _: Planner) -> SupplierRead:
    """Add a supplier with its default lead time (days) and spread."""
    with db.transaction() as session:
        return supplier_read(service.create_supplier(session=session, **body.model_dump()))


@router.get("/api/v1/suppliers", response_model=list[SupplierRead])
def list_suppliers(db: DbDep, _: Planner) -> list[SupplierRead]:
    """Every supplier."""
    with db.reader() as session:
        return [supplier_read(s) for s in service.list_suppliers(session=session)]


@router.put("/api/v1/suppliers/{code}/items/{sku}")
def set_item(code: Code, sku: Sku, body: SupplierItemSet, db: DbDep, _: Planner) -> dict[str, Any]:
    """Record what a supplier sells of a product: price, minimum order, pack size."""
    with db.transaction() as session:
        item = service.set_supplier_item(
            session=session, supplier_code=code, sku=sku, **body.model_dump()
        )
        return {"supplier": code, "sku": sku, **body.model_dump(), "id": item.id}


@router.get("/api/v1/planning/demand")
def demand(
    db: DbDep,
    _: Planner,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
    warehouse: Annotated[str | None, Query(max_length=20)] = None,
    freq: Annotated[str, Query(pattern="^[DW]$")] = "D",
) -> dict[str, Any]:
    """Demand per SKU and warehouse, daily or weekly, with stock-out days flagged and imputed."""
    with db.reader() as session:
        records, stockouts = service.demand_history(
            session=session, start=start, end=end, warehouse_code=warehouse
        )
    if not records:
        return {"freq": freq, "treatment": None, "series": []}
    series = build_demand_series(records, stockouts=stockouts, freq=freq, start=start)
    frame = series.frame
    out = []
    for uid, group in frame.groupby("unique_id"):
        out.append(
            {
                "id": uid,
                "sku": group["sku"].iloc[0],
                "warehouse": group["warehouse"].iloc[0],
                "ds": [d.date().isoformat() for d in group["ds"]],
                "y": [round(float(v), 3) for v in group["y"]],
                "observed": [round(float(v), 3) for v in group["observed"]],
                "stockout_days": [int(v) for v in group["stockout_days"]],
            }
        )
    return {"freq": freq, "treatment": series.treatment, "series": out}


@router.get("/api/v1/planning/proposals", response_model=list[ProposalRead])
def proposals(
    db: DbDep,
    _: Planner,
    warehouse: Annotated[str, Query(min_length=1, max_length=20)],
    service_level: Annotated[float, Query(ge=0.5, lt=1)] = 0.95,
    history_days: Annotated[int, Query(ge=7, le=730)] = 56,
    storage_cost: Annotated[
        float,
        Query(
            ge=0,
            le=service.MAX_STORAGE_COST,
            description="cost of keeping one unit a year whatever its price (space, handling)",
        ),
    ] = 0.0,
) -> list[ProposalRead]:
    """What to buy today for a warehouse, with the policy behind each line."""
    with db.reader() as session:
        found = service.propose_replenishment(
            session=session,
            warehouse_code=warehouse,
            service_level=service_level,
            history_days=history_days,
            storage_cost=storage_cost,
        )
    return [
        ProposalRead(
            sku=p.sku,
            supplier=p.supplier,
            quantity=p.quantity,
            unit_price_cents=p.unit_price_cents,
            expected_arrival=p.expected_arrival,
            reason=p.reason,
            policy=p.policy.kind,
            reorder_point=round(p.policy.reorder_point, 2),
            safety_stock=round(p.policy.safety_stock, 2),
            order_up_to=p.policy.order_up_to,
            order_quantity=p.policy.order_quantity,
            forecast_per_day=round(p.policy.forecast_mean, 3),
            on_hand=p.position.on_hand,
            on_order=p.position.on_order,
            backordered=p.position.backordered,
        )
        for p in found
    ]


@router.post(
    "/api/v1/purchase-orders", status_code=status.HTTP_201_CREATED, response_model=list[PoRead]
)
def create_purchase_orders(body: PoCreate, db: DbDep, who: Planner) -> list[PoRead]:
    """Turn reviewed lines into draft purchase orders, one per supplier."""
    with db.transaction() as session:
        pos = service.create_purchase_orders(
            session=session,
            warehouse_code=body.warehouse,
            lines=[(x.supplier, x.sku, x.quantity, x.reason) for x in body.lines],
            actor=who.actor,
        )
        return [po_read(session, po) for po in pos]


@router.get("/api/v1/purchase-orders", response_model=list[PoRead])
def list_purchase_orders(
    db: DbDep,
    _: Planner,
    page: PageDep,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
) -> list[PoRead]:
    """Purchase orders, newest first."""
    with db.reader() as session:
        return [
            po_read(session, po)
            for po in service.list_purchase_orders(
                session=session, status=status_, limit=page.limit, offset=page.offset
            )
        ]


@router.get("/api/v1/purchase-orders/{number}", response_model=PoRead)
def get_purchase_order(
    number: Annotated[str, Path(max_length=20)], db: DbDep, _: Planner
) -> PoRead:
    """One purchase order."""
    with db.reader() as session:
        return po_read(session, service.get_purchase_order(session=session, number=number))


@router.post("/api/v1/purchase-orders/{number}/send", response_model=PoRead)
def send(number: Annotated[str, Path(max_length=20)], db: DbDep, who: Planner) -> PoRead:
    """Send a draft purchase order to its supplier."""
    with db.transaction() as session:
        po = service.send_purchase_order(session=session, number=number, actor=who.actor)
        return po_read(session, po)


@router.post("/api/v1/purchase-orders/{number}/receive", response_model=PoRead)
def receive(
    number: Annotated[str, Path(max_length=20)], body: PoReceive, db: DbDep, who: Planner
) -> PoRead:
    """Receive goods against a purchase order: stock goes up, waiting backorders are served."""
    quantities = None
    if body.lines is not None:
        quantities = {}
        for i, line in enumerate(body.lines):
            if line.sku in quantities:
                raise ValidationError(FieldError(f"lines.{i}.sku", "listed twice"))
            quantities[line.sku] = line.quantity
    with db.transaction() as session:
        po = service.receive_purchase_order(
            session=session,
            number=number,
            location_code=body.location,
            actor=who.actor,
            quantities=quantities,
        )
        return po_read(session, po)
