"""Warehouse layouts: defined by API, then pick lists walk the shortest route; slotting
proposals and putaway suggestions read the layout, the stock and the pick history."""

from __future__ import annotations

import itertools

from fastapi.testclient import TestClient

from maillon.core.db import Database
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.warehouse import routing
from maillon.warehouse.layout_spec import LayoutSpec
from tests.helpers import order_draft
from tests.helpers.database import row_counts

LAYOUT = {
    "aisles": 6,
    "aisle_length": 20,
    "aisle_spacing": 3,
    "depot": {"aisle": 1, "offset": 1.5},
    "bay_length": 1.0,
    "levels": 3,
    "golden_levels": [2],
    "prefix": "A",
    "slot_volume_l": 50,
    "zones": [{"name": "cold", "aisles": [6]}],
}


def put_layout(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    r = client.put("/api/v1/warehouses/PAR1/layout", json=LAYOUT, headers=auth["operator"])
    assert r.status_code == 200, r.text


def test_layout_is_validated_and_read_back(
    client: TestClient, seeded: Database, auth: dict[str, dict[str, str]]
) -> None:
    before = row_counts(seeded)
    bad = {**LAYOUT, "aisles": 0, "zones": [{"name": "cold", "aisles": [9]}], "colour": "red"}
    r = client.put("/api/v1/warehouses/PAR1/layout", json=bad, headers=auth["operator"])
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["error"]["errors"]}
    assert {"aisles", "colour"} <= fields
    assert row_counts(seeded) == before
    assert client.get("/api/v1/warehouses/PAR1/layout", headers=auth["picker"]).status_code == 404
    missing = client.put("/api/v1/warehouses/NOPE/layout", json=LAYOUT, headers=auth["operator"])
    assert missing.status_code == 404
    assert (
        client.put("/api/v1/warehouses/PAR1/layout", json=LAYOUT, headers=auth["picker"])
    ).status_code == 403
    put_layout(client, auth)
    r = client.get("/api/v1/warehouses/PAR1/layout", headers=auth["picker"])
    assert r.status_code == 200
    body = r.json()
    assert body["locations"] == 6 * 40 * 3 and body["layout"]["aisles"] == 6
    assert LayoutSpec.parse(body["layout"]) == LayoutSpec.parse(LAYOUT)


def test_pick_list_follows_the_shortest_route(
    client: TestClient, seeded: Database, auth: dict[str, dict[str, str]]
) -> None:
    put_layout(client, auth)
    spots = {"MUG-01": "A05-30-2", "TSHIRT-M": "A01-02-1", "BOOK-07": "A03-17-3"}
    with seeded.transaction() as s:
        for sku, code in spots.items():
            inventory.receive(
                session=s, warehouse_code="PAR1", location_code=code, sku=sku, quantity=50
            )
    order, _ = orders.place_order(
        seeded,
        order_draft([("MUG-01", 6), ("TSHIRT-M", 11), ("BOOK-07", 2)]),
        actor="t",
        allocate=True,
    )
    r = client.post(f"/api/v1/orders/{order.number}/pick-lists", headers=auth["operator"])
    assert r.status_code == 201, r.text
    par = [p for p in r.json() if p["route_m"] is not None]
    assert par, r.json()
    pick_list = par[0]
    spec = LayoutSpec.parse(LAYOUT)
    codes = [line["location"] for line in pick_list["lines"]]
    picks = tuple(loc for c in codes if (loc := spec.locate(c)) is not None)
    problem = routing.PickingProblem(spec.layout(), picks)
    best = min(
        routing.route_length(problem, perm) for perm in itertools.permutations(range(len(picks)))
    )
    walked = routing.route_length(problem, range(len(picks)))
    assert abs(walked - best) < 1e-6  # the lines are in a shortest visiting order
    assert pick_list["route_m"] >= best - 1e-6


def test_slotting_brings_the_fast_mover_closer(
    client: TestClient, seeded: Database, auth: dict[str, dict[str, str]]
) -> None:
    put_layout(client, auth)
    with seeded.transaction() as s:
        inventory.receive(
            session=s, warehouse_code="PAR1", location_code="A05-40-2", sku="LAMP-02", quantity=200
        )
        inventory.receive(
            session=s, warehouse_code="PAR1", location_code="A01-01-2", sku="BOOK-07", quantity=5
        )
    for i in range(12):  # LAMP-02 is picked in every order, from the far corner
        orders.place_order(
            seeded,
            order_draft([("LAMP-02", 1)], email=f"c{i}@example.fr"),
            actor="t",
            allocate=True,
        )
    r = client.get("/api/v1/warehouses/PAR1/slotting?method=coi", headers=auth["operator"])
    assert r.status_code == 200, r.text
    body = r.json()
    lamp = [m for m in body["moves"] if m["sku"] == "LAMP-02"]
    assert lamp and lamp[0]["source"] == "A05-40-2" and lamp[0]["saving_m"] > 0
    spec = LayoutSpec.parse(LAYOUT)
    layout = spec.layout()
    target, source = spec.locate(lamp[0]["target"]), spec.locate("A05-40-2")
    assert target is not None and source is not None
    assert layout.distance(layout.depot, target) < layout.distance(layout.depot, source)
    assert body["expected_saving_m"] > 0
    assert body["metres_per_order_after"] < body["metres_per_order_before"]
    bad = client.get("/api/v1/warehouses/PAR1/slotting?method=magic", headers=auth["operator"])
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "method"
    assert client.get("/api/v1/warehouses/PAR1/slotting", headers=auth["picker"]).status_code == 403


def test_putaway_consolidates_and_rejects_bad_input(
    client: TestClient, seeded: Database, auth: dict[str, dict[str, str]]
) -> None:
    no_layout = client.post(
        "/api/v1/warehouses/PAR1/putaway",
        json={"sku": "MUG-01", "quantity": 3},
        headers=auth["picker"],
    )
    assert no_layout.status_code == 404
    put_layout(client, auth)
    with seeded.transaction() as s:
        inventory.receive(
            session=s, warehouse_code="PAR1", location_code="A02-07-2", sku="MUG-01", quantity=4
        )
    r = client.post(
        "/api/v1/warehouses/PAR1/putaway",
        json={"sku": "MUG-01", "quantity": 3},
        headers=auth["picker"],
    )
    assert r.status_code == 200, r.text
    first = r.json()["suggestions"][0]
    assert first["location"] == "A02-07-2" and first["reason"] == "consolidate"
    assert sum(s["quantity"] for s in r.json()["suggestions"]) + r.json()["unplaced"] == 3
    for body, field in (
        ({"sku": "MUG-01", "quantity": 0}, "quantity"),
        ({"sku": "NOPE", "quantity": 1}, "sku"),
        ({"sku": "MUG-01", "quantity": 1, "bin": "x"}, "bin"),
    ):
        r = client.post("/api/v1/warehouses/PAR1/putaway", json=body, headers=auth["picker"])
        assert r.status_code in (404, 422) and field in r.text, (body, r.text)
