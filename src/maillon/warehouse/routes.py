"""Warehouse routes: pick lists, layouts, slotting and putaway."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, status

from maillon.api.deps import DbDep, IdPath, allow
from maillon.core.auth import Principal, Role
from maillon.orders.model import order_number
from maillon.warehouse import service
from maillon.warehouse.layout_spec import LayoutSpec
from maillon.warehouse.schemas import (
    LayoutRead,
    PickConfirm,
    PickLineRead,
    PickListRead,
    PutawayLineRead,
    PutawayRead,
    PutawayRequest,
    SlotMoveRead,
    SlottingRead,
)
from maillon.warehouse.tables import PickList

router = APIRouter(tags=["warehouse"])
Floor = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.PICKER))]
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]
WarehouseCode = Annotated[str, Path(min_length=1, max_length=20, description="warehouse code")]


def pick_list_read(pick_list: PickList) -> PickListRead:
    """Return the response model of a pick list."""
    return PickListRead(
        id=pick_list.id,
        order=order_number(pick_list.order_id),
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
            )
            for line in pick_list.lines
        ],
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
def post_putaway(code: WarehouseCode, body: PutawayRequest, db: DbDep, _: Floor) -> PutawayRead:
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
