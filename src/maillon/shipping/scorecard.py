"""Carrier scorecards and measured reliability (pure), from our own shipment history.

A :class:`ShipmentRecord` is one shipment as the database knows it: carrier, service, zone,
when it left and arrived, the customer's promised day (``promised_on``), the carrier's due
day from the hand-over (``carrier_due_on``), whether a tracking exception was seen and its
damage / loss claims.

:func:`scorecards` groups records per carrier and zone (plus a ``*`` row per carrier for all
its zones) into :class:`ScorecardRow` s:

* ``on_time_rate``: delivered shipments that arrived on or before the carrier's due day (the
  promised day when no due day is known), over the delivered ones with such a day;
* ``transit_p50`` / ``transit_p90``: transit in *delivery days* (Monday-Saturday, public
  holidays of ``country`` excluded) from the local hand-over day to the local delivery day,
  percentiles by linear interpolation (the spread of the transit time);
* ``exceptions``, ``damage_claims``, ``loss_claims``, ``claims_cents``;
* ``promise``: promise accuracy, the delivered day against the customer's promised day
  (:class:`~maillon.shipping.promise.PromiseAccuracy`: count, on time, mean / max days late).

:func:`reliability` returns the on-time rate per ``(carrier, service, zone)`` (and per
``(carrier, service, "*")``) in the shape :func:`maillon.shipping.rates.shop` takes, so rate
shopping ranks services by what we measured, shrunk to its prior for small samples.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from maillon.shipping.promise import (
    PARIS_TZ,
    PromiseAccuracy,
    PromiseOutcome,
    compare_promise,
    is_delivery_day,
    summarise_promises,
)

__all__ = [
    "ALL_ZONES",
    "ScorecardRow",
    "ShipmentRecord",
    "percentile",
    "reliability",
    "scorecards",
    "transit_days",
]

ALL_ZONES = "*"
"""The zone of a carrier's summary row (and of a service's all-zone reliability)."""


@dataclass(frozen=True, slots=True)
class ShipmentRecord:
    """One shipped shipment, as the scorecards read it (times aware, days local).

    Raises ValueError for a naive time, a delivery before the hand-over or negative claims.
    """

    carrier: str
    zone: str
    service: str | None
    shipped_at: dt.datetime
    delivered_at: dt.datetime | None = None
    promised_on: dt.date | None = None
    carrier_due_on: dt.date | None = None
    exception: bool = False
    damage_claims: int = 0
    loss_claims: int = 0
    claims_cents: int = 0

    def __post_init__(self) -> None:
        for name in ("shipped_at", "delivered_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")
        if self.delivered_at is not None and self.delivered_at < self.shipped_at:
            raise ValueError("delivered_at is before shipped_at")
        if min(self.damage_claims, self.loss_claims, self.claims_cents) < 0:
            raise ValueError("claims must be >= 0")

    @property
    def due_on(self) -> dt.date | None:
        """The day the carrier should have delivered: its due day, else the promised day."""
        return self.carrier_due_on or self.promised_on


@dataclass(frozen=True, slots=True)
class ScorecardRow:
    """One carrier (and zone, ``*`` for all) over a period; rates are None without data."""

    carrier: str
    zone: str
    shipments: int
    delivered: int
    on_time: int
    on_time_rate: float | None
    transit_p50: float | None
    transit_p90: float | None
    transit_max: int | None
    exceptions: int
    damage_claims: int
    loss_claims: int
    claims_cents: int
    promise: PromiseAccuracy


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the ``q`` percentile (0-100) of ``values`` by linear interpolation, or None.

    Raises ValueError for ``q`` outside 0-100.
    """
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def transit_days(
    shipped_at: dt.datetime,
    delivered_at: dt.datetime,
    *,
    timezone: str = PARIS_TZ,
    country: str = "FR",
) -> int:
    """Return the delivery days (Mon-Sat, public holidays excluded) from hand-over to delivery.

    Both times are read in ``timezone``; a same-day delivery is 0. Raises ValueError for
    naive times.
    """
    if shipped_at.utcoffset() is None or delivered_at.utcoffset() is None:
        raise ValueError("times must be timezone-aware")
    zone = ZoneInfo(timezone)
    return _delivery_days(
        shipped_at.astimezone(zone).date(), delivered_at.astimezone(zone).date(), country
    )


def _local_day(moment: dt.datetime, timezone: str) -> dt.date:
    return moment.astimezone(ZoneInfo(timezone)).date()


@dataclass(frozen=True, slots=True)
class _Measured:
    """One record and what its rows read of it, worked out once (a record counts in its
    zone's row and in its carrier's ``*`` row)."""

    record: ShipmentRecord
    on_time: bool | None  # None: not delivered, or no due day
    transit: int | None  # None: not delivered
    promise: PromiseOutcome | None


def _measure(records: Iterable[ShipmentRecord], timezone: str, country: str) -> list[_Measured]:
    zone = ZoneInfo(timezone)
    transits: dict[tuple[dt.date, dt.date], int] = {}  # many shipments share their two days
    measured = []
    for r in records:
        if r.delivered_at is None:
            measured.append(_Measured(r, None, None, None))
            continue
        shipped_day = r.shipped_at.astimezone(zone).date()
        delivered_day = r.delivered_at.astimezone(zone).date()
        days = (shipped_day, delivered_day)
        if days not in transits:
            transits[days] = _delivery_days(shipped_day, delivered_day, country)
        due = r.due_on
        measured.append(
            _Measured(
                r,
                None if due is None else delivered_day <= due,
                transits[days],
                None
                if r.promised_on is None
                else compare_promise(
                    promised=r.promised_on, delivered_at=delivered_day, country=country
                ),
            )
        )
    return measured


def _delivery_days(day: dt.date, end: dt.date, country: str) -> int:
    count = 0
    while day < end:
        day += dt.timedelta(days=1)
        if is_delivery_day(day, country=country, saturday_delivery=True):
            count += 1
    return count


def _row(carrier: str, zone: str, items: Sequence[_Measured]) -> ScorecardRow:
    records = [m.record for m in items]
    judged = [m.on_time for m in items if m.on_time is not None]
    transits = [m.transit for m in items if m.transit is not None]
    return ScorecardRow(
        carrier=carrier,
        zone=zone,
        shipments=len(records),
        delivered=len(transits),
        on_time=sum(judged),
        on_time_rate=sum(judged) / len(judged) if judged else None,
        transit_p50=percentile([float(t) for t in transits], 50),
        transit_p90=percentile([float(t) for t in transits], 90),
        transit_max=max(transits, default=None),
        exceptions=sum(1 for r in records if r.exception),
        damage_claims=sum(r.damage_claims for r in records),
        loss_claims=sum(r.loss_claims for r in records),
        claims_cents=sum(r.claims_cents for r in records),
        promise=summarise_promises([m.promise for m in items if m.promise is not None]),
    )


def scorecards(
    records: Iterable[ShipmentRecord], *, timezone: str = PARIS_TZ, country: str = "FR"
) -> tuple[ScorecardRow, ...]:
    """Return one row per carrier and zone, then the carrier's ``*`` row, by carrier and zone.

    A carrier served in a single zone still gets its ``*`` row (the same figures).
    """
    by_zone: dict[tuple[str, str], list[_Measured]] = defaultdict(list)
    by_carrier: dict[str, list[_Measured]] = defaultdict(list)
    for m in _measure(records, timezone, country):
        by_zone[(m.record.carrier, m.record.zone)].append(m)
        by_carrier[m.record.carrier].append(m)
    rows: list[ScorecardRow] = []
    for carrier in sorted(by_carrier):
        zones = sorted(z for c, z in by_zone if c == carrier)
        rows.extend(_row(carrier, z, by_zone[(carrier, z)]) for z in zones)
        rows.append(_row(carrier, ALL_ZONES, by_carrier[carrier]))
    return tuple(rows)


def reliability(
    records: Iterable[ShipmentRecord], *, timezone: str = PARIS_TZ
) -> dict[tuple[str, str, str], tuple[float, int]]:
    """Return ``(carrier, service, zone) -> (on_time_rate, deliveries)``, plus zone ``*``.

    Only delivered shipments with a service and a due day count.
    """
    counts: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in records:
        due = r.due_on
        if r.service is None or r.delivered_at is None or due is None:
            continue
        hit = int(_local_day(r.delivered_at, timezone) <= due)
        for key in ((r.carrier, r.service, r.zone), (r.carrier, r.service, ALL_ZONES)):
            counts[key][0] += hit
            counts[key][1] += 1
    return {key: (hits / n, n) for key, (hits, n) in counts.items()}
