"""Last-mile route plans: planned within capacities and windows, re-planned during the day,
printed as route sheets; from the API and from ``maillon delivery plan``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pypdf
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from tests.helpers.database import row_counts
from tests.helpers.delivery import booked_day, hm, place, planned

Auth = dict[str, dict[str, str]]


def check_windows_and_capacity(plan: dict[str, Any], capacity: int) -> None:
    for stop in plan["stops"]:
        if stop["status"] == "unassigned":
            continue
        start, end = stop["window"].split("-")
        eta = hm(stop["eta"])
        # service starts within the window (arriving early means waiting)
        assert eta <= hm(end), stop
        assert hm(stop["departure"]) >= hm(start), stop
    for vehicle in plan["vehicles"]:
        assert vehicle["stops"] <= capacity


def test_plan_replan_and_sheets(client: TestClient, seeded: Database, auth: Auth) -> None:
    day, numbers = booked_day(client, seeded, auth)
    vehicles = [
        {"id": "VAN1", "capacity_parcels": 3, "shift_start": "08:00", "shift_end": "18:00"},
        {
            "id": "VAN2",
            "capacity_parcels": 3,
            "shift_start": "08:00",
            "shift_end": "18:00",
            "driver": "Léa",
        },
    ]
    plan = planned(
        client,
        seeded,
        "/api/v1/delivery/routes/plan",
        {"warehouse": "LYS1", "date": day, "vehicles": vehicles},
        auth["operator"],
    )
    assert plan["feasible"] and plan["unassigned"] == []
    assert sorted(s["key"] for s in plan["stops"]) == sorted(numbers)  # all booked orders
    assert {v["stops"] for v in plan["vehicles"]} == {3}  # 6 parcels, 3 a van: both full
    check_windows_and_capacity(plan, 3)
    assert plan["total_distance_km"] > 0

    # the sheets: a real PDF with a page per van naming its stops
    r = client.get(f"/api/v1/delivery/routes/{plan['id']}/sheets.pdf", headers=auth["picker"])
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    assert len(reader.pages) == 2
    text = "".join(page.extract_text() for page in reader.pages)
    assert "VAN1" in text and "Léa" in text and numbers[0] in text

    # during the day: a new order arrives after each van left its first stop
    first = {}
    for s in plan["stops"]:
        if s["sequence"] == 1:
            first[s["vehicle"]] = s
    at = max(hm(s["departure"]) for s in first.values()) + 1
    new = place(seeded, 9, "69002", "Lyon")
    again = planned(
        client,
        seeded,
        f"/api/v1/delivery/routes/{plan['id']}/replan",
        {"at": f"{at // 60:02d}:{at % 60:02d}", "orders": [new]},
        auth["operator"],
    )
    assert again["id"] == plan["id"] and again["revision"] == 2 and again["feasible"]
    by_key = {s["key"]: s for s in again["stops"]}
    for vehicle, stop in first.items():  # visited stops stay where and when they were
        kept = by_key[stop["key"]]
        assert kept["status"] == "served" and kept["vehicle"] == vehicle
        assert kept["sequence"] == 1 and kept["eta"] == stop["eta"]
    assert new in by_key
    # capacities are full (3 + 3): the new order cannot be loaded on a van already out
    assert by_key[new]["status"] == "unassigned" and again["unassigned"] == [new]
    check_windows_and_capacity(again, 3)
    # every other booked stop is still planned after the served ones
    for s in again["stops"]:
        if s["key"] != new and s["status"] == "planned":
            assert s["sequence"] >= 2


def test_replan_with_reported_positions_adds_the_new_stop(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    day, numbers = booked_day(client, seeded, auth)
    plan = planned(
        client,
        seeded,
        "/api/v1/delivery/routes/plan",
        {
            "warehouse": "LYS1",
            "date": day,
            "vehicles": [{"id": "VAN1", "shift_start": "08:00", "shift_end": "19:00"}],
        },
        auth["operator"],
    )
    route = sorted((s for s in plan["stops"]), key=lambda s: s["sequence"])
    served = [route[0]["key"], route[1]["key"]]
    new = place(seeded, 9, "69002", "Lyon")
    replanned = planned(
        client,
        seeded,
        f"/api/v1/delivery/routes/{plan['id']}/replan",
        {
            "at": "12:00",
            "orders": [new],
            "served": {"VAN1": served},
            "positions": [{"vehicle": "VAN1", "lat": 45.76, "lon": 4.84}],
        },
        auth["operator"],
    )
    again = {s["key"]: s for s in replanned["stops"]}
    assert [again[k]["status"] for k in served] == ["served", "served"]
    assert again[new]["status"] == "planned" and again[new]["vehicle"] == "VAN1"
    assert hm(again[new]["eta"]) >= 12 * 60  # leaves from where it is, at 12:00
    assert len(again) == len(numbers) + 1


def test_route_plan_bad_input(client: TestClient, seeded: Database, auth: Auth) -> None:
    number = place(seeded, 1, "69001", "Lyon")
    good = {
        "warehouse": "LYS1",
        "date": "2030-01-08",
        "vehicles": [{"id": "V1"}],
        "orders": [number],
    }
    before = row_counts(seeded)
    cases = [
        ({**good, "vehicles": []}, 422, "vehicles"),
        (
            {**good, "vehicles": [{"id": "V1", "shift_start": "25:00"}]},
            422,
            "vehicles.0.shift_start",
        ),
        (
            {**good, "vehicles": [{"id": "V1", "shift_start": "18:00", "shift_end": "08:00"}]},
            422,
            "vehicles.0",
        ),
        ({**good, "orders": ["MA-999999"]}, 404, "orders.0"),
        ({**good, "orders": None}, 422, "orders"),  # nothing booked that day
        ({**good, "warehouse": "NOPE"}, 404, "warehouse"),
        ({**good, "travel": "osrm"}, 422, "travel"),  # no OSRM server configured
        ({**good, "colour": "red"}, 422, "colour"),
    ]
    for body, code, field in cases:
        r = client.post("/api/v1/delivery/routes/plan", json=body, headers=auth["operator"])
        assert r.status_code == code, (body, r.text)
        assert r.json()["error"].get("field") == field, (body, r.text)
    assert (
        client.post("/api/v1/delivery/routes/plan", json=good, headers=auth["picker"]).status_code
        == 403
    )
    assert row_counts(seeded) == before  # no job recorded either
    plan = planned(client, seeded, "/api/v1/delivery/routes/plan", good, auth["operator"])["id"]
    before = row_counts(seeded)
    for body, field in (
        ({"at": "9h"}, "at"),
        ({"orders": [number]}, "orders.0"),  # already in the plan
        ({"positions": [{"vehicle": "V9", "lat": 45, "lon": 4}]}, "positions.0.vehicle"),
        ({"served": {"V1": ["NOPE"]}}, "served.V1"),
    ):
        r = client.post(
            f"/api/v1/delivery/routes/{plan}/replan", json=body, headers=auth["operator"]
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text
    assert row_counts(seeded) == before
    assert (
        client.get("/api/v1/delivery/routes/999/sheets.pdf", headers=auth["operator"]).status_code
        == 404
    )


def test_cli_plan_draws_routes_and_writes_sheets(
    client: TestClient, seeded: Database, auth: Auth, db_url: str, tmp_path: Path
) -> None:
    day, numbers = booked_day(client, seeded, auth)
    out = tmp_path / "sheets.pdf"
    runner = CliRunner()
    r = runner.invoke(
        app,
        [
            "delivery",
            "plan",
            "LYS1",
            day,
            "--vehicles",
            "2",
            "--capacity",
            "4",
            "--sheets",
            str(out),
            "--time-limit",
            "0.5",
            "--db",
            db_url,
        ],
    )
    assert r.exit_code == 0, r.output
    assert "feasible" in r.output and numbers[0] in r.output
    assert "#" in r.output and "|" in r.output  # the map
    assert out.read_bytes().startswith(b"%PDF")
    r = runner.invoke(app, ["delivery", "plan", "LYS1", "tomorrow", "--db", db_url])
    assert r.exit_code == 1 and "day" in r.output
    r = runner.invoke(app, ["delivery", "slots-generate", "--days", "400", "--db", db_url])
    assert r.exit_code == 1 and "days" in r.output
    r = runner.invoke(app, ["delivery", "slots-generate", "--days", "3", "--db", db_url])
    assert r.exit_code == 0 and "LY:" in r.output
    r = runner.invoke(app, ["delivery", "relay-points", "75011"])
    assert r.exit_code == 0 and "RP" in r.output
