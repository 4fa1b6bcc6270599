"""Console pages for operations: dashboard and warehouse (server side)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient

from maillon.analytics import service as analytics
from maillon.core import clock
from maillon.core.db import Database
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.warehouse import service as warehouse
from maillon.web.analytics import as_of
from tests.helpers import order_draft
from tests.helpers.console import sign_in
from tests.helpers.jobs import run_queued

LAYOUT = {"aisles": 4, "aisle_length": 20, "aisle_spacing": 3, "levels": 2, "prefix": "A"}


def test_dashboard_shows_kpis_and_alerts(client: TestClient, seeded: Database) -> None:
    orders.place_order(seeded, order_draft([("LAMP-02", 40)]), actor="t", allocate=True)
    orders.place_order(seeded, order_draft([("MUG-01", 1)]), actor="t", allocate=True)
    csrf = sign_in(client, seeded)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "have not been computed yet" in page.text  # the facts were never refreshed
    assert "orders waiting for stock" in page.text  # live: the LAMP-02 order is backordered
    asked = client.post(
        "/kpi/refresh", data={"csrf": csrf, "back": "/dashboard"}, follow_redirects=False
    )
    assert asked.status_code == 303 and asked.headers["location"] == "/dashboard?refresh=requested"
    assert "Refresh requested" in client.get(asked.headers["location"]).text
    assert len(run_queued(seeded, "analytics.refresh")) == 1
    page = client.get("/dashboard")
    assert "have not been computed yet" not in page.text and "Figures as of" in page.text
    assert 'data-kpi="orders"' in page.text and 'data-kpi="otif_pct"' in page.text
    orders_card = re.search(r'data-kpi="orders">\s*<div class="v">([^<]*)<', page.text)
    assert orders_card and orders_card.group(1) == "2"
    assert "orders waiting for stock" in page.text
    assert "orders-chart" in page.text


def test_refresh_form_needs_the_csrf_token(client: TestClient, seeded: Database) -> None:
    sign_in(client, seeded)
    refused = client.post("/kpi/refresh", data={"back": "/dashboard"}, follow_redirects=False)
    assert refused.status_code == 403
    assert run_queued(seeded, "analytics.refresh") == []


def test_refresh_goes_back_only_to_the_kpi_pages(client: TestClient, seeded: Database) -> None:
    csrf = sign_in(client, seeded, role="agent")
    for back, location in (
        ("/kpi?days=7&by=warehouse", "/kpi?days=7&by=warehouse&refresh=requested"),
        ("/kpi?refresh=requested", "/kpi?refresh=requested"),
        ("https://evil.example/dashboard", "/kpi?refresh=requested"),
        ("//evil.example/dashboard?days=7", "/kpi?refresh=requested"),
        ("/orders?status=open", "/kpi?refresh=requested"),
    ):
        r = client.post("/kpi/refresh", data={"csrf": csrf, "back": back}, follow_redirects=False)
        assert (r.status_code, r.headers["location"]) == (303, location)
    assert len(run_queued(seeded, "analytics.refresh")) == 1  # asked five times, one job


def test_warehouse_page_draws_the_pick_route(client: TestClient, seeded: Database) -> None:
    sign_in(client, seeded)
    assert "No layout yet" in client.get("/warehouse").text
    with seeded.transaction() as s:
        warehouse.set_layout(session=s, warehouse_code="PAR1", data=LAYOUT, actor="t")
        inventory.receive(
            session=s, warehouse_code="PAR1", location_code="A04-15-2", sku="TSHIRT-M", quantity=5
        )
    order, _ = orders.place_order(
        seeded, order_draft([("MUG-01", 1), ("TSHIRT-M", 1)]), actor="t", allocate=True
    )
    with seeded.transaction() as s:
        lists = warehouse.create_pick_lists(session=s, number=order.number, actor="t")
        par = next(p for p in lists if p.route_m)
    page = client.get("/warehouse", params={"code": "PAR1", "pick_list": par.id})
    assert page.status_code == 200
    assert f"#{par.id}" in page.text and "layout-chart" in page.text
    assert '"route"' in page.text or 'name: "route"' in page.text
    assert all(line.location_code in page.text for line in par.lines)  # the stops' hover text
    fragment = client.get("/warehouse/slotting", params={"code": "PAR1"})
    assert fragment.status_code == 200 and "<table>" in fragment.text


def test_pickers_see_the_warehouse_not_the_dashboard(client: TestClient, seeded: Database) -> None:
    sign_in(client, seeded, role="picker")
    assert client.get("/dashboard").status_code == 403
    assert client.get("/warehouse").status_code == 200
    assert client.get("/warehouse/slotting", params={"code": "PAR1"}).status_code == 403


def test_kpi_page_splits_and_exports(client: TestClient, seeded: Database) -> None:
    orders.place_order(seeded, order_draft([("MUG-01", 1)]), actor="t", allocate=True)
    sign_in(client, seeded, role="agent")
    with seeded.transaction() as s:  # what the worker's analytics.refresh job does
        analytics.refresh_order_facts(session=s)
    page = client.get("/kpi", params={"days": 7, "by": "warehouse"})
    assert page.status_code == 200 and "LYS1" in page.text and "OTIF" in page.text
    assert "Figures as of" in page.text
    assert 'name="back" value="/kpi?days=7&amp;by=warehouse"' in page.text
    csv = client.get("/kpi.csv", params={"by": "channel"})
    assert csv.text.startswith("channel,orders,") and "\nwebshop,1," in csv.text
    assert csv.headers["x-refreshed-at"] != "never"
    assert client.get("/kpi", params={"by": "moon"}).status_code == 403
    assert client.get("/kpi", params={"days": 0}).status_code == 422


def test_planning_page_orders_sends_and_receives(client: TestClient, seeded: Database) -> None:
    from sqlalchemy import select

    from maillon.core.tables import ConsoleSession
    from maillon.planning import service as planning

    with seeded.transaction() as s:
        planning.create_supplier(session=s, code="ACME", name="Acme", lead_time_days=2)
        planning.set_supplier_item(
            session=s, supplier_code="ACME", sku="MUG-01", unit_price_cents=300, pack_size=5
        )
    for i in range(9):  # more mugs than there are: some wait
        orders.place_order(
            seeded, order_draft([("MUG-01", 1)], email=f"p{i}@example.fr"), actor="t", allocate=True
        )
    sign_in(client, seeded)
    with seeded.reader() as s:
        csrf = s.scalars(select(ConsoleSession.csrf_token)).one()
    page = client.get("/planning", params={"warehouse": "PAR1"})
    assert page.status_code == 200 and "MUG-01" in page.text and "demand-chart" in page.text
    assert client.post("/planning/order", data={"warehouse": "PAR1"}).status_code == 403
    r = client.post(
        "/planning/order", data={"warehouse": "PAR1", "csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    with seeded.reader() as s:
        (po,) = planning.list_purchase_orders(session=s)
        number = po.number
    assert po.status == "draft" and po.lines[0].quantity % 5 == 0
    client.post(f"/planning/po/{number}/send", data={"csrf": csrf})
    client.post(f"/planning/po/{number}/receive", data={"csrf": csrf, "location": "A01-01"})
    with seeded.reader() as s:
        assert planning.get_purchase_order(session=s, number=number).status == "received"


def test_order_cancel_and_stock_ledger(client: TestClient, seeded: Database) -> None:
    from sqlalchemy import select

    from maillon.core.tables import ConsoleSession

    order, _ = orders.place_order(seeded, order_draft([("MUG-01", 2)]), actor="t", allocate=True)
    sign_in(client, seeded)
    with seeded.reader() as s:
        csrf = s.scalars(select(ConsoleSession.csrf_token)).one()
    page = client.get(f"/orders/{order.number}")
    assert "Cancel the order" in page.text
    forged = client.post(f"/orders/{order.number}/cancel", data={"reason": "x", "csrf": "no"})
    assert forged.status_code == 403
    client.post(f"/orders/{order.number}/cancel", data={"reason": "customer asked", "csrf": csrf})
    page = client.get(f"/orders/{order.number}")
    assert "customer asked" in page.text and "Cancel the order" not in page.text
    stock = client.get("/stock", params={"sku": "MUG-01"})
    assert stock.status_code == 200
    assert "reserve" in stock.text and "release" in stock.text and order.number in stock.text


def test_every_page_title_is_short(client: TestClient, seeded: Database) -> None:
    import re

    sign_in(client, seeded)
    for path in ("/dashboard", "/orders", "/stock", "/warehouse", "/planning", "/kpi"):
        page = client.get(path)
        assert page.status_code == 200, path
        title = re.search(r"<title>(.*?)</title>", page.text, re.S)
        assert title and len(title.group(1)) < 60 and "<" not in title.group(1), path


def test_release_a_wave_and_see_its_tour_drawn(client: TestClient, seeded: Database) -> None:
    import re

    with seeded.transaction() as s:
        warehouse.set_layout(session=s, warehouse_code="PAR1", data=LAYOUT, actor="t")
    numbers = [
        orders.place_order(seeded, order_draft(lines), actor="t", allocate=True)[0].number
        for lines in ([("MUG-01", 1)], [("TSHIRT-M", 2)], [("MUG-01", 1), ("TSHIRT-M", 1)])
    ]
    sign_in(client, seeded)
    page = client.get("/warehouse", params={"code": "PAR1"})
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    bad = client.post(
        "/warehouse/waves",
        data={"csrf": csrf.group(1), "code": "PAR1", "max_orders": "0", "cart_units": "40"},
    )
    assert bad.status_code == 200 and 'role="alert"' in bad.text
    r = client.post(
        "/warehouse/waves",
        data={"csrf": csrf.group(1), "code": "PAR1", "max_orders": "10", "cart_units": "40"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "tour=" in r.headers["location"]
    drawn = client.get(r.headers["location"])
    assert drawn.status_code == 200 and "Wave tour #" in drawn.text
    assert '"route"' in drawn.text or 'name: "route"' in drawn.text
    with seeded.reader() as s:
        for number in numbers:
            order = orders.get_order(session=s, number=number)
            assert order.status == "picking"  # released in the wave
    again = client.post(
        "/warehouse/waves",
        data={"csrf": csrf.group(1), "code": "PAR1", "max_orders": "10", "cart_units": "40"},
    )
    assert "no allocated order waits" in again.text  # nothing left to release


def test_a_refused_planning_action_names_the_whole_error_after_the_redirect(
    client: TestClient, seeded: Database
) -> None:
    csrf = sign_in(client, seeded)
    r = client.post(
        "/planning/order", data={"warehouse": "A&B #1", "csrf": csrf}, follow_redirects=False
    )
    assert r.status_code == 303
    query = parse_qs(urlsplit(r.headers["location"]).query)
    # the warehouse and the message arrive whole, '&' and '#' included
    assert query["warehouse"] == ["A&B #1"]
    assert "A&B #1" in query["error"][0]
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "A&amp;B #1" in page.text


def test_kpi_freshness_speaks_french(client: TestClient, seeded: Database) -> None:
    sign_in(client, seeded)
    fr = {"Accept-Language": "fr-FR,fr;q=0.9"}
    never = client.get("/dashboard", headers=fr).text
    assert "pas encore été calculés" in never and ">Actualiser</button>" in never
    with clock.frozen_at(datetime(2026, 3, 2, 9, 41, tzinfo=UTC)), seeded.transaction() as s:
        analytics.refresh_order_facts(session=s)
    page = client.get("/kpi", params={"refresh": "requested"}, headers=fr).text
    assert "Chiffres à 2026-03-02 09:41" in page and "Actualisation demandée" in page
    assert "Figures as of 2026-03-02 09:41" in client.get("/kpi").text


def test_the_refresh_time_shows_its_day_unless_today() -> None:
    now = datetime(2026, 3, 2, 23, 59, tzinfo=UTC)
    assert as_of(datetime(2026, 3, 2, 0, 1, tzinfo=UTC), now) == "00:01"
    assert as_of(datetime(2026, 3, 1, 23, 58, tzinfo=UTC), now) == "2026-03-01 23:58"
    assert as_of(None, now) is None
