"""The console in a real browser: sign in, find an order, read its timeline, stock and KPIs,
and follow a parcel on the public tracking page."""

from __future__ import annotations

import httpx2 as httpx
from playwright.sync_api import Browser, Page, expect

from maillon.core.db import Database
from maillon.core.users import create_user
from tests.helpers import order_body, seed_basic
from tests.helpers.database import api_key


def test_sign_in_and_walk_through_an_order(page: Page, live_server: str, db: Database) -> None:
    seed_basic(db)
    key = api_key(db, "operator")
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {key}"}) as api:
        r = api.post("/api/v1/orders?allocate=true", json=order_body([("MUG-01", 2)]))
    assert r.status_code == 201, r.text
    number = r.json()["number"]

    with db.transaction() as s:
        create_user(session=s, username="lea", password="correct horse 42", role="operator")

    page.goto(f"{live_server}/orders")
    expect(page).to_have_url(f"{live_server}/login?next=/orders")
    page.get_by_label("Username").fill("lea")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").first.click()
    expect(page.get_by_role("alert")).to_have_text("wrong username or password")
    page.get_by_label("Password").fill("correct horse 42")
    page.get_by_role("button", name="Sign in").first.click()

    expect(page.get_by_role("link", name=number)).to_be_visible()
    page.get_by_role("link", name=number).click()
    expect(page.get_by_text("allocated").first).to_be_visible()
    expect(page.get_by_role("cell", name="MUG-01", exact=True)).to_be_visible()

    page.goto(f"{live_server}/stock?sku=MUG-01")
    expect(page.get_by_text("MUG-01").first).to_be_visible()
    page.goto(f"{live_server}/kpi")
    expect(page.locator(".plotly, .js-plotly-plot").first).to_be_visible()


def test_french_browser_gets_french_and_can_switch(
    browser: Browser, live_server: str, db: Database
) -> None:
    with db.transaction() as s:
        create_user(session=s, username="hugo", password="mot de passe 2026", role="agent")
    context = browser.new_context(
        locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"}
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server}/login")
        expect(page.get_by_role("heading", name="Se connecter")).to_be_visible()
        page.get_by_label("Identifiant").fill("hugo")
        page.get_by_label("Mot de passe").fill("mot de passe 2026")
        page.get_by_role("button", name="Se connecter").first.click()
        nav = page.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Commandes")).to_be_visible()
        expect(nav.get_by_role("link", name="Stock")).to_have_count(0)  # not for agents
        page.get_by_label("Langue").select_option("en")
        expect(nav.get_by_role("link", name="Orders")).to_be_visible()
        page.goto(f"{live_server}/stock")
        expect(
            page.get_by_role("heading", name="Your role may not open this page.")
        ).to_be_visible()
    finally:
        context.close()


def test_warehouse_route_is_drawn_and_slotting_loads(
    page: Page, live_server: str, db: Database
) -> None:
    from maillon.analytics.service import refresh_order_facts
    from maillon.orders import service as orders
    from maillon.warehouse import service as warehouse
    from tests.helpers import order_draft

    seed_basic(db)
    with db.transaction() as s:
        create_user(session=s, username="max", password="warehouse pass 1", role="operator")
        for code in ("PAR1", "LYS1"):
            warehouse.set_layout(
                session=s,
                warehouse_code=code,
                data={"aisles": 4, "aisle_length": 20, "aisle_spacing": 3},
                actor="t",
            )
    order, _ = orders.place_order(
        db, order_draft([("MUG-01", 1), ("BOOK-07", 1)]), actor="t", allocate=True
    )
    with db.transaction() as s:
        (first, *_) = warehouse.create_pick_lists(session=s, number=order.number, actor="t")
        code = "PAR1" if first.warehouse_id == 1 else "LYS1"
    page.goto(f"{live_server}/login?next=/warehouse?code={code}")
    page.get_by_label("Username").fill("max")
    page.get_by_label("Password").fill("warehouse pass 1")
    page.get_by_role("button", name="Sign in").first.click()
    expect(page.get_by_role("heading", name=f"Warehouse {code}")).to_be_visible()
    # depot, route and stops are drawn by Plotly as three scatter traces
    expect(page.locator("#layout-chart .scatterlayer .trace")).to_have_count(3)
    expect(page.locator("#slotting table")).to_be_visible()
    page.get_by_role("link", name="Dashboard").click()
    page.get_by_role("button", name="Refresh now").click()  # a POST that queues the job
    expect(page.get_by_text("Refresh requested")).to_be_visible()
    expect(page).to_have_url(f"{live_server}/dashboard?refresh=requested")
    with db.transaction() as s:  # the worker's analytics.refresh job: the page only reads
        refresh_order_facts(session=s)
    page.reload()
    expect(page.get_by_text("Figures as of")).to_be_visible()
    expect(page.locator('[data-kpi="orders"] .v')).to_have_text("1")
