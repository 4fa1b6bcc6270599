"""The after-sales KPIs, over the tickets opened in the period (split by the dimension of
their order; ``(none)`` without one): how many, the median first response and resolution
times, the share that breached their SLA (the business-time clocks of ``maillon.care.sla``)
and the customers' satisfaction (CSAT)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from maillon.analytics.definitions import KpiTable, mean_or_none, rate
from maillon.analytics.queries.scope import KpiScope
from maillon.analytics.queries.sql import ALL, NONE_LABEL, bucket, group_cols, period, seconds
from maillon.analytics.service.histograms import histogram_of, set_quantiles
from maillon.analytics.tables import OrderFact
from maillon.care import sla
from maillon.care.service import CALENDAR, sla_policy
from maillon.care.tables import CsatSurvey, Ticket, TicketEvent
from maillon.core import clock
from maillon.core.clock import as_utc

_FINISHED_BREACHES: dict[tuple[Any, ...], int] = {}
"""Whether a finished ticket breached its SLA (1) or not (0), by (policy, everything its clocks
read). Both clocks of a ticket answered and resolved before now have stopped, so the outcome no
longer changes with time: the KPIs of a long period run the business-time clocks of its
tickets once per process, not on every page view. A changed ticket (reopened, another priority,
a new status event) has another key."""
_FINISHED_BREACHES_MAX = 200_000

TicketsQuery = Callable[..., Any]
"""``tickets_query(*columns)``: SELECT of the row label and ``columns`` of the tickets opened
in the period."""


def care_kpis(scope: KpiScope, table: KpiTable, want: Callable[..., bool]) -> None:
    """Write the care KPIs that ``want`` asks for in the rows of ``table``."""
    ticket_dim = _ticket_dimension(scope)

    def tickets_query(*columns: Any) -> Any:
        query = select(ticket_dim, *columns).select_from(Ticket)
        if scope.by in ("warehouse", "carrier", "channel"):
            f = OrderFact
            query = scope.joined(query.outerjoin(f, f.order_id == Ticket.order_id))
        return query.where(*scope.in_period(Ticket.created_at))

    if want("tickets"):
        query = tickets_query(func.count()).group_by(*group_cols(ticket_dim))
        for label, n in scope.session.execute(query):
            if n:
                table.rows.setdefault(str(label), {})["tickets"] = n
    _ticket_times(scope, table, tickets_query, ticket_dim, want)
    if want("sla_breach_pct", "csat_mean", "csat_satisfied_pct"):
        _sla_breaches(scope.session, table, tickets_query, shortcut=scope.rollups)
        _csat(scope.session, table, tickets_query, ticket_dim)


def _ticket_dimension(scope: KpiScope) -> Any:
    """SQL for the row label of a ticket: its period, else its order's dimension value."""
    if scope.by in ("day", "week", "month"):
        return period(scope.dialect, Ticket.created_at, scope.by)
    if scope.by is None:
        return ALL
    return func.coalesce(scope.dim, NONE_LABEL)


def _ticket_times(
    scope: KpiScope,
    table: KpiTable,
    tickets_query: TicketsQuery,
    ticket_dim: Any,
    want: Callable[..., bool],
) -> None:
    """The median first response and resolution times, from quarter-hour histograms."""
    dialect = scope.dialect
    response = seconds(dialect, Ticket.first_response_at, Ticket.created_at)
    resolved_at = func.coalesce(Ticket.resolved_at, Ticket.closed_at)
    resolution = seconds(dialect, resolved_at, Ticket.created_at)
    for duration, condition, key in (
        (response, Ticket.first_response_at.is_not(None), "first_response_p50_h"),
        (resolution, resolved_at.is_not(None), "resolution_p50_h"),
    ):
        if not want(key):
            continue
        index = bucket(dialect, duration)
        query = tickets_query(index, func.count()).where(condition)
        hist = histogram_of(scope.session, query.group_by(*group_cols(ticket_dim, index)))
        set_quantiles(table, hist, {key: 0.5})


def _sla_breaches(
    session: Session, table: KpiTable, tickets_query: TicketsQuery, *, shortcut: bool
) -> None:
    """SLA breach rate of the tickets ``tickets_query`` selects (with their row); with
    ``shortcut``, the tickets that met their targets in plain elapsed time are not run
    through the SLA clocks (see :func:`_met_in_wall_time`)."""
    now = clock.now()
    rows = session.execute(
        tickets_query(
            Ticket.id,
            Ticket.created_at,
            Ticket.first_response_at,
            Ticket.resolved_at,
            Ticket.priority,
            Ticket.category,
        )
    ).all()
    if not rows:
        return
    counts: dict[str, list[int]] = {}
    policy = sla_policy(session=session)
    running = []  # the tickets a clock of which may have breached: their events are read
    for ticket in rows:
        label, _, created, first, resolved, priority, category = ticket
        opened = as_utc(created)
        target = policy.target_for(priority, category)
        tally = counts.setdefault(str(label), [0, 0])
        tally[0] += 1
        if not (shortcut and _met_in_wall_time(opened, now, target, first, resolved)):
            running.append(ticket)
    events = _status_events(session, [r[1] for r in running])
    for ticket in running:
        counts[str(ticket[0])][1] += _breached(ticket, policy, now, events, shortcut=shortcut)
    for label, (n, breached) in counts.items():
        table.rows.setdefault(label, {})["sla_breach_pct"] = rate(breached, n)


def _status_events(session: Session, ids: list[int]) -> dict[int, list[tuple[datetime, str]]]:
    """The status events ``(at, new status)`` of the tickets ``ids``."""
    events: dict[int, list[tuple[datetime, str]]] = {}
    for chunk in (ids[i : i + 5000] for i in range(0, len(ids), 5000)):
        status_q = select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.new).where(
            TicketEvent.kind == "status", TicketEvent.ticket_id.in_(chunk)
        )
        for ticket_id, at, new in session.execute(status_q):
            events.setdefault(ticket_id, []).append((as_utc(at), new))
    return events


def _breached(
    ticket: Any,
    policy: Any,
    now: datetime,
    events: dict[int, list[tuple[datetime, str]]],
    *,
    shortcut: bool,
) -> int:
    """1 if the ticket (a row of :func:`_sla_breaches`) breached its SLA, else 0: its clocks
    run once, or the outcome remembered for a finished ticket (with ``shortcut``)."""
    _, ticket_id, created, first, resolved, priority, category = ticket
    opened = as_utc(created)

    def stamp(value: datetime | None) -> datetime | None:
        return None if value is None else max(as_utc(value), opened)

    answered_at, resolved_at = stamp(first), stamp(resolved)
    history = tuple(events.get(ticket_id, ()))
    key = None
    if shortcut and answered_at and resolved_at and max(answered_at, resolved_at) <= now:
        key = (ticket_id, opened, answered_at, resolved_at, priority, category, history)
        known = _FINISHED_BREACHES.get((policy, key))
        if known is not None:
            return known
    state = sla.sla_state(  # as maillon.care.service.ticket_sla, from plain rows
        policy=policy,
        calendar=CALENDAR,
        opened_at=opened,
        now=now,
        events=history,
        first_response_at=answered_at,
        resolved_at=resolved_at,
        priority=priority,
        category=category,
    )
    breached = 1 if state.breaches else 0
    if key is not None:
        if len(_FINISHED_BREACHES) >= _FINISHED_BREACHES_MAX:
            _FINISHED_BREACHES.clear()
        _FINISHED_BREACHES[(policy, key)] = breached
    return breached


def _met_in_wall_time(
    opened: datetime,
    now: datetime,
    target: sla.SlaTarget,
    first: datetime | None,
    resolved: datetime | None,
) -> bool:
    """Whether each tracked clock of a ticket stopped (by ``now``) within its target in
    plain elapsed time: business time open between two instants is never more than the time
    between them, and pauses only take time off, so such a ticket met its SLA whatever its
    events and the calendar (:func:`maillon.care.sla.sla_state` need not be run)."""
    for goal, stop in ((target.first_response, first), (target.resolution, resolved)):
        if goal is None:
            continue
        if stop is None:
            return False
        stopped = max(as_utc(stop), opened)
        if stopped > now or stopped - opened > goal:
            return False
    return True


def _csat(session: Session, table: KpiTable, tickets_query: TicketsQuery, ticket_dim: Any) -> None:
    """Mean CSAT score and share of satisfied answers (4 or 5) of the tickets selected."""
    csat_q = (
        tickets_query(
            func.count(),
            func.sum(CsatSurvey.score),
            func.sum(case((CsatSurvey.score >= 4, 1), else_=0)),
        )
        .join(CsatSurvey, CsatSurvey.ticket_id == Ticket.id)
        .where(CsatSurvey.score.is_not(None))
        .group_by(*group_cols(ticket_dim))
    )
    for label, answers, total, satisfied in session.execute(csat_q):
        if answers:
            row = table.rows.setdefault(str(label), {})
            row["csat_mean"] = mean_or_none(total, answers)
            row["csat_satisfied_pct"] = rate(satisfied, answers)
