"""A click & collect order placed with the reservation made at checkout is linked to it in
the order's own transaction: its units stay set aside in the store, it is never allocated at
a warehouse nor picked; a reservation that is unknown, expired, taken or for other lines
refuses the order (422 naming ``delivery.reservation``) and writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.core import clock
from maillon.core.db import Database
from maillon.delivery.service import collect
from maillon.orders import service as orders
from maillon.orders.tables import Allocation
from tests.helpers import order_body
from tests.helpers.database import row_counts

Auth = dict[str, dict[str, str]]


@pytest.fixture
def store(seeded: Database) -> Database:
    with seeded.transaction() as s:
        collect.set_store(session=s, warehouse_code="LYS1", ready_after_hours=2, hold_days=1)
    return seeded


def _reserve(client: TestClient, auth: Auth, quantity: int = 2) -> str:
    body = {
        "store": "LYS1",
        "email": "camille.martin@example.fr",
        "lines": [{"sku": "MUG-01", "quantity": quantity}],
    }
    r = client.post("/api/v1/delivery/collect", json=body, headers=auth["agent"])
    assert r.status_code == 201, r.text
    assert r.json()["order"] is None
    return str(r.json()["token"])


def _order(i: int, delivery: dict[str, Any], quantity: int = 2) -> dict[str, Any]:
    body = order_body([("MUG-01", quantity)], external_id=f"CC{i}")
    body["customer"]["email"] = f"collect{i}@example.fr"
    body["delivery"] = delivery
    return body


def test_the_order_is_linked_to_its_reservation_and_never_allocated(
    client: TestClient, store: Database, auth: Auth
) -> None:
    token = _reserve(client, auth)
    choice = {"method": "click_collect", "store": "LYS1", "reservation": token}
    r = client.post("/api/v1/orders", json=_order(1, choice), headers=auth["operator"])
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    assert r.json()["status"] == "confirmed"  # not allocated at a warehouse

    got = client.get(f"/api/v1/delivery/collect/{token}", headers=auth["picker"]).json()
    assert (got["order"], got["status"]) == (number, "active")
    with store.reader() as s:
        order = orders.get_order(session=s, number=number)
        assert s.scalars(select(Allocation).where(Allocation.order_id == order.id)).all() == []
        assert orders.block_reasons(session=s, order=order) == [collect.BLOCK_REASON]
    # its units are set aside in the store: allocating it is refused
    r = client.post(f"/api/v1/orders/{number}/allocate", headers=auth["operator"])
    assert r.status_code == 409 and "set aside" in r.text

    # the reservation alone names its store
    token = _reserve(client, auth, quantity=1)
    choice = {"method": "click_collect", "reservation": token}
    r = client.post("/api/v1/orders", json=_order(2, choice, 1), headers=auth["operator"])
    assert r.status_code == 201, r.text
    got = client.get(f"/api/v1/delivery/collect/{token}", headers=auth["picker"]).json()
    assert got["order"] == r.json()["number"]


def _refused(client: TestClient, db: Database, auth: Auth, body: dict[str, Any]) -> str:
    before = row_counts(db)
    r = client.post("/api/v1/orders", json=body, headers=auth["operator"])
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    found = [e for e in error.get("errors", [error]) if e["field"] == "delivery.reservation"]
    assert found, error
    assert row_counts(db) == before
    return str(found[0]["message"])


def test_a_bad_reservation_refuses_the_order_and_writes_nothing(
    client: TestClient, store: Database, auth: Auth
) -> None:
    choice = {"method": "click_collect", "store": "LYS1", "reservation": "nope"}
    assert "unknown" in _refused(client, store, auth, _order(3, choice))

    token = _reserve(client, auth)
    other_lines = _order(4, {"method": "click_collect", "reservation": token}, quantity=1)
    assert "lines" in _refused(client, store, auth, other_lines)

    home = _order(5, {"method": "home", "reservation": token})
    assert "click_collect" in _refused(client, store, auth, home)

    with clock.frozen_at(clock.now() + dt.timedelta(days=3)):  # past its hold
        expired = _order(6, {"method": "click_collect", "reservation": token})
        assert "expired" in _refused(client, store, auth, expired)

    taken = {"method": "click_collect", "reservation": token}
    r = client.post("/api/v1/orders", json=_order(7, taken), headers=auth["operator"])
    assert r.status_code == 201, r.text
    assert "another order" in _refused(client, store, auth, _order(8, taken))
