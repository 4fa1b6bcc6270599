"""Read-only questions about route plans that pages ask: the warehouse planned last, whether a
day has a plan, a day's plans. Each takes a session and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.delivery.tables import RoutePlan
from maillon.inventory.tables import Warehouse


def last_planned_warehouse(*, session: Session) -> str | None:
    """Return the code of the warehouse of the newest route plan (None: no plan yet)."""
    return session.scalar(
        select(Warehouse.code)
        .join(RoutePlan, RoutePlan.warehouse_id == Warehouse.id)
        .order_by(RoutePlan.id.desc())
        .limit(1)
    )


def has_plan(*, session: Session, day: date) -> bool:
    """Return whether some warehouse has a route plan for ``day``."""
    return session.scalar(select(RoutePlan.id).where(RoutePlan.day == day).limit(1)) is not None


def plans_of_day(
    *, session: Session, warehouse_id: int, day: date, limit: int
) -> Sequence[RoutePlan]:
    """Return a warehouse's route plans for ``day``, newest first."""
    return session.scalars(
        select(RoutePlan)
        .where(RoutePlan.warehouse_id == warehouse_id, RoutePlan.day == day)
        .order_by(RoutePlan.id.desc())
        .limit(limit)
    ).all()
