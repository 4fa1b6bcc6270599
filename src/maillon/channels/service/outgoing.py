"""What Maillon tells shops: an order shipped (with its tracking), the stock it can sell,
and how far the shop's stock drifted from ours.

``shipping.service.ship_order`` publishes ``order.shipped``; :func:`on_order_shipped`
(subscribed in ``maillon.bootstrap``) records the job ``channels.push_fulfillment`` in that
same transaction when the order came from a connected shop. The job (:func:`push_fulfillment`)
is idempotent: a push recorded done is not sent again, and a push sent but not recorded (a
crash between the two) is recognised by the shop's client as done already.
``channels.push_stock`` runs every 15 minutes and sends only the SKUs whose available
quantity changed since it was last set in that shop. The drift report reads the shop over
the network, so the console asks for it (:func:`request_drift`, the job ``channels.drift``)
and shows the last one the worker kept (:func:`last_drift`); the API and the CLI read it
live.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.channels.drift import DriftRow, changed, compare
from maillon.channels.model import (
    Fulfillment,
    Parcel,
    PushStatus,
    ShipmentInfo,
    ShopError,
    ShopRefused,
    StockLevel,
    tracking_url,
)
from maillon.channels.service import ShopAccess, access_of, client_for, connected_access
from maillon.channels.tables import FulfillmentPush, StockPushed
from maillon.core import clock, jobs
from maillon.core.db import Database
from maillon.core.errors import NotFound
from maillon.core.jobs import JobStatus
from maillon.core.tables import Job
from maillon.inventory.tables import StockLevel as StockRecord
from maillon.orders.tables import Order, SalesChannel
from maillon.shipping.model import ShipmentStatus
from maillon.shipping.service import shipments_of

PUSH_FULFILLMENT = "channels.push_fulfillment"
PUSH_STOCK = "channels.push_stock"
DRIFT = "channels.drift"
#: A drift report kept by its job lists at most this many SKUs (the drifting ones first).
DRIFT_ROWS = 2000


def _channel_of(session: Session, order: Order) -> SalesChannel | None:
    return session.scalar(select(SalesChannel).where(SalesChannel.code == order.channel))


def on_order_shipped(session: Session, payload: dict[str, Any]) -> None:
    """Domain-event handler of ``order.shipped``: push the fulfilment to the order's shop
    (a job, recorded in the shipping transaction; once per order)."""
    order = session.get(Order, int(payload["order_id"]))
    if order is None or not order.external_id:
        return
    channel = _channel_of(session, order)
    if channel is None or access_of(channel) is None:
        return
    jobs.submit(
        session,
        PUSH_FULFILLMENT,
        {"order_id": order.id},
        key=f"{PUSH_FULFILLMENT}:{order.id}",
        requested_by=f"order:{order.number}",
    )


def fulfillment_of(*, session: Session, order: Order) -> Fulfillment:
    """The fulfilment of a shipped order: each shipped shipment's carrier and parcels."""
    shipments = []
    for shipment in shipments_of(session=session, order=order):
        if shipment.status == ShipmentStatus.PACKED or shipment.carrier is None:
            continue
        template = shipment.carrier.tracking_url
        parcels = tuple(
            Parcel(p.tracking_number, tracking_url(template, p.tracking_number))
            for p in shipment.parcels
            if p.tracking_number
        )
        shipments.append(ShipmentInfo(shipment.carrier.name, parcels))
    return Fulfillment(order.external_id or "", order.number, tuple(shipments))


def _record_push(
    db: Database, channel_id: int, order_id: int, status: PushStatus, **values: str
) -> None:
    with db.transaction() as session:
        push = session.scalar(
            select(FulfillmentPush).where(
                FulfillmentPush.channel_id == channel_id, FulfillmentPush.order_id == order_id
            )
        )
        if push is None:
            push = FulfillmentPush(channel_id=channel_id, order_id=order_id)
            session.add(push)
        push.status, push.pushed_at = status.value, clock.now()
        push.remote_id, push.error = values.get("remote_id", ""), values.get("error", "")[:1000]


def push_fulfillment(db: Database, *, order_id: int) -> dict[str, Any]:
    """Tell the order's shop it shipped, with its tracking (once). Raises NotFound,
    ShopRefused (the shop said no: recorded), ShopUnavailable (try again later)."""
    with db.reader() as session:
        order = session.get(Order, order_id)
        if order is None:
            raise NotFound("order", order_id, field="order_id")
        channel = _channel_of(session, order)
        access = access_of(channel) if channel is not None else None
        if channel is None or access is None:
            return {"skipped": f"channel {order.channel!r} is not connected"}
        done = session.scalar(
            select(FulfillmentPush.remote_id).where(
                FulfillmentPush.channel_id == channel.id,
                FulfillmentPush.order_id == order.id,
                FulfillmentPush.status == PushStatus.DONE.value,
            )
        )
        if done is not None:
            return {"skipped": "pushed already", "remote_id": done}
        fulfillment = fulfillment_of(session=session, order=order)
        channel_id = channel.id
    client = client_for(access)
    try:
        result = client.push_fulfillment(fulfillment)
    except ShopRefused as exc:
        _record_push(db, channel_id, order_id, PushStatus.REFUSED, error=str(exc))
        raise
    finally:
        client.close()
    _record_push(db, channel_id, order_id, PushStatus.DONE, remote_id=result.remote_id)
    return {
        "order": fulfillment.order_number,
        "channel": access.code,
        "remote_id": result.remote_id,
        "already_done": result.already_done,
    }


def available_by_sku(*, session: Session) -> dict[str, int]:
    """Units available to sell per active SKU, all warehouses together (0 without stock)."""
    rows = session.execute(
        select(
            Product.sku,
            func.coalesce(func.sum(StockRecord.on_hand - StockRecord.reserved), 0),
        )
        .select_from(Product)
        .outerjoin(StockRecord, StockRecord.product_id == Product.id)
        .where(Product.active.is_(True))
        .group_by(Product.sku)
        .order_by(Product.sku)
    ).all()
    return {sku: max(int(qty), 0) for sku, qty in rows}


def _push_stock_to(db: Database, access: ShopAccess, channel_id: int, full: bool) -> dict[str, Any]:
    with db.reader() as session:
        levels = available_by_sku(session=session)
        pushed = dict(
            session.execute(
                select(StockPushed.sku, StockPushed.quantity).where(
                    StockPushed.channel_id == channel_id
                )
            ).all()
        )
    todo = levels if full else changed(levels, pushed)
    if not todo:
        return {"updated": 0, "unknown": 0}
    client = client_for(access)
    try:
        result = client.push_stock([StockLevel(sku, qty) for sku, qty in todo.items()])
    finally:
        client.close()
    now = clock.now()
    with db.transaction() as session:
        rows = {
            r.sku: r
            for r in session.scalars(
                select(StockPushed).where(
                    StockPushed.channel_id == channel_id, StockPushed.sku.in_(result.updated)
                )
            )
        }
        for sku in result.updated:
            row = rows.get(sku) or StockPushed(channel_id=channel_id, sku=sku)
            row.quantity, row.pushed_at = todo[sku], now
            session.add(row)
    return {"updated": len(result.updated), "unknown": len(result.unknown)}


def push_stock(
    db: Database, *, codes: list[str] | None = None, full: bool = False
) -> dict[str, Any]:
    """Set each connected shop's stock to our available units (only what changed since the
    last push, unless ``full``). Every shop is tried; raises the first ShopError after."""
    with db.reader() as session:
        channels = [
            (c.id, access)
            for c in session.scalars(select(SalesChannel).order_by(SalesChannel.code))
            if (access := access_of(c)) is not None and (codes is None or c.code in codes)
        ]
    report: dict[str, Any] = {}
    failed: ShopError | None = None
    for channel_id, access in channels:
        try:
            report[access.code] = _push_stock_to(db, access, channel_id, full)
        except ShopError as exc:
            report[access.code] = {"error": str(exc)}
            failed = failed or exc
    if failed is not None:
        raise failed
    return report


def drift_report(db: Database, *, code: str) -> list[DriftRow]:
    """Our available units against the shop's, per SKU (the drifting ones first).
    Raises NotFound, ShopError."""
    with db.reader() as session:
        access, ours = drift_inputs(session=session, code=code)
    return compare_with_shop(access, ours)


def drift_inputs(*, session: Session, code: str) -> tuple[ShopAccess, dict[str, int]]:
    """What the drift report compares on our side: the shop's access and our available units
    per SKU. Raises NotFound."""
    return connected_access(session=session, code=code), available_by_sku(session=session)


def compare_with_shop(access: ShopAccess, ours: dict[str, int]) -> list[DriftRow]:
    """Read the shop's stock of ``ours``' SKUs and compare (the drifting ones first).
    Raises ShopError."""
    client = client_for(access)
    try:
        theirs = client.fetch_stock(list(ours))
    finally:
        client.close()
    return compare(ours, theirs)


def request_drift(*, session: Session, code: str, actor: str) -> Job:
    """Ask the worker for shop ``code``'s drift report (the job ``channels.drift``), unless
    one is waiting or running already; return that job. Raises NotFound (unknown shop, or one
    registered without credentials)."""
    connected_access(session=session, code=code)
    last = last_drift(session=session, code=code)
    if last is not None and last.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        return last
    job = jobs.submit(session, DRIFT, {"channel": code}, requested_by=actor, max_attempts=2)
    assert job is not None  # no key: always recorded
    return job


def last_drift(*, session: Session, code: str) -> Job | None:
    """The latest drift job of shop ``code`` (its ``result`` is the report once it ran)."""
    return session.scalar(
        select(Job)
        .where(Job.name == DRIFT, Job.args["channel"].as_string() == code)
        .order_by(Job.id.desc())
        .limit(1)
    )


def drift_job(db: Database, *, code: str) -> dict[str, Any]:
    """The job ``channels.drift``: read the shop's stock and keep the report as the job's
    result (reading twice changes nothing). Raises NotFound, ShopError."""
    rows = drift_report(db, code=code)
    return {
        "channel": code,
        "skus": len(rows),
        "drifting": sum(1 for r in rows if r.difference),
        "missing": sum(1 for r in rows if r.theirs is None),
        "rows": [
            {"sku": r.sku, "ours": r.ours, "theirs": r.theirs, "difference": r.difference}
            for r in rows[:DRIFT_ROWS]
        ],
        "truncated": len(rows) > DRIFT_ROWS,
    }
