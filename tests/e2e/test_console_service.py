"""Care, fraud and acquisition in a real browser: an agent answers a ticket from its suggested
reply and sees the answer in the conversation; an operator sees the funnel chart drawn and
rejects an order of the fraud review queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from playwright.sync_api import Page, expect

from maillon.acquisition import service as acquisition
from maillon.care import service as care
from maillon.core.db import Database
from maillon.core.users import create_user
from maillon.orders import service as orders
from tests.helpers import order_draft, seed_basic
from tests.helpers.browser import sign_in

SHARED = {"device_id": "dev-ring", "ip": "203.0.113.9"}


def storefront(db: Database) -> None:
    """Three sessions yesterday: one bounce, one abandoned cart, one purchase."""
    start = datetime.now(UTC) - timedelta(days=1)
    journeys = {
        "bounce": [("page_view", 0, 0)],
        "cart": [("page_view", 0, 0), ("product_view", 0, 0), ("add_to_cart", 1990, 0)],
        "buyer": [
            ("page_view", 0, 0),
            ("product_view", 0, 0),
            ("add_to_cart", 1290, 0),
            ("checkout_step", 1290, 1),
            ("checkout_step", 1290, 2),
            ("checkout_step", 1290, 3),
            ("purchase", 1290, 0),
        ],
    }
    events = [
        {
            "event_id": f"{sid}-{i}",
            "session_id": sid,
            "anonymous_id": sid,
            "type": kind,
            "occurred_at": (start + timedelta(minutes=i)).isoformat(),
            "device": "mobile",
            "channel": "organic",
            "page": "/home",
            "value_cents": value,
            "step": step,
        }
        for sid, steps in journeys.items()
        for i, (kind, value, step) in enumerate(steps)
    ]
    with db.transaction() as s:
        assert acquisition.ingest_events(session=s, events=events).stored == len(events)


def test_agent_answers_a_ticket_and_operator_decides_a_review(
    page: Page, live_server: str, db: Database
) -> None:
    seed_basic(db)
    order, _ = orders.place_order(db, order_draft(), actor="t", allocate=True)
    number = order.number
    with db.transaction() as s:
        ticket = care.open_ticket(
            session=s,
            email="camille.martin@example.fr",
            subject="Where is my order?",
            body=f"Hello, where is my order {number}? I would like to track my parcel.",
            order_number=number,
            language="en",
        )
        ticket_id = ticket.id
        create_user(session=s, username="ines", password="care agent pass 1", role="agent")
        create_user(session=s, username="omar", password="operator pass 12", role="operator")
    for i in range(5):
        orders.place_order(
            db, order_draft(email=f"ring{i % 3}@example.fr", signals=SHARED), actor="t"
        )
    suspect, _ = orders.place_order(
        db, order_draft(email="drop@yopmail.com", signals=SHARED), actor="t", allocate=True
    )
    storefront(db)

    # the agent opens the ticket from the inbox, starts from the suggested reply and sends it
    sign_in(page, live_server, "/care", "ines", "care agent pass 1")
    expect(page.get_by_role("heading", name="Ticket inbox")).to_be_visible()
    page.get_by_role("link", name=f"T{ticket_id}", exact=True).click()
    expect(page.get_by_role("heading", name=f"T{ticket_id} · Where is my order?")).to_be_visible()
    expect(page.locator("[data-intent]")).to_have_text("track_order")
    page.get_by_label("Start from").select_option("suggested")
    page.get_by_role("button", name="Use this text").click()
    reply = page.get_by_label("Message", exact=True)
    expect(reply).to_be_focused()
    text = reply.input_value()
    assert number in text and "Camille" in text
    reply.fill(text + "\nSee you soon.")
    page.get_by_role("button", name="Send the reply").click()
    expect(page).to_have_url(f"{live_server}/care/{ticket_id}")
    sent = page.locator(".care-msg-reply")
    expect(sent).to_have_count(1)
    expect(sent).to_contain_text(number)
    expect(sent).to_contain_text("See you soon.")
    expect(page.locator(".care-facts .badge").first).to_have_text("waiting_on_customer")
    page.goto(f"{live_server}/fraud")
    expect(page.get_by_role("heading", name="Your role may not open this page.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # the operator sees the funnel drawn, then rejects the suspicious order
    sign_in(page, live_server, "/acquisition", "omar", "operator pass 12")
    expect(page.get_by_role("heading", name="Acquisition funnel")).to_be_visible()
    expect(page.locator('[data-metric="sessions"] .v')).to_have_text("3")
    expect(
        page.locator("#funnel-chart .js-plotly-plot, #funnel-chart.js-plotly-plot")
    ).to_have_count(1)
    expect(page.locator("#funnel-chart .funnellayer .trace")).to_have_count(1)
    expect(page.locator("#funnel-chart .funnellayer .point")).to_have_count(7)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Fraud").click()
    item = page.locator(f'[data-order="{suspect.number}"]')
    expect(item).to_contain_text("disposable e-mail domain")
    expect(page.locator("#fraud-chart .js-plotly-plot, #fraud-chart.js-plotly-plot")).to_have_count(
        1
    )
    item.get_by_label("Note").fill("ring on one device")
    item.get_by_role("button", name="Reject").click()
    expect(item).to_have_count(0)  # out of the queue
    decisions = page.locator("table").filter(has_text="Analyst")
    expect(decisions).to_contain_text(suspect.number)
    expect(decisions).to_contain_text("cancelled")
