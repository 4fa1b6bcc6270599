"""Large waves are released by the worker tier: the request checks its input and answers at
once with the job (API 202, the console's page saying so); the job, run again after its
worker died, releases the wave once. A wave of up to 50 orders is still the request's answer."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from huey import MemoryHuey
from sqlalchemy import func, select, update

from maillon.core import jobs
from maillon.core.db import Database
from maillon.core.jobs import JobStatus
from maillon.core.tables import Job
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.orders.model import AddressDraft
from maillon.warehouse.service import wave_jobs
from maillon.warehouse.tables import PickWave
from maillon.worker.engine import Engine
from tests.helpers import order_draft
from tests.helpers.console import sign_in
from tests.helpers.database import row_counts
from tests.helpers.jobs import run_queued

Auth = dict[str, dict[str, str]]
LAYOUT = {"aisles": 6, "aisle_length": 20, "aisle_spacing": 3, "levels": 3, "prefix": "A"}
BINS = {"MUG-01": "A05-30-2", "TSHIRT-M": "A01-02-1", "BOOK-07": "A03-17-3"}


def backlog(client: TestClient, db: Database, auth: Auth, n: int) -> list[str]:
    """A laid-out PAR1 with ``n`` allocated one-unit orders waiting, stocked in the racks."""
    client.put("/api/v1/warehouses/PAR1/layout", json=LAYOUT, headers=auth["operator"])
    with db.transaction() as s:
        for sku, code in BINS.items():
            inventory.receive(
                session=s, warehouse_code="PAR1", location_code=code, sku=sku, quantity=100
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
    skus = list(BINS)
    return [
        orders.place_order(  # one customer and address each: no fraud hold
            db,
            order_draft(
                [(skus[i % 3], 1)],
                email=f"client{i}@example.fr",
                address=AddressDraft(
                    name=f"Client {i}",
                    line1=f"{i + 1} rue de la République",
                    postcode="69002",
                    city="Lyon",
                    country="FR",
                ),
            ),
            actor="t",
            allocate=True,
        )[0].number
        for i in range(n)
    ]


def waves(db: Database) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(PickWave)) or 0


def test_a_large_wave_is_a_job_released_once(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    numbers = backlog(client, seeded, auth, 52)
    op = auth["operator"]
    before = row_counts(seeded)
    for body, code, field in (
        ({"warehouse": "NOPE", "max_orders": 60}, 404, "warehouse"),
        ({"warehouse": "PAR1", "max_orders": 60, "method": "magic"}, 422, "method"),
        ({"warehouse": "PAR1", "max_orders": 60, "cutoff": "2000-01-01T00:00:00Z"}, 409, None),
    ):
        r = client.post("/api/v1/waves", json=body, headers=op)
        assert r.status_code == code, (body, r.text)
        assert field is None or r.json()["error"].get("field") == field, r.text
    assert row_counts(seeded) == before  # refused at once: no job, no wave

    r = client.post("/api/v1/waves", json={"warehouse": "PAR1", "max_orders": 60}, headers=op)
    assert r.status_code == 202, r.text
    job_id = r.json()["job_id"]
    assert r.json() == {"job_id": job_id, "status": "queued", "url": f"/api/v1/jobs/{job_id}"}
    assert waves(seeded) == 0
    engine = Engine(seeded, huey=MemoryHuey("t", utc=True), schedule=())
    engine.run(job_id)
    with seeded.transaction() as s:  # its worker died before recording the end
        s.execute(update(Job).where(Job.id == job_id).values(status=JobStatus.QUEUED.value))
    engine.run(job_id)
    assert waves(seeded) == 1
    job = client.get(f"/api/v1/jobs/{job_id}", headers=op).json()
    assert job["status"] == "succeeded" and job["result"]["orders"] == 52, job
    wave = client.get(f"/api/v1/waves/{job['result']['wave']}", headers=op).json()
    assert sorted(o for t in wave["tours"] for o in t["orders"]) == sorted(numbers)
    assert all(t["units"] <= 40 for t in wave["tours"]) and len(wave["tours"]) == 2


def test_the_console_queues_a_large_wave_and_says_so(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    backlog(client, seeded, auth, 52)
    sign_in(client, seeded)
    en = {"Accept-Language": "en"}
    page = client.get("/warehouse", params={"code": "PAR1"}, headers=en)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    form = {"csrf": csrf.group(1), "code": "PAR1", "max_orders": "60", "cart_units": "40"}
    r = client.post("/warehouse/waves", data=form, follow_redirects=False)
    assert r.status_code == 303 and "queued=" in r.headers["location"]
    shown = client.get(r.headers["location"], headers=en)
    assert "Wave release queued" in shown.text and 'href="/jobs"' in shown.text
    assert "A wave is being released (0 %" in shown.text and waves(seeded) == 0
    french = client.get(r.headers["location"], headers={"Accept-Language": "fr"})
    assert "Une vague est en cours de lancement (0 %" in french.text
    (job_id,) = run_queued(seeded, wave_jobs.WAVE_JOB)
    assert r.headers["location"].endswith(f"queued={job_id}")
    done = client.get(r.headers["location"], headers=en)
    assert "being released" not in done.text and "Wave release queued" not in done.text
    assert waves(seeded) == 1
    with seeded.reader() as s:
        assert jobs.get_job(s, job_id).requested_by == "u-operator"  # the signed-in operator
