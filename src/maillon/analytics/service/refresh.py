"""Keeping the facts and their rollups up to date, incrementally, in the caller's
transaction: the orders changed since the last refresh (stamped by the order and by its
returns, tickets, fraud reviews and chargebacks), the storefront sessions and the stock
movements newer than the last event folded in (by id, with a margin for rows committed out of
id order). The first run, or ``full``, rebuilds everything. The refresh state of each is a row
of ``analytics_state``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, union
from sqlalchemy.orm import Session

from maillon.acquisition.tables import StorefrontEvent
from maillon.analytics.queries.freshness import ORDER_FACTS
from maillon.analytics.queries.sql import day_of
from maillon.analytics.service.facts import (
    FACT_COLUMNS,
    SESSION_COLUMNS,
    facts_select,
    sessions_select,
)
from maillon.analytics.service.histograms import (
    apply_histogram_changes,
    histogram_counts,
    rebuild_histograms,
)
from maillon.analytics.service.rollups import (
    rebuild_stock_rollups,
    refresh_rollups,
    refresh_session_rollups,
)
from maillon.analytics.tables import AnalyticsState, OrderFact, SessionFact
from maillon.care.tables import Ticket
from maillon.core import clock
from maillon.core.clock import as_utc
from maillon.fraud.tables import FraudChargeback, FraudReview
from maillon.inventory.tables import StockMovement
from maillon.orders.tables import Order
from maillon.returns.tables import ReturnRequest

_STATE_KEY = ORDER_FACTS
_SESSIONS_KEY = "session_facts"
_STOCK_KEY = "stock_day_rollups"
_MARGIN = timedelta(minutes=5)  # changes committed while the last refresh ran
_EVENT_ID_MARGIN = 1000  # events committed out of id order while the last refresh ran


def refresh_orders(*, session: Session, full: bool) -> int:
    """Bring ``order_facts``, their daily rollups and histograms up to date; return how many
    orders were (re)computed (see :func:`maillon.analytics.service.refresh_order_facts`)."""
    dialect = session.get_bind().dialect.name
    now = clock.now()
    state = session.get(AnalyticsState, _STATE_KEY)
    if full or state is None:
        count = _rebuild_orders(session, dialect)
    else:
        ids = _changed_orders(session, as_utc(state.at) - _MARGIN)
        count = _recompute_orders(session, dialect, ids)
    if state is None:
        session.add(AnalyticsState(key=_STATE_KEY, at=now))
    else:
        state.at = now
    return int(count)


def _rebuild_orders(session: Session, dialect: str) -> int:
    """Rebuild every order fact, the order rollups and histograms; return the facts' count."""
    session.execute(delete(OrderFact))
    session.execute(
        insert(OrderFact.__table__).from_select(FACT_COLUMNS, facts_select(dialect, None))
    )
    count = session.scalar(select(func.count()).select_from(OrderFact)) or 0
    refresh_rollups(session, dialect, None)
    rebuild_histograms(session, dialect)
    return count


def _changed_orders(session: Session, since: Any) -> list[int]:
    """The ids of the orders changed since ``since``.

    Every status change of an order (allocation, picking, packing, shipping, delivery,
    cancellation) stamps orders.updated_at; returns, tickets, fraud reviews and chargebacks
    do not touch the order."""
    r = ReturnRequest
    changed = union(
        select(Order.id).where(Order.updated_at >= since),
        select(r.order_id).where(
            or_(
                *(
                    column >= since
                    for column in (
                        r.created_at,
                        r.decided_at,
                        r.received_at,
                        r.inspected_at,
                        r.closed_at,
                    )
                )
            )
        ),
        select(Ticket.order_id).where(Ticket.created_at >= since, Ticket.order_id.is_not(None)),
        select(FraudReview.order_id).where(FraudReview.decided_at >= since),
        select(FraudChargeback.order_id).where(FraudChargeback.recorded_at >= since),
    ).subquery("changed")
    return [row[0] for row in session.execute(select(changed.c[0]))]


def _recompute_orders(session: Session, dialect: str, ids: list[int]) -> int:
    """Recompute the facts of the orders ``ids``, in chunks; the rollups of their days are
    summed again, their histogram counts moved by the difference. Return how many."""
    count = 0
    days: set[date] = set()  # the days of the facts changed: their rollups follow

    def note_days(chunk: list[int]) -> None:
        created = select(OrderFact.created_at).where(OrderFact.order_id.in_(chunk))
        days.update(as_utc(at).date() for at in session.scalars(created))

    changes: dict[str, dict[Any, int]] = {}  # to the histograms' counts
    for chunk in (ids[i : i + 2000] for i in range(0, len(ids), 2000)):
        note_days(chunk)
        histogram_counts(session, dialect, chunk, -1, changes)
        session.execute(delete(OrderFact).where(OrderFact.order_id.in_(chunk)))
        only = select(Order.id).where(Order.id.in_(chunk)).scalar_subquery()
        session.execute(
            insert(OrderFact.__table__).from_select(FACT_COLUMNS, facts_select(dialect, only))
        )
        note_days(chunk)
        histogram_counts(session, dialect, chunk, +1, changes)
        count += len(chunk)
    refresh_rollups(session, dialect, days)
    apply_histogram_changes(session, changes)
    return count


# -- tables fed by events (append-only ids) --------------------------------------------------


def _new_ids(session: Session, column: Any, state: AnalyticsState | None) -> Any | None:
    """The condition on an id ``column`` (events, ledger movements: ids grow as rows are
    added) selecting the rows to fold in since the refresh ``state``, or None when none.

    Rows committed out of id order can appear below the last id folded in: the last
    ``_EVENT_ID_MARGIN`` ids are read again when their count changed since (a row appeared
    there), else only the ids above."""
    assert state is not None and state.last_id is not None
    low = state.last_id - _EVENT_ID_MARGIN
    window = session.scalar(select(func.count()).where(column > low, column <= state.last_id))
    if window != state.seen:
        return column > low
    top = session.scalar(select(func.max(column)))
    return column > state.last_id if top is not None and top > state.last_id else None


def _id_mark(session: Session, column: Any) -> tuple[int, int]:
    """The last id of ``column`` and how many ids of the margin below it are present, read
    before folding rows in (rows committed meanwhile are read again next time)."""
    top = session.scalar(select(func.max(column))) or 0
    seen = session.scalar(select(func.count()).where(column > top - _EVENT_ID_MARGIN)) or 0
    return top, seen


def _save_mark(
    session: Session, key: str, state: AnalyticsState | None, mark: tuple[int, int]
) -> None:
    """Record the id mark of :func:`_id_mark` in the refresh state ``key``."""
    top, seen = mark
    if state is None:
        session.add(AnalyticsState(key=key, at=clock.now(), last_id=top, seen=seen))
    else:
        state.at, state.last_id, state.seen = clock.now(), top, seen


def refresh_session_facts(*, session: Session, full: bool = False) -> int:
    """Bring ``session_facts`` up to date with the storefront events; return how many
    sessions were (re)computed.

    Incremental by default: the sessions with an event newer than the last one folded in
    (by event id, with a small margin) are recomputed from all their events; the first run,
    or ``full``, rebuilds everything.
    """
    dialect = session.get_bind().dialect.name
    state = session.get(AnalyticsState, _SESSIONS_KEY)
    mark = _id_mark(session, StorefrontEvent.id)
    days: set[date] | None = None  # the days whose rollups follow (None: all)
    if full or state is None or state.last_id is None:
        session.execute(delete(SessionFact))
        session.execute(
            insert(SessionFact.__table__).from_select(SESSION_COLUMNS, sessions_select(None))
        )
        count = session.scalar(select(func.count()).select_from(SessionFact)) or 0
    else:
        newer = _new_ids(session, StorefrontEvent.id, state)
        ids = (
            []
            if newer is None
            else list(session.scalars(select(StorefrontEvent.session_id).where(newer).distinct()))
        )
        days = _recompute_sessions(session, ids)
        count = len(ids)
    refresh_session_rollups(session, dialect, days)
    _save_mark(session, _SESSIONS_KEY, state, mark)
    return int(count)


def _recompute_sessions(session: Session, ids: list[str]) -> set[date]:
    """Recompute the facts of the storefront sessions ``ids``; return the days they touch."""
    days: set[date] = set()

    def note_days(chunk: list[str]) -> None:
        started = select(SessionFact.started_at).where(SessionFact.session_id.in_(chunk))
        days.update(as_utc(at).date() for at in session.scalars(started))

    for chunk in (ids[i : i + 2000] for i in range(0, len(ids), 2000)):
        note_days(chunk)
        session.execute(delete(SessionFact).where(SessionFact.session_id.in_(chunk)))
        session.execute(
            insert(SessionFact.__table__).from_select(SESSION_COLUMNS, sessions_select(chunk))
        )
        note_days(chunk)
    return days


def refresh_stock_rollups(session: Session, *, full: bool) -> None:
    """Bring the daily stock rollups up to date with the ledger (append-only): the days of
    the movements newer than the last one folded in (by id, with a margin for movements
    committed out of id order) are summed up again; the first run, or ``full``, rebuilds all.
    """
    dialect = session.get_bind().dialect.name
    state = session.get(AnalyticsState, _STOCK_KEY)
    mark = _id_mark(session, StockMovement.id)
    days: set[date] | None = None
    if not (full or state is None or state.last_id is None):
        newer = _new_ids(session, StockMovement.id, state)
        day = day_of(dialect, StockMovement.created_at)
        days = set() if newer is None else set(session.scalars(select(day).where(newer).distinct()))
    rebuild_stock_rollups(session, dialect, days)
    _save_mark(session, _STOCK_KEY, state, mark)
