"""Inventory routes: warehouses, balances, receipts, adjustments and the ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from maillon.core.auth import Principal, Role
from maillon.core.errors import ErrorCollector, FieldError, ValidationError
from maillon.core.http import ANY_ROLE, DbDep, IdPath, Page, PageDep, allow
from maillon.inventory import service
from maillon.inventory.model import CountStatus
from maillon.inventory.schemas import (
    AdjustmentCreate,
    AlertRead,
    BalanceRead,
    CountCreate,
    CountLineRead,
    CountRead,
    CountUpdate,
    DiscrepancyRead,
    MovementRead,
    ReadingCreate,
    ReadingRead,
    ReceiptCreate,
    SensorCreate,
    WarehouseCreate,
    WarehouseRead,
)
from maillon.inventory.service import counts, sensors
from maillon.inventory.tables import CountTask

router = APIRouter(tags=["inventory"])
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]
Anyone = Annotated[Principal, Depends(allow(*ANY_ROLE))]


def _balance(row: service.BalanceRow) -> BalanceRead:
    return BalanceRead(
        warehouse=row.warehouse,
        location=row.location,
        sku=row.sku,
        name=row.name,
        on_hand=row.on_hand,
        reserved=row.reserved,
        available=row.available,
        lot=row.lot,
        best_before=row.best_before,
    )


@router.post(
    "/api/v1/warehouses", status_code=status.HTTP_201_CREATED, response_model=WarehouseRead
)
def create_warehouse(body: WarehouseCreate, db: DbDep, _: Operator) -> WarehouseRead:
    """Add a warehouse."""
    with db.transaction() as session:
        return WarehouseRead.model_validate(
            service.create_warehouse(session=session, **body.model_dump())
        )


@router.get("/api/v1/warehouses", response_model=list[WarehouseRead])
def list_warehouses(db: DbDep, _: Anyone) -> list[WarehouseRead]:
    """List warehouses by priority."""
    with db.reader() as session:
        return [WarehouseRead.model_validate(w) for w in service.list_warehouses(session=session)]


@router.get("/api/v1/inventory", response_model=Page[BalanceRead])
def list_balances(
    db: DbDep,
    page: PageDep,
    _: Anyone,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    warehouse: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[BalanceRead]:
    """Balances per warehouse, location and SKU: on hand, reserved, available."""
    with db.reader() as session:
        rows, total = service.list_balances(
            session=session, sku=sku, warehouse=warehouse, limit=page.limit, offset=page.offset
        )
    return Page(
        items=[_balance(r) for r in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post(
    "/api/v1/inventory/receipts", status_code=status.HTTP_201_CREATED, response_model=BalanceRead
)
def receive(body: ReceiptCreate, db: DbDep, who: Operator) -> BalanceRead:
    """Record goods received; returns the new balance of that location."""
    with db.transaction() as session:
        level = service.receive(
            session=session,
            warehouse_code=body.warehouse,
            location_code=body.location,
            sku=body.sku,
            quantity=body.quantity,
            reference=body.reference,
            actor=who.actor,
            lot=body.lot,
            best_before=body.best_before,
        )
        return _balance(service.balance_of(session=session, stock_level_id=level.id))


@router.post(
    "/api/v1/inventory/adjustments", status_code=status.HTTP_201_CREATED, response_model=BalanceRead
)
def adjust(body: AdjustmentCreate, db: DbDep, who: Operator) -> BalanceRead:
    """Correct on-hand after a count (refused below what is reserved)."""
    with db.transaction() as session:
        level = service.adjust(
            session=session,
            warehouse_code=body.warehouse,
            location_code=body.location,
            sku=body.sku,
            delta=body.delta,
            reason=body.reason,
            actor=who.actor,
            lot=body.lot,
        )
        return _balance(service.balance_of(session=session, stock_level_id=level.id))


@router.get("/api/v1/inventory/movements", response_model=Page[MovementRead])
def list_movements(
    db: DbDep, page: PageDep, _: Anyone, sku: Annotated[str | None, Query(max_length=64)] = None
) -> Page[MovementRead]:
    """The stock ledger, newest first."""
    with db.reader() as session:
        rows, total = service.list_movements(
            session=session, sku=sku, limit=page.limit, offset=page.offset
        )
        items = [MovementRead.model_validate(m) for m in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


def count_read(task: CountTask, principal: Principal) -> CountRead:
    """Return a count; a picker does not see expected quantities until it is done."""
    blind = principal.role is Role.PICKER and task.status == CountStatus.OPEN
    return CountRead(
        id=task.id,
        status=task.status,
        created_at=task.created_at,
        counted_at=task.counted_at,
        lines=[
            CountLineRead(
                sku=x.sku,
                lot=x.lot,
                expected=None if blind else x.expected,
                counted=x.counted,
                difference=x.difference,
            )
            for x in task.lines
        ],
    )


Floor = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.PICKER))]


@router.post(
    "/api/v1/inventory/counts", status_code=status.HTTP_201_CREATED, response_model=CountRead
)
def open_count(body: CountCreate, db: DbDep, who: Floor) -> CountRead:
    """Open a cycle count of a location."""
    with db.transaction() as session:
        return count_read(
            counts.open_count(
                session=session, warehouse_code=body.warehouse, location_code=body.location
            ),
            who,
        )


@router.get("/api/v1/inventory/counts/{count_id}", response_model=CountRead)
def get_count(count_id: IdPath, db: DbDep, who: Floor) -> CountRead:
    """One count (blind for pickers while open)."""
    with db.reader() as session:
        return count_read(counts.get_count(session=session, task_id=count_id), who)


@router.post("/api/v1/inventory/counts/{count_id}/submit", response_model=CountRead)
def submit_count(count_id: IdPath, body: CountUpdate, db: DbDep, who: Floor) -> CountRead:
    """Book a count: each difference becomes an adjustment movement naming the count."""
    with db.transaction() as session:
        task = counts.submit_count(
            session=session,
            task_id=count_id,
            actor=who.actor,
            counted=[(x.sku, x.lot, x.counted) for x in body.lines],
        )
        return count_read(task, who)


@router.get("/api/v1/inventory/discrepancies", response_model=list[DiscrepancyRead])
def list_discrepancies(
    db: DbDep,
    _: Operator,
    since: Annotated[datetime | None, Query()] = None,
    warehouse: Annotated[str | None, Query(max_length=20)] = None,
) -> list[DiscrepancyRead]:
    """Differences found by cycle counts, largest value first."""
    with db.reader() as session:
        return [
            DiscrepancyRead(**vars(d))
            for d in counts.discrepancies(session=session, since=since, warehouse=warehouse)
        ]


@router.post("/api/v1/sensors", status_code=status.HTTP_201_CREATED)
def register_sensor(body: SensorCreate, db: DbDep, _: Operator) -> dict[str, str]:
    """Register a weighing shelf."""
    with db.transaction() as session:
        sensor = sensors.register_sensor(
            session=session,
            code=body.code,
            warehouse_code=body.warehouse,
            location_code=body.location,
            sku=body.sku,
            tare_g=body.tare_g,
            tolerance_units=body.tolerance_units,
            min_units=body.min_units,
            interval_minutes=body.interval_minutes,
        )
        return {"code": sensor.code}


@router.post("/api/v1/sensors/readings", response_model=list[ReadingRead])
def post_readings(body: list[ReadingCreate], db: DbDep, _: Operator) -> list[ReadingRead]:
    """Readings from shelves (one or many); replays and late readings change nothing."""
    if len(body) > 1000:
        raise ValidationError(FieldError("body", "at most 1000 readings per request"))
    with db.reader() as session:  # the whole batch is checked before any of it is recorded
        known = sensors.known_codes(session=session, codes={r.sensor for r in body})
    errors = ErrorCollector()
    for i, r in enumerate(body):
        if r.sensor not in known:
            errors.add(f"{i}.sensor", f"unknown sensor {r.sensor!r}")
        if not 0 <= r.grams < 10_000_000:
            errors.add(f"{i}.grams", "must be between 0 and 10,000,000")
        if r.measured_at.tzinfo is None:
            errors.add(f"{i}.measured_at", "needs a time zone")
    errors.raise_if_any()
    out = []
    for r in body:
        outcome = sensors.ingest(
            db, sensors.ReadingInput(r.sensor, r.reading_id, r.measured_at, r.grams)
        )
        out.append(
            ReadingRead(
                sensor=r.sensor,
                reading_id=r.reading_id,
                created=outcome.created,
                stale=outcome.stale,
                units=outcome.units,
                alerts=list(outcome.alerts),
            )
        )
    return out


@router.get("/api/v1/inventory/alerts", response_model=list[AlertRead])
def list_alerts(db: DbDep, _: Anyone) -> list[AlertRead]:
    """Open stock alerts (shelves disagreeing with the ledger, pick faces running low)."""
    with db.reader() as session:
        return [
            AlertRead(
                id=a.id,
                kind=a.kind,
                expected=a.expected,
                observed=a.observed,
                note=a.note,
                created_at=a.created_at,
            )
            for a in sensors.open_alerts(session=session)
        ]
