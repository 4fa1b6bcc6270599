"""After-sales tickets over the API: lifecycle, notes, history, suggested replies, assignment,
inbound e-mail threading, proactive tickets, CSAT and stats."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.care.tables import CsatSurvey, Ticket
from maillon.core import outbox
from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from maillon.orders import service as orders
from maillon.shipping import service as shipping
from maillon.warehouse import service as warehouse
from tests.helpers import order_draft, pack
from tests.helpers.database import row_counts

H = dict[str, dict[str, str]]


def place(db: Database, email: str = "camille.martin@example.fr") -> str:
    order, _ = orders.place_order(db, order_draft(email=email), actor="t", allocate=True)
    return order.number


def ship(db: Database, number: str) -> None:
    with db.transaction() as s:
        (pick_list,) = warehouse.create_pick_lists(session=s, number=number, actor="p")
        warehouse.confirm_pick_list(session=s, pick_list_id=pick_list.id, picked=None, actor="p")
    with db.transaction() as s:
        pack(s, number, "p")
    with db.transaction() as s:
        shipping.ship_order(session=s, number=number, carrier_code="colissimo", actor="o")


def messages(db: Database, topic: str) -> list[OutboxMessage]:
    with db.reader() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.topic == topic)).all())


def new_ticket(client: TestClient, auth: H, **fields: Any) -> dict[str, Any]:
    body = {
        "email": "camille.martin@example.fr",
        "subject": "Question",
        "body": "Hello, I have a question about my account settings.",
        **fields,
    }
    r = client.post("/api/v1/tickets", json=body, headers=auth["agent"])
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_ticket_lifecycle_reply_note_resolve_and_csat_once(
    client: TestClient, seeded: Database, auth: H
) -> None:
    number = place(seeded)
    t = new_ticket(
        client,
        auth,
        subject="Where is my parcel?",
        body="I ordered last week and I want to track my order, where is it?",
        order=number,
    )
    assert t["status"] == "new" and t["order"] == number and t["customer_id"] is not None
    assert t["intent"] == "track_order" and t["intent_confidence"] >= 0.5
    assert t["category"] == "delivery"  # routed by its intent
    assert t["sla"]["first_response"]["status"] in ("ok", "warning", "breached")

    r = client.post(
        f"/api/v1/tickets/{t['id']}/notes",
        json={"body": "Checked with the warehouse"},
        headers=auth["agent"],
    )
    assert r.status_code == 200 and r.json()["status"] == "open"
    assert messages(seeded, "ticket.reply") == []  # a note is never sent
    r = client.post(
        f"/api/v1/tickets/{t['id']}/replies",
        json={"body": "Your parcel leaves today."},
        headers=auth["agent"],
    )
    body = r.json()
    assert r.status_code == 200 and body["status"] == "waiting_on_customer"
    assert body["first_response_at"] is not None
    assert body["sla"]["first_response"]["status"] == "met"
    [sent] = messages(seeded, "ticket.reply")
    assert sent.recipient == "camille.martin@example.fr" and f"[T{t['id']}]" in (sent.subject or "")
    assert [m["kind"] for m in body["messages"]] == ["customer", "note", "reply"]

    r = client.patch(
        f"/api/v1/tickets/{t['id']}", json={"status": "resolved"}, headers=auth["agent"]
    )
    assert r.status_code == 200 and r.json()["resolved_at"] is not None
    statuses = [(e["old"], e["new"]) for e in r.json()["history"] if e["kind"] == "status"]
    assert statuses == [
        ("", "new"),
        ("new", "open"),
        ("open", "waiting_on_customer"),
        ("waiting_on_customer", "resolved"),
    ]
    [survey_mail] = messages(seeded, "ticket.csat")
    token = survey_mail.payload["csat_token"]
    assert token in (survey_mail.body or "")

    assert client.post(f"/api/v1/care/csat/{token}", json={"score": 9}).status_code == 422
    r = client.post(f"/api/v1/care/csat/{token}", json={"score": 4, "comment": "quick"})
    assert r.status_code == 200 and r.json() == {
        "ticket": f"T{t['id']}",
        "score": 4,
        "answered_at": r.json()["answered_at"],
    }
    again = client.post(f"/api/v1/care/csat/{token}", json={"score": 1})
    assert again.status_code == 409
    with seeded.reader() as s:
        assert s.scalar(select(CsatSurvey.score)) == 4
    unknown = client.post("/api/v1/care/csat/" + "x" * 32, json={"score": 3})
    assert unknown.status_code == 404 and unknown.json()["error"]["field"] == "token"

    # a closed ticket takes no more replies; reopening a closed one is not a transition
    client.post(f"/api/v1/tickets/{t['id']}/close", headers=auth["agent"])
    r = client.post(
        f"/api/v1/tickets/{t['id']}/replies", json={"body": "hi"}, headers=auth["agent"]
    )
    assert r.status_code == 409
    r = client.patch(f"/api/v1/tickets/{t['id']}", json={"status": "open"}, headers=auth["agent"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"


def test_suggested_reply_states_the_order_and_tracking_as_they_are(
    client: TestClient, seeded: Database, auth: H
) -> None:
    number = place(seeded)
    ship(seeded, number)
    t = new_ticket(
        client,
        auth,
        subject="Où est ma commande ?",
        body=f"Bonjour, où est ma commande {number} ? Je voudrais suivre mon colis.",
        order=number,
        language="fr",
    )
    # the classifier reads French: confidently routed to delivery
    assert t["intent"] == "track_order" and t["category"] == "delivery"
    r = client.get(
        f"/api/v1/tickets/{t['id']}/suggested-reply?intent=track_order&agent_name=Lea",
        headers=auth["agent"],
    )
    assert r.status_code == 200, r.text
    s = r.json()
    with seeded.reader() as session:
        order = orders.get_order(session=session, number=number)
        (shipment,) = shipping.shipments_of(session=session, order=order)
        tracking = shipment.parcels[0].tracking_number
    assert s["language"] == "fr" and number in s["subject"] and f"[T{t['id']}]" in s["subject"]
    assert "Bonjour Camille" in s["body"] and "Colissimo" in s["body"] and "Lea" in s["body"]
    # the carrier has no tracking page yet: the number is given, no placeholder is shown
    assert s["missing"] == [] and tracking in s["body"] and "[" not in s["body"]
    assert "order.status=shipped" in s["claims"] and "shipment.carrier=Colissimo" in s["claims"]
    with seeded.transaction() as session:
        carrier = shipping.get_carrier(session=session, code="colissimo")
        carrier.tracking_url = "https://track.example/{tracking}"
    url = f"/api/v1/tickets/{t['id']}/suggested-reply?language=en"
    s = client.get(url, headers=auth["agent"]).json()
    assert s["intent"] == "track_order" and s["missing"] == []
    assert f"https://track.example/{tracking}" in s["body"] and "Hello Camille" in s["body"]
    bad = client.get(
        f"/api/v1/tickets/{t['id']}/suggested-reply?intent=nope", headers=auth["agent"]
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "intent"


def test_assignment_round_robin_and_by_skill(client: TestClient, db: Database, auth: H) -> None:
    for name, skills in (("Ana", ["returns"]), ("Bruno", ["delivery"]), ("Chloe", [])):
        r = client.post(
            "/api/v1/care/agents", json={"name": name, "skills": skills}, headers=auth["operator"]
        )
        assert r.status_code == 201
    assert (
        client.post(
            "/api/v1/care/agents", json={"name": "Ana"}, headers=auth["operator"]
        ).status_code
        == 409
    )
    ids = [new_ticket(client, auth)["id"] for _ in range(4)]
    assigned = []
    for ticket_id in ids:
        r = client.post(f"/api/v1/tickets/{ticket_id}/assign", json={}, headers=auth["agent"])
        assert r.status_code == 200
        assigned.append(r.json()["assignee"])
    assert assigned == ["Ana", "Bruno", "Chloe", "Ana"]

    client.patch(f"/api/v1/tickets/{ids[0]}", json={"category": "delivery"}, headers=auth["agent"])
    r = client.post(
        f"/api/v1/tickets/{ids[0]}/assign", json={"strategy": "skill"}, headers=auth["agent"]
    )
    assert r.json()["assignee"] == "Bruno"
    r = client.post(
        f"/api/v1/tickets/{ids[1]}/assign", json={"strategy": "skill"}, headers=auth["agent"]
    )
    assert r.status_code == 409  # nobody has the skill "other"
    r = client.post(
        f"/api/v1/tickets/{ids[1]}/assign", json={"agent": "Chloe"}, headers=auth["agent"]
    )
    assert r.json()["assignee"] == "Chloe"
    inbox = client.get("/api/v1/tickets?assignee=Chloe", headers=auth["agent"]).json()
    assert {t["id"] for t in inbox["items"]} == {ids[1], ids[2]}
    (chloe,) = [
        a
        for a in client.get("/api/v1/care/agents", headers=auth["agent"]).json()
        if a["name"] == "Chloe"
    ]
    client.patch(
        f"/api/v1/care/agents/{chloe['id']}", json={"active": False}, headers=auth["operator"]
    )
    r = client.post(
        f"/api/v1/tickets/{ids[3]}/assign", json={"agent": "Chloe"}, headers=auth["agent"]
    )
    assert r.status_code == 409
    # a confident new ticket is routed to the agent with the skill of its queue
    t = new_ticket(
        client, auth, subject="Track my order", body="where is my order? I want to track it"
    )
    assert t["category"] == "delivery" and t["assignee"] == "Bruno"


def test_inbound_email_threads_replies_and_links_the_senders_order(
    client: TestClient, seeded: Database, auth: H
) -> None:
    mine = place(seeded)
    theirs = place(seeded, email="someone.else@example.fr")
    payload = {
        "from": "Camille Martin <Camille.Martin@example.fr>",
        "subject": "Damaged mug",
        "text": f"My order {mine} arrived broken (not {theirs}). What can I do?",
        "message_id": "<a1@mail.example.fr>",
    }
    r = client.post("/api/v1/care/inbound-email", json=payload, headers=auth["agent"])
    first = r.json()
    assert r.status_code == 200 and first["threaded"] is False and first["order"] == mine
    again = client.post("/api/v1/care/inbound-email", json=payload, headers=auth["agent"]).json()
    assert again["duplicate"] is True and again["ticket"] == first["ticket"]

    ticket_id = first["ticket"]
    client.post(
        f"/api/v1/tickets/{ticket_id}/replies",
        json={"body": "Send us a photo please."},
        headers=auth["agent"],
    )
    reply = {
        "from": "camille.martin@example.fr",
        "subject": f"Re: Damaged mug [T{ticket_id}]",
        "text": "Here is the photo.",
        "message_id": "<a2@mail.example.fr>",
    }
    r = client.post("/api/v1/care/inbound-email", json=reply, headers=auth["agent"]).json()
    assert r["threaded"] is True and r["ticket"] == ticket_id and r["status"] == "open"
    by_header = {**reply, "subject": "photo", "in_reply_to": f"T{ticket_id}", "message_id": "<a3>"}
    r = client.post("/api/v1/care/inbound-email", json=by_header, headers=auth["agent"]).json()
    assert r["threaded"] is True and r["ticket"] == ticket_id

    # somebody else quoting the reference does not land on Camille's ticket
    stranger = {**reply, "from": "someone.else@example.fr", "message_id": "<b1>"}
    r = client.post("/api/v1/care/inbound-email", json=stranger, headers=auth["agent"]).json()
    assert r["threaded"] is False and r["ticket"] != ticket_id and r["order"] is None
    detail = client.get(f"/api/v1/tickets/{ticket_id}", headers=auth["agent"]).json()
    assert [m["kind"] for m in detail["messages"]] == ["customer", "reply", "customer", "customer"]


def test_proactive_tickets_from_delays_and_return_requests(seeded: Database) -> None:
    number = place(seeded)
    ship(seeded, number)
    with seeded.transaction() as s:
        order = orders.get_order(session=s, number=number)
        (shipment,) = shipping.shipments_of(session=s, order=order)
        payload = {"shipment_id": shipment.id, "order_id": order.id, "reason": "hub closed"}
        outbox.publish(s, "shipment.delayed", payload)
        outbox.publish(s, "shipment.delayed", payload)  # a replay opens nothing more
        outbox.publish(
            s, "return.requested", {"return_id": 77, "order_id": order.id, "email": "x@y.fr"}
        )
        outbox.publish(s, "shipment.delayed", {"shipment_id": 1, "order_id": 999_999})
    with seeded.reader() as s:
        tickets = s.scalars(select(Ticket).order_by(Ticket.id)).all()
        assert [(t.channel, t.category, t.priority) for t in tickets] == [
            ("proactive", "delivery", "high"),
            ("portal", "returns", "normal"),
        ]
        delayed, returned = tickets
        assert delayed.shipment_id == shipment.id and delayed.order_id == order.id
        assert "hub closed" in delayed.messages[0].body and delayed.messages[0].kind == "system"
        assert returned.customer_email == "x@y.fr" and returned.return_id is None  # unknown R77


def test_stats_per_agent_and_category(client: TestClient, db: Database, auth: H) -> None:
    client.post("/api/v1/care/agents", json={"name": "Ana"}, headers=auth["operator"])
    a = new_ticket(client, auth)["id"]
    b = new_ticket(client, auth, category="returns")["id"]
    new_ticket(client, auth, category="returns")
    client.post(f"/api/v1/tickets/{a}/assign", json={}, headers=auth["agent"])
    for ticket_id in (a, b):
        client.post(
            f"/api/v1/tickets/{ticket_id}/replies", json={"body": "ok"}, headers=auth["agent"]
        )
        client.patch(
            f"/api/v1/tickets/{ticket_id}", json={"status": "resolved"}, headers=auth["agent"]
        )
    with db.reader() as s:
        tokens = dict(s.execute(select(CsatSurvey.ticket_id, CsatSurvey.token)).all())
    client.post(f"/api/v1/care/csat/{tokens[a]}", json={"score": 5})
    client.post(f"/api/v1/care/csat/{tokens[b]}", json={"score": 2})
    r = client.get("/api/v1/care/stats", headers=auth["agent"])
    assert r.status_code == 200
    stats = r.json()
    assert stats["tickets"] == 3 and stats["overall"]["csat_average"] == 3.5
    assert stats["overall"]["csat_satisfied_pct"] == 50.0
    agents = {g["key"]: g for g in stats["by_agent"]}
    assert agents["Ana"]["tickets"] == 1 and agents["Ana"]["csat_average"] == 5.0
    assert agents["(unassigned)"]["tickets"] == 2 and agents["(unassigned)"]["answered"] == 1
    cats = {g["key"]: g for g in stats["by_category"]}
    assert cats["returns"]["resolved"] == 1 and cats["returns"]["tickets"] == 2
    bad = client.get(
        "/api/v1/care/stats?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        headers=auth["agent"],
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "to"


def test_the_merchant_sets_its_sla_policy_and_open_tickets_follow(
    client: TestClient, seeded: Database, auth: H
) -> None:
    t = new_ticket(client, auth, priority="normal")
    assert t["sla"]["first_response"]["target_minutes"] == 8 * 60  # the default policy
    document = client.get("/api/v1/care/sla-policy", headers=auth["agent"]).json()
    assert {"priority": "*", "category": "*"}.items() <= document["targets"][-1].items()
    for target in document["targets"]:
        if target["priority"] in ("normal", "*"):
            target["first_response_hours"] = 2
    assert (
        client.put("/api/v1/care/sla-policy", json=document, headers=auth["agent"]).status_code
        == 403
    )  # agents read the policy, operators set it
    r = client.put("/api/v1/care/sla-policy", json=document, headers=auth["operator"])
    assert r.status_code == 200, r.text
    again = client.get(f"/api/v1/tickets/{t['id']}", headers=auth["agent"]).json()
    assert again["sla"]["first_response"]["target_minutes"] == 2 * 60
    bad = {"targets": [{"priority": "soon", "category": "*", "first_response_hours": 1}]}
    before = row_counts(seeded)
    r = client.put("/api/v1/care/sla-policy", json=bad, headers=auth["operator"])
    assert r.status_code == 422 and "targets.0.priority" in r.text
    assert row_counts(seeded) == before
    assert client.get("/api/v1/care/sla-policy", headers=auth["agent"]).json() == r_json(document)


def r_json(document: dict[str, Any]) -> dict[str, Any]:
    """The document as the API gives it back (hours as floats)."""
    return {
        **document,
        "targets": [
            {
                **t,
                "first_response_hours": None
                if t["first_response_hours"] is None
                else float(t["first_response_hours"]),
                "resolution_hours": None
                if t["resolution_hours"] is None
                else float(t["resolution_hours"]),
            }
            for t in document["targets"]
        ],
    }


def test_sla_policy_from_the_command_line(seeded: Database, db_url: str, tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from maillon.cli.main import app

    runner = CliRunner()
    shown = runner.invoke(app, ["care", "sla-show", "--db", db_url])
    assert shown.exit_code == 0 and "first_response_hours: 8" in shown.output
    path = tmp_path / "sla.yaml"
    path.write_text(
        "targets:\n  - {priority: '*', category: '*', first_response_hours: 3,"
        " resolution_hours: 24}\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["care", "sla-set", str(path), "--db", db_url])
    assert r.exit_code == 0 and "1 target(s)" in r.output
    shown = runner.invoke(app, ["care", "sla-show", "--db", db_url])
    assert "first_response_hours: 3" in shown.output and "normal" not in shown.output
    path.write_text("targets: []\n", encoding="utf-8")
    r = runner.invoke(app, ["care", "sla-set", str(path), "--db", db_url])
    assert r.exit_code != 0 and "targets" in r.output
