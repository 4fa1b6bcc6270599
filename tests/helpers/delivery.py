"""Delivery helpers for tests: orders to real addresses, a booked delivery day, clock times."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi.testclient import TestClient

from maillon.core.db import Database
from maillon.delivery import service as delivery
from maillon.orders import service as orders
from maillon.orders.model import AddressDraft
from tests.helpers import order_draft
from tests.helpers.jobs import run_queued

Auth = dict[str, dict[str, str]]

ADDRESSES = [
    ("69001", "Lyon"),
    ("69003", "Lyon"),
    ("69006", "Lyon"),
    ("69100", "Villeurbanne"),
    ("69007", "Lyon"),
    ("69008", "Lyon"),
]


def place(db: Database, i: int, postcode: str, city: str) -> str:
    address = AddressDraft(
        name=f"Client {i}", line1=f"{i} rue Test", postcode=postcode, city=city, country="FR"
    )
    order, _ = orders.place_order(
        db, order_draft(email=f"c{i}@example.fr", address=address), actor="t"
    )
    return order.number


def booked_day(client: TestClient, db: Database, auth: Auth) -> tuple[str, list[str]]:
    """Six Lyon orders, booked alternately 09:00-11:00 and 14:00-16:00 on the first day."""
    r = client.post(
        "/api/v1/delivery/zones",
        json={"code": "LY", "name": "Lyon", "prefixes": ["69"]},
        headers=auth["operator"],
    )
    zone = r.json()["id"]
    for weekday in range(7):
        for start, end in (("09:00", "11:00"), ("14:00", "16:00")):
            client.post(
                f"/api/v1/delivery/zones/{zone}/templates",
                json={"weekday": weekday, "start": start, "end": end, "capacity": 10},
                headers=auth["operator"],
            )
    client.post("/api/v1/delivery/slots/generate", json={"days": 4}, headers=auth["operator"])
    slots = client.get("/api/v1/delivery/slots", headers=auth["operator"]).json()["items"]
    day = slots[0]["date"] if "date" in slots[0] else slots[0]["day"]
    morning, afternoon = [s for s in slots if s["day"] == day][:2]
    numbers = [place(db, i, pc, city) for i, (pc, city) in enumerate(ADDRESSES)]
    for i, number in enumerate(numbers):
        slot = morning if i % 2 == 0 else afternoon
        r = client.post(
            f"/api/v1/delivery/slots/{slot['id']}/book",
            json={"order": number},
            headers=auth["agent"],
        )
        assert r.status_code == 201, r.text
    return day, numbers


def hm(text: str) -> int:
    """Minutes since midnight of ``HH:MM``."""
    h, m = text.split(":")
    return int(h) * 60 + int(m)


def booked_lyon_day(db: Database, capacity: int) -> tuple[dt.date, list[str]]:
    """Six Lyon orders booked alternately 09:00-11:00 and 14:00-16:00 tomorrow."""
    with db.transaction() as s:
        zone = delivery.create_zone(
            session=s, code="LY", name="Lyon", country="FR", prefixes=["69"]
        )
        for weekday in range(7):
            for start, end in ((540, 660), (840, 960)):
                delivery.add_template(
                    session=s,
                    zone_id=zone.id,
                    weekday=weekday,
                    start_min=start,
                    end_min=end,
                    capacity=capacity,
                )
        delivery.generate_zone_slots(session=s, days=2)
        slots, _ = delivery.list_slots(session=s, limit=10)
        day = slots[0].day
        morning, afternoon = slots[0].id, slots[1].id
    numbers = [place(db, i, pc, city) for i, (pc, city) in enumerate(ADDRESSES)]
    with db.transaction() as s:
        for i, number in enumerate(numbers):
            delivery.book_slot(
                session=s, slot_id=morning if i % 2 == 0 else afternoon, number=number, actor="t"
            )
    return day, numbers


def planned(
    client: TestClient, db: Database, url: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    """POST a route plan or re-plan (answered 202 with its job), run the job as a worker
    would, and return the plan as ``GET /api/v1/delivery/routes/{id}`` shows it then."""
    r = client.post(url, json=body, headers=headers)
    assert r.status_code == 202, r.text
    queued = r.json()
    name = "delivery.replan_routes" if url.endswith("/replan") else "delivery.plan_routes"
    assert run_queued(db, name) == [queued["job_id"]]
    job = client.get(queued["url"], headers=headers).json()
    assert job["status"] == "succeeded", job
    r = client.get(f"/api/v1/delivery/routes/{job['result']['plan']}", headers=headers)
    assert r.status_code == 200, r.text
    plan: dict[str, Any] = r.json()
    return plan
