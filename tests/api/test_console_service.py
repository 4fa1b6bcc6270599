"""Console pages for care, fraud and acquisition (server side): the ticket inbox with its SLA
clocks, a ticket answered from its suggested reply, the fraud review queue decided, the funnel
computed from storefront events, role rules, in-page errors and French."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.acquisition import service as acquisition
from maillon.care import service as care
from maillon.care.tables import CareAgent, Ticket, TicketMessage
from maillon.core import clock
from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from maillon.fraud import service as fraud
from maillon.fraud.tables import FraudAssessment, FraudReview
from maillon.orders import service as orders
from tests.helpers import order_draft
from tests.helpers.console import csrf_in, sign_in

SHARED = {"device_id": "dev-ring", "ip": "203.0.113.9"}


def place(db: Database, **kw: Any) -> str:
    order, _ = orders.place_order(db, order_draft(**kw), actor="t", allocate=True)
    return order.number


def open_ticket(db: Database, **kw: Any) -> int:
    """Open a ticket through the care service (unclassified unless ``classify_intent``)."""
    fields: dict[str, Any] = {
        "email": "camille.martin@example.fr",
        "subject": "Question",
        "body": "Hello, I have a question about my account settings.",
        "classify_intent": False,
        **kw,
    }
    with db.transaction() as s:
        return care.open_ticket(session=s, **fields).id


# --------------------------------------------------------------------------- care


def test_inbox_shows_each_ticket_with_its_sla_clocks(client: TestClient, seeded: Database) -> None:
    number = place(seeded)
    # an urgent ticket ten days old: both clocks long breached
    with clock.frozen_at(datetime.now(UTC) - timedelta(days=10)):
        late = open_ticket(seeded, subject="Still nothing", priority="urgent", order_number=number)
    fresh = open_ticket(seeded, subject="Fresh question", priority="low")
    waiting = open_ticket(seeded, subject="Answered already")
    with seeded.transaction() as s:
        care.reply(session=s, ticket_id=waiting, body="Could you send a photo?", actor="agent:x")
    sign_in(client, seeded, "agent")
    page = client.get("/care")
    assert page.status_code == 200
    html = page.text
    rows = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r'data-ticket="(\d+)">(.*?)</tr>', html, re.S)
    }
    assert set(rows) == {late, fresh, waiting}
    assert f">T{late}<" in rows[late] and f"/orders/{number}" in rows[late]
    assert "care-row-breached" in html and rows[late].count("sla-breached") == 2
    assert "overdue" in rows[late]
    assert "sla-breached" not in rows[fresh] and "left" in rows[fresh]
    assert "sla-met" in rows[waiting] and "paused" in rows[waiting]  # waiting on the customer
    # breached only: the late ticket alone
    breached = client.get("/care", params={"sla": "breached"}).text
    assert f"/care/{late}" in breached and f"/care/{fresh}" not in breached
    assert f"/care/{late}" not in client.get("/care", params={"sla": "ok"}).text
    urgent = client.get("/care", params={"priority": "urgent"}).text
    assert f"/care/{late}" in urgent and f"/care/{waiting}" not in urgent
    assert f"/care/{waiting}" in client.get("/care", params={"status": "waiting_on_customer"}).text


def test_inbox_pages_and_assigned_to_me(client: TestClient, seeded: Database) -> None:
    ids = [open_ticket(seeded, subject=f"Question {i}") for i in range(52)]
    sign_in(client, seeded, "agent")
    first = client.get("/care").text
    assert "(52)" in first and "Page 1 of 2" in first and f'/care/{ids[-1]}"' in first
    second = client.get("/care", params={"page": 2}).text
    assert f'/care/{ids[0]}"' in second and f'/care/{ids[-1]}"' not in second
    mine = client.get("/care", params={"mine": "true"}).text
    assert "You are not a care agent yet" in mine
    with seeded.transaction() as s:
        care.add_agent(session=s, name="u-agent")
        care.assign(session=s, ticket_id=ids[3], actor="t", agent="u-agent")
    mine = client.get("/care", params={"mine": "true"}).text
    assert f'/care/{ids[3]}"' in mine and f'/care/{ids[4]}"' not in mine and "(1)" in mine


def test_agent_answers_a_ticket_from_its_suggested_reply(
    client: TestClient, seeded: Database
) -> None:
    number = place(seeded)
    ticket_id = open_ticket(
        seeded,
        subject="Where is my order?",
        body=f"Hello, where is my order {number}? I would like to track my parcel.",
        order_number=number,
        language="en",
        classify_intent=True,
    )
    sign_in(client, seeded, "agent")
    page = client.get(f"/care/{ticket_id}")
    assert page.status_code == 200
    html = page.text
    assert f'href="/orders/{number}"' in html and "camille.martin@example.fr" in html
    with seeded.reader() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        intent, confidence = ticket.intent, ticket.intent_confidence
    assert intent == "track_order" and confidence is not None
    assert f"<strong data-intent>{intent}</strong>" in html
    assert f"confidence {confidence * 100:.0f} %" in html
    assert "Where is my order?" in html  # the template of that intent, filled in
    assert html.count(number) >= 3  # link, suggestion and the templates name the order
    # choosing the suggestion prefills the reply with the order's data
    chosen = client.get(f"/care/{ticket_id}", params={"use": "suggested"}).text
    draft = re.search(r'<textarea id="reply-body"[^>]*>(.*?)</textarea>', chosen, re.S)
    assert draft and number in draft.group(1) and "Camille" in draft.group(1)
    body = draft.group(1).replace("&#39;", "'").replace("&amp;", "&")
    r = client.post(
        f"/care/{ticket_id}/reply",
        data={"body": body, "csrf": csrf_in(chosen)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/care/{ticket_id}"
    with seeded.reader() as s:
        sent = s.scalars(
            select(TicketMessage).where(
                TicketMessage.ticket_id == ticket_id, TicketMessage.kind == "reply"
            )
        ).all()
        mail = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "ticket.reply")).all()
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status == "waiting_on_customer"
        assert ticket.first_response_at is not None
    assert len(sent) == 1 and number in sent[0].body and sent[0].author == "agent:u-agent"
    assert len(mail) == 1 and mail[0].recipient == "camille.martin@example.fr"
    after = client.get(f"/care/{ticket_id}").text
    assert "care-msg-reply" in after and "agent:u-agent" in after
    assert "waiting_on_customer" in after


def test_note_assign_and_status_from_the_ticket_page(client: TestClient, seeded: Database) -> None:
    ticket_id = open_ticket(seeded)
    sign_in(client, seeded, "agent")
    token = csrf_in(client.get(f"/care/{ticket_id}").text)
    r = client.post(
        f"/care/{ticket_id}/note",
        data={"body": "VIP customer", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        f"/care/{ticket_id}/assign", data={"me": "true", "csrf": token}, follow_redirects=False
    )
    assert r.status_code == 303
    r = client.post(
        f"/care/{ticket_id}/update",
        data={"status": "resolved", "priority": "high", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with seeded.reader() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None
        assert ticket.status == "resolved" and ticket.priority == "high"
        assert ticket.assignee is not None and ticket.assignee.name == "u-agent"
        notes = [m for m in ticket.messages if m.kind == "note"]
        assert [n.body for n in notes] == ["VIP customer"] and notes[0].internal
        assert s.scalar(select(CareAgent.id).where(CareAgent.name == "u-agent")) is not None
    page = client.get(f"/care/{ticket_id}").text
    assert "VIP customer" in page and "care-msg-note" in page and "u-agent" in page


@pytest.mark.parametrize(
    ("path", "data", "status", "message"),
    [
        ("reply", {"body": "   "}, 422, "body: is required"),
        ("note", {"body": ""}, 422, "body: is required"),
        ("update", {"priority": "asap"}, 422, "priority: one of low, normal, high, urgent"),
        ("update", {"status": "flying"}, 409, "flying"),
        ("assign", {"agent": "nobody"}, 404, "nobody"),
    ],
)
def test_bad_ticket_input_shows_the_error_in_the_page(
    client: TestClient, seeded: Database, path: str, data: dict[str, str], status: int, message: str
) -> None:
    ticket_id = open_ticket(seeded)
    sign_in(client, seeded, "agent")
    token = csrf_in(client.get(f"/care/{ticket_id}").text)
    r = client.post(f"/care/{ticket_id}/{path}", data={**data, "csrf": token})
    assert r.status_code == status
    alert = re.search(r'role="alert">(.*?)</p>', r.text, re.S)
    assert alert and message in alert.group(1).replace("&#39;", "'")
    with seeded.reader() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None and ticket.status == "new" and len(ticket.messages) == 1


def test_care_refuses_a_missing_csrf_token_and_unknown_ticket(
    client: TestClient, seeded: Database
) -> None:
    ticket_id = open_ticket(seeded)
    sign_in(client, seeded, "agent")
    r = client.post(f"/care/{ticket_id}/reply", data={"body": "hi", "csrf": "forged"})
    assert r.status_code == 403
    assert client.get("/care/999999").status_code == 404
    bad = client.get("/care", params={"priority": "asap"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "priority" in bad.text
    with seeded.reader() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None and len(ticket.messages) == 1


# --------------------------------------------------------------------------- fraud


def suspicious(db: Database) -> str:
    for i in range(5):
        place(db, email=f"ring{i % 3}@example.fr", signals=SHARED)
    return place(db, email="drop@yopmail.com", signals=SHARED)


def test_fraud_queue_shows_reasons_and_a_rejection_cancels_the_order(
    client: TestClient, seeded: Database
) -> None:
    number = suspicious(seeded)
    with seeded.reader() as s:
        score = s.scalars(
            select(FraudAssessment.score).where(FraudAssessment.review_status == "open")
        ).one()
    sign_in(client, seeded)
    page = client.get("/fraud")
    assert page.status_code == 200
    html = page.text
    assert f'data-order="{number}"' in html and f'href="/orders/{number}"' in html
    assert f"{score:.2f}" in html and "disposable e-mail domain" in html
    assert "device dev-ring" in html and "(1)" in html
    assert "fraud-chart" in html and "/static/plotly.min.js" in html and "cdn" not in html
    r = client.post(
        f"/fraud/{number}",
        data={"decision": "reject", "note": "ring on one device", "csrf": csrf_in(html)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with seeded.reader() as s:
        order = orders.get_order(session=s, number=number)
        assert order.status == "cancelled"
        review = s.scalars(select(FraudReview)).one()
        assert review.decision == "reject" and review.note == "ring on one device"
    after = client.get("/fraud").text
    assert "Nothing waiting for review." in after
    decisions = after.split("Recent decisions")[1]
    assert number in decisions and "ring on one device" in decisions and "cancelled" in decisions
    again = client.post(f"/fraud/{number}", data={"decision": "approve", "csrf": csrf_in(after)})
    assert again.status_code == 409 and 'role="alert"' in again.text
    assert "not waiting for review" in again.text


def test_fraud_accept_keeps_the_order_and_bad_decisions_are_refused(
    client: TestClient, seeded: Database
) -> None:
    number = suspicious(seeded)
    sign_in(client, seeded)
    token = csrf_in(client.get("/fraud").text)
    bad = client.post(f"/fraud/{number}", data={"decision": "maybe", "csrf": token})
    assert bad.status_code == 422 and "decision: one of approve, reject" in bad.text
    unknown = client.post("/fraud/M9999999", data={"decision": "approve", "csrf": token})
    assert unknown.status_code == 404 and 'role="alert"' in unknown.text
    assert client.get("/fraud", params={"status": "pending"}).status_code == 422
    r = client.post(
        f"/fraud/{number}", data={"decision": "approve", "csrf": token}, follow_redirects=False
    )
    assert r.status_code == 303
    with seeded.reader() as s:
        assert orders.get_order(session=s, number=number).status == "allocated"
        assert (
            s.scalars(
                select(FraudAssessment.review_status).where(
                    FraudAssessment.review_status.is_not(None)
                )
            ).one()
            == "approved"
        )
    assert number in client.get("/fraud", params={"status": "approved"}).text


# --------------------------------------------------------------------------- acquisition

# session: (device, channel, [(type, value_cents, step)])
SESSIONS: dict[str, tuple[str, str, list[tuple[str, int, int]]]] = {
    "s1": (
        "mobile",
        "organic",
        [
            ("page_view", 0, 0),
            ("product_view", 0, 0),
            ("add_to_cart", 2500, 0),
            ("checkout_step", 2500, 1),
            ("checkout_step", 2500, 2),
            ("checkout_step", 2500, 3),
            ("purchase", 2500, 0),
        ],
    ),
    "s2": (
        "mobile",
        "paid",
        [("page_view", 0, 0), ("product_view", 0, 0), ("add_to_cart", 4000, 0)],
    ),
    "s3": ("desktop", "organic", [("page_view", 0, 0)]),
    "s4": (
        "desktop",
        "organic",
        [
            ("page_view", 0, 0),
            ("product_view", 0, 0),
            ("add_to_cart", 1000, 0),
            ("checkout_step", 1000, 1),
        ],
    ),
}


def store_sessions(db: Database, start: datetime) -> None:
    events = []
    for sid, (device, channel, steps) in SESSIONS.items():
        for i, (kind, value, step) in enumerate(steps):
            events.append(
                {
                    "event_id": f"{sid}-{i}",
                    "session_id": sid,
                    "anonymous_id": f"a-{sid}",
                    "type": kind,
                    "occurred_at": (start + timedelta(minutes=i)).isoformat(),
                    "device": device,
                    "channel": channel,
                    "page": "/home" if i == 0 else f"/p/{i}",
                    "value_cents": value,
                    "step": step,
                }
            )
    with db.transaction() as s:
        report = acquisition.ingest_events(session=s, events=events)
    assert report.stored == len(events) and not report.errors


def cells(html: str, step: str) -> list[str]:
    row = re.search(rf'<tr data-step="{step}">(.*?)</tr>', html, re.S)
    assert row, step
    return re.findall(r'<td class="num">(.*?)</td>', row.group(1))


def test_funnel_page_shows_the_computed_funnel_and_its_chart(
    client: TestClient, db: Database
) -> None:
    day = (datetime.now(UTC) - timedelta(days=2)).replace(hour=10, minute=0, second=0)
    store_sessions(db, day)
    sign_in(client, db)
    page = client.get("/acquisition")
    assert page.status_code == 200
    today = datetime.now(UTC).date()
    start = (today - timedelta(days=29)).isoformat()
    query = f"from={start}&amp;to={today.isoformat()}&amp;by=&amp;checkout_steps=3"
    assert f'hx-get="/acquisition/funnel?{query}"' in page.text  # the funnel loads by htmx
    assert "/static/plotly.min.js" in page.text
    funnel = client.get("/acquisition/funnel")
    assert funnel.status_code == 200 and "<html" not in funnel.text
    html = funnel.text
    # 4 sessions, 3 saw a product, 3 carted, 1 bought: 25 %; 2 of 3 carts abandoned = 50.00
    assert re.search(r'data-metric="sessions"><div class="v">4<', html)
    assert re.search(r'data-metric="purchases"><div class="v">1<', html)
    assert re.search(r'data-metric="conversion"><div class="v">25.0 %<', html)
    assert re.search(r'data-metric="cart_abandonment"><div class="v">66.7 %<', html)
    assert re.search(r'data-metric="abandoned_value"><div class="v">50.00 EUR<', html)
    assert cells(html, "visit")[0] == "4"
    assert cells(html, "add_to_cart")[:2] == ["3", "100.0 %"]
    assert cells(html, "checkout_1")[:3] == ["2", "66.7 %", "33.3 %"]
    assert cells(html, "purchase") == ["1", "100.0 %", "0.0 %", "25.0 %"]
    assert 'type: "funnel"' in html and "Plotly.newPlot" in html
    by_device = client.get("/acquisition/funnel", params={"by": "device"}).text
    mobile = re.search(r'<th scope="row">mobile</th>(.*?)</tr>', by_device, re.S)
    assert mobile and "40.00 EUR" in mobile.group(1) and "50.0 %" in mobile.group(1)
    assert '"name": "desktop"' in by_device and '"name": "mobile"' in by_device
    # a period without the sessions shows zeros
    old = client.get("/acquisition/funnel", params={"from": "2024-01-01", "to": "2024-01-31"})
    old = old.text
    assert re.search(r'data-metric="sessions"><div class="v">0<', old)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "from: a date as YYYY-MM-DD"),
        ({"to": "2025-13-01"}, "to: a date as YYYY-MM-DD"),
        ({"from": "2025-02-01", "to": "2025-01-01"}, "from: must be before to"),
        ({"from": "2020-01-01", "to": "2025-01-01"}, "from: the period is at most 400 days"),
        ({"by": "moon"}, "by: one of device, channel, landing_page"),
        ({"checkout_steps": "12"}, "checkout_steps: between 0 and 10"),
        ({"checkout_steps": "x"}, "checkout_steps: between 0 and 10"),
    ],
)
def test_bad_funnel_input_shows_the_error(
    client: TestClient, db: Database, params: dict[str, str], message: str
) -> None:
    sign_in(client, db)
    r = client.get("/acquisition/funnel", params=params)
    assert r.status_code == 200  # an htmx fragment: swapped in with its alert
    alert = re.search(r'role="alert">(.*?)</p>', r.text, re.S)
    assert alert and alert.group(1) == message
    assert "data-metric" not in r.text
    page = client.get("/acquisition", params=params)
    if "YYYY-MM-DD" in message:  # the page itself refuses a date it cannot read
        assert page.status_code == 422 and message in page.text and "hx-get" not in page.text
    else:
        assert page.status_code == 200 and "hx-get" in page.text


# --------------------------------------------------------------------------- roles and French


def test_roles(client: TestClient, db: Database) -> None:
    sign_in(client, db, "picker")
    for path in ("/care", "/care/1", "/fraud", "/acquisition", "/acquisition/funnel"):
        assert client.get(path).status_code == 403, path
    sign_in(client, db, "agent")
    assert client.get("/care").status_code == 200
    for path in ("/fraud", "/acquisition", "/acquisition/funnel"):
        assert client.get(path).status_code == 403, path
    sign_in(client, db, "operator")
    for path in ("/care", "/fraud", "/acquisition"):
        assert client.get(path).status_code == 200, path
    client.cookies.clear()
    r = client.get("/care", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_pages_speak_french(client: TestClient, seeded: Database) -> None:
    number = suspicious(seeded)
    ticket_id = open_ticket(seeded, priority="urgent", order_number=number)
    sign_in(client, seeded)
    fr = {"Accept-Language": "fr-FR,fr;q=0.9"}
    inbox = client.get("/care", headers=fr).text
    assert "Boîte de réception SAV" in inbox and "urgente" in inbox and "nouveau" in inbox
    ticket = client.get(f"/care/{ticket_id}", headers=fr).text
    assert "Répondre au client" in ticket and "Réponse suggérée" in ticket
    fraud = client.get("/fraud", headers=fr).text
    assert "Revue de fraude" in fraud and "domaine d&#39;e-mail jetable" in fraud
    funnel = client.get("/acquisition", headers=fr).text
    assert "Entonnoir d&#39;acquisition" in funnel and "Calcul de l&#39;entonnoir" in funnel
    numbers = client.get("/acquisition/funnel", headers=fr).text
    assert "Taux de conversion" in numbers and "Visite" in numbers


def test_fraud_costs_are_set_by_an_admin_from_the_fraud_page(
    client: TestClient, seeded: Database
) -> None:
    token = sign_in(client, seeded, role="admin")
    page = client.get("/fraud").text
    assert 'action="/fraud/costs"' in page and 'value="100.0"' in page
    bad = client.post(
        "/fraud/costs",
        data={"missed_fraud": "100", "review": "cher", "refused_good": "30", "csrf": token},
    )
    assert bad.status_code == 422 and "costs.review" in bad.text
    r = client.post(
        "/fraud/costs",
        data={"missed_fraud": "250,5", "review": "3", "refused_good": "40", "csrf": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with seeded.reader() as s:
        config, revision = fraud.get_config(session=s)
    assert revision == 1 and config.costs.to_dict() == {
        "missed_fraud": 250.5,
        "review": 3.0,
        "refused_good": 40.0,
    }
    assert config.rules == fraud.FraudConfig().rules  # only the costs changed


def test_fraud_costs_are_read_only_for_an_operator(client: TestClient, seeded: Database) -> None:
    token = sign_in(client, seeded)
    page = client.get("/fraud").text
    assert 'action="/fraud/costs"' not in page and "Refused good order" in page
    r = client.post(
        "/fraud/costs",
        data={"missed_fraud": "1", "review": "0.5", "refused_good": "1", "csrf": token},
    )
    assert r.status_code == 403
