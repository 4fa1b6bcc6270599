"""Planning routes: suppliers, demand history, ABC/XYZ classes, forecasts, replenishment
proposals, policy comparison, purchase orders."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, status
from sqlalchemy.orm import Session

from maillon.core.auth import Principal, Role
from maillon.core.errors import FieldError, NotFound, ValidationError
from maillon.core.http import DbDep, JobAccepted, PageDep, allow
from maillon.inventory.service import get_warehouse
from maillon.inventory.tables import Warehouse
from maillon.planning import service
from maillon.planning.demand import build_demand_series
from maillon.planning.schemas import (
    ClassesRead,
    ForecastRunCreate,
    ForecastRunRead,
    LatestForecastRead,
    PoCreate,
    PolicyComparisonRead,
    PolicyOutcomeRead,
    PoRead,
    PoReceive,
    ProposalRead,
    SeriesForecastRead,
    SkuClassRead,
    SupplierCreate,
    SupplierItemSet,
    SupplierRead,
    ThresholdsRead,
)
from maillon.planning.tables import ForecastRun, PurchaseOrder, Supplier

router = APIRouter(tags=["planning"])
Planner = Annotated[Principal, Depends(allow(Role.OPERATOR))]
Code = Annotated[str, Path(min_length=1, max_length=30)]
Sku = Annotated[str, Path(min_length=1, max_length=64)]
WarehouseQuery = Annotated[str, Query(min_length=1, max_length=20)]


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


@router.get("/api/v1/planning/classes", response_model=ClassesRead)
def classes(
    db: DbDep,
    _: Planner,
    warehouse: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
    days: Annotated[int, Query(description="days of demand, 14-730")] = 91,
    abc_a: Annotated[float, Query(description="value share of the A SKUs")] = 0.80,
    abc_b: Annotated[float, Query(description="value share of the A and B SKUs")] = 0.95,
    xyz_x: Annotated[float, Query(description="largest weekly CV of an X SKU")] = 0.5,
    xyz_y: Annotated[float, Query(description="largest weekly CV of a Y SKU")] = 1.0,
) -> ClassesRead:
    """ABC by the value of each SKU's demand, XYZ by the variability of its weekly demand,
    with the thresholds given (422 naming any that is out of range)."""
    thresholds = service.class_thresholds(abc_a=abc_a, abc_b=abc_b, xyz_x=xyz_x, xyz_y=xyz_y)
    with db.reader() as session:
        found = service.sku_classes(
            session=session, warehouse_code=warehouse, days=days, thresholds=thresholds
        )
    return ClassesRead(
        days=days,
        warehouse=warehouse,
        thresholds=ThresholdsRead(abc_a=abc_a, abc_b=abc_b, xyz_x=xyz_x, xyz_y=xyz_y),
        counts=found.counts(),
        items=[
            SkuClassRead(
                sku=c.sku,
                value=round(c.value, 2),
                cumulative_share=round(c.cumulative_share, 6),
                abc=c.abc,
                cv=round(c.cv, 4) if math.isfinite(c.cv) else None,
                xyz=c.xyz,
                label=c.label,
            )
            for c in found.items
        ],
    )


def forecast_run_read(run: ForecastRun) -> ForecastRunRead:
    """Return the response model of a forecasting run."""
    return ForecastRunRead(
        id=run.id,
        created_at=run.created_at,
        freq=run.freq,
        horizon=run.horizon,
        engine=run.engine,
        series=run.series,
        runtime_s=run.runtime_s,
        history_from=run.history_from,
        history_to=run.history_to,
    )


@router.post(
    "/api/v1/planning/forecasts",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobAccepted,
)
def run_forecast(body: ForecastRunCreate, db: DbDep, who: Planner) -> JobAccepted:
    """Have the worker tier forecast every SKU's demand per warehouse (model chosen per series
    by cross-validation) and store it; proposals then design their policies on the newest
    daily run. Answers at once (202) with the job to follow at ``url``: its progress while it
    runs, then ``result.run``, the stored run (``GET /api/v1/planning/forecasts/latest``).
    An unknown warehouse (404) or no order in the history period (409) is refused at once."""
    with db.transaction() as session:
        job = service.request_forecast(
            session=session,
            horizon=body.horizon,
            history_days=body.history_days,
            freq=body.freq,
            warehouse_code=body.warehouse,
            engine=body.engine,
            requested_by=who.actor,
        )
        return JobAccepted.of(job.id, job.status)


@router.get("/api/v1/planning/forecasts/latest", response_model=LatestForecastRead)
def latest_forecast(
    db: DbDep,
    _: Planner,
    warehouse: WarehouseQuery,
    sku: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
) -> LatestForecastRead:
    """The newest daily forecast of a warehouse's SKUs (or one SKU), with its quantiles."""
    with db.reader() as session:
        get_warehouse(session=session, code=warehouse)
        run = service.latest_forecast_run(session=session)
        steps = service.latest_forecast_steps(session=session, warehouse_code=warehouse, sku=sku)
        return LatestForecastRead(
            run=forecast_run_read(run) if run is not None else None,
            warehouse=warehouse,
            series=[
                SeriesForecastRead(
                    sku=name,
                    model=step.model,
                    days=list(step.days),
                    forecast=[round(v, 4) for v in step.forecast],
                    quantiles={
                        f"{q:g}": [round(v, 4) for v in values]
                        for q, values in step.quantiles.items()
                    },
                )
                for name, step in sorted(steps.items())
            ],
        )


@router.get("/api/v1/planning/policy-comparison", response_model=PolicyComparisonRead)
def policy_comparison(
    db: DbDep,
    _: Planner,
    warehouse: WarehouseQuery,
    sku: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    days: Annotated[int, Query(description="days of history replayed, 42-365")] = 182,
    max_skus: Annotated[int, Query(description="A items replayed without a sku, 1-100")] = 20,
    service_level: Annotated[float, Query(description="fill-rate target")] = 0.95,
) -> PolicyComparisonRead:
    """Replay the demand history against our policy, min/max and (R, S): fill rate, stock-out
    days, average inventory and costs of each, with the daily stock on hand (for a chart).
    404 when there is no demand to replay."""
    with db.reader() as session:
        result = service.compare_policies(
            session=session,
            warehouse_code=warehouse,
            sku=sku,
            days=days,
            max_skus=max_skus,
            service_level=service_level,
        )
    if result is None:
        raise NotFound("demand", f"{sku or 'any SKU'} in {warehouse}", field="sku")
    return PolicyComparisonRead(
        warehouse=warehouse,
        skus=list(result.skus),
        days=days,
        measured_days=result.periods,
        service_level=service_level,
        sigma_shrinkage_prior=result.prior if math.isfinite(result.prior) else None,
        policies=[
            PolicyOutcomeRead(
                policy=o.name,
                fill_rate=round(o.fill_rate, 6),
                stockout_days=o.stockout_days,
                avg_inventory=round(o.avg_inventory, 3),
                avg_inventory_value=round(o.avg_inventory_value, 2),
                orders=o.orders,
                holding_cost=round(o.holding_cost, 2),
                ordering_cost=round(o.ordering_cost, 2),
                shortage_cost=round(o.shortage_cost, 2),
                total_cost=round(o.total_cost, 2),
                on_hand=[round(v, 3) for v in o.on_hand],
                short=[round(v, 3) for v in o.short],
            )
            for o in result.outcomes
        ],
    )


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
    class_targets: Annotated[
        str | None,
        Query(max_length=200, description="fill-rate target per class, e.g. A=0.98,B=0.95,C=0.9"),
    ] = None,
    abc_a: float = 0.80,
    abc_b: float = 0.95,
    xyz_x: float = 0.5,
    xyz_y: float = 1.0,
) -> list[ProposalRead]:
    """What to buy today for a warehouse, with the policy behind each line; with
    ``class_targets``, each SKU's target is its ABC/XYZ class's (split at ``abc_a`` ...)."""
    thresholds = service.class_thresholds(abc_a=abc_a, abc_b=abc_b, xyz_x=xyz_x, xyz_y=xyz_y)
    with db.reader() as session:
        found = service.propose_replenishment(
            session=session,
            warehouse_code=warehouse,
            service_level=service_level,
            history_days=history_days,
            storage_cost=storage_cost,
            class_targets=class_targets,
            thresholds=thresholds,
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
            sku_class=p.sku_class,
            service_level=p.service_level,
            lead_time_demand=(
                round(p.lead_time_demand.mean, 3) if p.lead_time_demand is not None else None
            ),
            lead_time_demand_sd=(
                round(p.lead_time_demand.sd, 3) if p.lead_time_demand is not None else None
            ),
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
