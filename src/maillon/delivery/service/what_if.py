"""The micro-warehouse what-if as the API answers it, and its job for the worker tier.

The estimate (``mode="approx"``, continuous approximation) takes milliseconds and is the
request's answer. Solving the routes (``mode="vrp"``) takes up to ``time_limit`` seconds a
site and scenario (minutes for fifty sites): the request runs the estimate first, which checks
every input (central warehouse, sites, an order history to replay), then records a job whose
result is the whole answer. The job only reads, so running it twice does nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from maillon.core import jobs
from maillon.core.db import Database
from maillon.core.tables import Job
from maillon.delivery import microhubs
from maillon.delivery.service import lastmile

WHAT_IF_JOB = "delivery.what_if"
VRP_METHOD = "routes of a typical day solved with PyVRP from each site"
APPROX_METHOD = "continuous approximation (Daganzo 1984, BHH constant 0.7124)"


def scenario(s: microhubs.ScenarioFigures) -> dict[str, Any]:
    """A scenario as the answer gives it."""
    return {
        "name": s.name,
        "km_per_day": round(s.km, 2),
        "hours_per_day": round(s.hours, 2),
        "cost_cents_per_day": round(s.cost_cents),
        "routes_per_day": s.routes,
        "sites": [
            {
                "site": f.site,
                "vehicle": f.vehicle,
                "stops_per_day": round(f.stops, 2),
                "routes_per_day": f.routes,
                "km_per_day": round(f.km, 2),
                "replenishment_km_per_day": round(f.replenishment_km, 2),
                "hours_per_day": round(f.hours, 2),
                "cost_cents_per_day": round(f.cost_cents),
            }
            for f in s.sites
        ],
    }


def answer(
    *,
    session: Session,
    central: str,
    sites: Sequence[dict[str, Any]],
    days: int = 30,
    radius_km: float = 30.0,
    points: Sequence[Sequence[float]] | None = None,
    service_s: float = 180.0,
    road_factor: float = 1.3,
    mode: str = "approx",
    seed: int = 0,
    time_limit: float = 1.0,
) -> dict[str, Any]:
    """The what-if's answer (both scenarios, savings, chart; in ``vrp`` mode the estimate
    too). ``sites`` are ``{id, lat, lon, fixed_cost_cents_per_day}``, ``points`` ``[lat,
    lon]`` pairs. Raises like :func:`~maillon.delivery.service.lastmile.micro_what_if`."""
    candidates = [
        lastmile.SiteInput(s["id"], s["lat"], s["lon"], s.get("fixed_cost_cents_per_day", 0))
        for s in sites
    ]
    given = None if points is None else [(float(p[0]), float(p[1])) for p in points]
    approx = None
    for step in ("approx", "vrp") if mode == "vrp" else ("approx",):
        result = lastmile.micro_what_if(
            session=session,
            central_code=central,
            sites=candidates,
            days=days,
            radius_km=radius_km,
            points=given,
            service_s=service_s,
            road_factor=road_factor,
            mode=step,
            seed=seed,
            time_limit=time_limit,
        )
        if step == "approx" and mode == "vrp":
            approx = result
    return {
        "points": result.points,
        "days": result.days,
        "central": scenario(result.central),
        "micro": scenario(result.micro),
        "saving_km_per_day": result.saving_km,
        "saving_cents_per_day": round(result.saving_cost_cents),
        "orders_by_site": result.assignment,
        "chart": result.chart(),
        "method": VRP_METHOD if mode == "vrp" else APPROX_METHOD,
        "mode": mode,
        "approximation": None
        if approx is None
        else {"central": scenario(approx.central), "micro": scenario(approx.micro)},
    }


def request_vrp(*, session: Session, args: dict[str, Any], requested_by: str) -> Job:
    """Check a ``vrp`` what-if by running its estimate (milliseconds) and record the job that
    solves it, in the caller's transaction; ``args`` are :func:`answer`'s (JSON values)."""
    answer(session=session, **{**args, "mode": "approx"})
    job = jobs.submit(
        session, WHAT_IF_JOB, {**args, "mode": "vrp"}, requested_by=requested_by, max_attempts=1
    )
    assert job is not None  # recorded without a key: always
    return job


def run(db: Database, args: dict[str, Any]) -> dict[str, Any]:
    """The job of :func:`request_vrp`: the whole answer (it only reads)."""
    with db.reader() as session:
        return answer(session=session, **args)
