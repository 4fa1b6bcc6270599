"""The micro-warehouse what-if with routes solved by PyVRP, from the API and the CLI."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.orders import service as orders
from maillon.orders.model import AddressDraft
from tests.helpers import order_draft
from tests.helpers.database import row_counts
from tests.helpers.jobs import run_queued

Auth = dict[str, dict[str, str]]
SITE = {"id": "LYON-CENTRE", "lat": 45.7640, "lon": 4.8357, "fixed_cost_cents_per_day": 5000}


def test_vrp_mode_solves_both_scenarios_and_keeps_the_estimate(
    client: TestClient, seeded: Database, auth: Auth, db_url: str
) -> None:
    for i, (pc, city) in enumerate(
        [("69001", "Lyon"), ("69004", "Lyon"), ("69100", "Villeurbanne"), ("69003", "Lyon")]
    ):
        address = AddressDraft(name="X", line1="1 rue", postcode=pc, city=city, country="FR")
        orders.place_order(
            seeded, order_draft(email=f"w{i}@example.fr", address=address), actor="t"
        )
    body = {"central": "LYS1", "sites": [SITE], "days": 1, "mode": "vrp", "time_limit": 0.5}
    r = client.post("/api/v1/delivery/what-if", json=body, headers=auth["operator"])
    # solving the routes takes up to time_limit a site: the worker tier does it
    assert r.status_code == 202, r.text
    assert run_queued(seeded, "delivery.what_if") == [r.json()["job_id"]]
    job = client.get(r.json()["url"], headers=auth["operator"]).json()
    assert job["status"] == "succeeded", job
    got = job["result"]
    assert got["mode"] == "vrp" and "PyVRP" in got["method"]
    assert got["points"] == 4 and got["orders_by_site"] == {"LYS1": 0, "LYON-CENTRE": 4}
    assert got["approximation"] is not None
    assert set(got["approximation"]) == {"central", "micro"}
    # a van from Saint-Priest to four Lyon addresses: at least the farthest round trip
    assert got["central"]["routes_per_day"] == 1 and got["central"]["km_per_day"] > 10
    site = next(x for x in got["micro"]["sites"] if x["site"] == "LYON-CENTRE")
    assert site["km_per_day"] < got["central"]["km_per_day"]
    assert got["saving_km_per_day"] == pytest.approx(
        got["central"]["km_per_day"] - got["micro"]["km_per_day"], abs=0.02
    )
    before = row_counts(seeded)
    for bad, code, field in (
        ({**body, "mode": "exact"}, 422, "mode"),
        ({**body, "central": "NOPE"}, 404, "central"),
        ({**body, "days": 1, "radius_km": 0.001}, 422, "points"),  # no order that near
    ):
        r = client.post("/api/v1/delivery/what-if", json=bad, headers=auth["operator"])
        assert r.status_code == code and field in r.text, (bad, r.text)
    assert row_counts(seeded) == before  # refused at once: no job
    r = client.post(
        "/api/v1/delivery/what-if", json={**body, "mode": "approx"}, headers=auth["operator"]
    )
    assert r.status_code == 200 and r.json()["approximation"] is None
    assert r.json()["mode"] == "approx"

    out = CliRunner().invoke(
        app,
        [
            "delivery",
            "what-if",
            "LYS1",
            "--site",
            "LC:45.764:4.8357:50",
            "--days",
            "1",
            "--mode",
            "vrp",
            "--time-limit",
            "0.5",
            "--db",
            db_url,
        ],
    )
    assert out.exit_code == 0, out.output
    assert "solved" in out.output and "LC" in out.output
    out = CliRunner().invoke(
        app,
        [
            "delivery",
            "what-if",
            "LYS1",
            "--site",
            "LC:45.764:4.8357",
            "--mode",
            "x",
            "--db",
            db_url,
        ],
    )
    assert out.exit_code == 1 and "approx or vrp" in out.output
