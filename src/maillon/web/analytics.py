"""Console pages of analytics: the dashboard (headline KPIs of the last 30 days against the 30
before, orders per day, what needs attention) and the KPI table (split by a dimension, also
as CSV).

The pages only read: the figures are those of the KPI facts as the worker last refreshed them
(every minute), and each page says when that was; "Refresh now" asks the worker for fresh ones
(a form, so a POST) and comes back to the page."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from maillon.analytics.definitions import DIMENSIONS, KPIS, KpiTable
from maillon.analytics.queries.freshness import last_refresh
from maillon.analytics.service import compute_kpis, orders_per_day, request_refresh
from maillon.core import clock
from maillon.inventory.queries import count_open_alerts
from maillon.orders.model import OrderStatus
from maillon.orders.queries import count_late, count_with_status
from maillon.warehouse.queries import count_stale_pick_lists
from maillon.web.console import (
    CareForm,
    CarePage,
    Forbidden,
    OperatorPage,
    console_router,
    database,
    render,
)

router = console_router()

HEADLINE = (
    "orders",
    "revenue_cents",
    "fill_rate_pct",
    "on_time_delivery_pct",
    "otif_pct",
    "cycle_time_p50_h",
    "return_rate_pct",
    "metres_per_line",
    "first_response_p50_h",
)
_DEFS = {k.key: k for k in KPIS}


def _trend(key: str, now: float | None, before: float | None) -> str:
    """Return "better", "worse" or "" comparing two periods by the KPI's direction."""
    better = _DEFS[key].better
    if now is None or before is None or now == before or better is None:
        return ""
    up = now > before
    return "better" if up == (better == "higher") else "worse"


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, user: OperatorPage) -> Response:
    """Headline KPIs of the last 30 days against the 30 before, orders per day, alerts."""
    now = clock.now()
    start, previous = now - timedelta(days=30), now - timedelta(days=60)
    with database(request).reader() as session:
        refreshed = last_refresh(session)
        current = compute_kpis(session=session, start=start, end=now, keys=HEADLINE).rows.get(
            "all", {}
        )
        before = compute_kpis(session=session, start=previous, end=start, keys=HEADLINE).rows.get(
            "all", {}
        )
        daily = orders_per_day(session=session, start=start, end=now)
        late = count_late(session=session, now=now)
        waiting = count_with_status(session=session, status=OrderStatus.BACKORDERED)
        stock_alerts = count_open_alerts(session=session)
        stale_picks = count_stale_pick_lists(session=session, before=now - timedelta(hours=24))
    cards = [
        {
            "key": key,
            "label": _DEFS[key].label,
            "unit": _DEFS[key].unit,
            "value": current.get(key),
            "before": before.get(key),
            "trend": _trend(key, current.get(key), before.get(key)),
        }
        for key in HEADLINE
    ]
    alerts = [
        (n, text, href)
        for n, text, href in (
            (late, "orders past their promised date, not delivered", "/orders"),
            (waiting, "orders waiting for stock", "/orders?status=backordered"),
            (stock_alerts, "open stock alerts from shelf sensors", "/stock"),
            (stale_picks, "pick lists open for more than a day", "/warehouse"),
        )
        if n
    ]
    chart = {"x": list(daily), "y": list(daily.values())}
    return render(
        request,
        "dashboard.html",
        user,
        cards=cards,
        alerts=alerts,
        chart=chart,
        **_freshness(request, refreshed, now),
    )


def as_of(refreshed: datetime | None, now: datetime) -> str | None:
    """The time of the last refresh as a page shows it: ``HH:MM`` today, with its day
    (``YYYY-MM-DD HH:MM``) before; None when the facts were never refreshed."""
    if refreshed is None:
        return None
    return refreshed.strftime("%H:%M" if refreshed.date() == now.date() else "%Y-%m-%d %H:%M")


def _freshness(request: Request, refreshed: datetime | None, now: datetime) -> dict[str, Any]:
    """What a page says of its figures' freshness: ``as_of`` (the time of the last refresh,
    with its day when not today; None: never refreshed), whether a refresh was just asked
    for, and where the "Refresh now" form comes back to."""
    return {
        "as_of": as_of(refreshed, now),
        "refresh_requested": request.query_params.get("refresh") == "requested",
        "back": _with_query(request.url.path, _kept_query(request.url.query)),
    }


def _kept_query(query: str) -> list[tuple[str, str]]:
    """The pairs of a query string but the ``refresh=requested`` flag."""
    return [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != "refresh"]


def _with_query(path: str, query: list[tuple[str, str]]) -> str:
    return path + (f"?{urlencode(query)}" if query else "")


def _kpi_tables(
    request: Request, days: int, by: str
) -> tuple[KpiTable, dict[str, int], datetime | None]:
    """The KPIs of the last ``days`` days (split by ``by``), orders per day, and when the
    facts they read were last refreshed."""
    if by and by not in DIMENSIONS:
        raise Forbidden("Unknown dimension.")
    end = clock.now()
    start = end - timedelta(days=days)
    with database(request).reader() as session:
        table = compute_kpis(session=session, start=start, end=end, by=by or None)
        daily = orders_per_day(session=session, start=start, end=end)
        refreshed = last_refresh(session)
    return table, daily, refreshed


Days = Annotated[int, Query(ge=1, le=3650)]
By = Annotated[str, Query(max_length=20)]


@router.get("/kpi", response_class=HTMLResponse)
def kpi_page(request: Request, user: CarePage, days: Days = 30, by: By = "") -> Response:
    """Every KPI of the last ``days`` days, split by ``by``, and orders per day."""
    table, daily, refreshed = _kpi_tables(request, days, by)
    chart = {"x": list(daily), "y": list(daily.values())}
    groups: dict[str, list[Any]] = {}
    for k in KPIS:
        groups.setdefault(k.group, []).append(k)
    return render(
        request,
        "kpi.html",
        user,
        table=table,
        groups=groups,
        chart=chart,
        days=days,
        by=by,
        dimensions=DIMENSIONS,
        **_freshness(request, refreshed, clock.now()),
    )


@router.get("/kpi.csv")
def kpi_csv(request: Request, _user: CarePage, days: Days = 30, by: By = "") -> Response:
    """The KPI table as CSV."""
    table, _, refreshed = _kpi_tables(request, days, by)
    return Response(
        table.to_csv(),
        media_type="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="kpis.csv"',
            "X-Refreshed-At": refreshed.isoformat() if refreshed else "never",
        },
    )


#: The pages whose "Refresh now" form comes back to them.
_REFRESHED_PAGES = ("/dashboard", "/kpi")


@router.post("/kpi/refresh")
def refresh_now(
    request: Request, user: CareForm, back: Annotated[str, Form(max_length=300)] = "/kpi"
) -> Response:
    """Ask the worker for fresh figures, then go back to the page that asked (the dashboard
    or the KPI table, with its filters), which says that a refresh is on its way."""
    parts = urlsplit(back)
    known = parts.path in _REFRESHED_PAGES and not (parts.scheme or parts.netloc)
    with database(request).transaction() as session:
        request_refresh(session=session, requested_by=user.principal.actor)
    query = [*(_kept_query(parts.query) if known else []), ("refresh", "requested")]
    return RedirectResponse(_with_query(parts.path if known else "/kpi", query), 303)
