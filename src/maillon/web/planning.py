"""Console page for planning: what to reorder (with the policy behind each line), purchase
orders to send and receive, the demand history of a SKU with its stock-out days and its newest
forecast with the 80 % and 95 % intervals, and (an htmx fragment: it replays half a year of
demand) a policy comparison for the SKU or the warehouse's A items: our policy, min/max and
(R, S) on the same history, inventory over time with the stock-outs marked, and a table;
and (another fragment) the ABC/XYZ matrix of the warehouse at thresholds the planner sets.

Optional per-class targets (``class_targets=A=0.98,B=0.95,C=0.9``) set the fill-rate target of
each ABC/XYZ class; a bad value comes back in the page, never as a server error."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import FieldError, MaillonError, ValidationError
from maillon.core.users import ConsoleUser
from maillon.inventory import service as inventory
from maillon.planning import queries
from maillon.planning import service as planning
from maillon.planning.demand import build_demand_series
from maillon.web.console import (
    OperatorForm,
    OperatorPage,
    console_router,
    database,
    on_refusal,
    render,
)
from maillon.web.jobs import job_note

router = console_router()

POLICY_LABELS = {"ours": "ours (s, Q)", "minmax": "min/max", "RS": "(R, S)"}


def _purchase_orders(session: Session) -> list[dict[str, Any]]:
    """The purchase orders to follow as the page lists them (late ones flagged)."""
    pos = planning.purchase_orders_to_follow(session=session)
    suppliers = queries.supplier_codes(session=session)
    now = clock.now()
    return [
        {
            "number": po.number,
            "supplier": suppliers.get(po.supplier_id, "?"),
            "status": po.status,
            "lines": len(po.lines),
            "units": sum(line.quantity for line in po.lines),
            "received": sum(line.received_quantity for line in po.lines),
            "expected_at": po.expected_at,
            "late": queries.is_late(po, now),
        }
        for po in pos
    ]


def _demand_chart(session: Session, warehouse: str, sku: str) -> dict[str, Any] | None:
    """A SKU's daily demand of the last 90 days (observed, cleaned, stock-out days) and its
    newest forecast with the 80 % and 95 % intervals; None when there is neither."""
    chart: dict[str, Any] | None = None
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
    stored = planning.latest_forecast_steps(session=session, warehouse_code=warehouse, sku=sku).get(
        sku
    )
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
    return chart


@router.get("/planning", response_class=HTMLResponse)
def planning_page(
    request: Request,
    user: OperatorPage,
    warehouse: Annotated[str | None, Query(max_length=20)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    service_level: Annotated[float, Query(ge=0.5, lt=1)] = 0.95,
    class_targets: Annotated[str, Query(max_length=120)] = "",
    error: Annotated[str | None, Query(max_length=300)] = None,
    notice: Annotated[str | None, Query(max_length=300)] = None,
    queued: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """Reorder proposals of a warehouse, open purchase orders, a SKU's demand history and
    forecast (saying so while a forecast is queued or running), and the policy comparison
    (loaded as a fragment)."""
    with database(request).reader() as session:
        note = job_note(session, planning.FORECAST_JOB, kind="forecast", queued=queued)
        warehouses = [w.code for w in inventory.list_warehouses(session=session)]
        if not warehouses:
            return render(
                request, "planning.html", user, warehouses=[], warehouse=None, job_note=note
            )
        warehouse = warehouse if warehouse in warehouses else warehouses[0]
        try:
            proposals = planning.propose_replenishment(
                session=session,
                warehouse_code=warehouse,
                service_level=service_level,
                class_targets=class_targets or None,
            )
        except ValidationError as exc:  # bad class targets: said, and the plain proposals
            error = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
            proposals = planning.propose_replenishment(
                session=session, warehouse_code=warehouse, service_level=service_level
            )
        # the most valuable first; the page shows the first hundred
        proposals.sort(key=lambda p: -p.quantity * p.unit_price_cents)
        purchase_orders = _purchase_orders(session)
        last_run = planning.latest_forecast_run(session=session)
        sku = sku or (proposals[0].sku if proposals else None)
        chart = _demand_chart(session, warehouse, sku) if sku else None
    return render(
        request,
        "planning.html",
        user,
        warehouses=warehouses,
        warehouse=warehouse,
        proposals=proposals[:100],
        total_proposals=len(proposals),
        purchase_orders=purchase_orders,
        service_level=service_level,
        class_targets=class_targets,
        sku=sku,
        chart=chart,
        error=error,
        notice=notice,
        last_run=last_run,
        job_note=note,
    )


def _forecast_refused(
    _request: Request, _user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    sku = values.get("sku", "")
    back = {"warehouse": values["warehouse"], **({"sku": sku} if sku else {})}
    return RedirectResponse(f"/planning?{urlencode({**back, 'error': exc.message})}", 303)


@router.post("/planning/forecast")
@on_refusal(_forecast_refused)
def forecast_now(
    request: Request,
    user: OperatorForm,
    warehouse: Annotated[str, Form(max_length=20)],
    sku: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Have the worker tier forecast the demand of every SKU of a warehouse now: the page
    comes back at once saying the forecast is queued (followed on the jobs page, and on this
    page while it runs); an unknown warehouse or no order to forecast is said at once."""
    with database(request).transaction() as session:
        job = planning.request_forecast(
            session=session, warehouse_code=warehouse, requested_by=user.principal.actor
        )
        queued = job.id
    back = {"warehouse": warehouse, **({"sku": sku} if sku else {})}
    return RedirectResponse(f"/planning?{urlencode({**back, 'queued': queued})}", 303)


def _comparison_view(
    request: Request,
    user: ConsoleUser,
    values: Mapping[str, Any],
    comparison: Any = None,
    error: str | None = None,
) -> Response:
    """The policy comparison fragment: inventory over time per policy, and the table."""
    days = int(values["days"])
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
        warehouse=values["warehouse"],
        sku=values["sku"],
        scope="A" if (values["sku"] if values["scope"] == "sku" else None) is None else "sku",
        skus=list(comparison.skus) if comparison is not None else [],
        service_level=float(values["service_level"]),
        days=days,
        chart=chart,
        rows=rows,
        error=error,
    )


def _comparison_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    given = {
        "warehouse": values["warehouse"],
        "sku": values.get("sku"),
        "scope": values.get("scope", "sku"),
        "service_level": values.get("service_level", "0.95"),
        "days": values.get("days", "182"),
    }
    return _comparison_view(request, user, given, error=exc.message)


@router.get("/planning/compare", response_class=HTMLResponse)
@on_refusal(_comparison_refused)
def policy_comparison(
    request: Request,
    user: OperatorPage,
    warehouse: Annotated[str, Query(max_length=20)],
    sku: Annotated[str | None, Query(max_length=64)] = None,
    scope: Annotated[str, Query(max_length=3)] = "sku",
    service_level: Annotated[float, Query(ge=0.5, lt=1)] = 0.95,
    days: Annotated[int, Query(ge=42, le=365)] = 182,
) -> Response:
    """Fragment: our policy, min/max and (R, S) replayed on the demand history of a SKU
    (``scope=sku``) or of the warehouse's A items (``scope=A``, the 20 most valuable)."""
    with database(request).reader() as session:
        comparison = planning.compare_policies(
            session=session,
            warehouse_code=warehouse,
            sku=sku if scope == "sku" else None,
            days=days,
            service_level=service_level,
        )
    given = {
        "warehouse": warehouse,
        "sku": sku,
        "scope": scope,
        "service_level": service_level,
        "days": days,
    }
    return _comparison_view(request, user, given, comparison)


def _class_view(
    request: Request,
    user: ConsoleUser,
    values: Mapping[str, str],
    classes: Any = None,
    error: str | None = None,
) -> Response:
    """The ABC/XYZ matrix fragment: SKUs, share of value and the top SKUs of each cell."""
    given = {k: values.get(k, d) for k, d in CLASS_DEFAULTS.items()}
    found: tuple[Any, ...] = classes.items if classes is not None else ()
    shares: dict[str, float] = classes.value_shares() if classes is not None else {}
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
        warehouse=values["warehouse"],
        days=int(values.get("days", "91")),
        given=given,
        cells=cells,
        count=len(found),
        error=error,
    )


def _class_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The matrix, empty, naming the bad threshold (or the service's refusal)."""
    if isinstance(exc, ValidationError):
        error = "; ".join(f"{e.field}: {e.message}" for e in exc.errors)
    else:
        error = exc.message
    return _class_view(request, user, values, error=error)


CLASS_DEFAULTS = {"abc_a": "0.8", "abc_b": "0.95", "xyz_x": "0.5", "xyz_y": "1.0"}
Threshold = Annotated[str, Query(max_length=12)]


@router.get("/planning/classes", response_class=HTMLResponse)
@on_refusal(_class_refused)
def class_matrix(
    request: Request,
    user: OperatorPage,
    warehouse: Annotated[str, Query(max_length=20)],
    days: Annotated[int, Query(ge=14, le=730)] = 91,
    abc_a: Threshold = "0.8",
    abc_b: Threshold = "0.95",
    xyz_x: Threshold = "0.5",
    xyz_y: Threshold = "1.0",
) -> Response:
    """Fragment: the ABC/XYZ matrix of a warehouse's SKUs over ``days`` (SKUs and share of
    value per cell, the most valuable SKUs of each), at the thresholds given; a bad threshold
    is named in the fragment."""
    given = {"abc_a": abc_a, "abc_b": abc_b, "xyz_x": xyz_x, "xyz_y": xyz_y}
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
    values = {**given, "warehouse": warehouse, "days": str(days)}
    return _class_view(request, user, values, classes)


def _order_refused(
    _request: Request, _user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    query = urlencode({"warehouse": values["warehouse"], "error": exc.message})
    return RedirectResponse(f"/planning?{query}", 303)


@router.post("/planning/order")
@on_refusal(_order_refused)
def order_proposals(
    request: Request,
    user: OperatorForm,
    warehouse: Annotated[str, Form(max_length=20)],
    service_level: Annotated[float, Form(ge=0.5, lt=1)] = 0.95,
) -> Response:
    """Turn today's proposals of a warehouse into draft purchase orders."""
    with database(request).transaction() as session:
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
    return RedirectResponse(f"/planning?{urlencode({'warehouse': warehouse})}", status_code=303)


def _po_refused(
    _request: Request, _user: ConsoleUser, exc: MaillonError, _values: Mapping[str, str]
) -> Response:
    return RedirectResponse(f"/planning?{urlencode({'error': exc.message})}", status_code=303)


@router.post("/planning/po/{number}/{action}")
@on_refusal(_po_refused)
def purchase_order_action(
    request: Request,
    user: OperatorForm,
    number: str,
    action: str,
    location: Annotated[str, Form(max_length=40)] = "RECEIVING",
) -> Response:
    """Send a draft purchase order, or receive what is still due on it."""
    if action not in ("send", "receive"):
        return RedirectResponse("/planning?error=unknown+action", status_code=303)
    with database(request).transaction() as session:
        if action == "send":
            planning.send_purchase_order(session=session, number=number, actor=user.principal.actor)
        else:
            planning.receive_purchase_order(
                session=session,
                number=number,
                location_code=location,
                actor=user.principal.actor,
            )
    return RedirectResponse("/planning", status_code=303)
