"""Waves: allocated orders released as picker tours batched to the cart, each tour walked in
one route; a picker receives a whole tour. Also the ``maillon warehouse`` commands."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.core.identifiers import make_gtin13
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.warehouse.service import wave_jobs
from tests.helpers import PRODUCTS, order_draft
from tests.helpers.database import row_counts
from tests.helpers.jobs import run_queued

Auth = dict[str, dict[str, str]]
GTIN = {sku: make_gtin13("376000", i + 1) for i, (sku, *_rest) in enumerate(PRODUCTS)}
LAYOUT = {"aisles": 6, "aisle_length": 20, "aisle_spacing": 3, "levels": 3, "prefix": "A"}
runner = CliRunner()


def stock_and_orders(db: Database, n: int) -> list[str]:
    with db.transaction() as s:
        for sku, code in (
            ("MUG-01", "A05-30-2"),
            ("TSHIRT-M", "A01-02-1"),
            ("BOOK-07", "A03-17-3"),
        ):
            inventory.receive(
                session=s, warehouse_code="PAR1", location_code=code, sku=sku, quantity=40
            )
            # the seeded bin outside the racks is emptied so every stop is in the layout
            level = inventory.list_balances(session=s, sku=sku, warehouse="PAR1")[0]
            for b in level:
                if b.location == "A01-01" and b.on_hand:
                    inventory.adjust(
                        session=s,
                        warehouse_code="PAR1",
                        location_code="A01-01",
                        sku=sku,
                        delta=-b.on_hand,
                        reason="moved to the racks",
                    )
    skus = ["MUG-01", "TSHIRT-M", "BOOK-07"]
    numbers = []
    for i in range(n):
        order, _ = orders.place_order(
            db, order_draft([(skus[i % 3], 1), (skus[(i + 1) % 3], 1)]), actor="t", allocate=True
        )
        numbers.append(order.number)
    return numbers


def test_wave_releases_tours_and_a_picker_gets_a_whole_tour(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    client.put("/api/v1/warehouses/PAR1/layout", json=LAYOUT, headers=auth["operator"])
    numbers = stock_and_orders(seeded, 5)
    r = client.post(
        "/api/v1/waves",
        json={"warehouse": "PAR1", "max_orders": 4, "cart_units": 4},
        headers=auth["operator"],
    )
    assert r.status_code == 201, r.text
    wave = r.json()
    assert wave["orders"] == 4 and wave["method"] == "savings"
    in_tours = [o for t in wave["tours"] for o in t["orders"]]
    assert sorted(in_tours) == sorted(numbers[:4])  # earliest first, each order once
    assert all(t["units"] <= 4 for t in wave["tours"]) and len(wave["tours"]) == 2
    assert wave["route_m"] == round(sum(t["route_m"] for t in wave["tours"]), 2)
    assert client.get(f"/api/v1/waves/{wave['id']}", headers=auth["picker"]).json() == wave
    assert client.get("/api/v1/waves", headers=auth["picker"]).json()["total"] == 1
    # a picker receives every stop of one tour, across its orders, then the tour is done
    r = client.post("/api/v1/picking/next", json={"warehouse": "PAR1"}, headers=auth["picker"])
    task = r.json()["task"]
    tour = next(t for t in wave["tours"] if t["id"] == task["tour_id"])
    assert task["stops"] == tour["stops"] and task["route_m"] == tour["route_m"]
    orders_seen = set()
    while task is not None:
        orders_seen.add(task["order"])
        r = client.post(
            f"/api/v1/picking/tasks/{task['line_id']}/scan",
            json={"location": task["location"], "barcode": GTIN[task["sku"]], "quantity": 1},
            headers=auth["picker"],
        )
        assert r.status_code == 200, r.text
        task = r.json()["next"]
    assert orders_seen == set(tour["orders"])
    after = client.get(f"/api/v1/waves/{wave['id']}", headers=auth["picker"]).json()
    done = next(t for t in after["tours"] if t["id"] == tour["id"])
    assert done["status"] == "done" and done["picker"] == "test picker"


def test_bad_wave_input_names_the_field_and_writes_nothing(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    before = row_counts(seeded)
    cases = [
        ({"warehouse": "PAR1", "method": "magic"}, 422, "method"),
        ({"warehouse": "PAR1", "cart_units": 0}, 422, "cart_units"),
        ({"warehouse": "PAR1", "max_orders": 501}, 422, "max_orders"),
        ({"warehouse": "PAR1", "cutoff": "yesterday"}, 422, "cutoff"),
        ({"warehouse": "NOPE"}, 404, "warehouse"),
        ({"warehouse": "PAR1"}, 409, None),  # no allocated order waits
    ]
    for body, code, field in cases:
        r = client.post("/api/v1/waves", json=body, headers=auth["operator"])
        assert r.status_code == code, (body, r.text)
        err = r.json()["error"]
        if field:
            assert field in {err.get("field"), *(e["field"] for e in err.get("errors", []))}
    assert client.get("/api/v1/waves/7", headers=auth["picker"]).status_code == 404
    assert (
        client.post("/api/v1/waves", json={"warehouse": "PAR1"}, headers=auth["picker"]).status_code
        == 403
    )
    assert row_counts(seeded) == before


def test_warehouse_commands(db_url: str, seeded: Database) -> None:
    numbers = stock_and_orders(seeded, 3)
    r = runner.invoke(app, ["warehouse", "cartons", "--db", db_url])
    assert r.exit_code == 0 and "cartons-seed" in r.output
    r = runner.invoke(app, ["warehouse", "cartons-seed", "--db", db_url])
    assert r.exit_code == 0 and "6 carton(s) added" in r.output
    r = runner.invoke(app, ["warehouse", "cartons", "--db", db_url])
    assert r.exit_code == 0 and "BOX-XXL" in r.output
    r = runner.invoke(app, ["warehouse", "pack-plan", numbers[0], "--db", db_url])
    assert r.exit_code == 0 and "parcel 1" in r.output and "Put Product" in r.output
    r = runner.invoke(app, ["warehouse", "pack-plan", "M9999", "--db", db_url])
    assert r.exit_code == 1 and "not found" in r.output
    r = runner.invoke(app, ["warehouse", "wave", "PAR1", "--method", "magic", "--db", db_url])
    assert r.exit_code == 1 and "method" in r.output
    r = runner.invoke(app, ["warehouse", "wave", "PAR1", "--cutoff", "soon", "--db", db_url])
    assert r.exit_code == 1 and "cutoff" in r.output
    r = runner.invoke(app, ["warehouse", "wave", "PAR1", "--cart-units", "2", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "3 order(s) in 3 tour(s)" in r.output
    r = runner.invoke(app, ["warehouse", "wave-show", "1", "--db", db_url])
    assert r.exit_code == 0 and numbers[0] in r.output
    r = runner.invoke(app, ["warehouse", "wave-show", "9", "--db", db_url])
    assert r.exit_code == 1
    r = runner.invoke(app, ["warehouse", "picker-metrics", "--from", "2020-13-01", "--db", db_url])
    assert r.exit_code == 1 and "from" in r.output
    r = runner.invoke(app, ["warehouse", "picker-metrics", "--from", "2020-01-01", "--db", db_url])
    assert r.exit_code == 0 and "no picking recorded" in r.output


def test_density_selection_takes_the_orders_with_most_units_per_aisle(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    client.put("/api/v1/warehouses/PAR1/layout", json=LAYOUT, headers=auth["operator"])
    with seeded.transaction() as s:
        for sku, code in (
            ("MUG-01", "A05-30-2"),
            ("TSHIRT-M", "A05-31-2"),
            ("BOOK-07", "A03-17-3"),
        ):
            inventory.receive(
                session=s, warehouse_code="PAR1", location_code=code, sku=sku, quantity=40
            )
            for b in inventory.list_balances(session=s, sku=sku, warehouse="PAR1")[0]:
                if b.location == "A01-01" and b.on_hand:  # the seeded bin, outside the racks
                    inventory.adjust(
                        session=s,
                        warehouse_code="PAR1",
                        location_code="A01-01",
                        sku=sku,
                        delta=-b.on_hand,
                        reason="moved to the racks",
                    )
    placed = [
        orders.place_order(seeded, order_draft(lines), actor="t", allocate=True)[0].number
        for lines in (
            [("BOOK-07", 1)],  # aisle 3
            [("MUG-01", 1), ("TSHIRT-M", 1)],  # aisle 5
            [("MUG-01", 2)],  # aisle 5
        )
    ]
    book, pair, mugs = placed
    too_big = client.post(
        "/api/v1/waves",
        json={"warehouse": "PAR1", "selection": "density", "min_units": 50, "max_units": 60},
        headers=auth["operator"],
    )
    # 4 units wait: the solver is not even asked, the request is refused at once
    assert too_big.status_code == 409 and "no wave of 50 to 60 units" in too_big.text
    bad = client.post(
        "/api/v1/waves",
        json={"warehouse": "PAR1", "selection": "closest"},
        headers=auth["operator"],
    )
    assert bad.status_code == 422 and "selection" in bad.text
    assert not row_counts(seeded)["jobs"]  # nothing queued
    r = client.post(
        "/api/v1/waves",
        json={"warehouse": "PAR1", "selection": "density", "min_units": 1, "max_units": 10},
        headers=auth["operator"],
    )
    # a density wave asks the solver (seconds on a real backlog): the worker tier releases it
    assert r.status_code == 202, r.text
    assert r.json()["url"] == f"/api/v1/jobs/{r.json()['job_id']}"
    assert run_queued(seeded, wave_jobs.WAVE_JOB) == [r.json()["job_id"]]
    job = client.get(r.json()["url"], headers=auth["operator"]).json()
    assert job["status"] == "succeeded", job
    r = client.get(f"/api/v1/waves/{job['result']['wave']}", headers=auth["operator"])
    assert r.status_code == 200, r.text
    chosen = {o for t in r.json()["tours"] for o in t["orders"]}
    # 4 units in one aisle (ratio 4) beat all 5 units in two aisles (2.5): the book waits,
    # though "promise" would have taken it first
    assert chosen == {pair, mugs}
    waiting = client.get("/api/v1/orders?status=allocated", headers=auth["operator"]).json()
    assert [o["number"] for o in waiting["items"]] == [book]
