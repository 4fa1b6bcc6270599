"""After-sales routes (minimal): tickets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from maillon.api.deps import DbDep, IdPath, PageDep, allow
from maillon.api.schemas import Page, StrictModel
from maillon.care import service
from maillon.care.tables import Ticket
from maillon.core.auth import Principal, Role
from maillon.orders.model import order_number

router = APIRouter(prefix="/api/v1/tickets", tags=["care"])
Agent = Annotated[Principal, Depends(allow(Role.AGENT, Role.OPERATOR))]


class TicketCreate(StrictModel):
    """A new ticket."""

    email: str = Field(max_length=320)
    subject: str = Field(max_length=200)
    body: str = Field(max_length=20_000)
    order: str | None = Field(default=None, max_length=20)
    priority: str = "normal"
    category: str = Field(default="other", max_length=40)


class ReplyCreate(StrictModel):
    """An agent's answer or internal note."""

    body: str = Field(min_length=1, max_length=20_000)
    internal: bool = False


class TicketRead(BaseModel):
    """A ticket with its messages."""

    id: int
    email: str
    order: str | None
    subject: str
    category: str
    priority: str
    status: str
    created_at: datetime
    first_response_at: datetime | None
    messages: list[dict[str, str | bool]]


def ticket_read(t: Ticket) -> TicketRead:
    """Return the response model of a ticket."""
    return TicketRead(
        id=t.id,
        email=t.customer_email,
        order=order_number(t.order_id) if t.order_id else None,
        subject=t.subject,
        category=t.category,
        priority=t.priority,
        status=t.status,
        created_at=t.created_at,
        first_response_at=t.first_response_at,
        messages=[
            {"author": m.author, "body": m.body, "internal": m.internal, "at": m.at.isoformat()}
            for m in t.messages
        ],
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=TicketRead)
def open_ticket(body: TicketCreate, db: DbDep, _: Agent) -> TicketRead:
    """Open a ticket."""
    with db.transaction() as session:
        return ticket_read(
            service.open_ticket(
                session=session,
                email=body.email,
                subject=body.subject,
                body=body.body,
                order_number=body.order,
                priority=body.priority,
                category=body.category,
            )
        )


@router.get("", response_model=Page[TicketRead])
def list_tickets(
    db: DbDep,
    page: PageDep,
    _: Agent,
    status_: Annotated[str | None, Query(alias="status", max_length=20)] = None,
) -> Page[TicketRead]:
    """The inbox, newest first."""
    with db.reader() as session:
        rows, total = service.list_tickets(
            session=session, status=status_, limit=page.limit, offset=page.offset
        )
        items = [ticket_read(t) for t in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{ticket_id}", response_model=TicketRead)
def get_ticket(ticket_id: IdPath, db: DbDep, _: Agent) -> TicketRead:
    """One ticket."""
    with db.reader() as session:
        return ticket_read(service.get_ticket(session=session, ticket_id=ticket_id))


@router.post("/{ticket_id}/replies", response_model=TicketRead)
def reply(ticket_id: IdPath, body: ReplyCreate, db: DbDep, who: Agent) -> TicketRead:
    """Answer a ticket (e-mailed to the customer unless internal)."""
    with db.transaction() as session:
        return ticket_read(
            service.reply(
                session=session,
                ticket_id=ticket_id,
                body=body.body,
                actor=who.actor,
                internal=body.internal,
            )
        )


@router.post("/{ticket_id}/close", response_model=TicketRead)
def close(ticket_id: IdPath, db: DbDep, who: Agent) -> TicketRead:
    """Close a ticket."""
    with db.transaction() as session:
        return ticket_read(
            service.close_ticket(session=session, ticket_id=ticket_id, actor=who.actor)
        )
