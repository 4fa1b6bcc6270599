"""Large waves released by the worker tier.

Measured on 600 allocated orders in a 20-aisle layout (SQLite, one core): a wave of 20 orders
(the console's default) is released in 0.35 s, 100 orders in 2.7 s, 200 in 8 s (pick lists
and the batching solver grow with the wave), a density wave (CP-SAT with a time limit) in about
2 s. So a wave of up to :data:`SYNC_MAX_ORDERS` orders by promise stays the answer to its
request, and a larger one, or a density wave, is a job: the request checks its input
(:func:`~maillon.warehouse.service.release.check_wave`, reads only) and records the job; the
job releases the wave, keeping its id on it, so run again after its worker died it finds the
wave instead of releasing a second one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import jobs
from maillon.core.db import Database
from maillon.core.tables import Job
from maillon.warehouse.service import release
from maillon.warehouse.tables import PickWave

WAVE_JOB = "warehouse.release_wave"
#: A wave of up to this many orders, by promise, is released in the request (under a second).
SYNC_MAX_ORDERS = 50


def in_background(*, max_orders: int, selection: str) -> bool:
    """Whether a wave of these arguments is released by the worker tier."""
    return max_orders > SYNC_MAX_ORDERS or selection == "density"


def request_wave(
    *,
    session: Session,
    warehouse_code: str,
    requested_by: str,
    max_orders: int = 20,
    cart_units: int = 40,
    cutoff: datetime | None = None,
    method: str = "savings",
    selection: str = "promise",
    min_units: int = 0,
    max_units: int | None = None,
) -> Job:
    """Check a wave and record the job that releases it, in the caller's transaction.
    Raises like :func:`~maillon.warehouse.service.release.create_wave`, before anything is
    recorded (but a density wave that no set of orders fits, found by the solver)."""
    wave: dict[str, Any] = {
        "max_orders": max_orders,
        "cart_units": cart_units,
        "method": method,
        "selection": selection,
        "min_units": min_units,
        "max_units": max_units,
    }
    release.check_wave(session=session, warehouse_code=warehouse_code, cutoff=cutoff, **wave)
    args = {
        "warehouse": warehouse_code,
        "cutoff": cutoff.isoformat() if cutoff is not None else None,
        "actor": requested_by,
        **wave,
    }
    # the solver answers the same to the same orders: a failure is shown, retried by hand
    job = jobs.submit(session, WAVE_JOB, args, requested_by=requested_by, max_attempts=1)
    assert job is not None  # recorded without a key: always
    return job


def run_wave(db: Database, args: Mapping[str, Any]) -> dict[str, Any]:
    """The job of :func:`request_wave`: release the wave (once per job)."""
    job_id = jobs.current()
    with db.transaction() as session:
        wave = (
            session.scalar(select(PickWave).where(PickWave.job_id == job_id))
            if job_id is not None
            else None
        )
        if wave is None:
            cutoff = args.get("cutoff")
            wave = release.create_wave(
                session=session,
                warehouse_code=str(args["warehouse"]),
                actor=str(args.get("actor", "worker")),
                max_orders=int(args["max_orders"]),
                cart_units=int(args["cart_units"]),
                cutoff=datetime.fromisoformat(cutoff) if cutoff else None,
                method=str(args["method"]),
                selection=str(args["selection"]),
                min_units=int(args.get("min_units") or 0),
                max_units=args.get("max_units"),
                job_id=job_id,
            )
        return {"wave": wave.id, "orders": wave.orders, "tours": len(wave.tours)}
