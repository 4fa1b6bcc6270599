"""Same-day couriers assigned optimally, the micro-warehouse what-if, and bad input on the
checkout routes (a 4xx naming the field, nothing written)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.orders import service as orders
from tests.helpers import order_draft
from tests.helpers.database import row_counts

Auth = dict[str, dict[str, str]]
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def iso(minutes: int) -> str:
    return (NOW + dt.timedelta(minutes=minutes)).isoformat()


def test_couriers_get_the_jobs_they_can_do_in_time(
    client: TestClient, seeded: Database, auth: Auth, db_url: str
) -> None:
    order, _ = orders.place_order(seeded, order_draft(), actor="t")  # Lyon 69002
    for code, lat, lon, until in (
        ("NEAR", 45.76, 4.83, 240),  # in Lyon, free for 4 hours
        ("FAR", 45.70, 4.90, 240),  # Saint-Priest side, close to the LYS1 store
        ("GONE", 45.76, 4.83, 5),  # free for 5 more minutes only
    ):
        r = client.post(
            "/api/v1/delivery/couriers",
            json={
                "code": code,
                "name": code.title(),
                "lat": lat,
                "lon": lon,
                "available_from": iso(-10),
                "available_until": iso(until),
            },
            headers=auth["operator"],
        )
        assert r.status_code == 201, r.text
    jobs = [
        {
            "pickup_warehouse": "LYS1",
            "order": order.number,
            "ready_at": iso(0),
            "deadline_at": iso(120),
            "reference": "J-order",
        },
        {
            "pickup": {"lat": 45.764, "lon": 4.835},
            "drop": {"lat": 45.77, "lon": 4.85},
            "ready_at": iso(0),
            "deadline_at": iso(60),
            "reference": "J-city",
        },
        {
            "pickup": {"lat": 45.764, "lon": 4.835},
            "drop": {"lat": 45.77, "lon": 4.85},
            "ready_at": iso(0),
            "deadline_at": iso(2),
            "reference": "J-impossible",
        },
    ]
    ids = []
    for job in jobs:
        r = client.post("/api/v1/delivery/courier-jobs", json=job, headers=auth["operator"])
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
    r = client.post(
        "/api/v1/delivery/couriers/assign", json={"at": iso(0)}, headers=auth["operator"]
    )
    assert r.status_code == 200, r.text
    got = r.json()
    pairs = {a["job"]: a["courier"] for a in got["assignments"]}
    assert pairs == {ids[0]: "FAR", ids[1]: "NEAR"}  # fewest minutes, both on time
    assert got["unassigned_jobs"] == [ids[2]] and got["idle_couriers"] == ["GONE"]
    listed = client.get("/api/v1/delivery/courier-jobs?status=assigned", headers=auth["picker"])
    assert {j["courier"] for j in listed.json()} == {"FAR", "NEAR"}
    # assigned couriers are busy: a second round assigns nothing new
    r = client.post(
        "/api/v1/delivery/couriers/assign", json={"at": iso(0)}, headers=auth["operator"]
    )
    assert r.json()["assignments"] == []
    r = CliRunner().invoke(app, ["delivery", "couriers-assign", "--db", db_url])
    assert r.exit_code == 0 and "0 assigned" in r.output


def test_what_if_from_order_history(
    client: TestClient, seeded: Database, auth: Auth, db_url: str, tmp_path: Path
) -> None:
    from maillon.orders.model import AddressDraft

    for i, (pc, city) in enumerate(
        [
            ("69001", "Lyon"),
            ("69004", "Lyon"),
            ("69100", "Villeurbanne"),
            ("69003", "Lyon"),
            ("69006", "Lyon"),
        ]
    ):
        address = AddressDraft(name="X", line1="1 rue", postcode=pc, city=city, country="FR")
        orders.place_order(
            seeded, order_draft(email=f"w{i}@example.fr", address=address), actor="t"
        )
    body = {
        "central": "LYS1",
        "sites": [
            {"id": "LYON-CENTRE", "lat": 45.7640, "lon": 4.8357, "fixed_cost_cents_per_day": 5000}
        ],
        "days": 1,
    }
    r = client.post("/api/v1/delivery/what-if", json=body, headers=auth["operator"])
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["points"] == 5 and got["orders_by_site"] == {"LYS1": 0, "LYON-CENTRE": 5}
    site = next(x for x in got["micro"]["sites"] if x["site"] == "LYON-CENTRE")
    # the micro site drives less to the customers, but its van trips from LYS1 cost km too
    assert site["km_per_day"] < got["central"]["km_per_day"]
    assert site["replenishment_km_per_day"] > 0
    assert got["micro"]["km_per_day"] == pytest.approx(
        sum(x["km_per_day"] + x["replenishment_km_per_day"] for x in got["micro"]["sites"]),
        abs=0.05,
    )
    assert got["saving_km_per_day"] == pytest.approx(
        got["central"]["km_per_day"] - got["micro"]["km_per_day"], abs=0.02
    )
    assert got["chart"]["labels"] == ["central", "micro"]
    r = CliRunner().invoke(
        app,
        [
            "delivery",
            "what-if",
            "LYS1",
            "--site",
            "LC:45.764:4.8357:50",
            "--days",
            "1",
            "--db",
            db_url,
        ],
    )
    assert r.exit_code == 0 and "micro total" in r.output and "save" in r.output
    r = CliRunner().invoke(
        app, ["delivery", "what-if", "LYS1", "--site", "LC:north", "--db", db_url]
    )
    assert r.exit_code == 1 and "site.0" in r.output


good_options: dict[str, Any] = {"postcode": "69002", "lines": [{"sku": "MUG-01", "quantity": 1}]}
CASES: list[tuple[str, str, dict[str, Any], int, str]] = [
    ("post", "/api/v1/delivery/options", {**good_options, "postcode": "99999"}, 422, "postcode"),
    (
        "post",
        "/api/v1/delivery/options",
        {**good_options, "lines": [{"sku": "GHOST", "quantity": 1}]},
        422,
        "lines.0.sku",
    ),
    (
        "post",
        "/api/v1/delivery/options",
        {**good_options, "lines": [{"sku": "MUG-01", "quantity": 0}]},
        422,
        "lines.0.quantity",
    ),
    ("post", "/api/v1/delivery/options", {"postcode": "69002"}, 422, "lines"),
    (
        "post",
        "/api/v1/delivery/options",
        {**good_options, "ordered_at": "2030-01-01T10:00"},
        422,
        "ordered_at",
    ),
    (
        "post",
        "/api/v1/delivery/zones",
        {"code": "A B", "name": "x", "prefixes": ["69"]},
        422,
        "code",
    ),
    (
        "post",
        "/api/v1/delivery/zones",
        {"code": "A", "name": "x", "prefixes": ["6 9!"]},
        422,
        "prefixes.0",
    ),
    (
        "post",
        "/api/v1/delivery/zones/1/templates",
        {"weekday": 7, "start": "10:00", "end": "12:00", "capacity": 1},
        422,
        "weekday",
    ),
    (
        "post",
        "/api/v1/delivery/zones/1/templates",
        {"weekday": 1, "start": "12:00", "end": "10:00", "capacity": 1},
        422,
        "end",
    ),
    (
        "post",
        "/api/v1/delivery/zones/99/templates",
        {"weekday": 1, "start": "10:00", "end": "12:00", "capacity": 1},
        404,
        "zone_id",
    ),
    ("post", "/api/v1/delivery/slots/generate", {"days": 0}, 422, "days"),
    ("post", "/api/v1/delivery/slots/99/book", {"order": "MA-0000001"}, 404, "slot_id"),
    (
        "post",
        "/api/v1/delivery/collect",
        {"store": "PAR1", "email": "a@b.fr", "lines": [{"sku": "MUG-01", "quantity": 1}]},
        404,
        "store",
    ),
    (
        "post",
        "/api/v1/delivery/collect",
        {"store": "LYS1", "email": "nobody", "lines": [{"sku": "MUG-01", "quantity": 1}]},
        422,
        "email",
    ),
    ("put", "/api/v1/delivery/stores/NOPE", {}, 404, "code"),
    ("put", "/api/v1/delivery/stores/LYS1", {"hold_days": 0}, 422, "hold_days"),
    (
        "post",
        "/api/v1/delivery/couriers",
        {"code": "C1", "name": "C", "lat": 95, "lon": 4},
        422,
        "lat",
    ),
    (
        "post",
        "/api/v1/delivery/couriers",
        {
            "code": "C1",
            "name": "C",
            "lat": 45,
            "lon": 4,
            "available_from": "2030-01-01T10:00:00Z",
            "available_until": "2030-01-01T09:00:00Z",
        },
        422,
        "available_until",
    ),
    (
        "post",
        "/api/v1/delivery/courier-jobs",
        {
            "pickup_warehouse": "LYS1",
            "drop": {"lat": 45, "lon": 4},
            "ready_at": "2030-01-01T10:00:00Z",
            "deadline_at": "2030-01-01T09:00:00Z",
        },
        422,
        "deadline_at",
    ),
    (
        "post",
        "/api/v1/delivery/courier-jobs",
        {
            "drop": {"lat": 45, "lon": 4},
            "ready_at": "2030-01-01T10:00:00Z",
            "deadline_at": "2030-01-01T11:00:00Z",
        },
        422,
        "pickup",
    ),
    ("post", "/api/v1/delivery/what-if", {"central": "LYS1", "sites": []}, 422, "sites"),
    (
        "post",
        "/api/v1/delivery/what-if",
        {"central": "LYS1", "sites": [{"id": "S", "lat": 45.7, "lon": 4.8}]},
        422,
        "points",
    ),
    (
        "post",
        "/api/v1/delivery/what-if",
        {"central": "NOPE", "sites": [{"id": "S", "lat": 45.7, "lon": 4.8}]},
        404,
        "central",
    ),
]


@pytest.mark.parametrize(("method", "url", "body", "code", "field"), CASES)
def test_bad_input_names_the_field_and_writes_nothing(
    client: TestClient,
    seeded: Database,
    auth: Auth,
    method: str,
    url: str,
    body: dict[str, Any],
    code: int,
    field: str,
) -> None:
    client.post(
        "/api/v1/delivery/zones",
        json={"code": "LY", "name": "Lyon", "prefixes": ["69"]},
        headers=auth["operator"],
    )
    client.put("/api/v1/delivery/stores/LYS1", json={}, headers=auth["operator"])
    before = row_counts(seeded)
    r = getattr(client, method)(url, json=body, headers=auth["operator"])
    assert r.status_code == code, r.text
    assert r.json()["error"].get("field") == field, r.text
    assert row_counts(seeded) == before
