"""Pick tasks on a handheld: next stop in route order, scan confirmation, wrong scans refused and
counted, short picks re-allocated or backordered with the ledger still equal to the balances."""

from __future__ import annotations

import itertools
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.identifiers import make_gtin13
from maillon.core.tables import OutboxMessage
from maillon.inventory import service as inventory
from maillon.inventory.tables import StockMovement
from maillon.orders import service as orders
from maillon.orders.service import allocation
from maillon.warehouse import routing
from maillon.warehouse.layout_spec import LayoutSpec
from maillon.warehouse.tables import PickList
from tests.helpers import PRODUCTS, order_draft
from tests.helpers.database import row_counts

LAYOUT = {
    "aisles": 6,
    "aisle_length": 20,
    "aisle_spacing": 3,
    "depot": {"aisle": 1, "offset": 1.5},
    "bay_length": 1.0,
    "levels": 3,
    "prefix": "A",
}
GTIN = {sku: make_gtin13("376000", i + 1) for i, (sku, *_rest) in enumerate(PRODUCTS)}
Auth = dict[str, dict[str, str]]


def receive(db: Database, spots: dict[str, tuple[str, int]], warehouse: str = "PAR1") -> None:
    with db.transaction() as s:
        for sku, (code, n) in spots.items():
            inventory.receive(
                session=s, warehouse_code=warehouse, location_code=code, sku=sku, quantity=n
            )


def picked_order(db: Database, lines: list[tuple[str, int]]) -> str:
    """Place and allocate an order, then issue its pick lists; return its number."""
    order, _ = orders.place_order(db, order_draft(lines), actor="t", allocate=True)
    with db.transaction() as s:
        from maillon.warehouse import service

        service.create_pick_lists(session=s, number=order.number, actor="t")
    return order.number


def next_task(client: TestClient, auth: Auth, picker: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"warehouse": "PAR1"}
    if picker:
        body["picker"] = picker
    r = client.post("/api/v1/picking/next", json=body, headers=auth["picker"])
    assert r.status_code == 200, r.text
    return r.json()


def scan(client: TestClient, auth: Auth, task: dict[str, Any], **over: Any) -> Any:
    body = {
        "location": task["location"],
        "barcode": GTIN[task["sku"]],
        "quantity": task["quantity"],
    }
    body.update(over)
    return client.post(
        f"/api/v1/picking/tasks/{task['line_id']}/scan", json=body, headers=auth["picker"]
    )


def ledger_ok(db: Database) -> bool:
    with db.reader() as s:
        return inventory.ledger_mismatches(session=s) == []


def test_next_task_follows_the_route_and_scans_complete_the_list(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    r = client.put("/api/v1/warehouses/PAR1/layout", json=LAYOUT, headers=auth["operator"])
    assert r.status_code == 200, r.text
    spots = {"MUG-01": ("A05-30-2", 50), "TSHIRT-M": ("A01-02-1", 50), "BOOK-07": ("A03-17-3", 50)}
    receive(seeded, spots)
    with seeded.transaction() as s:  # empty the seeded bin outside the racks
        for sku, n in (("MUG-01", 5), ("TSHIRT-M", 10), ("BOOK-07", 1)):
            inventory.adjust(
                session=s,
                warehouse_code="PAR1",
                location_code="A01-01",
                sku=sku,
                delta=-n,
                reason="moved to the racks",
            )
    number = picked_order(seeded, [("MUG-01", 6), ("TSHIRT-M", 11), ("BOOK-07", 2)])
    seen = []
    task = next_task(client, auth)["task"]
    assert task["order"] == number and task["position"] == 1 and task["remaining"] == 3
    assert task["gtin"] == GTIN[task["sku"]] and task["name"] == f"Product {task['sku']}"
    while task is not None:
        seen.append(task["location"])
        # a keyboard-wedge scanner may add a carriage return and scan the GTIN-14 form
        r = scan(client, auth, task, barcode="0" + GTIN[task["sku"]] + "\r")
        assert r.status_code == 200, r.text
        assert r.json()["line"]["status"] == "done"
        task = r.json()["next"]
        if task is not None:
            again = next_task(client, auth)["task"]
            assert again == task  # asking again gives the same stop
    assert r.json()["pick_list_status"] == "done"
    assert sorted(seen) == ["A01-02-1", "A03-17-3", "A05-30-2"]
    # the walk in task order is the shortest over every order of the stops
    spec = LayoutSpec.parse(LAYOUT)
    stops = tuple(spec.locate(code) for code in seen)
    assert all(s is not None for s in stops)
    problem = routing.PickingProblem(spec.layout(), stops)  # type: ignore[arg-type]
    walked = routing.route_length(problem, list(range(len(seen))))
    best = min(
        routing.route_length(problem, list(p)) for p in itertools.permutations(range(len(seen)))
    )
    assert walked <= best + 1e-6
    assert next_task(client, auth)["task"] is None
    with seeded.reader() as s:
        pick_list = s.scalars(select(PickList)).one()
        assert pick_list.status == "done" and pick_list.picker == "test picker"
        assert orders.get_order(session=s, number=number).status == "picking"
    assert ledger_ok(seeded)


def test_wrong_scans_are_refused_counted_and_change_nothing_else(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    picked_order(seeded, [("MUG-01", 2)])
    task = next_task(client, auth)["task"]
    before = row_counts(seeded)
    r = scan(client, auth, task, location="Z99-99")
    assert r.status_code == 409
    assert r.json()["error"]["field"] == "location"
    r = scan(client, auth, task, barcode=GTIN["BOOK-07"])
    assert r.status_code == 409
    assert r.json()["error"]["field"] == "barcode"
    after = row_counts(seeded)
    assert after.pop("pick_scans") == before.pop("pick_scans") + 2
    assert after == before
    with seeded.reader() as s:
        line = s.scalars(select(PickList)).one().lines[0]
        assert line.status == "open" and line.picked_quantity == 0
    # a scan for a stop held by another picker is refused too
    r = scan(client, auth, task, picker="someone else")
    assert r.status_code == 409
    r = client.get(
        "/api/v1/picking/metrics",
        params={"from": "2000-01-01", "to": "2000-01-02"},
        headers=auth["operator"],
    )
    assert r.status_code == 200 and r.json() == []
    ok = scan(client, auth, task)
    assert ok.status_code == 200 and ok.json()["pick_list_status"] == "done"


def test_short_pick_reallocates_from_another_location(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    receive(seeded, {"MUG-01": ("C07-01", 10)})
    number = picked_order(seeded, [("MUG-01", 3)])
    task = next_task(client, auth)["task"]
    first = task["location"]
    r = scan(client, auth, task, quantity=1)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["line"]["status"] == "short" and body["line"]["picked_quantity"] == 1
    exc = body["exception"]
    assert exc["reallocated"] == 2 and exc["backordered"] == 0
    assert exc["resolution"] == "reallocated" and exc["order"] == number
    follow = body["next"]
    assert follow is not None and follow["location"] != first and follow["quantity"] == 2
    r = scan(client, auth, follow)
    assert r.status_code == 200 and r.json()["pick_list_status"] == "done"
    with seeded.reader() as s:
        adjustments = s.scalars(
            select(StockMovement).where(StockMovement.kind == "adjustment")
        ).all()
        assert len(adjustments) == 1
        assert "count discrepancy" in adjustments[0].reason
        assert adjustments[0].delta_on_hand == -exc["written_off"] < 0
        reserved = sum(
            a.quantity
            for a in allocation.allocations_of(
                session=s, order=orders.get_order(session=s, number=number)
            )
            if a.status == "reserved"
        )
        assert reserved == 3
    assert ledger_ok(seeded)
    listed = client.get("/api/v1/picking/exceptions", headers=auth["operator"]).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == exc["id"]


def test_short_pick_backorders_what_no_location_holds(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    number = picked_order(seeded, [("MUG-01", 3)])
    task = next_task(client, auth)["task"]
    r = scan(client, auth, task, quantity=0)
    assert r.status_code == 200, r.text
    exc = r.json()["exception"]
    assert exc["backordered"] == 3 and exc["reallocated"] == 0
    assert exc["resolution"] == "backordered"
    assert r.json()["pick_list_status"] == "done" and r.json()["next"] is None
    with seeded.reader() as s:
        topics = set(s.scalars(select(OutboxMessage.topic)))
        assert {"pick.short", "order.short_picked"} <= topics
        assert all(
            a.status == "released"
            for a in allocation.allocations_of(
                session=s, order=orders.get_order(session=s, number=number)
            )
        )
        # the shelf is empty on the books too: MUG-01 had 5 units at A01-01
        rows, _ = inventory.list_balances(session=s, sku="MUG-01", warehouse="PAR1")
    assert ledger_ok(seeded)
    assert rows and all(b.on_hand == 0 for b in rows)


def test_two_pickers_never_get_the_same_list(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    first = picked_order(seeded, [("MUG-01", 1)])
    second = picked_order(seeded, [("TSHIRT-M", 1)])
    a = next_task(client, auth, picker="ana")["task"]
    b = next_task(client, auth, picker="ben")["task"]
    assert {a["order"], b["order"]} == {first, second}
    assert a["pick_list_id"] != b["pick_list_id"]
    assert next_task(client, auth, picker="ana")["task"]["pick_list_id"] == a["pick_list_id"]
    assert next_task(client, auth, picker="cleo")["task"] is None


def test_bad_pick_input_names_the_field_and_writes_nothing(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    picked_order(seeded, [("MUG-01", 2)])
    before = row_counts(seeded)
    cases = [
        ("/api/v1/picking/next", {"warehouse": ""}, 422, "warehouse"),
        ("/api/v1/picking/next", {"warehouse": "PAR1", "colour": 1}, 422, "colour"),
        ("/api/v1/picking/next", {"warehouse": "NOPE"}, 404, "warehouse"),
        ("/api/v1/picking/tasks/1/scan", {"location": "A", "barcode": "1"}, 422, "quantity"),
        (
            "/api/v1/picking/tasks/1/scan",
            {"location": "A01-01", "barcode": GTIN["MUG-01"], "quantity": -1},
            422,
            "quantity",
        ),
        (
            "/api/v1/picking/tasks/999/scan",
            {"location": "A", "barcode": "1", "quantity": 1},
            404,
            "line_id",
        ),
    ]
    for url, body, code, field in cases:
        r = client.post(url, json=body, headers=auth["picker"])
        assert r.status_code == code, (url, body, r.text)
        err = r.json()["error"]
        assert field in {err.get("field"), *(e["field"] for e in err.get("errors", []))}
    task = next_task(client, auth)["task"]
    before = row_counts(seeded)
    r = scan(client, auth, task, quantity=task["quantity"] + 1)
    assert r.status_code == 422 and r.json()["error"]["field"] == "quantity"
    r = client.get(
        "/api/v1/picking/metrics",
        params={"from": "2026-02-01", "to": "2026-01-01"},
        headers=auth["operator"],
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "to"
    r = client.get("/api/v1/picking/metrics", params={"from": "x"}, headers=auth["operator"])
    assert r.status_code == 422
    assert (
        client.post(
            "/api/v1/picking/next", json={"warehouse": "PAR1"}, headers=auth["agent"]
        ).status_code
        == 403
    )
    assert row_counts(seeded) == before
