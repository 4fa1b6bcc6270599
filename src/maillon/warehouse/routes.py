"""Warehouse routes: pick lists, layouts, slotting and putaway; pick tasks (next stop, scans,
short-pick exceptions, picker metrics), waves, the carton catalogue and the packing station."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, status
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, object_session

from maillon.core.auth import Principal, Role
from maillon.core.errors import FieldError, ValidationError
from maillon.core.http import DbDep, IdPath, JobAccepted, Page, PageDep, allow
from maillon.inventory.tables import Warehouse
from maillon.orders.model import order_number
from maillon.warehouse import service
from maillon.warehouse.layout_spec import LayoutSpec
from maillon.warehouse.model import TourStatus, WaveStatus
from maillon.warehouse.queries import picking_stats
from maillon.warehouse.schemas import (
    CartonCreate,
    CartonRead,
    CartonUpdate,
    LayoutRead,
    NextTaskRead,
    PackPlanRead,
    PackScanCreate,
    PackScanRead,
    PickConfirm,
    PickerDayRead,
    PickExceptionRead,
    PickLineRead,
    PickListRead,
    PickTaskRead,
    PutawayCreate,
    PutawayLineRead,
    PutawayRead,
    ScanCreate,
    ScanRead,
    SlotMoveRead,
    SlottingRead,
    TaskClaimCreate,
    TourRead,
    WaveCreate,
    WaveRead,
)
from maillon.warehouse.service import packing_flow, packstation, release, tasks, wave_jobs
from maillon.warehouse.tables import CartonType, PickException, PickList, PickWave

router = APIRouter(tags=["warehouse"])
Floor = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.PICKER))]
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]
WarehouseCode = Annotated[str, Path(min_length=1, max_length=20, description="warehouse code")]


def pick_list_read(pick_list: PickList) -> PickListRead:
    """Return the response model of a pick list."""
    session = object_session(pick_list)
    site = session.get(Warehouse, pick_list.warehouse_id) if session is not None else None
    return PickListRead(
        id=pick_list.id,
        order=order_number(pick_list.order_id),
        warehouse=site.code if site is not None else "",
        status=pick_list.status,
        picker=pick_list.picker,
        created_at=pick_list.created_at,
        route_m=pick_list.route_m,
        lines=[
            PickLineRead(
                id=line.id,
                sequence=line.sequence,
                location=line.location_code,
                sku=line.sku,
                quantity=line.quantity,
                picked_quantity=line.picked_quantity,
                status=line.status,
            )
            for line in pick_list.lines
        ],
        tour_id=pick_list.tour_id,
    )


@router.post(
    "/api/v1/orders/{number}/pick-lists",
    status_code=status.HTTP_201_CREATED,
    response_model=list[PickListRead],
)
def create_pick_lists(number: str, db: DbDep, who: Floor) -> list[PickListRead]:
    """Issue the pick lists of an allocated order (one per warehouse it ships from)."""
    with db.transaction() as session:
        return [
            pick_list_read(p)
            for p in service.create_pick_lists(session=session, number=number, actor=who.actor)
        ]


@router.get("/api/v1/pick-lists", response_model=list[PickListRead])
def open_pick_lists(db: DbDep, _: Floor) -> list[PickListRead]:
    """Open pick lists, oldest first."""
    with db.reader() as session:
        return [pick_list_read(p) for p in service.open_pick_lists(session=session)]


@router.get("/api/v1/pick-lists/{pick_list_id}", response_model=PickListRead)
def get_pick_list(pick_list_id: IdPath, db: DbDep, _: Floor) -> PickListRead:
    """One pick list."""
    with db.reader() as session:
        return pick_list_read(service.get_pick_list(session=session, pick_list_id=pick_list_id))


@router.post("/api/v1/pick-lists/{pick_list_id}/confirm", response_model=PickListRead)
def confirm_pick_list(
    pick_list_id: IdPath, body: PickConfirm, db: DbDep, who: Floor
) -> PickListRead:
    """Confirm what was picked."""
    picked = None if body.lines is None else {x.line_id: x.quantity for x in body.lines}
    with db.transaction() as session:
        return pick_list_read(
            service.confirm_pick_list(
                session=session, pick_list_id=pick_list_id, picked=picked, actor=who.actor
            )
        )


def layout_read(code: str, spec: LayoutSpec) -> LayoutRead:
    """Return the response model of a layout."""
    return LayoutRead(
        warehouse=code,
        layout=spec.to_dict(),
        locations=sum(1 for _ in spec.locations()),
        blocks=spec.blocks,
    )


@router.put("/api/v1/warehouses/{code}/layout", response_model=LayoutRead)
def put_layout(
    code: WarehouseCode,
    db: DbDep,
    who: Operator,
    layout: Annotated[dict[str, Any], Body(description="the layout document (as in YAML)")],
) -> LayoutRead:
    """Define the warehouse's aisles, bays, levels, depot and zones; pick lists are then
    walked in the shortest route order and slotting and putaway become available."""
    with db.transaction() as session:
        warehouse, spec = service.set_layout(
            session=session, warehouse_code=code, data=layout, actor=who.actor
        )
        return layout_read(warehouse.code, spec)


@router.get("/api/v1/warehouses/{code}/layout", response_model=LayoutRead)
def get_layout(code: WarehouseCode, db: DbDep, _: Floor) -> LayoutRead:
    """The warehouse's layout. 404 when it has none yet."""
    with db.reader() as session:
        warehouse, spec = service.require_layout(session=session, warehouse_code=code)
        return layout_read(warehouse.code, spec)


@router.get("/api/v1/warehouses/{code}/slotting", response_model=SlottingRead)
def get_slotting(
    code: WarehouseCode,
    db: DbDep,
    _: Operator,
    method: Annotated[str, Query(description="coi, abc or turnover")] = "coi",
    max_moves: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    days: Annotated[int, Query(ge=1, le=3650, description="pick history to use")] = 90,
) -> SlottingRead:
    """A slotting proposal from the recent picks: moves and the metres they save."""
    with db.reader() as session:
        result = service.slotting_proposal(
            session=session, warehouse_code=code, method=method, max_moves=max_moves, days=days
        )
    n = result.measured_orders
    return SlottingRead(
        warehouse=code,
        method=result.method,
        days=days,
        skus=len(result.final),
        relocations=result.relocations,
        expected_saving_m=round(result.expected_saving, 2),
        expected_saving_full_m=round(result.expected_saving_full, 2),
        measured_orders=n,
        metres_per_order_before=(
            round(result.measured_before / n, 2) if n and result.measured_before else None
        ),
        metres_per_order_after=(
            round(result.measured_after / n, 2) if n and result.measured_after else None
        ),
        moves=[
            SlotMoveRead(
                sku=m.sku,
                source=m.source,
                target=m.target,
                saving_m=round(m.saving, 2),
                swap_with=m.swap_with,
            )
            for m in result.moves
        ],
    )


@router.post("/api/v1/warehouses/{code}/putaway", response_model=PutawayRead)
def post_putaway(code: WarehouseCode, body: PutawayCreate, db: DbDep, _: Floor) -> PutawayRead:
    """Where to put received units: with the same product first, else by velocity class."""
    with db.reader() as session:
        result = service.putaway_suggestions(
            session=session,
            warehouse_code=code,
            sku=body.sku,
            quantity=body.quantity,
            lot=body.lot,
        )
    return PutawayRead(
        sku=result.sku,
        quantity=result.quantity,
        suggestions=[
            PutawayLineRead(
                location=s.slot_id,
                quantity=s.quantity,
                reason=s.reason,
                travel_m=round(s.travel, 2),
            )
            for s in result.suggestions
        ],
        unplaced=result.unplaced,
    )


# --------------------------------------------------------------------------- pick tasks


def task_read(task: tasks.PickTask | None) -> PickTaskRead | None:
    """Return the response model of a pick task (None stays None)."""
    return None if task is None else PickTaskRead(**asdict(task))


def exception_read(row: PickException) -> PickExceptionRead:
    """Return the response model of a short-pick exception."""
    return PickExceptionRead(
        id=row.id,
        pick_list_id=row.pick_list_id,
        line_id=row.line_id,
        order=order_number(row.order_id),
        sku=row.sku,
        location=row.location_code,
        asked=row.asked,
        picked=row.picked,
        reallocated=row.reallocated,
        backordered=row.backordered,
        written_off=row.written_off,
        resolution=row.resolution,
        picker=row.picker,
        created_at=row.created_at,
    )


@router.post("/api/v1/picking/next", response_model=NextTaskRead)
def next_pick_task(body: TaskClaimCreate, db: DbDep, who: Floor) -> NextTaskRead:
    """The picker's next stop in route order; takes the most urgent open list (or wave tour)
    nobody holds when the picker has none. ``task`` is null when there is no work."""
    picker = body.picker or who.name
    with db.transaction() as session:
        task = tasks.next_task(session=session, warehouse_code=body.warehouse, picker=picker)
    message = (
        f"go to {task.location}: take {task.quantity} x {task.name}"
        if task is not None
        else f"no pick work in {body.warehouse}"
    )
    return NextTaskRead(picker=picker, task=task_read(task), message=message)


@router.post("/api/v1/picking/tasks/{line_id}/scan", response_model=ScanRead)
def scan_pick_task(line_id: IdPath, body: ScanCreate, db: DbDep, who: Floor) -> ScanRead:
    """Confirm a stop by scanning its location and the product's barcode (GTIN). A wrong
    scan is refused (409 naming ``location`` or ``barcode``) and counted for the picker;
    fewer units than asked is a short pick (re-allocated or backordered)."""
    outcome = tasks.scan(
        db,
        line_id=line_id,
        picker=body.picker or who.name,
        location=body.location,
        barcode=body.barcode,
        quantity=body.quantity,
    )
    line = outcome.line
    return ScanRead(
        line=PickLineRead(
            id=line.id,
            sequence=line.sequence,
            location=line.location_code,
            sku=line.sku,
            quantity=line.quantity,
            picked_quantity=line.picked_quantity,
            status=line.status,
        ),
        pick_list_status=outcome.list_status,
        exception=None if outcome.exception is None else exception_read(outcome.exception),
        next=task_read(outcome.next),
    )


@router.get("/api/v1/picking/exceptions", response_model=Page[PickExceptionRead])
def pick_exceptions(
    db: DbDep,
    _: Operator,
    page: PageDep,
    warehouse: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
) -> Page[PickExceptionRead]:
    """Short picks, newest first."""
    with db.reader() as session:
        rows, total = tasks.list_exceptions(
            session=session, warehouse_code=warehouse, limit=page.limit, offset=page.offset
        )
        items = [exception_read(r) for r in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/api/v1/picking/metrics", response_model=list[PickerDayRead])
def picking_metrics(
    db: DbDep,
    _: Operator,
    start: Annotated[date, Query(alias="from", description="first day (UTC)")],
    end: Annotated[date, Query(alias="to", description="last day (UTC), inclusive")],
    picker: Annotated[str | None, Query(min_length=1, max_length=120)] = None,
) -> list[PickerDayRead]:
    """Per picker and day: lines, units, scans, mismatches, pick accuracy, lines per hour,
    metres walked."""
    with db.reader() as session:
        days = picking_stats.picker_metrics(session=session, start=start, end=end, picker=picker)
    return [PickerDayRead(**asdict(d)) for d in days]


# --------------------------------------------------------------------------- waves


def wave_read(session: Session, wave: PickWave) -> WaveRead:
    """Return the response model of a wave."""
    lists = release.lists_of_wave(session=session, wave=wave)
    code = release.warehouse_code(session=session, wave=wave)
    return WaveRead(
        id=wave.id,
        warehouse=code or "",
        status=WaveStatus.DONE.value
        if wave.tours and all(t.status == TourStatus.DONE for t in wave.tours)
        else wave.status,
        method=wave.method,
        cutoff=wave.cutoff,
        max_orders=wave.max_orders,
        cart_units=wave.cart_units,
        orders=wave.orders,
        route_m=wave.route_m,
        created_at=wave.created_at,
        tours=[
            TourRead(
                id=t.id,
                status=t.status,
                picker=t.picker,
                route_m=t.route_m,
                orders=[order_number(p.order_id) for p in lists[t.id]],
                pick_lists=[p.id for p in lists[t.id]],
                stops=sum(len(p.lines) for p in lists[t.id]),
                units=sum(line.quantity for p in lists[t.id] for line in p.lines),
            )
            for t in wave.tours
        ],
    )


@router.post(
    "/api/v1/waves",
    status_code=status.HTTP_201_CREATED,
    response_model=WaveRead,
    responses={202: {"model": JobAccepted, "description": "released by the worker tier"}},
)
def post_wave(body: WaveCreate, db: DbDep, who: Operator) -> WaveRead | JSONResponse:
    """Release allocated orders of a warehouse (earliest promise first, or the densest set in
    units per aisle) as picker tours batched to the cart's capacity; each tour is walked in
    one shortest route. A wave of up to 50 orders by promise is released now (201, the wave);
    a larger one or a density wave takes seconds: it is checked now and released by the
    worker tier (202, the job to follow at ``url``, whose ``result.wave`` is the wave)."""
    wave_args: dict[str, Any] = {
        "max_orders": body.max_orders,
        "cart_units": body.cart_units,
        "cutoff": body.cutoff,
        "method": body.method,
        "selection": body.selection,
        "min_units": body.min_units,
        "max_units": body.max_units,
    }
    with db.transaction() as session:
        if wave_jobs.in_background(max_orders=body.max_orders, selection=body.selection):
            job = wave_jobs.request_wave(
                session=session, warehouse_code=body.warehouse, requested_by=who.actor, **wave_args
            )
            accepted = JobAccepted.of(job.id, job.status)
            return JSONResponse(accepted.model_dump(), status_code=status.HTTP_202_ACCEPTED)
        wave = release.create_wave(
            session=session, warehouse_code=body.warehouse, actor=who.actor, **wave_args
        )
        return wave_read(session, wave)


@router.get("/api/v1/waves", response_model=Page[WaveRead])
def get_waves(db: DbDep, _: Floor, page: PageDep) -> Page[WaveRead]:
    """Waves, newest first."""
    with db.reader() as session:
        rows, total = release.list_waves(session=session, limit=page.limit, offset=page.offset)
        items = [wave_read(session, w) for w in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/api/v1/waves/{wave_id}", response_model=WaveRead)
def get_wave(wave_id: IdPath, db: DbDep, _: Floor) -> WaveRead:
    """One wave with its tours."""
    with db.reader() as session:
        return wave_read(session, release.get_wave(session=session, wave_id=wave_id))


# --------------------------------------------------------------------------- packing


def carton_read(row: CartonType) -> CartonRead:
    """Return the response model of a carton."""
    return CartonRead(
        code=row.code,
        length_mm=row.length_mm,
        width_mm=row.width_mm,
        height_mm=row.height_mm,
        max_weight_g=row.max_weight_g,
        cost_cents=row.cost_cents,
        wall_mm=row.wall_mm,
        tare_g=row.tare_g,
        active=row.active,
    )


CartonCode = Annotated[str, Path(min_length=1, max_length=40, description="carton code")]


@router.get("/api/v1/cartons", response_model=list[CartonRead])
def get_cartons(db: DbDep, _: Floor) -> list[CartonRead]:
    """The carton catalogue, smallest first."""
    with db.reader() as session:
        return [carton_read(c) for c in packstation.list_cartons(session=session)]


@router.post("/api/v1/cartons", status_code=status.HTTP_201_CREATED, response_model=CartonRead)
def post_carton(body: CartonCreate, db: DbDep, _: Operator) -> CartonRead:
    """Add a carton to the catalogue."""
    with db.transaction() as session:
        return carton_read(packstation.create_carton(session=session, **body.model_dump()))


@router.post("/api/v1/cartons/seed", response_model=list[CartonRead])
def seed_cartons(db: DbDep, _: Operator) -> list[CartonRead]:
    """Add the default catalogue's cartons that are missing; return the catalogue."""
    with db.transaction() as session:
        packstation.seed_cartons(session=session)
        return [carton_read(c) for c in packstation.list_cartons(session=session)]


@router.get("/api/v1/cartons/{code}", response_model=CartonRead)
def get_carton(code: CartonCode, db: DbDep, _: Floor) -> CartonRead:
    """One carton."""
    with db.reader() as session:
        return carton_read(packstation.get_carton(session=session, code=code))


@router.patch("/api/v1/cartons/{code}", response_model=CartonRead)
def patch_carton(code: CartonCode, body: CartonUpdate, db: DbDep, _: Operator) -> CartonRead:
    """Change a carton's size, payload, cost or whether it is used."""
    changes = body.model_dump(exclude_unset=True)
    null = sorted(k for k, v in changes.items() if v is None)
    if null:
        raise ValidationError([FieldError(k, "cannot be null") for k in null])
    with db.transaction() as session:
        return carton_read(packstation.update_carton(session=session, code=code, changes=changes))


@router.delete("/api/v1/cartons/{code}", status_code=status.HTTP_204_NO_CONTENT)
def delete_carton(code: CartonCode, db: DbDep, _: Operator) -> None:
    """Remove a carton from the catalogue."""
    with db.transaction() as session:
        packstation.delete_carton(session=session, code=code)


@router.get("/api/v1/orders/{number}/pack-plan", response_model=list[PackPlanRead])
def get_pack_plan(
    number: Annotated[str, Path(min_length=1, max_length=20)],
    db: DbDep,
    _: Floor,
    warehouse: Annotated[str | None, Query(min_length=1, max_length=20)] = None,
) -> list[PackPlanRead]:
    """The cartons for an order (one plan per warehouse it ships from): cheapest carton plus
    shipping cost on the chargeable weight, and where each unit goes in which carton."""
    with db.reader() as session:
        plans = service.pack_plan(session=session, number=number, warehouse=warehouse)
    return [PackPlanRead.model_validate(p.to_dict()) for p in plans]


@router.post("/api/v1/packing/scan", response_model=PackScanRead)
def post_packing_scan(body: PackScanCreate, db: DbDep, who: Floor) -> PackScanRead:
    """Which carton and position the scanned item goes to (the order named by number or by
    one of its pick lists); the first scan fixes the order's pack plan."""
    if (body.order is None) == (body.pick_list is None):
        raise ValidationError(FieldError("order", "give the order number or a pick_list id"))
    with db.transaction() as session:
        result = packing_flow.packing_scan(
            session=session,
            barcode=body.barcode,
            packer=who.name,
            number=body.order,
            pick_list_id=body.pick_list,
        )
    data = asdict(result)
    return PackScanRead.model_validate(data)
