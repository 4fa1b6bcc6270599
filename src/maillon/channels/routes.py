"""Channel routes: shops registered, their webhooks (orders, cancellations, ping), the
inbox of refused webhooks (read, fix, reprocess, discard), and the stock drift report."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from maillon.channels import service
from maillon.channels.model import InboxStatus
from maillon.channels.schemas import (
    ChannelCreate,
    ChannelRead,
    DriftRead,
    FieldErrorRead,
    InboxDetail,
    InboxEdit,
    InboxRead,
    WebhookAnswer,
)
from maillon.channels.service import incoming, outgoing
from maillon.channels.tables import InboxEntry
from maillon.core.auth import Principal, Role
from maillon.core.http import DbDep, IdPath, allow
from maillon.orders import service as orders
from maillon.orders.routes import full_order_read
from maillon.orders.schemas import OrderRead
from maillon.orders.tables import SalesChannel

router = APIRouter(tags=["channels"])
Admin = Annotated[Principal, Depends(allow())]
Operator = Annotated[Principal, Depends(allow(Role.OPERATOR))]
Staff = Annotated[Principal, Depends(allow(Role.OPERATOR, Role.AGENT))]


def channel_read(channel: SalesChannel) -> ChannelRead:
    """The answer about a shop."""
    return ChannelRead(
        code=channel.code,
        kind=channel.kind,
        webhook_url=f"/api/v1/webhooks/{channel.kind}/{channel.code}",
        shop_url=channel.shop_url,
        stock_location=channel.stock_location,
        connected=service.access_of(channel) is not None,
    )


@router.post("/api/v1/channels", status_code=status.HTTP_201_CREATED, response_model=ChannelRead)
def create_channel(body: ChannelCreate, db: DbDep, _: Admin) -> ChannelRead:
    """Register a Shopify or WooCommerce shop, the secret its webhooks are signed with, and
    the credentials Maillon answers it with."""
    with db.transaction() as session:
        return channel_read(service.register_channel(session=session, **body.model_dump()))


@router.get("/api/v1/channels", response_model=list[ChannelRead])
def list_channels(db: DbDep, _: Operator) -> list[ChannelRead]:
    """Every registered shop."""
    with db.reader() as session:
        return [channel_read(c) for c in service.list_channels(session=session)]


async def _webhook(
    request: Request,
    kind: str,
    channel: str,
    header: str,
    topic: str,
    response: Response,
    db: DbDep,
) -> OrderRead | WebhookAnswer:
    received = await run_in_threadpool(
        incoming.receive,
        db,
        code=channel,
        kind=kind,
        body=await request.body(),
        signature=request.headers.get(header),
        topic=request.headers.get(topic),
    )
    if received.outcome in ("created", "replayed") and received.order_number:
        if received.outcome == "replayed":
            response.status_code = status.HTTP_200_OK
        with db.reader() as session:
            order = orders.get_order(session=session, number=received.order_number)
            return full_order_read(session, order)
    # refused: kept in the inbox; the shop is told it was accepted so it stops retrying
    accepted = received.outcome == "refused"
    response.status_code = status.HTTP_202_ACCEPTED if accepted else status.HTTP_200_OK
    return WebhookAnswer(
        outcome=received.outcome,
        order_number=received.order_number,
        inbox_id=received.inbox_id,
        errors=[FieldErrorRead(field=e.field, message=e.message) for e in received.errors],
    )


@router.post(
    "/api/v1/webhooks/shopify/{channel}",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderRead | WebhookAnswer,
)
async def shopify_webhook(
    channel: str, request: Request, response: Response, db: DbDep
) -> OrderRead | WebhookAnswer:
    """Shopify ``orders/create``, ``orders/cancelled`` and ``orders/updated`` (by
    ``X-Shopify-Topic``), authenticated by ``X-Shopify-Hmac-Sha256``. 201: order placed,
    200: replay, cancellation or nothing to do, 202: refused and kept in the inbox."""
    return await _webhook(
        request, "shopify", channel, "X-Shopify-Hmac-Sha256", "X-Shopify-Topic", response, db
    )


@router.post(
    "/api/v1/webhooks/woocommerce/{channel}",
    status_code=status.HTTP_201_CREATED,
    response_model=OrderRead | WebhookAnswer,
)
async def woocommerce_webhook(
    channel: str, request: Request, response: Response, db: DbDep
) -> OrderRead | WebhookAnswer:
    """WooCommerce ``order.created`` and ``order.updated`` (by ``X-WC-Webhook-Topic``),
    authenticated by ``X-WC-Webhook-Signature``; the unsigned ping sent when the webhook is
    created is answered 200. Status codes as for Shopify."""
    return await _webhook(
        request,
        "woocommerce",
        channel,
        "X-WC-Webhook-Signature",
        "X-WC-Webhook-Topic",
        response,
        db,
    )


def inbox_read(entry: InboxEntry, channel: str) -> InboxRead:
    """The answer about a refused webhook."""
    return InboxRead(
        id=entry.id,
        channel=channel,
        kind=entry.kind,
        shop_order_id=entry.shop_order_id,
        status=entry.status,
        errors=[FieldErrorRead(**e) for e in entry.errors],
        received=entry.received,
        received_at=entry.received_at,
        updated_at=entry.updated_at,
        updated_by=entry.updated_by,
        order_number=entry.order_number,
    )


def _detail(session: Session, entry_id: int) -> InboxDetail:
    entry = incoming.get_entry(session=session, entry_id=entry_id)
    channel = session.get(SalesChannel, entry.channel_id)
    read = inbox_read(entry, channel.code if channel else "")
    try:
        payload = json.loads(entry.body)
    except ValueError:
        payload = None
    return InboxDetail(**read.model_dump(), body=entry.body, payload=payload)


@router.get("/api/v1/channels/inbox", response_model=list[InboxRead])
def list_inbox(
    db: DbDep,
    _: Staff,
    status_: Annotated[InboxStatus | None, Query(alias="status")] = InboxStatus.REFUSED,
    channel: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[InboxRead]:
    """Webhooks refused (by default those still waiting), newest first."""
    with db.reader() as session:
        rows = incoming.list_inbox(
            session=session, status=status_, channel=channel, limit=limit, offset=offset
        )
        return [inbox_read(entry, code) for entry, code in rows]


@router.get("/api/v1/channels/inbox/{entry_id}", response_model=InboxDetail)
def get_inbox_entry(entry_id: IdPath, db: DbDep, _: Staff) -> InboxDetail:
    """A refused webhook with its body."""
    with db.reader() as session:
        return _detail(session, entry_id)


@router.put("/api/v1/channels/inbox/{entry_id}", response_model=InboxDetail)
def edit_inbox_entry(entry_id: IdPath, body: InboxEdit, db: DbDep, who: Operator) -> InboxDetail:
    """Fix a refused webhook's body (then reprocess it)."""
    with db.transaction() as session:
        incoming.edit_entry(
            session=session, entry_id=entry_id, payload=body.payload, actor=who.actor
        )
        return _detail(session, entry_id)


@router.post("/api/v1/channels/inbox/{entry_id}/reprocess", response_model=InboxDetail)
def reprocess_inbox_entry(entry_id: IdPath, db: DbDep, who: Operator) -> InboxDetail:
    """Take a refused webhook again as it now reads; 422 naming the field while still bad."""
    incoming.reprocess(db, entry_id=entry_id, actor=who.actor)
    with db.reader() as session:
        return _detail(session, entry_id)


@router.post("/api/v1/channels/inbox/{entry_id}/discard", response_model=InboxDetail)
def discard_inbox_entry(entry_id: IdPath, db: DbDep, who: Operator) -> InboxDetail:
    """Give up on a refused webhook."""
    with db.transaction() as session:
        incoming.discard_entry(session=session, entry_id=entry_id, actor=who.actor)
        return _detail(session, entry_id)


@router.get("/api/v1/channels/{code}/drift", response_model=list[DriftRead])
def drift(code: str, db: DbDep, _: Operator) -> list[DriftRead]:
    """Our available units against the shop's, per SKU, the drifting ones first (502 when
    the shop cannot be read)."""
    with db.reader() as session:
        access, ours = outgoing.drift_inputs(session=session, code=code)
    return [
        DriftRead(sku=r.sku, ours=r.ours, theirs=r.theirs, difference=r.difference)
        for r in outgoing.compare_with_shop(access, ours)
    ]
