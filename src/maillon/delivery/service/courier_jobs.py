"""Same-day couriers: registering couriers and their availability, jobs from a warehouse
(or a point) to an order's address (or a point), and their optimal assignment.

The pure assignment lives in :mod:`maillon.delivery.couriers`; this module does the I/O
around it. Like :mod:`maillon.delivery.service.lastmile`, each function works inside the caller's
transaction and never commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import (
    DuplicateError,
    ErrorCollector,
    FieldError,
    NotFound,
    ValidationError,
)
from maillon.delivery import couriers as courier_model
from maillon.delivery.model import CourierJobStatus
from maillon.delivery.service import LOCAL_TZ, warehouse_point
from maillon.delivery.tables import Courier, CourierJob
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.orders.service import timeline
from maillon.orders.tables import Order


def _check_point(errors: ErrorCollector, field: str, lat: float, lon: float) -> None:
    if not -90 <= lat <= 90:
        errors.add(f"{field}lat", "must be between -90 and 90")
    if not -180 <= lon <= 180:
        errors.add(f"{field}lon", "must be between -180 and 180")


def create_courier(
    *,
    session: Session,
    code: str,
    name: str,
    lat: float,
    lon: float,
    phone: str = "",
    available_from: dt.datetime | None = None,
    available_until: dt.datetime | None = None,
) -> Courier:
    """Register a courier. Raises ValidationError naming the field, DuplicateError."""
    errors = ErrorCollector()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 40:
        errors.add("code", "1-40 letters, digits, - or _")
    if not name.strip():
        errors.add("name", "is required")
    _check_point(errors, "", lat, lon)
    if available_from and available_until and available_until < available_from:
        errors.add("available_until", "is before available_from")
    errors.raise_if_any()
    if session.scalar(select(Courier.id).where(Courier.code == code)) is not None:
        raise DuplicateError("courier", "code", code)
    courier = Courier(
        code=code,
        name=name.strip(),
        phone=phone,
        lat=lat,
        lon=lon,
        available_from=available_from,
        available_until=available_until,
        active=True,
        created_at=clock.now(),
    )
    session.add(courier)
    session.flush()
    return courier


def set_availability(
    *,
    session: Session,
    code: str,
    available_from: dt.datetime | None,
    available_until: dt.datetime | None,
    lat: float | None = None,
    lon: float | None = None,
) -> Courier:
    """Update when (and where) a courier is available. Raises NotFound, ValidationError."""
    courier = session.scalar(select(Courier).where(Courier.code == code))
    if courier is None:
        raise NotFound("courier", code, field="code")
    errors = ErrorCollector()
    if available_from and available_until and available_until < available_from:
        errors.add("available_until", "is before available_from")
    if (lat is None) != (lon is None):
        errors.add("lat", "give both lat and lon")
    elif lat is not None and lon is not None:
        _check_point(errors, "", lat, lon)
    errors.raise_if_any()
    courier.available_from = available_from
    courier.available_until = available_until
    if lat is not None and lon is not None:
        courier.lat, courier.lon = lat, lon
    return courier


def list_couriers(*, session: Session) -> Sequence[Courier]:
    """Return every courier by code."""
    return session.scalars(select(Courier).order_by(Courier.code)).all()


def create_job(
    *,
    session: Session,
    ready_at: dt.datetime,
    deadline_at: dt.datetime,
    pickup_warehouse: str | None = None,
    pickup: tuple[float, float] | None = None,
    number: str | None = None,
    drop: tuple[float, float] | None = None,
    reference: str = "",
) -> CourierJob:
    """Add a same-day job from a warehouse (or a point) to an order's address (or a point).

    Raises NotFound (warehouse, order), ValidationError naming ``pickup``, ``drop``,
    ``deadline_at``.
    """
    errors = ErrorCollector()
    if (pickup_warehouse is None) == (pickup is None):
        errors.add("pickup", "give a warehouse code or a point, not both")
    if (number is None) == (drop is None):
        errors.add("drop", "give an order number or a point, not both")
    if deadline_at <= ready_at:
        errors.add("deadline_at", "must be after ready_at")
    if pickup is not None:
        _check_point(errors, "pickup.", *pickup)
    if drop is not None:
        _check_point(errors, "drop.", *drop)
    errors.raise_if_any()
    pickup_name = drop_name = ""
    order_id = None
    if pickup_warehouse is not None:
        wh = inventory.get_warehouse(session=session, code=pickup_warehouse, field="pickup")
        pickup = warehouse_point(wh, "pickup")
        pickup_name = wh.name
    if number is not None:
        order = orders.get_order(session=session, number=number, field="drop")
        if order.ship_lat is None or order.ship_lon is None:
            raise ValidationError(FieldError("drop", f"order {number} has no coordinates"))
        drop = (order.ship_lat, order.ship_lon)
        drop_name = f"{order.ship_name}, {order.ship_postcode} {order.ship_city}"
        order_id = order.id
    assert pickup is not None and drop is not None
    job = CourierJob(
        reference=reference[:100],
        order_id=order_id,
        pickup_name=pickup_name,
        pickup_lat=pickup[0],
        pickup_lon=pickup[1],
        drop_name=drop_name,
        drop_lat=drop[0],
        drop_lon=drop[1],
        ready_at=ready_at,
        deadline_at=deadline_at,
        status=CourierJobStatus.OPEN.value,
        created_at=clock.now(),
    )
    session.add(job)
    session.flush()
    return job


def list_jobs(*, session: Session, status: str | None = None) -> Sequence[CourierJob]:
    """Return jobs (optionally of one status), by deadline."""
    query = select(CourierJob)
    if status is not None:
        query = query.where(CourierJob.status == status)
    return session.scalars(query.order_by(CourierJob.deadline_at, CourierJob.id)).all()


def assign_couriers(
    *, session: Session, at: dt.datetime | None = None
) -> tuple[courier_model.AssignmentResult, dict[str, Courier], dict[str, CourierJob]]:
    """Assign the open jobs to the free couriers available now, optimally (most jobs on
    time, then least travel), and record the assignments with their ETAs.

    Returns the solver's result and the couriers and jobs by id used in it.
    """
    now = at or clock.now()

    def secs(moment: dt.datetime) -> int:
        return max(0, int((moment - now).total_seconds()))

    busy = set(
        session.scalars(
            select(CourierJob.courier_id).where(
                CourierJob.status == CourierJobStatus.ASSIGNED, CourierJob.courier_id.is_not(None)
            )
        )
    )
    riders = [
        c
        for c in list_couriers(session=session)
        if c.active and c.id not in busy and (c.available_until is None or c.available_until > now)
    ]
    jobs = [
        j for j in list_jobs(session=session, status=CourierJobStatus.OPEN) if j.deadline_at > now
    ]
    horizon = 24 * 3600
    result = courier_model.assign(
        [
            courier_model.Courier(
                c.code,
                c.lat,
                c.lon,
                secs(c.available_from) if c.available_from else 0,
                secs(c.available_until) if c.available_until else horizon,
            )
            for c in riders
        ],
        [
            courier_model.Job(
                str(j.id),
                j.pickup_lat,
                j.pickup_lon,
                j.drop_lat,
                j.drop_lon,
                secs(j.ready_at),
                secs(j.deadline_at),
            )
            for j in jobs
        ],
    )
    by_code = {c.code: c for c in riders}
    by_id = {str(j.id): j for j in jobs}
    for a in result.assignments:
        job = by_id[a.job_id]
        job.status = CourierJobStatus.ASSIGNED.value
        job.courier_id = by_code[a.courier_id].id
        job.pickup_eta = now + dt.timedelta(seconds=a.pickup_at)
        job.drop_eta = now + dt.timedelta(seconds=a.drop_at)
        job.assigned_at = now
        if job.order_id is not None:
            order = session.get(Order, job.order_id)
            if order is not None:
                eta = job.drop_eta.astimezone(LOCAL_TZ)
                timeline.notify_customer(
                    session=session,
                    order=order,
                    topic="delivery.courier_assigned",
                    context={"eta": eta},
                    extra={"eta": job.drop_eta.isoformat()},
                )
    session.flush()
    return result, by_code, by_id
