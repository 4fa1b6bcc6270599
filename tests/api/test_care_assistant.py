"""The FAQ assistant: knowledge-base answers in French and English, live "where is my order"
only for the order's own customer, hand-over below the confidence threshold."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.care.tables import Ticket
from maillon.core import clock
from maillon.core.db import Database
from maillon.orders import service as orders
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up
from maillon.warehouse import service as warehouse
from tests.helpers import order_draft, pack
from tests.helpers.database import row_counts

URL = "/api/v1/care/assistant"


def shipped_order(db: Database) -> tuple[str, str]:
    """Place and ship an order; return its number and the parcel's tracking number."""
    order, _ = orders.place_order(db, order_draft(), actor="t", allocate=True)
    with db.transaction() as s:
        (pick_list,) = warehouse.create_pick_lists(session=s, number=order.number, actor="p")
        warehouse.confirm_pick_list(session=s, pick_list_id=pick_list.id, picked=None, actor="p")
    with db.transaction() as s:
        pack(s, order.number, "p")
    with db.transaction() as s:
        (shipment,) = shipping.ship_order(
            session=s, number=order.number, carrier_code="colissimo", actor="o"
        )
        tracking = shipment.parcels[0].tracking_number
    assert tracking
    return order.number, tracking


def test_where_is_my_order_answers_with_live_tracking_for_its_customer_only(
    client: TestClient, seeded: Database
) -> None:
    number, tracking = shipped_order(seeded)
    with seeded.transaction() as s:
        follow_up.record_tracking_event(
            session=s,
            event=follow_up.TrackingInput(
                carrier="colissimo",
                event_id="e1",
                tracking_number=tracking,
                status="out_for_delivery",
                occurred_at=clock.now(),
                location="Lyon",
            ),
            actor="carrier",
        )
    ask = {"question": "Where is my order?", "order_number": number}
    r = client.post(URL, json={**ask, "email": "Camille.Martin@example.fr"})
    body = r.json()
    assert r.status_code == 200 and body["kind"] == "live" and body["handover"] is False
    assert tracking in body["answer"] and "out for delivery" in body["answer"]
    assert "Lyon" in body["answer"] and body["confidence"] == 1.0
    assert body["sources"][1]["tracking_number"] == tracking

    fr = client.post(
        URL,
        json={
            "question": "Où est mon colis ?",
            "order_number": number,
            "email": "camille.martin@example.fr",
        },
    ).json()
    assert fr["language"] == "fr" and "en cours de livraison" in fr["answer"]

    wrong = client.post(URL, json={**ask, "email": "someone.else@example.fr"}).json()
    assert wrong["kind"] == "refused" and tracking not in wrong["answer"]
    assert wrong["sources"] == [] and number not in wrong["answer"]
    unknown = client.post(
        URL, json={**ask, "order_number": "M9999999", "email": "someone.else@example.fr"}
    ).json()
    assert unknown["answer"] == wrong["answer"]  # the same refusal: nothing to probe
    missing = client.post(URL, json={"question": "where is my parcel"}).json()
    assert missing["kind"] == "needs_details" and missing["handover"] is False


def test_faq_answers_in_french_and_english(client: TestClient, db: Database) -> None:
    en = client.post(URL, json={"question": "How long do I have to return an item?"}).json()
    assert en["kind"] == "faq" and en["handover"] is False and en["language"] == "en"
    assert en["sources"][0]["id"] == "return-policy-en" and "30 days" in en["answer"]
    fr = client.post(URL, json={"question": "Quels moyens de paiement acceptez-vous ?"}).json()
    assert fr["language"] == "fr" and fr["sources"][0]["id"] == "payment-methods-fr"
    forced = client.post(
        URL, json={"question": "How long do I have to return an item?", "language": "fr"}
    ).json()
    assert forced["sources"][0]["id"] == "return-policy-fr"


def test_hands_over_below_the_threshold_and_opens_a_ticket_with_an_email(
    client: TestClient, db: Database
) -> None:
    question = "My cat likes the blue velvet armchair more than the grey one"
    r = client.post(URL, json={"question": question}).json()
    assert r["handover"] is True and r["ticket"] is None and r["confidence"] < 0.3
    with db.reader() as s:
        assert s.scalars(select(Ticket)).all() == []
    r = client.post(URL, json={"question": question, "email": "camille.martin@example.fr"}).json()
    assert r["handover"] is True and r["ticket"] is not None and r["ticket"] in r["answer"]
    with db.reader() as s:
        (ticket,) = s.scalars(select(Ticket)).all()
        assert ticket.channel == "assistant" and ticket.messages[0].body == question


def test_bad_assistant_input_names_the_field_and_writes_nothing(
    client: TestClient, db: Database
) -> None:
    before = row_counts(db)
    for body, field in (
        ({}, "question"),
        ({"question": ""}, "question"),
        ({"question": "x" * 2001}, "question"),
        ({"question": "hi", "language": "de"}, "language"),
        ({"question": "hi", "email": "not-an-email"}, "email"),
        ({"question": "hi", "extra": 1}, "extra"),
    ):
        r = client.post(URL, json=body)
        assert r.status_code == 422, (body, r.text)
        assert field in r.json()["error"]["field"], (body, r.json())
    assert row_counts(db) == before
