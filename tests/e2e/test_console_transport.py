"""Shipping and delivery in a real browser: compare rates, ship an order, open its label,
follow its tracking; plan a day's routes and see them drawn."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from maillon.core.db import Database
from maillon.core.users import create_user
from maillon.shipping import service as shipping
from tests.helpers import packed_order, seed_basic
from tests.helpers.delivery import booked_lyon_day


def test_ship_print_follow_and_plan_routes(page: Page, live_server: str, db: Database) -> None:
    seed_basic(db)
    with db.transaction() as s:
        shipping.sync_carriers(session=s)
        create_user(session=s, username="ines", password="quai de chargement 7", role="operator")
    number = packed_order(db)
    day, _numbers = booked_lyon_day(db, capacity=3)

    page.goto(f"{live_server}/login?next=/shipping")
    page.get_by_label("Username").fill("ines")
    page.get_by_label("Password").fill("quai de chargement 7")
    page.get_by_role("button", name="Sign in").first.click()
    expect(page.get_by_role("heading", name="Shipping", exact=True)).to_be_visible()
    # htmx is at work once the scorecards fragment has loaded (nothing shipped yet)
    expect(page.locator("#scorecards")).to_contain_text("No shipment in this period")

    # compare rates: the cheapest first, explained
    page.get_by_label("Weight (g)").fill("1200")
    page.locator("#r-policy").select_option("cheapest")
    page.get_by_role("button", name="Compare").click()
    rows = page.locator("#rates table.rates tbody tr")
    expect(rows.first).to_have_class("chosen")
    assert rows.count() > 5
    expect(page.locator("#rates .rate-reason")).to_contain_text("lowest price")

    # ship the packed order with Colissimo
    page.get_by_label("Order number").fill(number)
    page.locator("#s-carrier").select_option("colissimo")
    page.get_by_role("button", name="Ship", exact=True).click()
    label = page.locator("#ship-result a.label-link")
    expect(label).to_be_visible()
    tracking = page.locator("#ship-result a.tracking-link").first.inner_text()
    assert tracking.startswith("6A")

    # the label is a PDF
    href = label.get_attribute("href")
    assert href is not None
    pdf = page.request.get(f"{live_server}{href}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # the scorecards now have a shipment to draw
    page.locator("#sc-days").select_option("7")
    page.locator("#scorecards").get_by_role("button", name="Show").click()
    expect(page.locator("#scorecard-chart .main-svg").first).to_be_visible()

    # follow the parcel on the public tracking page
    page.locator("#ship-result a.tracking-link").first.click()
    expect(page).to_have_url(f"{live_server}/track?number={tracking}&postcode=69002")
    expect(page.get_by_text(tracking).first).to_be_visible()
    expect(page.locator(".badge").first).to_have_text("label_created")

    # plan the booked deliveries and see the routes drawn: two vans and the depot
    page.goto(f"{live_server}/delivery?day={day.isoformat()}&warehouse=LYS1")
    expect(page.get_by_text("No route plan for this day")).to_be_visible()
    page.get_by_label("Parcels per van").fill("3")
    page.get_by_role("button", name="Plan the routes").click()
    expect(page.locator("#routes-chart .scatterlayer .trace")).to_have_count(3)
    expect(page.locator("#route-table tbody tr")).to_have_count(2)
    expect(page.get_by_role("alert")).to_have_count(0)
