"""The console in a real browser: sign in, find an order, read its timeline, stock and KPIs,
and follow a parcel on the public tracking page."""

from __future__ import annotations

import httpx2 as httpx
from playwright.sync_api import Page, expect

from maillon.core.db import Database
from tests.conftest import _key
from tests.helpers import order_body, seed_basic


def test_sign_in_and_walk_through_an_order(page: Page, live_server: str, db: Database) -> None:
    seed_basic(db)
    key = _key(db, "operator")
    with httpx.Client(base_url=live_server, headers={"Authorization": f"Bearer {key}"}) as api:
        r = api.post("/api/v1/orders?allocate=true", json=order_body([("MUG-01", 2)]))
    assert r.status_code == 201, r.text
    number = r.json()["number"]

    page.goto(f"{live_server}/orders")
    expect(page).to_have_url(f"{live_server}/login?next=/orders")
    page.get_by_label("API key").fill("mk_not_a_key")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("unknown or revoked")).to_be_visible()
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("link", name=number)).to_be_visible()
    page.get_by_role("link", name=number).click()
    expect(page.get_by_text("allocated").first).to_be_visible()
    expect(page.get_by_role("cell", name="MUG-01", exact=True)).to_be_visible()

    page.goto(f"{live_server}/stock?sku=MUG-01")
    expect(page.get_by_text("MUG-01").first).to_be_visible()
    page.goto(f"{live_server}/kpi")
    expect(page.locator(".plotly, .js-plotly-plot").first).to_be_visible()
