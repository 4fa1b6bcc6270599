"""Our own shipping history, read back: measured reliability and carrier scorecards.

:func:`shipment_records` turns shipped shipments (with their carrier, service, zone, promise,
delivery, tracking exceptions and claims) into pure
:class:`~maillon.shipping.scorecard.ShipmentRecord` s; :func:`measured_reliability` and
:func:`carrier_scorecards` compute on them with :mod:`maillon.shipping.scorecard`.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.core.errors import FieldError, ValidationError
from maillon.shipping import scorecard
from maillon.shipping.model import ShipmentStatus, TrackingStatus
from maillon.shipping.promise import PARIS_TZ
from maillon.shipping.tables import Carrier, Parcel, Shipment, ShipmentClaim, TrackingEvent

__all__ = ["UNKNOWN_ZONE", "carrier_scorecards", "measured_reliability", "shipment_records"]

UNKNOWN_ZONE = "?"
"""The zone of shipments sent with a carrier that has no rate card."""

_MAX_DAYS = 3660


def local_day_bounds(day_from: dt.date, day_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Return the UTC instants of ``day_from`` 00:00 and the day after ``day_to`` (Paris)."""
    zone = ZoneInfo(PARIS_TZ)
    start = dt.datetime.combine(day_from, dt.time(), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day_to + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start, end.astimezone(dt.UTC)


def shipment_records(
    *,
    session: Session,
    shipped_from: dt.datetime | None = None,
    shipped_to: dt.datetime | None = None,
    delivered_only: bool = False,
) -> list[scorecard.ShipmentRecord]:
    """Return the shipments handed to a carrier in ``[shipped_from, shipped_to)`` as records."""
    query = (
        select(
            Shipment.id,
            Carrier.code,
            Shipment.zone,
            Shipment.service_code,
            Shipment.shipped_at,
            Shipment.delivered_at,
            Shipment.promised_on,
            Shipment.carrier_due_on,
            Shipment.status,
        )
        .join(Carrier, Carrier.id == Shipment.carrier_id)
        .where(Shipment.shipped_at.is_not(None))
    )
    if shipped_from is not None:
        query = query.where(Shipment.shipped_at >= shipped_from)
    if shipped_to is not None:
        query = query.where(Shipment.shipped_at < shipped_to)
    if delivered_only:
        query = query.where(Shipment.delivered_at.is_not(None))
    rows = session.execute(query.order_by(Shipment.id)).all()
    if not rows:
        return []
    exceptions: set[int] = set()
    claims: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    if not delivered_only:
        # the same shipments, by the same conditions (binding thousands of ids costs more)
        shipped = query.with_only_columns(Shipment.id).subquery("shipped")
        exceptions.update(
            session.scalars(
                select(Parcel.shipment_id)
                .join(shipped, shipped.c.id == Parcel.shipment_id)
                .join(TrackingEvent, TrackingEvent.parcel_id == Parcel.id)
                .where(TrackingEvent.status == TrackingStatus.EXCEPTION.value)
                .distinct()
            ).all()
        )
        for shipment_id, kind, count, cents in session.execute(
            select(
                ShipmentClaim.shipment_id,
                ShipmentClaim.kind,
                func.count(),
                func.coalesce(func.sum(ShipmentClaim.amount_cents), 0),
            )
            .join(shipped, shipped.c.id == ShipmentClaim.shipment_id)
            .group_by(ShipmentClaim.shipment_id, ShipmentClaim.kind)
        ).all():
            claims[shipment_id][0 if kind == "damage" else 1] += int(count)
            claims[shipment_id][2] += int(cents)
    records = []
    for r in rows:
        damage, loss, cents = claims.get(r.id, (0, 0, 0))
        delivered = r.delivered_at
        if delivered is not None and delivered < r.shipped_at:
            delivered = r.shipped_at  # a hand-confirmed delivery stamped before the hand-over
        records.append(
            scorecard.ShipmentRecord(
                carrier=r.code,
                zone=r.zone or UNKNOWN_ZONE,
                service=r.service_code,
                shipped_at=r.shipped_at,
                delivered_at=delivered,
                promised_on=r.promised_on,
                carrier_due_on=r.carrier_due_on,
                exception=r.id in exceptions or r.status == ShipmentStatus.EXCEPTION,
                damage_claims=damage,
                loss_claims=loss,
                claims_cents=cents,
            )
        )
    return records


_reliability_lock = threading.Lock()
_reliability_cache: dict[tuple[Any, ...], dict[tuple[str, str, str], tuple[float, int]]] = {}


def measured_reliability(
    *, session: Session, since: dt.datetime
) -> dict[tuple[str, str, str], tuple[float, int]]:
    """Return the on-time rate per (carrier, service, zone) of deliveries shipped ``since``.

    Rate shopping asks this on every quote, so the answer is kept per database and hour of
    ``since``, and recomputed as soon as a delivery is recorded or a shipment changes (the
    key holds the count, the last shipment id and the latest delivery of the period).
    """
    hour = since.replace(minute=0, second=0, microsecond=0)
    stamp = session.execute(
        select(func.count(), func.max(Shipment.id), func.max(Shipment.delivered_at)).where(
            Shipment.shipped_at >= hour,
            Shipment.delivered_at.is_not(None),
            Shipment.carrier_id.is_not(None),
        )
    ).one()
    key = (str(session.get_bind().engine.url), hour, *stamp)
    with _reliability_lock:
        found = _reliability_cache.get(key)
    if found is not None:
        return found
    measured = scorecard.reliability(
        shipment_records(session=session, shipped_from=hour, delivered_only=True)
    )
    with _reliability_lock:
        if len(_reliability_cache) > 64:
            _reliability_cache.clear()
        _reliability_cache[key] = measured
    return measured


def carrier_scorecards(
    *, session: Session, day_from: dt.date, day_to: dt.date
) -> tuple[scorecard.ScorecardRow, ...]:
    """Return the scorecards of shipments handed over from ``day_from`` to ``day_to`` (local).

    Raises ValidationError (``to``) when the period ends before it starts or spans over ten
    years.
    """
    if day_to < day_from:
        raise ValidationError(FieldError("to", "must be on or after from"))
    if (day_to - day_from).days > _MAX_DAYS:
        raise ValidationError(FieldError("to", "the period may span at most ten years"))
    start, end = local_day_bounds(day_from, day_to)
    return scorecard.scorecards(
        shipment_records(session=session, shipped_from=start, shipped_to=end)
    )
