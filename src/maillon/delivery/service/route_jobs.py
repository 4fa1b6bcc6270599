"""Route planning by the worker tier: a request checks its input at once
(:func:`~maillon.delivery.service.lastmile.check_plan`, ``check_replan``: reads only) and
records a job; the job solves and stores the plan (PyVRP, up to its time limit, then the
customers' ETA notices).

A job keeps its id on the plan it made or last re-planned (``RoutePlan.job_id``): run again
after its worker died, it finds the plan instead of planning (and telling the customers) twice.
A route job runs once (``max_attempts=1``): the solver gives the same answer to the same input,
so a failure is shown with its error, and retried by hand from the jobs page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import jobs
from maillon.core.db import Database
from maillon.core.tables import Job
from maillon.delivery.model import StopStatus
from maillon.delivery.service import lastmile
from maillon.delivery.tables import RoutePlan

PLAN_JOB = "delivery.plan_routes"
REPLAN_JOB = "delivery.replan_routes"


def request_plan(
    *,
    session: Session,
    warehouse_code: str,
    day: dt.date,
    vehicles: Sequence[lastmile.VehicleSpec],
    numbers: Sequence[str] | None = None,
    service_s: int = 300,
    travel: str = "haversine",
    time_limit: float = 1.0,
    requested_by: str,
) -> Job:
    """Check a day's plan and record the job that plans it, in the caller's transaction.
    Raises like :func:`~maillon.delivery.service.lastmile.plan_routes`, before anything is
    recorded."""
    lastmile.check_plan(
        session=session,
        warehouse_code=warehouse_code,
        day=day,
        vehicles=vehicles,
        numbers=numbers,
        service_s=service_s,
        travel=travel,
    )
    args = {
        "warehouse": warehouse_code,
        "day": day.isoformat(),
        "vehicles": [asdict(v) for v in vehicles],
        "orders": None if numbers is None else list(numbers),
        "service_s": service_s,
        "travel": travel,
        "time_limit": time_limit,
        "actor": requested_by,
    }
    return _submit(session, PLAN_JOB, args, requested_by)


def request_replan(
    *,
    session: Session,
    plan_id: int,
    now_s: int,
    numbers: Sequence[str] = (),
    positions: Sequence[lastmile.Position] = (),
    served: Mapping[str, Sequence[str]] | None = None,
    service_s: int = 300,
    time_limit: float = 1.0,
    requested_by: str,
) -> Job:
    """Check a re-plan at local time ``now_s`` and record the job that does it. Raises like
    :func:`~maillon.delivery.service.lastmile.replan_routes`, before anything is recorded."""
    lastmile.check_replan(
        session=session,
        plan_id=plan_id,
        numbers=numbers,
        positions=positions,
        served=served,
        service_s=service_s,
    )
    args = {
        "plan": plan_id,
        "now_s": now_s,
        "orders": list(numbers),
        "positions": [asdict(p) for p in positions],
        "served": None if served is None else {k: list(v) for k, v in served.items()},
        "service_s": service_s,
        "time_limit": time_limit,
    }
    return _submit(session, REPLAN_JOB, args, requested_by)


def _submit(session: Session, name: str, args: dict[str, Any], requested_by: str) -> Job:
    job = jobs.submit(session, name, args, requested_by=requested_by, max_attempts=1)
    assert job is not None  # recorded without a key: always
    return job


def _summary(plan: RoutePlan) -> dict[str, Any]:
    return {
        "plan": plan.id,
        "revision": plan.revision,
        "stops": len(plan.stops),
        "unassigned": sum(1 for s in plan.stops if s.status == StopStatus.UNASSIGNED),
        "feasible": plan.feasible,
    }


def _made_by(session: Session, job_id: int | None) -> RoutePlan | None:
    if job_id is None:
        return None
    return session.scalar(select(RoutePlan).where(RoutePlan.job_id == job_id))


def run_plan(db: Database, args: Mapping[str, Any]) -> dict[str, Any]:
    """The job of :func:`request_plan`: plan and store the day (once per job)."""
    job_id = jobs.current()
    with db.transaction() as session:
        plan = _made_by(session, job_id)
        if plan is None:
            plan = lastmile.plan_routes(
                session=session,
                warehouse_code=str(args["warehouse"]),
                day=dt.date.fromisoformat(str(args["day"])),
                vehicles=[lastmile.VehicleSpec(**v) for v in args["vehicles"]],
                numbers=args.get("orders"),
                service_s=int(args.get("service_s", 300)),
                travel=str(args.get("travel", "haversine")),
                actor=str(args.get("actor", "worker")),
                time_limit=float(args.get("time_limit", 1.0)),
                job_id=job_id,
            )
        return _summary(plan)


def run_replan(db: Database, args: Mapping[str, Any]) -> dict[str, Any]:
    """The job of :func:`request_replan`: re-plan the day under way (once per job)."""
    job_id = jobs.current()
    with db.transaction() as session:
        plan = _made_by(session, job_id)
        if plan is None:
            plan = lastmile.replan_routes(
                session=session,
                plan_id=int(args["plan"]),
                now_s=int(args["now_s"]),
                numbers=list(args.get("orders") or ()),
                positions=[lastmile.Position(**p) for p in args.get("positions") or ()],
                served=args.get("served"),
                service_s=int(args.get("service_s", 300)),
                time_limit=float(args.get("time_limit", 1.0)),
                job_id=job_id,
            )
        return _summary(plan)
