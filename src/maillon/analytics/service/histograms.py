"""Quarter-hour histograms of durations, from which the KPIs read their quantiles (cycle
time and transit time per order, first response and resolution per ticket). The order
metrics are kept per UTC day and, split by warehouse, carrier or channel, per calendar month;
a period reads its whole days (months) from them and the rest from the facts. Incremental
refreshes move their counts by the difference (exact: counts are integers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, delete, func, insert, literal_column, select, union_all
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from maillon.analytics.definitions import KpiTable, histogram_quantile
from maillon.analytics.queries.periods import between, source, split
from maillon.analytics.queries.sql import (
    ALL,
    NONE_LABEL,
    QUARTER_HOUR,
    bucket,
    day_of,
    day_period,
    group_cols,
    month_of,
)
from maillon.analytics.tables import OrderDayHistogram, OrderFact, OrderMonthHistogram
from maillon.inventory.tables import Warehouse
from maillon.shipping.tables import Carrier

CYCLE, TRANSIT = 0, 1  # the metrics of the histogram tables
_HISTOGRAM_DIMENSIONS = ("warehouse", "carrier", "channel")
_HISTOGRAM_KEYS = {
    "day": ["day", "metric", "bucket"],
    "month": ["month", "dimension", "value", "metric", "bucket"],
}
Histograms = dict[str, dict[int, int]]
"""Per row label, the count of each quarter-hour bucket."""


def _metric(metric: int) -> tuple[Any, Any]:
    """The fact column of a histogram metric and the condition for a fact to count in it."""
    f = OrderFact
    return (f.cycle_s, f.shipped) if metric == CYCLE else (f.transit_s, f.transit_s.is_not(None))


def _dimension_value(by: str) -> Any:
    """SQL for a fact's value of a dimension as the month histograms key it (text)."""
    if by == "channel":
        return OrderFact.channel
    column = OrderFact.warehouse_id if by == "warehouse" else OrderFact.carrier_id
    return cast(func.coalesce(column, literal_column("0")), String)


def _histogram_selects(dialect: str, conditions: list[Any]) -> dict[str, list[Any]]:
    """The SELECTs of the histogram rows of the facts meeting ``conditions``, per table: one
    per metric for the day histograms, one per metric and dimension for the month ones."""
    selects: dict[str, list[Any]] = {"day": [], "month": []}
    for metric in (CYCLE, TRANSIT):
        column, counted = _metric(metric)
        index = bucket(dialect, column)
        day = day_of(dialect, OrderFact.created_at)
        selects["day"].append(
            select(day, literal_column(str(metric)), index, func.count())
            .where(counted, *conditions)
            .group_by(day, index)
        )
        month = month_of(dialect, OrderFact.created_at)
        for by in _HISTOGRAM_DIMENSIONS:
            value = _dimension_value(by)
            selects["month"].append(
                select(month, literal_column(f"'{by}'"), value, literal_column(str(metric)))
                .add_columns(index, func.count())
                .where(counted, *conditions)
                .group_by(month, value, index)
            )
    return selects


def _histogram_tables() -> dict[str, Any]:
    return {"day": OrderDayHistogram.__table__, "month": OrderMonthHistogram.__table__}


def rebuild_histograms(session: Session, dialect: str) -> None:
    """Rebuild the histogram tables from every order fact."""
    for name, table in _histogram_tables().items():
        session.execute(delete(table))
        for query in _histogram_selects(dialect, [])[name]:
            columns = [*_HISTOGRAM_KEYS[name], "n"]
            session.execute(insert(table).from_select(columns, query))


def histogram_counts(
    session: Session, dialect: str, ids: list[int], sign: int, into: dict[str, dict[Any, int]]
) -> None:
    """Add ``sign`` x the histogram counts of the facts of orders ``ids`` to ``into``."""
    for name, queries in _histogram_selects(dialect, [OrderFact.order_id.in_(ids)]).items():
        counts = into.setdefault(name, {})
        for query in queries:
            for *key, n in session.execute(query):
                key[-1] = int(key[-1])  # the bucket (PostgreSQL's floor is a float)
                counts[tuple(key)] = counts.get(tuple(key), 0) + sign * int(n)


def apply_histogram_changes(session: Session, changes: dict[str, dict[Any, int]]) -> None:
    """Add the count changes to the histogram tables (exact: counts are integers); buckets
    left empty are removed."""
    dialect = session.get_bind().dialect.name
    for name, table in _histogram_tables().items():
        keys = _HISTOGRAM_KEYS[name]
        rows = [
            {**dict(zip(keys, key, strict=True)), "n": n}
            for key, n in sorted(changes.get(name, {}).items())
            if n
        ]
        if not rows:
            continue
        insert_ = sqlite_insert if dialect == "sqlite" else postgresql_insert
        statement = insert_(table)
        statement = statement.on_conflict_do_update(
            index_elements=keys, set_={"n": table.c.n + statement.excluded.n}
        )
        for chunk in (rows[i : i + 1000] for i in range(0, len(rows), 1000)):
            session.execute(statement, chunk)
        session.execute(delete(table).where(table.c.n == 0))


def _add(hist: Histograms, rows: Any, label_of: Any) -> Histograms:
    """Add the rows ``(value, bucket, count)`` to ``hist`` under ``label_of(value)``."""
    for value, b, n in rows:
        h = hist.setdefault(label_of(value), {})
        h[int(b)] = h.get(int(b), 0) + int(n)
    return hist


def histogram_of(session: Session, query: Any) -> Histograms:
    """The histograms per label of the rows ``(label, bucket, count)`` of ``query``."""
    return _add({}, session.execute(query), str)


def histograms(
    session: Session,
    by: str | None,
    metric: int,
    start: datetime | None,
    end: datetime | None,
    *,
    rollups: bool,
) -> Histograms:
    """The quarter-hour histogram of a metric per dimension value over the orders created in
    ``[start, end)``: whole days (or months, split by warehouse, carrier or channel) from the
    histogram tables, the rest from the facts."""
    if by in (None, "day", "week", "month"):
        return _by_day(session, by, metric, start, end, rollups=rollups)
    return _by_month(session, by, metric, start, end, rollups=rollups)


def _fact_bucket(dialect: str, metric: int) -> tuple[Any, Any, Any]:
    """The bucket of a fact's metric, the condition for it to count, and a count of one."""
    column, counted = _metric(metric)
    one: Any = literal_column("1").label("n")
    return bucket(dialect, column).label("bucket"), counted, one


def _by_day(
    session: Session,
    by: str | None,
    metric: int,
    start: datetime | None,
    end: datetime | None,
    *,
    rollups: bool,
) -> Histograms:
    """:func:`histograms` over all or by day, week or month: whole days from the day table."""
    dialect = session.get_bind().dialect.name
    f = OrderFact
    index, counted, one = _fact_bucket(dialect, metric)
    days, edges = split(start, end, rollups=rollups)
    h = OrderDayHistogram
    whole: Any = select(h.day, h.bucket, h.n).where(h.metric == metric)
    parts = [
        select(day_of(dialect, f.created_at).label("day"), index, one).where(
            counted, *between(f.created_at, b)
        )
        for b in edges
    ]
    u = source(whole, h.day, days, parts, "histogram")
    label = ALL if by is None else day_period(dialect, u.c.day, by)
    query = select(label, u.c.bucket, func.sum(u.c.n)).group_by(*group_cols(label, u.c.bucket))
    return _add({}, session.execute(query), str)


def _by_month(
    session: Session,
    by: str,
    metric: int,
    start: datetime | None,
    end: datetime | None,
    *,
    rollups: bool,
) -> Histograms:
    """:func:`histograms` by warehouse, carrier or channel: whole months from the month
    table, named by the codes of the warehouses and carriers."""
    dialect = session.get_bind().dialect.name
    f = OrderFact
    index, counted, one = _fact_bucket(dialect, metric)
    months, edges = split(start, end, rollups=rollups, unit="month")
    m = OrderMonthHistogram
    value = _dimension_value(by).label("value")
    parts = [select(value, index, one).where(counted, *between(f.created_at, b)) for b in edges]
    if months is not None:
        whole = select(m.value, m.bucket, m.n).where(m.dimension == by, m.metric == metric)
        parts = [whole.where(*between(m.month, months)), *parts]
    u = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("histogram")
    query = select(u.c.value, u.c.bucket, func.sum(u.c.n)).group_by(u.c.value, u.c.bucket)
    names: dict[str, str] = {}
    if by in ("warehouse", "carrier"):
        target = Warehouse if by == "warehouse" else Carrier
        names = {str(i): code for i, code in session.execute(select(target.id, target.code))}
    label_of = (lambda v: v) if by == "channel" else (lambda v: names.get(str(v), NONE_LABEL))
    return _add({}, session.execute(query), label_of)


def set_quantiles(table: KpiTable, hist: Histograms, keys: dict[str, float]) -> None:
    """Write in each row of ``table`` the quantiles ``keys`` (KPI key: quantile) of its
    histogram, in hours."""
    for label, h in hist.items():
        row = table.rows.setdefault(label, {})
        for key, q in keys.items():
            value = histogram_quantile(h, q, width=QUARTER_HOUR)
            row[key] = None if value is None else round(value / 3600, 2)
