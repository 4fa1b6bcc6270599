"""How a KPI period is read: its whole UTC days (or calendar months) from the rollups, the
partial days at its ends from the facts, and the SELECT that unites both sources."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import union_all

from maillon.core.clock import as_utc

Bounds = tuple[datetime | None, datetime | None]


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _whole_units(
    start: datetime | None, end: datetime | None, unit: str
) -> tuple[date | None, date | None]:
    """The whole UTC days (``unit="day"``) or calendar months (``"month"``, each named by its
    first day) ``[first, last)`` inside ``[start, end)`` (None: unbounded)."""

    def floor(moment: datetime) -> date:
        day = as_utc(moment).date()
        return day if unit == "day" else day.replace(day=1)

    first = None
    if start is not None:
        first = floor(start)
        if midnight(first) < as_utc(start):
            first = first + timedelta(days=1) if unit == "day" else _next_month(first)
    last = None if end is None else floor(end)
    return first, last


def split(
    start: datetime | None, end: datetime | None, *, rollups: bool, unit: str = "day"
) -> tuple[Any, list[Bounds]]:
    """Cut ``[start, end)`` into its whole UTC days (or months) ``(first, last)`` (None:
    unbounded), read from rollups, and the partial days (or months) at its ends, read from
    facts. Without ``rollups``, or without a whole day, the whole period is read from facts
    (``None, [(start, end)]``).
    """
    first, last = _whole_units(start, end, unit)
    if not rollups or (first is not None and last is not None and first >= last):
        return None, [(start, end)]
    edges: list[Bounds] = []
    if first is not None and start is not None and as_utc(start) < midnight(first):
        edges.append((start, midnight(first)))
    if last is not None and end is not None and midnight(last) < as_utc(end):
        edges.append((midnight(last), end))
    return (first, last), edges


def between(column: Any, bounds: tuple[Any, Any]) -> list[Any]:
    """The conditions for ``column`` to lie in ``bounds`` ``[lower, upper)`` (None: open):
    instants, or the days (months) of the rollups."""
    lower, upper = bounds
    conditions = []
    if lower is not None:
        conditions.append(column >= lower)
    if upper is not None:
        conditions.append(column < upper)
    return conditions


def source(whole: Any, day: Any, days: Any, parts: list[Any], name: str) -> Any:
    """Subquery: the rollup rows ``whole`` of the days ``days`` (see :func:`split`; its
    ``day`` column is ``day``) and the fact rows ``parts``, with the same columns."""
    if days is not None:
        parts = [whole.where(*between(day, days)), *parts]
    return union_all(*parts).subquery(name) if len(parts) > 1 else parts[0].subquery(name)


def day_runs(days: set[date]) -> list[tuple[date, date]]:
    """Runs ``[first, last)`` of consecutive days covering ``days``."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day:
            runs[-1][1] = day + timedelta(days=1)
        else:
            runs.append([day, day + timedelta(days=1)])
    return [(first, last) for first, last in runs]
