"""The chain publishes the events webhooks send, each from the one function owning the step,
and each becomes a delivery of the endpoints subscribed to it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from maillon.care.service import tickets
from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from maillon.returns.service import decisions
from maillon.returns.service.requests import request_return
from maillon.webhooks import service as webhooks
from tests.helpers.returns import EMAIL, deliver
from tests.helpers.webhooks import deliveries


def _events(db: Database) -> list[tuple[str, dict[str, Any]]]:
    with db.reader() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.channel == "event").order_by(OutboxMessage.id)
        )
        return [(e.topic, dict(e.payload)) for e in rows]


def test_an_order_through_the_chain_publishes_every_step(seeded: Database) -> None:
    with seeded.transaction() as session:
        endpoint, _ = webhooks.create_endpoint(
            session=session,
            url="https://erp.example.com/in",
            topics=["order.*", "shipment.*", "tracking", "return.*", "ticket.*"],
            actor="admin:t",
        )
    number = deliver(seeded, [("MUG-01", 1)], external_id="E1")
    events = _events(seeded)
    topics = [t for t, _ in events]
    for topic in ("order.created", "order.packed", "order.shipped", "tracking.updated"):
        assert topic in topics
    assert topics[-2:] == ["shipment.delivered", "order.delivered"]
    payload = dict(events)
    assert payload["order.created"]["order"] == number
    shipped = payload["order.shipped"]
    assert shipped["order"] == number and shipped["carrier"] == "colissimo"
    (shipment,) = shipped["shipments"]
    assert shipment["tracking_numbers"] and shipment["tracking_numbers"][0].startswith("6A")
    tracking = payload["tracking.updated"]
    assert tracking["status"] == "delivered" and tracking["parcel_status"] == "delivered"
    assert tracking["tracking_number"] == shipment["tracking_numbers"][0]
    assert payload["order.delivered"]["order"] == number

    with seeded.transaction() as session:
        rma = request_return(
            session=session, number=number, lines=[("MUG-01", 1)], reason="damaged", actor="a"
        )
        decisions.approve(session=session, return_id=rma.id, actor="a")
        ticket = tickets.open_ticket(
            session=session,
            email=EMAIL,
            subject="Where is my refund?",
            body="Hello",
            channel="email",
        )
        tickets.close_ticket(session=session, ticket_id=ticket.id, actor="agent:a")
    later = dict(_events(seeded)[len(events) :])
    assert later["return.requested"]["rma"] == rma.number
    assert later["return.approved"] == {
        "return_id": rma.id,
        "rma": rma.number,
        "order_id": rma.order_id,
        "from": "requested",
        "status": "approved",
    }
    assert later["ticket.created"]["ticket_id"] == ticket.id
    assert later["ticket.created"]["subject"] == "Where is my refund?"
    assert later["ticket.status_changed"]["status"] == "closed"

    sent = [d.topic for d in deliveries(seeded) if d.endpoint_id == endpoint.id]
    assert [t for t, _ in _events(seeded) if t in set(sent)] == sent  # one each, in order
    assert "stock.received" not in sent and "order.shipped" in sent
    assert {"return.requested", "return.approved", "ticket.created"} <= set(sent)
