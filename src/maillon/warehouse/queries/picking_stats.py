"""Pickers' days: lines and units picked, scans, mismatches and short picks, active hours and
metres walked, read from the pick lists, their lines and the scans (a query: writes nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core.clock import as_utc
from maillon.core.errors import FieldError, ValidationError
from maillon.warehouse.model import PickLineStatus, PickListStatus, PickScanOutcome, TourStatus
from maillon.warehouse.tables import PickList, PickListLine, PickScan, PickTour


@dataclass(frozen=True)
class PickerDay:
    """One picker's day: lines and units picked, scans and mismatches, short picks, pick
    accuracy (1 - mismatches / scans), active hours (from taking a list to its last pick),
    lines per hour over them, and metres walked (routes of the lists and tours finished)."""

    picker: str
    day: date
    lines: int
    units: int
    scans: int
    mismatches: int
    short_picks: int
    accuracy: float | None
    active_hours: float
    lines_per_hour: float | None
    metres: float


@dataclass
class _Tally:
    """What one picker did on one day, as it is added up."""

    lines: int = 0
    units: int = 0
    scans: int = 0
    mismatches: int = 0
    short: int = 0
    metres: float = 0.0
    units_of_work: dict[tuple[str, int], tuple[datetime, datetime]] = field(default_factory=dict)
    tours: set[int] = field(default_factory=set)

    def day(self, who: str, day: date) -> PickerDay:
        seconds = sum((last - first).total_seconds() for first, last in self.units_of_work.values())
        hours = seconds / 3600
        return PickerDay(
            picker=who,
            day=day,
            lines=self.lines,
            units=self.units,
            scans=self.scans,
            mismatches=self.mismatches,
            short_picks=self.short,
            accuracy=round(1 - self.mismatches / self.scans, 4) if self.scans else None,
            active_hours=round(hours, 3),
            lines_per_hour=round(self.lines / hours, 2) if hours > 0 else None,
            metres=round(self.metres, 2),
        )


class _Days(dict[tuple[str, date], _Tally]):
    def of(self, who: str, at: datetime) -> _Tally:
        return self.setdefault((who, as_utc(at).date()), _Tally())


def picker_metrics(
    *, session: Session, start: date, end: date, picker: str | None = None
) -> list[PickerDay]:
    """Return per picker and UTC day, from ``start`` to ``end`` inclusive, what they did.

    Raises ValidationError naming ``to`` when ``end`` is before ``start`` or the span is over
    a year.
    """
    if end < start:
        raise ValidationError(FieldError("to", "must not be before from"))
    if (end - start).days > 366:
        raise ValidationError(FieldError("to", "at most 366 days after from"))
    low = as_utc(datetime.combine(start, time.min))
    high = as_utc(datetime.combine(end + timedelta(days=1), time.min))
    days = _Days()
    _add_lines(session, days, low, high, picker)
    _add_scans(session, days, low, high, picker)
    _add_metres(session, days, low, high, picker)
    return [
        tally.day(who, day)
        for (who, day), tally in sorted(days.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]


def _add_lines(
    session: Session, days: _Days, low: datetime, high: datetime, picker: str | None
) -> None:
    """Lines and units picked, and each unit of work's span (from taking the list or tour,
    or the day's start, to its last pick)."""
    query = (
        select(
            PickListLine.picked_by,
            PickListLine.picked_at,
            PickListLine.picked_quantity,
            PickList.id,
            PickList.tour_id,
            PickList.assigned_at,
        )
        .join(PickList, PickList.id == PickListLine.pick_list_id)
        .where(
            PickListLine.picked_at >= low,
            PickListLine.picked_at < high,
            PickListLine.status.in_((PickLineStatus.DONE, PickLineStatus.SHORT)),
        )
    )
    if picker is not None:
        query = query.where(PickListLine.picked_by == picker)
    for who, at, qty, list_id, tour_id, assigned_at in session.execute(query):
        if at is None:  # not possible given the filter; keeps the types honest
            continue
        tally = days.of(who, at)
        tally.lines += 1
        tally.units += qty
        work = ("tour", tour_id) if tour_id is not None else ("list", list_id)
        at_utc = as_utc(at)
        day_start = as_utc(datetime.combine(at_utc.date(), time.min))
        begin = max(as_utc(assigned_at), day_start) if assigned_at is not None else at_utc
        first, last = tally.units_of_work.get(work, (begin, at_utc))
        tally.units_of_work[work] = (min(first, begin), max(last, at_utc))


def _add_scans(
    session: Session, days: _Days, low: datetime, high: datetime, picker: str | None
) -> None:
    """Scans, mismatches (a wrong location or product) and short picks."""
    query = select(PickScan.picker, PickScan.at, PickScan.outcome).where(
        PickScan.at >= low, PickScan.at < high
    )
    if picker is not None:
        query = query.where(PickScan.picker == picker)
    for who, at, outcome in session.execute(query):
        tally = days.of(who, at)
        tally.scans += 1
        if outcome in (PickScanOutcome.WRONG_LOCATION, PickScanOutcome.WRONG_BARCODE):
            tally.mismatches += 1
        elif outcome == PickScanOutcome.SHORT:
            tally.short += 1


def _add_metres(
    session: Session, days: _Days, low: datetime, high: datetime, picker: str | None
) -> None:
    """Metres walked: the route of each list finished alone, of each tour finished once."""
    query = select(
        PickList.picker, PickList.completed_at, PickList.route_m, PickList.tour_id
    ).where(
        PickList.completed_at >= low,
        PickList.completed_at < high,
        PickList.status == PickListStatus.DONE,
    )
    if picker is not None:
        query = query.where(PickList.picker == picker)
    tour_ids: set[tuple[Any, date, int]] = set()
    for who, at, route_m, tour_id in session.execute(query):
        if at is None:
            continue
        if tour_id is not None:
            tour_ids.add((who, as_utc(at).date(), tour_id))
        elif route_m is not None:
            days.of(who, at).metres += route_m
    if not tour_ids:
        return
    tours = {
        t.id: t
        for t in session.scalars(select(PickTour).where(PickTour.id.in_({t for *_, t in tour_ids})))
    }
    for who, day, tour_id in sorted(tour_ids):
        tour = tours[tour_id]
        tally = days.of(who, datetime.combine(day, time.min))
        if (
            tour.status == TourStatus.DONE
            and tour.route_m is not None
            and tour_id not in tally.tours
        ):
            tally.tours.add(tour_id)
            tally.metres += tour.route_m
