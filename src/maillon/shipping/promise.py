"""Promise dates (pure): when an order ships and when it should be delivered.

:func:`promise_date` turns an order time into a ship date and an estimated delivery date:

1. the order time (any timezone; naive times are refused) is read in the warehouse's timezone
   (``Europe/Paris`` by default);
2. it ships the same day when that day is a *ship day* and the order came in strictly before
   the cut-off (the earlier of the warehouse's and the carrier service's); otherwise on the
   next ship day.  ``handling_days`` more ship days are added for slow preparation.  A ship day
   is a working weekday of the warehouse, not one of its closed dates, not a public holiday
   of the warehouse's country, and a day the carrier collects (Monday to Friday, Saturday too
   for services that collect on Saturday; never Sunday);
3. the delivery date is ``transit_days`` *delivery days* after the ship date (``0``: the same
   day, for same-day couriers).  Delivery days are Monday to Friday, plus Saturday for services
   that deliver on Saturday, never Sunday, and never a public holiday at the destination
   (country, and for France the Alsace-Moselle and overseas subdivisions read from the postal
   code).

Public holidays come from the ``holidays`` package through an LRU-cached calendar
(:func:`holiday_dates`), so a promise costs a few dictionary look-ups.  Everything is
deterministic: no clock is read.

:func:`compare_promise` compares a promise with the actual delivery (on time, days late) and
:func:`summarise_promises` aggregates those comparisons into a promise-accuracy rate.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "DEFAULT_WAREHOUSE",
    "PARIS_TZ",
    "Promise",
    "PromiseAccuracy",
    "PromiseOutcome",
    "WarehouseCalendar",
    "compare_promise",
    "french_subdivision",
    "holiday_dates",
    "is_delivery_day",
    "promise_date",
    "summarise_promises",
]

PARIS_TZ = "Europe/Paris"
"""The timezone cut-offs are read in unless a warehouse says otherwise."""

_SATURDAY = 5
_SUNDAY = 6
_MAX_SCAN_DAYS = 366
"""Give up looking for a ship or delivery day after this many days (a calendar with no day)."""


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=512)
def holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    """Return the public holidays of ``country`` (ISO alpha-2) in ``year``, as a frozenset.

    ``subdivision`` is a ``holidays`` subdivision code (``"57"``, ``"6AE"``, ``"974"``...)
    or None. A country the ``holidays`` package does not know has no holidays (empty set);
    an unknown subdivision falls back to the country's national holidays. Cached (LRU).
    """
    try:
        calendar = holidays.country_holidays(country, subdiv=subdivision, years=year)
    except NotImplementedError:
        if subdivision is None:
            return frozenset()
        return holiday_dates(country, None, year)
    return frozenset(calendar.keys())


def french_subdivision(postal_code: str) -> str | None:
    """Return the ``holidays`` subdivision of a French postal code with its own holidays.

    Moselle (57) and Alsace (67, 68) keep Good Friday and 26 December; the overseas
    departments (971-976) have their own days. Other codes return None (national holidays).
    """
    code = postal_code.strip()
    if code.startswith("57"):
        return "57"
    if code.startswith(("67", "68")):
        return "6AE"
    if code[:3] in ("971", "972", "973", "974", "976"):
        return code[:3]
    return None


def _is_holiday(day: dt.date, country: str, subdivision: str | None) -> bool:
    return day in holiday_dates(country, subdivision, day.year)


def is_delivery_day(
    day: dt.date,
    *,
    country: str = "FR",
    subdivision: str | None = None,
    saturday_delivery: bool = False,
) -> bool:
    """Return True when a carrier delivers on ``day`` in ``country`` (and ``subdivision``).

    Never on Sunday, on Saturday only with ``saturday_delivery``, never on a public holiday.
    """
    weekday = day.weekday()
    if weekday == _SUNDAY or (weekday == _SATURDAY and not saturday_delivery):
        return False
    return not _is_holiday(day, country, subdivision)


@dataclass(frozen=True, slots=True)
class WarehouseCalendar:
    """When a warehouse hands parcels to carriers.

    Attributes:
        cutoff: local time (naive) before which an order ships the same day (strictly before).
        timezone: IANA name the cut-off is read in.
        working_weekdays: weekdays the warehouse ships (0 = Monday ... 6 = Sunday).
        holiday_country: country whose public holidays close the warehouse (and the carriers'
            collections).
        holiday_subdivision: its ``holidays`` subdivision, if any (``"57"`` for Moselle).
        closed_dates: extra closed days (stock-take, strike...).
        handling_days: ship days of preparation added after the first possible ship day.

    Raises ValueError for an aware cut-off, an unknown timezone, weekdays outside 0-6 or
    none at all, or negative handling days.
    """

    cutoff: dt.time = dt.time(14, 0)
    timezone: str = PARIS_TZ
    working_weekdays: frozenset[int] = frozenset(range(5))
    holiday_country: str = "FR"
    holiday_subdivision: str | None = None
    closed_dates: frozenset[dt.date] = frozenset()
    handling_days: int = 0

    def __post_init__(self) -> None:
        if self.cutoff.tzinfo is not None:
            raise ValueError("cutoff is a local wall-clock time: give it without tzinfo")
        try:
            _zone(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {self.timezone!r}") from exc
        if not self.working_weekdays or not self.working_weekdays <= frozenset(range(7)):
            raise ValueError("working_weekdays must be a non-empty subset of 0..6 (0 = Monday)")
        if self.handling_days < 0:
            raise ValueError("handling_days must be >= 0")


DEFAULT_WAREHOUSE = WarehouseCalendar()
"""Monday-Friday, 14:00 Europe/Paris cut-off, French public holidays."""


@dataclass(frozen=True, slots=True)
class Promise:
    """A delivery promise.

    Attributes:
        ordered_local: the order time in the warehouse's timezone.
        cutoff: the cut-off that applied (earlier of warehouse and carrier).
        missed_cutoff: True when the order came in at or after the cut-off.
        ship_date: the day the parcel leaves the warehouse.
        delivery_date: the estimated delivery day.
        transit_days: the carrier transit used, in delivery days.
    """

    ordered_local: dt.datetime
    cutoff: dt.time
    missed_cutoff: bool
    ship_date: dt.date
    delivery_date: dt.date
    transit_days: int

    @property
    def ships_same_day(self) -> bool:
        """True when the parcel leaves on the (local) order day."""
        return self.ship_date == self.ordered_local.date()

    @property
    def days_to_delivery(self) -> int:
        """Calendar days from the (local) order day to the delivery day."""
        return (self.delivery_date - self.ordered_local.date()).days


@lru_cache(maxsize=8192)
def _ship_date(first: dt.date, warehouse: WarehouseCalendar, saturday_pickup: bool) -> dt.date:
    """Return the first ship day on or after ``first``, plus the warehouse's handling days."""
    day = first
    remaining = warehouse.handling_days
    for _ in range(_MAX_SCAN_DAYS * (remaining + 1)):
        if _is_ship_day(day, warehouse, saturday_pickup):
            if remaining == 0:
                return day
            remaining -= 1
        day += dt.timedelta(days=1)
    raise ValueError("the warehouse calendar has no ship day within a year")


def _is_ship_day(day: dt.date, warehouse: WarehouseCalendar, saturday_pickup: bool) -> bool:
    weekday = day.weekday()
    if weekday not in warehouse.working_weekdays or weekday == _SUNDAY:
        return False
    if weekday == _SATURDAY and not saturday_pickup:
        return False
    if day in warehouse.closed_dates:
        return False
    return not _is_holiday(day, warehouse.holiday_country, warehouse.holiday_subdivision)


@lru_cache(maxsize=16384)
def _delivery_date(
    ship: dt.date,
    transit_days: int,
    country: str,
    subdivision: str | None,
    saturday_delivery: bool,
) -> dt.date:
    day = ship
    remaining = transit_days
    for _ in range(_MAX_SCAN_DAYS + 3 * transit_days):
        if remaining == 0:
            return day
        day += dt.timedelta(days=1)
        if is_delivery_day(
            day, country=country, subdivision=subdivision, saturday_delivery=saturday_delivery
        ):
            remaining -= 1
    raise ValueError(f"no delivery day within a year in {country}")


def promise_date(
    *,
    ordered_at: dt.datetime,
    transit_days: int,
    warehouse: WarehouseCalendar = DEFAULT_WAREHOUSE,
    carrier_cutoff: dt.time | None = None,
    saturday_pickup: bool = False,
    saturday_delivery: bool = False,
    destination_country: str = "FR",
    destination_postal_code: str | None = None,
) -> Promise:
    """Return the ship date and estimated delivery date of an order placed at ``ordered_at``.

    ``ordered_at`` must be timezone-aware (any zone; it is read in the warehouse's zone).
    ``carrier_cutoff`` is the service's collection cut-off (local, naive): the earlier of it
    and the warehouse's applies, and an order placed exactly at the cut-off misses it.
    ``transit_days`` counts delivery days after the ship date (0: delivered the same day).
    The destination's public holidays are those of ``destination_country`` (for France with
    the subdivision of ``destination_postal_code``, see :func:`french_subdivision`).

    Raises ValueError for a naive ``ordered_at``, an aware ``carrier_cutoff``, negative
    ``transit_days``, or a calendar with no ship or delivery day within a year.
    """
    if ordered_at.tzinfo is None or ordered_at.utcoffset() is None:
        raise ValueError("ordered_at must be timezone-aware (e.g. UTC)")
    if transit_days < 0:
        raise ValueError("transit_days must be >= 0")
    cutoff = warehouse.cutoff
    if carrier_cutoff is not None:
        if carrier_cutoff.tzinfo is not None:
            raise ValueError("carrier_cutoff is a local wall-clock time: give it without tzinfo")
        cutoff = min(cutoff, carrier_cutoff)
    local = ordered_at.astimezone(_zone(warehouse.timezone))
    today = local.date()
    before_cutoff = local.time().replace(tzinfo=None) < cutoff
    first = today if before_cutoff else today + dt.timedelta(days=1)
    ship = _ship_date(first, warehouse, saturday_pickup)
    subdivision = None
    if destination_country == "FR" and destination_postal_code:
        subdivision = french_subdivision(destination_postal_code)
    delivery = _delivery_date(
        ship, transit_days, destination_country, subdivision, saturday_delivery
    )
    return Promise(
        ordered_local=local,
        cutoff=cutoff,
        missed_cutoff=not before_cutoff,
        ship_date=ship,
        delivery_date=delivery,
        transit_days=transit_days,
    )


@dataclass(frozen=True, slots=True)
class PromiseOutcome:
    """A promise compared with the actual delivery.

    Attributes:
        promised: the promised delivery day.
        delivered: the actual delivery day (local).
        on_time: delivered on or before the promised day.
        days_late: calendar days after the promised day (0 when on time).
        delivery_days_late: delivery days (Monday-Saturday, public holidays excluded) after the
            promised day, so Friday -> Monday counts 2 (Saturday, Monday), not 3.
        days_early: calendar days before the promised day (0 when on or after it).
    """

    promised: dt.date
    delivered: dt.date
    on_time: bool
    days_late: int
    delivery_days_late: int
    days_early: int


def compare_promise(
    *,
    promised: Promise | dt.date,
    delivered_at: dt.datetime | dt.date,
    timezone: str = PARIS_TZ,
    country: str = "FR",
) -> PromiseOutcome:
    """Return how the actual delivery compares with the promise (on time, days late).

    ``delivered_at`` is a delivery date, or an aware datetime read in ``timezone``. Late
    delivery days count Monday to Saturday, skipping public holidays of ``country``.
    Raises ValueError for a naive datetime.
    """
    promised_day = promised.delivery_date if isinstance(promised, Promise) else promised
    if isinstance(delivered_at, dt.datetime):
        if delivered_at.tzinfo is None or delivered_at.utcoffset() is None:
            raise ValueError("delivered_at must be timezone-aware")
        delivered_day = delivered_at.astimezone(_zone(timezone)).date()
    else:
        delivered_day = delivered_at
    gap = (delivered_day - promised_day).days
    late_days = 0
    day = promised_day
    while day < delivered_day:
        day += dt.timedelta(days=1)
        if is_delivery_day(day, country=country, saturday_delivery=True):
            late_days += 1
    return PromiseOutcome(
        promised=promised_day,
        delivered=delivered_day,
        on_time=gap <= 0,
        days_late=max(gap, 0),
        delivery_days_late=late_days,
        days_early=max(-gap, 0),
    )


@dataclass(frozen=True, slots=True)
class PromiseAccuracy:
    """Promise accuracy over many deliveries: count, on-time share, mean days late."""

    count: int
    on_time: int
    on_time_rate: float
    mean_days_late: float
    max_days_late: int


def summarise_promises(outcomes: Iterable[PromiseOutcome]) -> PromiseAccuracy:
    """Return the promise accuracy of ``outcomes`` (rates are 0.0 when there are none)."""
    items = list(outcomes)
    count = len(items)
    on_time = sum(1 for o in items if o.on_time)
    late = [o.days_late for o in items]
    return PromiseAccuracy(
        count=count,
        on_time=on_time,
        on_time_rate=on_time / count if count else 0.0,
        mean_days_late=sum(late) / count if count else 0.0,
        max_days_late=max(late, default=0),
    )
