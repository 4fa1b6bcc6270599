"""Warehouse routes: pick lists."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from maillon.api.deps import DbDep, IdPath, allow
from maillon.core.auth import Principal, Role
from maillon.orders.model import order_number
from maillon.warehouse import service
from maillon.warehouse.schemas import PickConfirm, PickLineRead, PickListRead
from maillon.warehouse.tables import PickList

router = APIRouter(tags=["warehouse"])
Floor = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.PICKER))]


def pick_list_read(pick_list: PickList) -> PickListRead:
    """Return the response model of a pick list."""
    return PickListRead(
        id=pick_list.id,
        order=order_number(pick_list.order_id),
        status=pick_list.status,
        picker=pick_list.picker,
        created_at=pick_list.created_at,
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
