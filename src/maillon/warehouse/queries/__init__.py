"""Read-only questions about the warehouse floor that pages ask: recent pick lists and wave
tours of a warehouse, the stops of a tour, which orders are ready to pack, how far an order's
packing went. Each takes a session and changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from maillon.inventory.tables import Warehouse
from maillon.orders.model import OrderStatus, order_number
from maillon.orders.tables import Order
from maillon.warehouse.model import PackingStatus, PickListStatus
from maillon.warehouse.tables import (
    PackingScan,
    PackingSession,
    PickList,
    PickListLine,
    PickTour,
    PickWave,
)


def count_stale_pick_lists(*, session: Session, before: datetime) -> int:
    """Return how many pick lists are still open though created before ``before``."""
    return int(
        session.scalar(
            select(func.count())
            .select_from(PickList)
            .where(PickList.status == PickListStatus.OPEN, PickList.created_at < before)
        )
        or 0
    )


def recent_pick_lists(
    *, session: Session, warehouse_id: int, limit: int = 30
) -> Sequence[PickList]:
    """Return the pick lists of a warehouse, the open ones first, newest first."""
    return session.scalars(
        select(PickList)
        .where(PickList.warehouse_id == warehouse_id)
        .order_by((PickList.status == PickListStatus.OPEN).desc(), PickList.id.desc())
        .limit(limit)
    ).all()


def recent_tours(*, session: Session, warehouse_id: int, limit: int = 30) -> Sequence[Any]:
    """Return the wave tours of a warehouse, newest first, as rows ``(tour, wave id, number
    of pick lists)``."""
    return session.execute(
        select(PickTour, PickWave.id, func.count(PickList.id))
        .join(PickWave, PickWave.id == PickTour.wave_id)
        .outerjoin(PickList, PickList.tour_id == PickTour.id)
        .where(PickTour.warehouse_id == warehouse_id)
        .group_by(PickTour.id, PickWave.id)
        .order_by(PickTour.id.desc())
        .limit(limit)
    ).all()


def tour_lines(*, session: Session, tour_id: int) -> Sequence[PickListLine]:
    """Return the pick lines of every list of a tour, in the tour's walking order."""
    return session.scalars(
        select(PickListLine)
        .join(PickList, PickList.id == PickListLine.pick_list_id)
        .where(PickList.tour_id == tour_id)
        .order_by(PickListLine.tour_sequence, PickListLine.id)
    ).all()


def first_tour_of_wave(*, session: Session, wave_id: int) -> int | None:
    """Return the id of a wave's first tour (None: the wave has none)."""
    return session.scalar(select(func.min(PickTour.id)).where(PickTour.wave_id == wave_id))


def ready_to_pack(*, session: Session, limit: int = 20) -> list[str]:
    """Return the numbers of the orders ready to pack, latest picked first: being picked, with
    a finished pick list, no pick list still open and no packing session done."""
    other = aliased(PickList)
    open_list = exists().where(other.order_id == Order.id, other.status == PickListStatus.OPEN)
    packed = exists().where(
        PackingSession.order_id == Order.id, PackingSession.status == PackingStatus.DONE
    )
    rows = session.execute(
        select(Order.id)
        .join(PickList, PickList.order_id == Order.id)
        .where(
            Order.status == OrderStatus.PICKING.value,
            PickList.status == PickListStatus.DONE,
            ~open_list,
            ~packed,
        )
        .group_by(Order.id)
        .order_by(func.max(PickList.completed_at).desc(), Order.id.desc())
        .limit(limit)
    ).all()
    return [order_number(order_id) for (order_id,) in rows]


def packing_progress(
    *, session: Session, order_id: int
) -> tuple[dict[str, PackingSession], dict[int, set[int]]]:
    """Return an order's latest packing session per warehouse code, and per session the
    placements already scanned (indexes into the session's fixed plan)."""
    latest: dict[int, PackingSession] = {}
    for row in session.scalars(
        select(PackingSession)
        .where(PackingSession.order_id == order_id)
        .order_by(PackingSession.id)
        .limit(50)
    ):
        latest[row.warehouse_id] = row
    codes = dict(
        session.execute(
            select(Warehouse.code, Warehouse.id).where(Warehouse.id.in_(list(latest)))
        ).all()
    )
    filled_by: dict[int, set[int]] = {}
    if latest:
        for session_id, placement in session.execute(
            select(PackingScan.session_id, PackingScan.placement).where(
                PackingScan.session_id.in_([r.id for r in latest.values()])
            )
        ):
            filled_by.setdefault(session_id, set()).add(placement)
    by_code = {code: latest[wid] for code, wid in codes.items()}
    return by_code, filled_by


def pick_list_in(*, session: Session, order_id: int, warehouse_code: str) -> int | None:
    """Return the id of an order's first pick list (not cancelled) in a warehouse, or None."""
    return session.scalar(
        select(PickList.id)
        .join(Warehouse, Warehouse.id == PickList.warehouse_id)
        .where(
            PickList.order_id == order_id,
            Warehouse.code == warehouse_code,
            PickList.status != PickListStatus.CANCELLED,
        )
        .order_by(PickList.id)
        .limit(1)
    )
