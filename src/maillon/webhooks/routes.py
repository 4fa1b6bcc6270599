"""Webhook endpoints' API, for admins: register, list, change, delete, ping, delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from maillon.core.auth import Principal
from maillon.core.http import DbDep, IdPath, Page, PageDep, allow
from maillon.webhooks import model, service
from maillon.webhooks.schemas import (
    DeliveryRead,
    EndpointCreate,
    EndpointRead,
    EndpointUpdate,
    EndpointWithSecret,
    TopicsRead,
)
from maillon.webhooks.service import sending

router = APIRouter(prefix="/api/v1/webhook-endpoints", tags=["webhooks"])
Admin = Annotated[Principal, Depends(allow())]


@router.get("/topics", response_model=TopicsRead)
def list_topics(_: Admin) -> TopicsRead:
    """The topics an endpoint may subscribe to (a family ``order.*`` takes them all)."""
    families = sorted({t.split(".")[0] + ".*" for t in model.TOPICS})
    return TopicsRead(topics=list(model.TOPICS), families=families)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EndpointWithSecret)
def create_endpoint(body: EndpointCreate, db: DbDep, who: Admin) -> EndpointWithSecret:
    """Register an endpoint; its signing secret is in the answer and shown nowhere else
    (422 naming ``url`` for a URL that is not https, ``topics`` for an unknown topic)."""
    with db.transaction() as session:
        endpoint, secret = service.create_endpoint(
            session=session,
            url=body.url,
            topics=body.topics,
            description=body.description,
            actor=who.actor,
        )
        read = EndpointRead.model_validate(endpoint)
    return EndpointWithSecret(**read.model_dump(), secret=secret)


@router.get("", response_model=list[EndpointRead])
def list_endpoints(db: DbDep, _: Admin) -> list[EndpointRead]:
    """Every endpoint, with its state (a disabled one says why)."""
    with db.reader() as session:
        return [EndpointRead.model_validate(e) for e in service.list_endpoints(session=session)]


@router.get("/{endpoint_id}", response_model=EndpointRead)
def get_endpoint(endpoint_id: IdPath, db: DbDep, _: Admin) -> EndpointRead:
    """One endpoint."""
    with db.reader() as session:
        return EndpointRead.model_validate(
            service.get_endpoint(session=session, endpoint_id=endpoint_id)
        )


@router.patch("/{endpoint_id}", response_model=EndpointRead | EndpointWithSecret)
def update_endpoint(
    endpoint_id: IdPath, body: EndpointUpdate, db: DbDep, _: Admin
) -> EndpointRead | EndpointWithSecret:
    """Change an endpoint's URL, topics, description or state, or rotate its secret (the new
    one is in the answer, this once)."""
    with db.transaction() as session:
        endpoint, secret = service.update_endpoint(
            session=session,
            endpoint_id=endpoint_id,
            url=body.url,
            topics=body.topics,
            description=body.description,
            active=body.active,
            rotate_secret=body.rotate_secret,
        )
        read = EndpointRead.model_validate(endpoint)
    if secret is None:
        return read
    return EndpointWithSecret(**read.model_dump(), secret=secret)


@router.delete("/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_endpoint(endpoint_id: IdPath, db: DbDep, _: Admin) -> Response:
    """Delete an endpoint and its delivery log."""
    with db.transaction() as session:
        service.delete_endpoint(session=session, endpoint_id=endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{endpoint_id}/ping", response_model=DeliveryRead)
def ping_endpoint(endpoint_id: IdPath, db: DbDep, who: Admin) -> DeliveryRead:
    """Send a signed ``webhook.ping`` to the endpoint now (enabled or not) and answer how it
    went: status code, time taken, error. A ping never counts against the endpoint."""
    with db.transaction() as session:
        delivery = service.request_ping(session=session, endpoint_id=endpoint_id, actor=who.actor)
    sending.deliver(db, delivery.id)
    with db.reader() as session:
        return DeliveryRead.model_validate(
            service.get_delivery(session=session, delivery_id=delivery.id)
        )


@router.get("/{endpoint_id}/deliveries", response_model=Page[DeliveryRead])
def list_deliveries(
    endpoint_id: IdPath,
    db: DbDep,
    page: PageDep,
    _: Admin,
    delivery_status: Annotated[
        str | None, Query(alias="status", max_length=20, description="pending, delivered...")
    ] = None,
) -> Page[DeliveryRead]:
    """The endpoint's delivery log, newest first."""
    with db.reader() as session:
        rows, total = service.deliveries_of(
            session=session,
            endpoint_id=endpoint_id,
            status=delivery_status,
            limit=page.limit,
            offset=page.offset,
        )
        items = [DeliveryRead.model_validate(d) for d in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)
