"""Console page for planning: what to reorder (with the policy behind each line), purchase
orders to send and receive, the demand history of a SKU with its stock-out days and its newest
forecast with the 80 % and 95 % intervals, and (an htmx fragment: it replays half a year of
demand) a policy comparison for the SKU or the warehouse's A items: our policy, min/max and
(R, S) on the same history, inventory over time with the stock-outs marked, and a table;
and (another fragment) the ABC/XYZ matrix of the warehouse at thresholds the planner sets.

Optional per-class targets (``class_targets=A=0.98,B=0.95,C=0.9``) set the fill-rate target of
each ABC/XYZ class; a bad value comes back in the page, never as a server error."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from maillon.core import clock
from maillon.core.errors import FieldError, MaillonError, ValidationError
from maillon.inventory import service as inventory
from maillon.planning import service as planning
from maillon.planning.demand import build_demand_series
from maillon.planning.tables import Supplier
from maillon.web.console import OPERATORS, check_csrf, database, render, require

router = APIRouter(include_in_schema=False)


@router.get("/planning", response_class=HTMLResponse)
def planning_page(
    request: Request,
    warehouse: Annotated[str | None, Query(max_length=20)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    service_level: Annotated[float, Query(ge=0.5, lt=1)] = 0.95,
    class_targets: Annotated[str, Query(max_length=120)] = "",
    error: Annotated[str | None, Query(max_length=300)] = None,
    notice: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """Reorder proposals of a warehouse, open purchase orders, a SKU's demand history and
    forecast, and the policy comparison (loaded as a fragment)."""
    user = require(request, *OPERATORS)
    with database(request).reader() as session:
        warehouses = [w.code for w in inventory.list_warehouses(session=session)]
        if not warehouses:
            return render(request, "planning.html", user, warehouses=[], warehouse=None)
        warehouse = warehouse if warehouse in warehouses else warehouses[0]
        try:
            proposals = planning.propose_replenishment(
                session=session,
                warehouse_code=warehouse,
                service_level=service_level,
                class_targets=class_targets or None,
            )
        except ValidationError as exc:
            error = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            proposals = planning.propose_replenishment(
                session=session, warehouse_code=warehouse, service_level=service_level
            )
        # the most valuable first; the page shows the first hundred
        proposals.sort(key=lambda p: -p.quantity * p.unit_price_cents)
        total_proposals = len(proposals)
        pos = planning.purchase_orders_to_follow(session=session)
        suppliers = {s.id: s.code for s in session.scalars(select(Supplier))}
        now = clock.now()
        purchase_orders = [
            {
                "number": po.number,
                "supplier": suppliers.get(po.supplier_id, "?"),
                "status": po.status,
                "lines": len(po.lines),
                "units": sum(line.quantity for line in po.lines),
                "received": sum(line.received_quantity for line in po.lines),
                "expected_at": po.expected_at,
                "late": po.status in ("sent", "partially_received")
                and po.expected_at is not None
                and clock.as_utc(po.expected_at) < now,
            }
            for po in pos
        ]
        chart: dict[str, Any] | None = None
        last_run = planning.latest_forecast_run(session=session)
        sku = sku or (proposals[0].sku if proposals else None)
        if sku:
            today = clock.now().date()
            records, stockouts = planning.demand_history(
                session=session,
                start=today - timedelta(days=90),
                end=today + timedelta(days=1),
                warehouse_code=warehouse,
                sku=sku,
            )
            if records:
                frame = build_demand_series(records, stockouts=stockouts, freq="D").frame
                chart = {
                    "x": [d.date().isoformat() for d in frame["ds"]],
                    "observed": [float(v) for v in frame["observed"]],
                    "y": [round(float(v), 2) for v in frame["y"]],
                    "stockout": [int(v) for v in frame["stockout_days"]],
                }
            stored = planning.latest_forecast_steps(
                session=session, warehouse_code=warehouse, sku=sku
            ).get(sku)
            if stored is not None and stored.forecast:
                chart = chart or {"x": [], "observed": [], "y": [], "stockout": []}
                chart["forecast"] = {
                    "x": [d.isoformat() for d in stored.days],
                    "y": [round(v, 2) for v in stored.forecast],
                    "model": stored.model,
                    **{
                        f"q{round(level * 100)}": [round(v, 2) for v in values]
                        for level, values in stored.quantiles.items()
                    },
                }
    return render(
        request,
        "planning.html",
        user,
        warehouses=warehouses,
        warehouse=warehouse,
        proposals=proposals[:100],
        total_proposals=total_proposals,
        purchase_orders=purchase_orders,
        service_level=service_level,
        class_targets=class_targets,
        sku=sku,
        chart=chart,
        error=error,
        notice=notice,
        last_run=last_run,
    )


@router.post("/planning/forecast")
def forecast_now(
    request: Request,
    warehouse: Annotated[str, Form(max_length=20)],
    csrf: Annotated[str, Form()] = "",
    sku: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Forecast the demand of every SKU of a warehouse now (the answer waits for the run:
    seconds for hundreds of SKUs; schedule ``maillon plan forecast`` for large catalogues)."""
    user = require(request, *OPERATORS)
    check_csrf(user, csrf)
    back = {"warehouse": warehouse, **({"sku": sku} if sku else {})}
    try:
        run = planning.run_forecast(database(request), warehouse_code=warehouse)
    except MaillonError as exc:
        return RedirectResponse(f"/planning?{urlencode({**back, 'error': exc.message})}", 303)
    done = f"forecast run {run.id}: {run.series} series, {run.horizon} days ahead"
    return RedirectResponse(f"/planning?{urlencode({**back, 'notice': done})}", 303)


@router.get("/planning/compare", response_class=HTMLResponse)
def policy_comparison(
    request: Request,
    warehouse: Annotated[str, Query(max_length=20)],
    sku: Annotated[str | None, Query(max_length=64)] = None,
    scope: Annotated[str, Query(max_length=3)] = "sku",
    service_level: Annotated[float, Query(ge=0.5, lt=1)] = 0.95,
    days: Annotated[int, Query(ge=42, le=365)] = 182,
) -> Response:
    """Fragment: our policy, min/max and (R, S) replayed on the demand history of a SKU
    (``scope=sku``) or of the warehouse's A items (``scope=A``, the 20 most valuable)."""
    user = require(request, *OPERATORS)
    error = None
    comparison = None
    chosen = sku if scope == "sku" else None
    try:
        with database(request).reader() as session:
            comparison = planning.compare_policies(
                session=session,
                warehouse_code=warehouse,
                sku=chosen,
                days=days,
                service_level=service_level,
            )
    except MaillonError as exc:
        error = exc.message
    chart = None
    rows: list[dict[str, Any]] = []
    if comparison is not None:
        first = clock.now().date() - timedelta(days=days) + timedelta(days=comparison.start)
        x = [(first + timedelta(days=k)).isoformat() for k in range(comparison.periods)]
        chart = {
            "x": x,
            "series": [
                {
                    "name": POLICY_LABELS[o.name],
                    "on_hand": [round(v, 1) for v in o.on_hand],
                    "short": [round(v, 1) if v > 0 else None for v in o.short],
                }
                for o in comparison.outcomes
            ],
        }
        rows = [{**row, "label": POLICY_LABELS[str(row["policy"])]} for row in comparison.rows()]
    return render(
        request,
        "_planning_compare.html",
        user,
        warehouse=warehouse,
        sku=sku,
        scope="A" if chosen is None else "sku",
        skus=list(comparison.skus) if comparison is not None else [],
        service_level=service_level,
        days=days,
        chart=chart,
        rows=rows,
        error=error,
    )


POLICY_LABELS = {"ours": "ours (s, Q)", "minmax": "min/max", "RS": "(R, S)"}


@router.get("/planning/classes", response_class=HTMLResponse)
def class_matrix(
    request: Request,
    warehouse: Annotated[str, Query(max_length=20)],
    days: Annotated[int, Query(ge=14, le=730)] = 91,
    abc_a: Annotated[str, Query(max_length=12)] = "0.8",
    abc_b: Annotated[str, Query(max_length=12)] = "0.95",
    xyz_x: Annotated[str, Query(max_length=12)] = "0.5",
    xyz_y: Annotated[str, Query(max_length=12)] = "1.0",
) -> Response:
    """Fragment: the ABC/XYZ matrix of a warehouse's SKUs over ``days`` (SKUs and share of
    value per cell, the most valuable SKUs of each), at the thresholds given; a bad threshold
    is named in the fragment."""
    user = require(request, *OPERATORS)
    given = {"abc_a": abc_a, "abc_b": abc_b, "xyz_x": xyz_x, "xyz_y": xyz_y}
    error = None
    found: tuple[Any, ...] = ()
    shares: dict[str, float] = {}
    try:
        numbers: dict[str, float] = {}
        bad = []
        for name, text in given.items():
            try:
                numbers[name] = float(text)
            except ValueError:
                bad.append(FieldError(name, "a number"))
        if bad:
            raise ValidationError(bad)
        thresholds = planning.class_thresholds(**numbers)
        with database(request).reader() as session:
            classes = planning.sku_classes(
                session=session, warehouse_code=warehouse, days=days, thresholds=thresholds
            )
        found, shares = classes.items, classes.value_shares()
    except ValidationError as exc:
        error = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    except MaillonError as exc:
        error = exc.message
    cells = {
        a + x: {"skus": 0, "share": shares.get(a + x, 0.0), "top": []} for a in "ABC" for x in "XYZ"
    }  # fmt: skip
    for c in found:  # most valuable first
        cell = cells[c.label]
        cell["skus"] += 1
        if len(cell["top"]) < 3:
            cell["top"].append(c.sku)
    return render(
        request,
        "_planning_classes.html",
        user,
        warehouse=warehouse,
        days=days,
        given=given,
        cells=cells,
        count=len(found),
        error=error,
    )


@router.post("/planning/order")
def order_proposals(
    request: Request,
    warehouse: Annotated[str, Form(max_length=20)],
    csrf: Annotated[str, Form()] = "",
    service_level: Annotated[float, Form(ge=0.5, lt=1)] = 0.95,
) -> Response:
    """Turn today's proposals of a warehouse into draft purchase orders."""
    user = require(request, *OPERATORS)
    check_csrf(user, csrf)
    db = database(request)
    try:
        with db.transaction() as session:
            found = planning.propose_replenishment(
                session=session, warehouse_code=warehouse, service_level=service_level
            )
            if found:
                planning.create_purchase_orders(
                    session=session,
                    warehouse_code=warehouse,
                    lines=[(p.supplier, p.sku, p.quantity, p.reason) for p in found],
                    actor=user.principal.actor,
                )
    except MaillonError as exc:
        return RedirectResponse(f"/planning?warehouse={warehouse}&error={exc.message}", 303)
    return RedirectResponse(f"/planning?warehouse={warehouse}", status_code=303)


@router.post("/planning/po/{number}/{action}")
def purchase_order_action(
    request: Request,
    number: str,
    action: str,
    csrf: Annotated[str, Form()] = "",
    location: Annotated[str, Form(max_length=40)] = "RECEIVING",
) -> Response:
    """Send a draft purchase order, or receive what is still due on it."""
    user = require(request, *OPERATORS)
    check_csrf(user, csrf)
    db = database(request)
    try:
        with db.transaction() as session:
            if action == "send":
                planning.send_purchase_order(
                    session=session, number=number, actor=user.principal.actor
                )
            elif action == "receive":
                planning.receive_purchase_order(
                    session=session,
                    number=number,
                    location_code=location,
                    actor=user.principal.actor,
                )
            else:
                return RedirectResponse("/planning?error=unknown+action", status_code=303)
    except MaillonError as exc:
        return RedirectResponse(f"/planning?error={exc.message}", status_code=303)
    return RedirectResponse("/planning", status_code=303)
