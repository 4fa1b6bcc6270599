"""Return routes (minimal)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from maillon.api.deps import DbDep, IdPath, PageDep, allow
from maillon.api.schemas import StrictModel
from maillon.core.auth import Principal, Role
from maillon.orders.model import order_number
from maillon.returns import service
from maillon.returns.tables import ReturnRequest

router = APIRouter(prefix="/api/v1/returns", tags=["returns"])
Staff = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))]


class ReturnLineIn(StrictModel):
    """Units of one SKU coming back."""

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(le=1_000_000)


class ReturnCreate(StrictModel):
    """A return request."""

    order: str = Field(min_length=1, max_length=20)
    reason: str = Field(min_length=1, max_length=200)
    lines: list[ReturnLineIn]


class ReceiveRequest(StrictModel):
    """Restock the units (true) or scrap them (false)."""

    restock: bool = True


class ReturnRead(BaseModel):
    """A return as returned."""

    id: int
    order: str
    status: str
    reason: str
    created_at: datetime
    lines: list[dict[str, int | str]]


def return_read(r: ReturnRequest) -> ReturnRead:
    """Return the response model of a return."""
    return ReturnRead(
        id=r.id,
        order=order_number(r.order_id),
        status=r.status,
        reason=r.reason,
        created_at=r.created_at,
        lines=[
            {"sku": x.sku, "quantity": x.quantity, "disposition": x.disposition} for x in r.lines
        ],
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ReturnRead)
def create_return(body: ReturnCreate, db: DbDep, who: Staff) -> ReturnRead:
    """Open a return for delivered units."""
    with db.transaction() as session:
        r = service.request_return(
            session=session,
            number=body.order,
            reason=body.reason,
            actor=who.actor,
            lines=[(x.sku, x.quantity) for x in body.lines],
        )
        return return_read(r)


@router.get("", response_model=list[ReturnRead])
def list_returns(db: DbDep, page: PageDep, _: Staff) -> list[ReturnRead]:
    """Returns, newest first."""
    with db.reader() as session:
        return [
            return_read(r)
            for r in service.list_returns(session=session, limit=page.limit, offset=page.offset)
        ]


@router.post("/{return_id}/receive", response_model=ReturnRead)
def receive_return(
    return_id: IdPath,
    body: ReceiveRequest,
    db: DbDep,
    who: Annotated[Principal, Depends(allow(Role.OPERATOR))],
) -> ReturnRead:
    """Receive a return: restock where it was picked from, or scrap."""
    with db.transaction() as session:
        return return_read(
            service.receive_return(
                session=session, return_id=return_id, restock=body.restock, actor=who.actor
            )
        )
