"""One order through the whole chain in a real browser, as the people who run it would: the
order arrives by the API, a picker picks it with scans (a wrong product refused), an operator
packs it at the station and ships it, prints its label and follows its tracking; once it is
delivered, the customer returns an item through the portal, and an agent answers the ticket
the return opened."""

from __future__ import annotations

import httpx2 as httpx
from playwright.sync_api import Page, expect
from sqlalchemy import select

from maillon.care.tables import Ticket
from maillon.core.db import Database
from maillon.core.users import create_user
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up
from tests.helpers import GTIN, order_body, seed_basic
from tests.helpers.browser import sign_in
from tests.helpers.database import api_key

PASSWORD = "a long pass 2026"


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_an_order_from_intake_to_its_return_and_the_answered_ticket(
    page: Page, live_server: str, db: Database
) -> None:
    seed_basic(db)
    with db.transaction() as s:
        shipping.sync_carriers(session=s)
        for name, role in (("pia", "picker"), ("oli", "operator"), ("ana", "agent")):
            create_user(session=s, username=name, password=PASSWORD, role=role)
    key = api_key(db, "operator")
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {key}"}) as api:
        r = api.post(
            "/api/v1/orders?allocate=true", json=order_body([("MUG-01", 2), ("BOOK-07", 1)])
        )
        assert r.status_code == 201, r.text
        number = r.json()["number"]
        assert r.json()["status"] == "allocated"
        lists = api.post(f"/api/v1/orders/{number}/pick-lists")
        assert lists.status_code == 201, lists.text
    warehouse = lists.json()[0]["warehouse"]

    # the picker confirms every stop by scanning the location, then the product
    sign_in(page, live_server, f"/picking?warehouse={warehouse}", "pia", PASSWORD)
    page.get_by_role("button", name="Next task").click()
    card = page.locator(".pick-card")
    expect(card).to_be_visible()
    expect(page.get_by_label("Scan the location")).to_be_focused()
    refused = False
    while page.locator(".pick-card").count():
        sku = card.get_attribute("data-sku")
        line = card.get_attribute("data-line") or ""
        assert sku in GTIN
        # a scanner types into whatever has the focus: wait for the field it scans into
        expect(page.get_by_label("Scan the location")).to_be_focused()
        page.keyboard.type(page.locator("#pick-location").inner_text())
        page.keyboard.press("Enter")
        expect(page.get_by_label("Scan the product")).to_be_focused()
        if not refused:  # the wrong product first: refused, nothing picked
            page.keyboard.type(GTIN["LAMP-02"])
            page.keyboard.press("Enter")
            expect(page.get_by_role("alert")).to_contain_text("barcode")
            expect(page.get_by_label("Scan the product")).to_be_focused()
            refused = True
        page.keyboard.type(GTIN[sku])
        page.keyboard.press("Enter")
        # wait for the next stop (or the end) to replace this one
        expect(page.locator(f'.pick-card[data-line="{line}"]')).to_have_count(0)
    expect(page.locator(".pick-ok")).to_contain_text("Pick list done")
    sign_out(page)

    # the operator packs it: each scan goes to its carton; the last one closes the boxes
    sign_in(page, live_server, f"/packing?order={number}", "oli", PASSWORD)
    expect(page.locator(".pack-steps li.packed")).to_have_count(0)
    for n, sku in enumerate(("MUG-01", "MUG-01", "BOOK-07"), start=1):
        expect(page.get_by_label("Scan an item")).to_be_focused()
        page.keyboard.type(GTIN[sku])
        page.keyboard.press("Enter")
        # the station answers before the next scan: one more item ticked
        expect(page.locator(".pack-steps li.packed")).to_have_count(n)
        expect(page.locator(".pack-ok")).to_contain_text(sku)
    expect(page.locator(".pack-closed")).to_contain_text("ready to ship")

    # ships it with Colissimo, opens its label, follows the parcel
    page.goto(f"{live_server}/shipping")
    page.get_by_label("Order number").fill(number)
    page.locator("#s-carrier").select_option("colissimo")
    page.get_by_role("button", name="Ship", exact=True).click()
    label = page.locator("#ship-result a.label-link")
    expect(label).to_be_visible()
    href = label.get_attribute("href")
    assert href is not None
    pdf = page.request.get(f"{live_server}{href}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    tracking = page.locator("#ship-result a.tracking-link").first.inner_text()
    page.locator("#ship-result a.tracking-link").first.click()
    expect(page.get_by_text(tracking).first).to_be_visible()
    sign_out_link = page.get_by_role("button", name="Sign out")
    if sign_out_link.count():
        sign_out_link.click()

    # the carrier delivers it
    with db.transaction() as s:
        follow_up.mark_delivered(session=s, number=number, actor="carrier:colissimo")

    # the customer returns a mug through the portal (no login)
    page.context.clear_cookies()
    page.goto(f"{live_server}/returns")
    page.get_by_label("Order number").fill(number)
    page.get_by_label("E-mail or postal code").fill("camille.martin@example.fr")
    page.get_by_role("button", name="Continue").click()
    row = page.locator("tr").filter(has_text="MUG-01")
    row.get_by_label("Quantity").fill("1")
    row.get_by_label("Reason").select_option("wrong_size")
    page.get_by_role("button", name="Request the return").click()
    rma = page.locator("#rma")
    expect(rma).to_be_visible()

    # the return opened a ticket: the agent answers it from a reply template
    with db.reader() as s:
        ticket_id = s.scalar(select(Ticket.id).where(Ticket.return_id.is_not(None)))
    assert ticket_id is not None
    sign_in(page, live_server, "/care", "ana", PASSWORD)
    page.get_by_role("link", name=f"T{ticket_id}", exact=True).click()
    page.get_by_label("Start from").select_option(index=1)
    page.get_by_role("button", name="Use this text").click()
    reply = page.get_by_label("Message", exact=True)
    expect(reply).to_be_focused()  # the text is in (or the page came back with it)
    text = reply.input_value()
    assert text.strip()
    reply.fill(text + "\nYour return label is on its way.")
    page.get_by_role("button", name="Send the reply").click()
    sent = page.locator(".care-msg-reply")
    expect(sent).to_have_count(1)
    expect(sent).to_contain_text("Your return label is on its way.")
    with db.reader() as s:
        ticket = s.get(Ticket, ticket_id)
        assert ticket is not None and ticket.first_response_at is not None
