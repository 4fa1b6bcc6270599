"""Inventory routes: warehouses, balances, receipts, adjustments and the ledger."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from maillon.api.deps import ANY_ROLE, DbDep, PageDep, allow
from maillon.api.schemas import Page
from maillon.core.auth import Principal, Role
from maillon.inventory import service
from maillon.inventory.schemas import (
    AdjustmentCreate,
    BalanceRead,
    MovementRead,
    ReceiptCreate,
    WarehouseCreate,
    WarehouseRead,
)

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
