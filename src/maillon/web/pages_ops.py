"""Console pages for operations: the dashboard (KPIs with trends and alerts) and the
warehouse (its layout with a pick route drawn on it, and slotting proposals)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from maillon.analytics.definitions import KPIS
from maillon.analytics.service import compute_kpis, orders_per_day, refresh_order_facts
from maillon.core import clock
from maillon.core.errors import FieldError, MaillonError, ValidationError
from maillon.inventory import service as inventory
from maillon.inventory.tables import StockAlert
from maillon.orders.model import OrderStatus
from maillon.orders.tables import Order
from maillon.warehouse import batching, release
from maillon.warehouse import service as warehouse
from maillon.warehouse.model import PickListStatus
from maillon.warehouse.tables import PickList, PickListLine, PickTour, PickWave
from maillon.web.console import FLOOR, OPERATORS, check_csrf, database, render, require

router = APIRouter(include_in_schema=False)

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
def dashboard(request: Request) -> Response:
    """Headline KPIs of the last 30 days against the 30 before, orders per day, alerts."""
    user = require(request, *OPERATORS)
    now = clock.now()
    start, previous = now - timedelta(days=30), now - timedelta(days=60)
    db = database(request)
    with db.transaction() as session:
        refresh_order_facts(session=session)
    with db.reader() as session:
        current = compute_kpis(session=session, start=start, end=now, keys=HEADLINE).rows.get(
            "all", {}
        )
        before = compute_kpis(session=session, start=previous, end=start, keys=HEADLINE).rows.get(
            "all", {}
        )
        daily = orders_per_day(session=session, start=start, end=now)
        late = session.scalar(
            select(func.count())
            .select_from(Order)
            .where(
                Order.promised_at < now,
                Order.delivered_at.is_(None),
                Order.status.not_in((OrderStatus.CANCELLED.value, OrderStatus.DELIVERED.value)),
            )
        )
        waiting = session.scalar(
            select(func.count())
            .select_from(Order)
            .where(Order.status == OrderStatus.BACKORDERED.value)
        )
        stock_alerts = session.scalar(
            select(func.count()).select_from(StockAlert).where(StockAlert.resolved_at.is_(None))
        )
        stale_picks = session.scalar(
            select(func.count())
            .select_from(PickList)
            .where(
                PickList.status == PickListStatus.OPEN,
                PickList.created_at < now - timedelta(hours=24),
            )
        )
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
            (late or 0, "orders past their promised date, not delivered", "/orders"),
            (waiting or 0, "orders waiting for stock", "/orders?status=backordered"),
            (stock_alerts or 0, "open stock alerts from shelf sensors", "/stock"),
            (stale_picks or 0, "pick lists open for more than a day", "/warehouse"),
        )
        if n
    ]
    chart = {"x": list(daily), "y": list(daily.values())}
    return render(request, "dashboard.html", user, cards=cards, alerts=alerts, chart=chart)


def _layout_figure(spec: Any) -> dict[str, Any]:
    """Plotly traces and shapes of a layout: aisles, racks, cross-aisles and the depot."""
    layout = spec.layout()
    half = min(1.0, spec.aisle_spacing / 3)
    shapes = []
    for aisle in layout.aisles:
        for side in (-1, 1):
            x0 = aisle.x + side * 0.25 * spec.aisle_spacing
            shapes.append(
                {
                    "type": "rect",
                    "x0": x0 - half / 2,
                    "x1": x0 + half / 2,
                    "y0": 0,
                    "y1": layout.aisle_length,
                    "fillcolor": "#d0d5dd",
                    "line": {"width": 0},
                    "layer": "below",
                }
            )
    for y in layout.cross_aisles:
        shapes.append(
            {
                "type": "line",
                "x0": layout.aisles[0].x - spec.aisle_spacing / 2,
                "x1": layout.aisles[-1].x + spec.aisle_spacing / 2,
                "y0": y,
                "y1": y,
                "line": {"color": "#eaecf0", "width": 8},
                "layer": "below",
            }
        )
    depot = {
        "type": "scatter",
        "mode": "markers+text",
        "x": [layout.depot.x],
        "y": [-layout.depot.offset],
        "text": ["depot"],
        "textposition": "bottom center",
        "marker": {"symbol": "square", "size": 14, "color": "#10243e"},
        "name": "depot",
        "hoverinfo": "text",
    }
    return {"shapes": shapes, "traces": [depot]}


@router.get("/warehouse", response_class=HTMLResponse)
def warehouse_page(
    request: Request,
    code: Annotated[str | None, Query(max_length=20)] = None,
    pick_list: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    tour: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    error: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """A warehouse's layout with a pick list's route, or a wave tour's (every list of the
    batch in one walk), drawn on it; the recent waves; the slotting proposal."""
    user = require(request, *FLOOR)
    with database(request).reader() as session:
        choices = [
            (w.code, w.name)
            for w in inventory.list_warehouses(session=session)
            if warehouse.layout_of(session=session, warehouse_id=w.id) is not None
        ]
        if not choices:
            return render(request, "warehouse.html", user, choices=[], code=None)
        code = code if code in {c for c, _ in choices} else choices[0][0]
        wh, spec = warehouse.require_layout(session=session, warehouse_code=code)
        lists = session.scalars(
            select(PickList)
            .where(PickList.warehouse_id == wh.id)
            .order_by((PickList.status == PickListStatus.OPEN).desc(), PickList.id.desc())
            .limit(30)
        ).all()
        figure = _layout_figure(spec)
        tours = session.execute(
            select(PickTour, PickWave.id, func.count(PickList.id))
            .join(PickWave, PickWave.id == PickTour.wave_id)
            .outerjoin(PickList, PickList.tour_id == PickTour.id)
            .where(PickTour.warehouse_id == wh.id)
            .group_by(PickTour.id, PickWave.id)
            .order_by(PickTour.id.desc())
            .limit(30)
        ).all()
        chosen = next((p for p in lists if p.id == pick_list), lists[0] if lists else None)
        walked: tuple[str, int, float | None, list[Any]] | None = None
        if tour is not None and any(t.id == tour for t, _, _ in tours):
            tour_row = next(t for t, _, _ in tours if t.id == tour)
            lines = session.scalars(
                select(PickListLine)
                .join(PickList, PickList.id == PickListLine.pick_list_id)
                .where(PickList.tour_id == tour)
                .order_by(PickListLine.tour_sequence, PickListLine.id)
            ).all()
            walked = ("tour", tour, tour_row.route_m, [(k, ln) for k, ln in enumerate(lines, 1)])
        elif chosen is not None:
            walked = ("list", chosen.id, chosen.route_m, [(ln.sequence, ln) for ln in chosen.lines])
        route: dict[str, Any] | None = None
        if walked is not None:
            kind, walked_id, metres, numbered = walked
            stops = [
                (seq, line.location_code, line.sku, spec.locate(line.location_code))
                for seq, line in numbered
            ]
            placed = [(seq, code_, sku, loc) for seq, code_, sku, loc in stops if loc is not None]
            layout = spec.layout()
            corners = layout.walk([loc for _, _, _, loc in placed])
            route = {
                "kind": kind,
                "id": walked_id,
                "metres": metres,
                "unplaced": [code_ for _, code_, _, loc in stops if loc is None],
                "path": {"x": [x for x, _ in corners], "y": [y for _, y in corners]},
                "stops": {
                    "x": [layout.aisles[loc.aisle].x for *_, loc in placed],
                    "y": [loc.position for *_, loc in placed],
                    "text": [str(seq) for seq, *_ in placed],
                    "hover": [f"{seq}. {code_} · {sku}" for seq, code_, sku, _ in placed],
                },
            }
        pick_lists = [
            {"id": p.id, "status": p.status, "lines": len(p.lines), "metres": p.route_m}
            for p in lists
        ]
        wave_tours = [
            {
                "id": t.id,
                "wave": wave_id,
                "orders": n,
                "status": t.status,
                "picker": t.picker,
                "metres": t.route_m,
            }
            for t, wave_id, n in tours
        ]
    return render(
        request,
        "warehouse.html",
        user,
        choices=choices,
        code=code,
        spec=spec.to_dict(),
        figure=figure,
        route=route,
        pick_lists=pick_lists,
        tours=wave_tours,
        error=error,
        methods=batching.METHODS,
        selections=release.SELECTIONS,
    )


@router.post("/warehouse/waves")
def release_wave(
    request: Request,
    code: Annotated[str, Form(max_length=20)] = "",
    max_orders: Annotated[str, Form(max_length=6)] = "20",
    cart_units: Annotated[str, Form(max_length=6)] = "40",
    method: Annotated[str, Form(max_length=20)] = "savings",
    selection: Annotated[str, Form(max_length=20)] = "promise",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Release a wave of the allocated orders waiting in a warehouse as picker tours, then
    show its first tour's walk; a refusal (nothing waiting, a bad number) is said on the page."""
    user = require(request, *OPERATORS)
    check_csrf(user, csrf)
    target: dict[str, Any] = {"code": code}
    try:
        if not max_orders.isdigit() or not cart_units.isdigit():
            raise ValidationError(
                FieldError("max_orders" if not max_orders.isdigit() else "cart_units", "a number")
            )
        with database(request).transaction() as session:
            wave = release.create_wave(
                session=session,
                warehouse_code=code,
                actor=user.principal.name,
                max_orders=int(max_orders),
                cart_units=int(cart_units),
                method=method,
                selection=selection,
            )
            first = session.scalar(select(func.min(PickTour.id)).where(PickTour.wave_id == wave.id))
        if first is not None:
            target["tour"] = first
    except MaillonError as exc:
        target["error"] = exc.message
    return RedirectResponse(f"/warehouse?{urlencode(target)}", status_code=303)


@router.get("/warehouse/slotting", response_class=HTMLResponse)
def slotting_fragment(
    request: Request, code: Annotated[str, Query(min_length=1, max_length=20)]
) -> Response:
    """The slotting proposal of a warehouse (an htmx fragment: it can take a few seconds)."""
    user = require(request, *OPERATORS)
    with database(request).reader() as session:
        result = warehouse.slotting_proposal(
            session=session, warehouse_code=code, max_moves=20, time_limit=5.0
        )
    return render(request, "_slotting.html", user, result=result)
