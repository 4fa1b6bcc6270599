"""Console pages of the warehouse floor (server side): picking by scan, the packing station and
returns (queue, inspection, disposition), with their role rules and French."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.identifiers import make_gtin13
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.returns import service as returns
from maillon.shipping import service as shipping
from maillon.shipping.service import follow_up
from maillon.warehouse import service as warehouse
from maillon.warehouse.service import tasks
from maillon.warehouse.tables import PickList, PickListLine
from tests.helpers import PRODUCTS, order_draft, pack
from tests.helpers.console import sign_in
from tests.helpers.database import row_counts

GTIN = {sku: make_gtin13("376000", i + 1) for i, (sku, *_rest) in enumerate(PRODUCTS)}
HTMX = {"HX-Request": "true"}


def pick_listed(db: Database, lines: list[tuple[str, int]]) -> str:
    """Place and allocate an order, then issue its pick lists; return its number."""
    order, _ = orders.place_order(db, order_draft(lines), actor="t", allocate=True)
    with db.transaction() as s:
        warehouse.create_pick_lists(session=s, number=order.number, actor="t")
    return order.number


def held_task(db: Database, picker: str) -> tasks.PickTask:
    with db.reader() as s:
        task = tasks.next_task(session=s, warehouse_code="PAR1", picker=picker, claim=False)
    assert task is not None
    return task


def test_picking_takes_work_refuses_wrong_scans_and_finishes_the_list(
    client: TestClient, seeded: Database
) -> None:
    number = pick_listed(seeded, [("MUG-01", 2)])
    csrf = sign_in(client, seeded, role="picker")
    page = client.get("/picking", params={"warehouse": "PAR1"})
    assert page.status_code == 200
    assert "Next task" in page.text and "Open exceptions" not in page.text  # operators only
    assert client.cookies.get("maillon_pick_warehouse") == "PAR1"
    form = {"csrf": csrf, "warehouse": "PAR1"}

    # given a picker asking for work, when they take the next task, the stop is shown
    r = client.post("/picking/next", data=form, headers=HTMX)
    assert r.status_code == 200
    task = held_task(seeded, "u-picker")
    assert task.order == number and task.sku == "MUG-01" and task.quantity == 2
    assert task.location in r.text and "MUG-01" in r.text and "Product MUG-01" in r.text
    assert 'data-stop="1"' in r.text and 'id="scan-location"' in r.text
    assert re.search(r'id="scan-location"[^>]*autofocus', r.text)

    # a location scan alone (the scanner's Enter) is kept and the barcode comes next
    scan = {**form, "line_id": str(task.line_id), "quantity": "2"}
    r = client.post("/picking/scan", data={**scan, "location": task.location.lower()}, headers=HTMX)
    assert r.status_code == 200 and 'role="alert"' not in r.text
    assert re.search(r'id="scan-barcode"[^>]*autofocus', r.text)

    # a wrong location, then a wrong barcode, are refused, named, and change nothing else
    before = row_counts(seeded)
    r = client.post("/picking/scan", data={**scan, "location": "Z99-99"}, headers=HTMX)
    assert 'role="alert"' in r.text and "location" in r.text and task.location in r.text
    r = client.post(
        "/picking/scan",
        data={**scan, "location": task.location, "barcode": GTIN["BOOK-07"]},
    )
    assert r.status_code == 409 and 'role="alert"' in r.text and "barcode" in r.text
    assert GTIN["BOOK-07"] in r.text and f'data-stop="{task.position}"' in r.text  # card kept
    after = row_counts(seeded)
    assert after.pop("pick_scans") == before.pop("pick_scans") + 2
    assert after == before
    with seeded.reader() as s:
        line = s.get(PickListLine, task.line_id)
        assert line is not None and line.status == "open" and line.picked_quantity == 0

    # the right scans finish the list; the picker's day counts one line and two mismatches
    r = client.post(
        "/picking/scan",
        data={**scan, "location": task.location, "barcode": GTIN["MUG-01"] + "\r"},
        headers=HTMX,
    )
    assert r.status_code == 200 and "Pick list done" in r.text and "2/2" in r.text
    assert 'data-metric="lines">1<' in r.text
    assert 'data-metric="accuracy">33.3 %<' in r.text  # 1 good scan out of 3
    with seeded.reader() as s:
        assert s.scalars(select(PickList)).one().status == "done"
    # with nothing left, asking again says so
    r = client.post("/picking/next", data=form, headers=HTMX)
    assert "No pick work in this warehouse." in r.text


def test_short_pick_says_what_happened_and_operators_see_the_exception(
    client: TestClient, seeded: Database
) -> None:
    with seeded.transaction() as s:
        inventory.receive(
            session=s, warehouse_code="PAR1", location_code="C07-01", sku="MUG-01", quantity=10
        )
    pick_listed(seeded, [("MUG-01", 3)])
    csrf = sign_in(client, seeded)
    form = {"csrf": csrf, "warehouse": "PAR1"}
    assert client.post("/picking/next", data=form, follow_redirects=False).status_code == 303
    task = held_task(seeded, "u-operator")
    r = client.post(
        "/picking/scan",
        data={
            **form,
            "line_id": str(task.line_id),
            "location": task.location,
            "barcode": GTIN["MUG-01"],
            "quantity": "1",
        },
        headers=HTMX,
    )
    assert r.status_code == 200
    assert "Short pick" in r.text and "2 re-allocated, 0 backordered" in r.text
    follow = held_task(seeded, "u-operator")
    assert follow.location != task.location and follow.quantity == 2
    assert follow.location in r.text  # the new stop replaces the card
    page = client.get("/picking")  # the remembered warehouse
    assert "Open exceptions" in page.text
    table = page.text.split("Open exceptions", 1)[1]
    assert task.location in table and "u-operator" in table
    # a quantity over what is asked is refused in the page
    r = client.post(
        "/picking/scan",
        data={
            **form,
            "line_id": str(follow.line_id),
            "location": follow.location,
            "barcode": GTIN["MUG-01"],
            "quantity": "9",
        },
    )
    assert r.status_code == 422 and 'role="alert"' in r.text and "quantity" in r.text


def test_packing_station_shows_the_plan_and_ticks_scanned_items(
    client: TestClient, seeded: Database
) -> None:
    number = pick_listed(seeded, [("MUG-01", 2), ("TSHIRT-M", 1)])
    csrf = sign_in(client, seeded, role="picker")
    with seeded.reader() as s:
        (plan,) = warehouse.pack_plan(session=s, number=number)
    assert plan.units == 3
    page = client.get("/packing", params={"order": number.lower()})
    assert page.status_code == 200
    for parcel in plan.parcels:
        assert f"{parcel.carton}" in page.text
        assert all(u.instruction in page.text for u in parcel.units)
    assert page.text.count('class="pack-unit') >= 3 and "<svg" in page.text
    assert page.text.count('<li class="open"') == 3
    scan = {"csrf": csrf, "order": number}

    # before picking is finished, a scan is refused with the reason
    r = client.post("/packing/scan", data={**scan, "barcode": GTIN["MUG-01"]}, headers=HTMX)
    assert 'role="alert"' in r.text and "pick lists" in r.text
    with seeded.transaction() as s:
        for pick_list in s.scalars(select(PickList)):
            warehouse.confirm_pick_list(
                session=s, pick_list_id=pick_list.id, picked=None, actor="t"
            )
    assert number in client.get("/packing").text  # waiting to be packed

    # a product not in the order is refused and nothing is recorded
    before = row_counts(seeded)
    r = client.post("/packing/scan", data={**scan, "barcode": GTIN["BOOK-07"]}, headers=HTMX)
    assert 'role="alert"' in r.text and "barcode" in r.text
    assert row_counts(seeded) == before
    # each good scan ticks one unit and names its carton
    first = plan.parcels[0]
    r = client.post("/packing/scan", data={**scan, "barcode": GTIN["MUG-01"]}, headers=HTMX)
    assert r.status_code == 200 and 'role="status"' in r.text
    assert (
        f"Carton {next(p.number for p in plan.parcels if any(u.sku == 'MUG-01' for u in p.units))}"
        in r.text
    )
    assert r.text.count('<li class="packed"') == 1 and "2 left to pack" in r.text
    for barcode in (GTIN["MUG-01"], GTIN["TSHIRT-M"]):
        r = client.post("/packing/scan", data={**scan, "barcode": barcode}, headers=HTMX)
        assert r.status_code == 200, r.text
    assert r.text.count('<li class="packed"') == 3 and "Order fully packed" in r.text
    assert first.carton in r.text
    # the last unit closed the boxes: the order is packed in the plan's cartons
    assert f"Order packed: {len(plan.parcels)} parcel(s) ready to ship" in r.text
    with seeded.reader() as s:
        packed = orders.get_order(session=s, number=number)
        assert packed.status == "packed"
        assert len(shipping.shipments_of(session=s, order=packed)[0].parcels) == len(plan.parcels)
    # one more unit is one too many
    r = client.post("/packing/scan", data={**scan, "barcode": GTIN["MUG-01"]})
    assert r.status_code == 409 and "already packed" in r.text
    assert number not in client.get("/packing").text.split("waiting to be packed", 1)[1]


def deliver(db: Database, lines: list[tuple[str, int]]) -> str:
    """Place, allocate, pick, pack, ship and deliver an order; return its number."""
    order, _ = orders.place_order(db, order_draft(lines), actor="t", allocate=True)
    number = order.number
    with db.transaction() as s:
        for pick_list in warehouse.create_pick_lists(session=s, number=number, actor="p"):
            warehouse.confirm_pick_list(
                session=s, pick_list_id=pick_list.id, picked=None, actor="p"
            )
        pack(s, number, "p")
        shipping.ship_order(session=s, number=number, carrier_code="colissimo", actor="o")
    with db.transaction() as s:
        follow_up.mark_delivered(session=s, number=number, actor="o")
    return number


def stock_of(db: Database, sku: str) -> int:
    with db.reader() as s:
        rows, _ = inventory.list_balances(session=s, sku=sku, warehouse="PAR1")
    return sum(r.available for r in rows)


def test_returns_queue_and_every_step_by_the_right_roles(
    client: TestClient, seeded: Database
) -> None:
    number = deliver(seeded, [("MUG-01", 2)])
    with seeded.transaction() as s:
        rma = returns.request_return(
            session=s, number=number, lines=[("MUG-01", 2)], reason="defective", actor="t"
        )
        rid, rma_number = rma.id, rma.number
    csrf = sign_in(client, seeded, role="agent")
    queue = client.get("/returns/queue")
    assert queue.status_code == 200
    assert rma_number in queue.text and f'href="/orders/{number}"' in queue.text
    assert re.search(r'data-status="requested"[^>]*>.*?<b>1</b>', queue.text)
    assert rma_number not in client.get("/returns/queue", params={"status": "closed"}).text
    detail = client.get(f"/returns/{rid}")
    assert detail.status_code == 200 and "/approve" in detail.text
    assert "return.requested" in detail.text  # the record
    # an agent decides; the warehouse steps are not theirs (the API allows operators, pickers)
    r = client.post(f"/returns/{rid}/approve", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/returns/{rid}")
    assert "approved" in page.text and "/receive" not in page.text
    assert client.post(f"/returns/{rid}/receive", data={"csrf": csrf}).status_code == 403

    # the operator receives, inspects (a wrong count is refused in the page), disposes
    csrf = sign_in(client, seeded, role="operator")
    with seeded.reader() as s:
        line_id = returns.get_return(session=s, return_id=rid).lines[0].id
    r = client.post(
        f"/returns/{rid}/receive",
        data={"csrf": csrf, f"qty_{line_id}": "2"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(f"/returns/{rid}/inspect", data={"csrf": csrf, f"grade_{line_id}_A": "1"})
    assert r.status_code == 422 and 'role="alert"' in r.text and "1 graded" in r.text
    r = client.post(
        f"/returns/{rid}/inspect",
        data={"csrf": csrf, f"grade_{line_id}_A": "1", f"grade_{line_id}_D": "1"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    with seeded.reader() as s:
        units = returns.get_return(session=s, return_id=rid).units
    assert [(u.grade, u.proposed) for u in units] == [("A", "restock"), ("D", "scrap")]
    page = client.get(f"/returns/{rid}")
    assert f'name="disposition_{units[0].id}"' in page.text and "/settle" in page.text
    assert "/close" not in page.text  # units await their disposition
    available = stock_of(seeded, "MUG-01")
    r = client.post(
        f"/returns/{rid}/dispose",
        data={
            "csrf": csrf,
            f"disposition_{units[0].id}": "restock",
            f"disposition_{units[1].id}": "scrap",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert stock_of(seeded, "MUG-01") == available + 1
    r = client.post(
        f"/returns/{rid}/settle",
        data={"csrf": csrf, "method": "refund", "deduction_cents": "-5"},
    )
    assert r.status_code == 422 and "deduction_cents" in r.text
    r = client.post(
        f"/returns/{rid}/settle", data={"csrf": csrf, "method": "refund"}, follow_redirects=False
    )
    assert r.status_code == 303
    r = client.post(f"/returns/{rid}/close", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/returns/{rid}")
    assert 'class="badge rs-closed"' in page.text and "Nothing for you to do" in page.text
    assert "return.settled" in page.text and "refund" in page.text
    # a step the status does not allow is refused in the page, never a 500
    r = client.post(f"/returns/{rid}/approve", data={"csrf": csrf})
    assert r.status_code == 409 and 'role="alert"' in r.text


def test_role_rules_csrf_and_bad_input(client: TestClient, seeded: Database) -> None:
    csrf = sign_in(client, seeded, role="agent")
    assert client.get("/picking").status_code == 403
    assert client.get("/packing").status_code == 403
    assert client.post("/picking/next", data={"csrf": csrf}).status_code == 403
    assert client.get("/returns/queue", params={"status": "moon"}).status_code == 422
    assert client.get("/returns/999999").status_code == 404
    assert client.post("/returns/999999/approve", data={"csrf": "nope"}).status_code == 403
    r = client.post("/returns/999999/approve", data={"csrf": csrf})
    assert r.status_code == 404
    csrf = sign_in(client, seeded, role="picker")
    assert client.get("/returns/queue").status_code == 403
    assert client.get("/returns/1").status_code == 403
    assert client.post("/returns/1/approve", data={"csrf": csrf}).status_code == 403
    assert client.post("/returns/1/receive", data={"csrf": csrf}).status_code == 403
    assert client.post("/picking/next", data={"warehouse": "PAR1"}).status_code == 403  # no CSRF
    r = client.get("/packing", params={"order": "M9999999"})
    assert r.status_code == 404 and 'role="alert"' in r.text
    r = client.post("/picking/next", data={"csrf": csrf, "warehouse": "NOPE"})
    assert r.status_code == 404 and 'role="alert"' in r.text


def test_floor_pages_speak_french(client: TestClient, seeded: Database) -> None:
    pick_listed(seeded, [("MUG-01", 1)])
    csrf = sign_in(client, seeded)
    client.post("/language", data={"csrf": csrf, "language": "fr", "next": "/picking"})
    page = client.get("/picking")
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert "Tâche suivante" in page.text and "Ma journée" in page.text
    r = client.post("/picking/next", data={"csrf": csrf, "warehouse": "PAR1"}, headers=HTMX)
    assert "Scannez l'emplacement" in r.text or "Scannez l&#39;emplacement" in r.text
    assert "Retours par statut" in client.get("/returns/queue").text
    assert "Numéro de commande" in client.get("/packing").text


def test_staff_at_returns_get_the_queue_and_customers_the_portal(
    client: TestClient, seeded: Database
) -> None:
    assert "Continue" in client.get("/returns").text  # not signed in: the customers' portal
    sign_in(client, seeded, role="agent")
    assert "Returns by status" in client.get("/returns").text
