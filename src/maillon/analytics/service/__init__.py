"""KPI use cases: the headline summary of a period, keeping the facts up to date, and the
whole KPI catalogue computed by the database (SQL aggregates and histograms, no row is
brought back per order).

Long periods read daily rollups: ``order_facts`` summed per UTC day, warehouse, carrier and
channel (every additive count and sum of the catalogue), quarter-hour histograms of cycle and
transit times per day (and per month and warehouse, carrier or channel), storefront sessions
per day and channel, stock movements per day and warehouse. They are kept up to date in the
same transaction as the facts; a period's whole days come from them, its partial days from
the facts, so the figures are exactly those of the facts (``_compute_kpis(rollups=False)``
is that reference, which the tests and the bench compare with).

The parts live in their own modules: the fact SELECTs in :mod:`~maillon.analytics.service.facts`,
their incremental refresh in :mod:`~maillon.analytics.service.refresh`, the daily rollups in
:mod:`~maillon.analytics.service.rollups`, the histograms in
:mod:`~maillon.analytics.service.histograms`,
and each family of KPIs in a ``kpis_*`` module (orders, care, returns, storefront,
inventory)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from maillon.analytics.definitions import (
    DIMENSIONS,
    KPIS,
    LABOUR_ENV,
    PACK_ENV,
    CostRates,
    KpiTable,
    cost_rates_from_env,
)
from maillon.analytics.kpi import KpiSummary, OrderFacts, summarise
from maillon.analytics.queries.kpis_care import care_kpis
from maillon.analytics.queries.kpis_inventory import inventory_kpis
from maillon.analytics.queries.kpis_orders import duration_kpis, order_kpis, repeat_purchase_kpis
from maillon.analytics.queries.kpis_returns import return_reasons
from maillon.analytics.queries.kpis_storefront import storefront_kpis
from maillon.analytics.queries.periods import between, split
from maillon.analytics.queries.scope import KpiScope
from maillon.analytics.queries.sql import day_period, period
from maillon.analytics.service.refresh import (
    refresh_orders,
    refresh_session_facts,
    refresh_stock_rollups,
)
from maillon.analytics.tables import OrderDayRollup, OrderFact
from maillon.care.tables import Ticket
from maillon.core import clock, jobs
from maillon.core.clock import as_utc
from maillon.core.db import Database
from maillon.core.errors import FieldError, ValidationError
from maillon.core.jobs import JobStatus
from maillon.core.settings import environment_values
from maillon.core.tables import Job
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Order, OrderEvent
from maillon.returns.tables import ReturnRequest


def kpi_summary(
    *, session: Session, start: datetime | None = None, end: datetime | None = None
) -> KpiSummary:
    """Return the KPI summary of orders created (and tickets opened) in [start, end)."""
    query = select(
        Order.id,
        Order.created_at,
        Order.status,
        Order.total_cents,
        Order.promised_at,
        Order.shipped_at,
        Order.delivered_at,
    )
    tickets = select(Ticket.created_at, Ticket.first_response_at)
    if start:
        query = query.where(Order.created_at >= start)
        tickets = tickets.where(Ticket.created_at >= start)
    if end:
        query = query.where(Order.created_at < end)
        tickets = tickets.where(Ticket.created_at < end)
    backordered = set(
        session.scalars(
            select(OrderEvent.order_id)
            .where(OrderEvent.to_status == OrderStatus.BACKORDERED)
            .distinct()
        )
    )
    returned = set(session.scalars(select(ReturnRequest.order_id).distinct()))

    def opt(value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    facts = [
        OrderFacts(
            created_at=as_utc(r.created_at),
            status=r.status,
            total_cents=r.total_cents,
            promised_at=opt(r.promised_at),
            shipped_at=opt(r.shipped_at),
            delivered_at=opt(r.delivered_at),
            ever_backordered=r.id in backordered,
            returned=r.id in returned,
        )
        for r in session.execute(query)
    ]
    responses = [
        (as_utc(first) - as_utc(created)).total_seconds() / 3600 if first else None
        for created, first in session.execute(tickets)
    ]
    return summarise(facts, responses)


def refresh_order_facts(*, session: Session, full: bool = False) -> int:
    """Bring ``order_facts`` and their daily rollups and histograms (and the storefront
    ``session_facts``, see :func:`~maillon.analytics.service.refresh.refresh_session_facts`, and the
    daily rollups of the stock ledger) up to date; return how many orders were (re)computed.

    Incremental by default: only orders changed since the last refresh (their row, events,
    shipments, pick lists, returns, tickets, fraud reviews or chargebacks) are recomputed,
    set-based, in the caller's transaction; the rollups of the days of those orders are summed
    again from the facts, their histogram counts moved by the difference; the first run, or
    ``full``, rebuilds everything. Picking scans do not stamp the order: an order's pick
    figures follow when its pick list is finished (the order then moves on).
    """
    count = refresh_orders(session=session, full=full)
    refresh_session_facts(session=session, full=full)
    refresh_stock_rollups(session, full=full)
    return count


#: The worker's job that refreshes the facts (every minute, and when a person asks).
REFRESH_JOB = "analytics.refresh"


def request_refresh(*, session: Session, requested_by: str) -> int:
    """Ask the worker tier for fresh figures, in the caller's transaction; return the id of
    the job that will refresh them. A refresh already queued and due is that job (asking
    twice queues one refresh, not two)."""
    waiting = session.scalar(
        select(Job.id)
        .where(
            Job.name == REFRESH_JOB,
            Job.status == JobStatus.QUEUED.value,
            Job.run_after <= clock.now(),
        )
        .order_by(Job.id)
        .limit(1)
    )
    if waiting is not None:
        return int(waiting)
    job = jobs.submit(session, REFRESH_JOB, {}, requested_by=requested_by)
    assert job is not None  # no key: always recorded
    return job.id


def kpis(
    db: Database,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str | None = None,
) -> KpiTable:
    """Refresh the order facts (incrementally) and return :func:`compute_kpis`: the
    synchronous path of the CLI and scripts. Web pages and API reads never refresh (a GET
    does not write): they call :func:`compute_kpis` on the facts as they stand, say how fresh
    they are (:func:`~maillon.analytics.queries.freshness.last_refresh`) and ask for fresh
    ones through :func:`request_refresh`."""
    _check_arguments(start, end, by)
    with db.transaction() as session:
        refresh_order_facts(session=session)
    with db.reader() as session:
        return compute_kpis(session=session, start=start, end=end, by=by)


def orders_per_day(
    *, session: Session, start: datetime, end: datetime, rollups: bool = True
) -> dict[str, int]:
    """Return the number of orders created each day of ``[start, end)`` (UTC days): the light
    query behind the console's charts. Whole days come from the daily rollups, the partial
    days at either end from the order facts (all from the facts without ``rollups``)."""
    dialect = session.get_bind().dialect.name
    days, edges = split(start, end, rollups=rollups)
    counts: dict[str, int] = {}
    if days is not None:
        r = OrderDayRollup
        label = day_period(dialect, r.day, "day")
        whole = select(label, func.sum(r.orders)).group_by(label).where(*between(r.day, days))
        counts.update((str(d), int(n)) for d, n in session.execute(whole))
    day = period(dialect, OrderFact.created_at, "day")
    for bounds in edges:
        partial = select(day, func.count()).where(*between(OrderFact.created_at, bounds))
        for d, n in session.execute(partial.group_by(day)):
            counts[str(d)] = counts.get(str(d), 0) + int(n)
    return {d: counts[d] for d in sorted(counts) if counts[d]}


def _check_arguments(start: datetime | None, end: datetime | None, by: str | None) -> None:
    if by is not None and by not in DIMENSIONS:
        raise ValidationError(FieldError("by", f"use one of {', '.join(DIMENSIONS)}"))
    if start is not None and end is not None and end <= start:
        raise ValidationError(FieldError("to", "must be after from"))


def compute_kpis(
    *,
    session: Session,
    start: datetime | None = None,
    end: datetime | None = None,
    by: str | None = None,
    ship_within_h: float = 24.0,
    costs: CostRates | None = None,
    keys: Collection[str] | None = None,
) -> KpiTable:
    """Return every KPI of :data:`~maillon.analytics.definitions.KPIS` over ``[start, end)``,
    split by ``by`` (one of ``DIMENSIONS``), counted by the database over ``order_facts`` and
    ``session_facts`` (refresh them first: :func:`kpis` does), the stock ledger, the tickets
    and the returns. The whole UTC days of the period are read from the daily rollups of the
    facts and of the ledger (whole months from the monthly histograms for the quantiles split
    by warehouse, carrier or channel), its partial days from the facts themselves: the figures
    are those of counting over the facts alone. ``costs`` defaults to :func:`cost_rates`.
    The units returned per reason code, every code kept, are in
    ``table.breakdowns[row]["return_reasons"]``. With ``keys``,
    only the queries those KPIs need run (a page showing a few headline figures); the others
    are None, and the values computed are the same as without ``keys``.

    Raises ValidationError naming ``by`` or ``to`` (an end before the start), or naming a
    cost variable set to something else than a number >= 0.
    """
    return _compute_kpis(
        session=session,
        start=start,
        end=end,
        by=by,
        ship_within_h=ship_within_h,
        costs=costs,
        keys=keys,
        rollups=True,
    )


def _compute_kpis(
    *,
    session: Session,
    start: datetime | None,
    end: datetime | None,
    by: str | None,
    ship_within_h: float,
    costs: CostRates | None,
    keys: Collection[str] | None,
    rollups: bool,
) -> KpiTable:
    """:func:`compute_kpis`; without ``rollups``, every figure is counted over the order
    facts themselves (the reference the rollups must match)."""
    _check_arguments(start, end, by)
    want = _wanted(keys)
    rates = costs if costs is not None else cost_rates()
    scope = KpiScope(session=session, start=start, end=end, by=by, rollups=rollups)
    table = KpiTable(start=start, end=end, by=by)
    order_kpis(scope, table, ship_within_h, rates)
    duration_kpis(scope, table, want)
    if want("repeat_purchase_pct"):
        repeat_purchase_kpis(scope, table)
    care_kpis(scope, table, want)
    if want("return_reason_*"):
        return_reasons(scope, table)
    if want("sessions", "conversion_pct", "cart_abandonment_pct", "abandoned_cart_cents"):
        storefront_kpis(scope, table)
    if want(
        "units_shipped",
        "on_hand_end_units",
        "inventory_turnover",
        "days_of_supply",
        "stockout_sku_pct",
    ):
        inventory_kpis(scope, table)
    for row in table.rows.values():
        for k in KPIS:
            row.setdefault(k.key, None)
    table.rows = dict(sorted(table.rows.items()))
    return table


def _wanted(keys: Collection[str] | None) -> Callable[..., bool]:
    """``want(*names)``: whether any KPI of ``names`` (``prefix_*`` for a family) is among
    ``keys`` (every KPI is without ``keys``)."""
    wanted = None if keys is None else set(keys)

    def want(*names: str) -> bool:
        return wanted is None or any(
            n in wanted or (n.endswith("*") and any(w.startswith(n[:-1]) for w in wanted))
            for n in names
        )

    return want


def cost_rates() -> CostRates:
    """Return the cost rates of the environment (``MAILLON_KPI_LABOUR_CENTS_PER_HOUR``,
    ``MAILLON_KPI_PACK_SECONDS_PER_PARCEL``, read through :mod:`maillon.core.settings`;
    defaults otherwise).

    Raises ValidationError naming the variable when it is not a number >= 0.
    """
    try:
        return cost_rates_from_env(environment_values((LABOUR_ENV, PACK_ENV)))
    except ValueError as exc:
        field = str(exc).split(" ", 1)[0]
        raise ValidationError(FieldError(field, str(exc))) from None
