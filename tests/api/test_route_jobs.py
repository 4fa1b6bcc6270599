"""Route planning by the worker tier: the request answers 202 with the job at once; the job,
run again after its worker died, neither plans the day twice nor tells the customers twice."""

from __future__ import annotations

from fastapi.testclient import TestClient
from huey import MemoryHuey
from sqlalchemy import func, select, update

from maillon.core import jobs
from maillon.core.db import Database
from maillon.core.jobs import JobStatus
from maillon.core.tables import Job, OutboxMessage
from maillon.delivery.service import route_jobs
from maillon.delivery.tables import RoutePlan
from maillon.worker.engine import Engine
from tests.helpers.delivery import booked_day, place

Auth = dict[str, dict[str, str]]
VANS = [{"id": "VAN1", "shift_start": "08:00", "shift_end": "18:00"}]


def counts(db: Database) -> tuple[int, int, int]:
    """Plans, their revisions summed, ETA notices."""
    with db.reader() as s:
        return (
            s.scalar(select(func.count()).select_from(RoutePlan)) or 0,
            s.scalar(select(func.sum(RoutePlan.revision))) or 0,
            s.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.topic == "delivery.eta")
            )
            or 0,
        )


def run_twice(db: Database, job_id: int) -> None:
    """Run the job, then again as if its worker had died before recording the end."""
    engine = Engine(db, huey=MemoryHuey("t", utc=True), schedule=())
    engine.run(job_id)
    with db.transaction() as s:
        s.execute(update(Job).where(Job.id == job_id).values(status=JobStatus.QUEUED.value))
    engine.run(job_id)
    with db.reader() as s:
        assert jobs.get_job(s, job_id).status == JobStatus.SUCCEEDED


def test_a_route_job_run_twice_plans_and_tells_once(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    day, numbers = booked_day(client, seeded, auth)
    r = client.post(
        "/api/v1/delivery/routes/plan",
        json={"warehouse": "LYS1", "date": day, "vehicles": VANS},
        headers=auth["operator"],
    )
    assert r.status_code == 202, r.text
    body = r.json()
    assert body == {"job_id": body["job_id"], "status": "queued", "url": body["url"]}
    assert counts(seeded) == (0, 0, 0)  # nothing planned in the request
    run_twice(seeded, body["job_id"])
    plans, revisions, told = counts(seeded)
    assert (plans, revisions) == (1, 1) and told == len(numbers)
    with seeded.reader() as s:
        job = jobs.get_job(s, body["job_id"])
        plan = s.scalar(select(RoutePlan))
        assert plan is not None and plan.job_id == job.id and plan.created_by == job.requested_by
        assert job.result == {
            "plan": plan.id,
            "revision": 1,
            "stops": len(numbers),
            "unassigned": 0,
            "feasible": True,
        }

    new = place(seeded, 9, "69002", "Lyon")
    r = client.post(
        f"/api/v1/delivery/routes/{plan.id}/replan",
        json={"at": "08:00", "orders": [new]},
        headers=auth["operator"],
    )
    assert r.status_code == 202, r.text
    with seeded.reader() as s:
        queued = jobs.get_job(s, r.json()["job_id"])
        assert queued.name == route_jobs.REPLAN_JOB and queued.args["now_s"] == 8 * 3600
    run_twice(seeded, r.json()["job_id"])
    plans, revisions, told_after = counts(seeded)
    assert (plans, revisions) == (1, 2)  # re-planned once
    with seeded.reader() as s:
        notices = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "delivery.eta"))
        assert [n.payload["order"] for n in notices].count(new) == 1  # the new customer, once
    run_twice(seeded, r.json()["job_id"])
    assert counts(seeded) == (1, 2, told_after)
