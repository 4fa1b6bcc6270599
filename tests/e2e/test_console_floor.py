"""The warehouse floor in a real browser: a picker takes the next task and confirms each stop
by typing scans (a wrong barcode refused on screen), then an operator packs the order at the
packing station, each scan ticking an item of the drawn plan."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from maillon.core.db import Database
from maillon.core.users import create_user
from maillon.orders import service as orders
from maillon.warehouse import service as warehouse
from tests.helpers import GTIN, order_draft, seed_basic
from tests.helpers.browser import sign_in


def test_pick_with_scans_then_pack(page: Page, live_server: str, db: Database) -> None:
    seed_basic(db)
    with db.transaction() as s:
        create_user(session=s, username="pia", password="picker pass 12", role="picker")
        create_user(session=s, username="oli", password="operator pass 12", role="operator")
    order, _ = orders.place_order(
        db, order_draft([("MUG-01", 2), ("TSHIRT-M", 1)]), actor="t", allocate=True
    )
    with db.transaction() as s:
        warehouse.create_pick_lists(session=s, number=order.number, actor="t")

    # the picker takes the next task in PAR1
    sign_in(page, live_server, "/picking?warehouse=PAR1", "pia", "picker pass 12")
    expect(page.get_by_role("heading", name="Picking · PAR1")).to_be_visible()
    page.get_by_role("button", name="Next task").click()
    card = page.locator(".pick-card")
    expect(card).to_be_visible()
    expect(page.get_by_label("Scan the location")).to_be_focused()

    stops = 0
    wrong_tried = False
    while page.locator(".pick-card").count():
        sku = card.get_attribute("data-sku")
        line = card.get_attribute("data-line")
        assert sku in GTIN
        location = page.locator("#pick-location").inner_text()
        # a scanner types the code and Enter: the location is kept, the barcode comes next
        page.keyboard.type(location)
        page.keyboard.press("Enter")
        expect(page.get_by_label("Scan the product")).to_be_focused()
        if not wrong_tried:
            wrong = GTIN["BOOK-07"]
            page.keyboard.type(wrong)
            page.keyboard.press("Enter")
            alert = page.get_by_role("alert")
            expect(alert).to_contain_text("barcode")
            expect(alert).to_contain_text(wrong)
            expect(card).to_have_attribute("data-line", line or "")  # the same stop
            expect(page.get_by_label("Scan the product")).to_be_focused()
            wrong_tried = True
        page.keyboard.type(GTIN[sku])
        page.keyboard.press("Enter")
        expect(page.locator(".pick-ok")).to_be_visible()
        expect(page.get_by_role("alert")).to_have_count(0)
        stops += 1
        if page.locator(".pick-card").count():
            expect(card).not_to_have_attribute("data-line", line or "")
            expect(page.get_by_label("Scan the location")).to_be_focused()
    assert stops >= 2
    expect(page.locator(".pick-ok")).to_contain_text("Pick list done")
    expect(page.locator('[data-metric="lines"]')).to_have_text(str(stops))

    # the operator packs it: the plan is drawn, each scan ticks one item
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server, f"/packing?order={order.number}", "oli", "operator pass 12")
    expect(page.get_by_role("heading", name=f"Packing · {order.number}")).to_be_visible()
    expect(page.locator(".pack-layers svg").first).to_be_visible()
    expect(page.locator(".pack-steps li")).to_have_count(3)
    expect(page.locator(".pack-steps li.packed")).to_have_count(0)
    expect(page.get_by_label("Scan an item")).to_be_focused()
    page.keyboard.type(GTIN["LAMP-02"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("is not a product of this order")
    for n, sku in enumerate(("MUG-01", "TSHIRT-M", "MUG-01"), start=1):
        expect(page.get_by_label("Scan an item")).to_be_focused()
        page.keyboard.type(GTIN[sku])
        page.keyboard.press("Enter")
        expect(page.locator(".pack-steps li.packed")).to_have_count(n)
        expect(page.locator(".pack-ok")).to_contain_text(f"{sku} → Carton")
    expect(page.locator(".pack-done")).to_have_text("✓ Order fully packed")
    expect(page.locator(".pack-unit.packed").first).to_be_visible()
