"""Console pages for shipping (rate comparison, labels, manifests, tracking, carrier scorecards)
and delivery (routes on a map, driver sheets, slot capacity).

``/shipping`` compares the carriers' services for a parcel (an htmx fragment, also a page of
its own without JavaScript), lists recent shipments with their label and public tracking
links, ships a packed order, links today's manifests, shows late shipments and loads the
carrier scorecards (a fragment: they read a month of shipments). ``/delivery`` draws a day's
route plan over the customers' positions (plain longitude/latitude axes: no tile server),
plans the day's booked deliveries and shows the slots' capacity.

Everything goes through the shipping and delivery services; a bad input comes back in the
page (``role="alert"``), never as a server error.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import ErrorCollector, MaillonError, NotFound, ValidationError
from maillon.delivery import lastmile, sheets
from maillon.delivery import service as delivery
from maillon.delivery.tables import RoutePlan
from maillon.inventory import service as inventory
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.model import order_number
from maillon.orders.tables import Order
from maillon.shipping import documents, history, quoting, rates
from maillon.shipping import service as shipping
from maillon.shipping.promise import PARIS_TZ
from maillon.shipping.tables import Carrier, Parcel, Shipment
from maillon.web.console import FLOOR, OPERATORS, check_csrf, database, render, require

__all__ = [
    "RateComparison",
    "compare_rates",
    "late_shipments",
    "manifests_of_day",
    "recent_shipments",
    "route_figure",
    "route_rows",
    "router",
    "scorecard_figures",
    "shipped_result",
    "slot_table",
]

router = APIRouter(include_in_schema=False)

PAGE = 30
LATE_LIMIT = 20
SLOT_DAYS = 7
SLOT_LIMIT = 500
PLAN_CHOICES = 10
SHIPMENT_STATUSES = ("packed", "shipped", "delivered", "exception")
POLICIES = ("best_value", "cheapest", "fastest")
PDF = "application/pdf"

# What the rate form starts with: a shoebox to Lyon.
RATE_DEFAULTS = {
    "country": "FR",
    "postcode": "69002",
    "weight_g": "1000",
    "length_mm": "300",
    "width_mm": "200",
    "height_mm": "150",
    "policy": "best_value",
}
RATE_FIELDS = tuple(RATE_DEFAULTS)

Text = Annotated[str, Query(max_length=40)]


def _problem(exc: MaillonError) -> str:
    """Return an error's message naming the offending field when the service gave one."""
    field = getattr(exc, "field", None)
    if isinstance(exc, NotFound) and field and field not in exc.message:
        return f"{field}: {exc.message}"
    return exc.message


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _local_today() -> dt.date:
    return clock.now().astimezone(ZoneInfo(PARIS_TZ)).date()


def _day(text: str) -> dt.date | None:
    """Return the date of an ISO ``YYYY-MM-DD`` text, or None when it is not one."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


DAY_ERROR = "day: a date such as 2026-11-02"


def _hhmm(seconds: int | None) -> str:
    return "" if seconds is None else sheets.format_time(max(0, int(seconds)))


# ------------------------------------------------------------------------- rate comparison


@dataclass(frozen=True)
class RateComparison:
    """The services ranked for the rate form, or the error of its input."""

    form: dict[str, str]
    rows: list[dict[str, Any]]
    reason: str = ""
    excluded: tuple[rates.Exclusion, ...] = ()
    error: str | None = None


def _whole(errors: ErrorCollector, form: Mapping[str, str], name: str) -> int:
    value = form.get(name, "").strip()
    if not value.lstrip("-").isdigit():
        errors.add(name, "must be a whole number")
        return 0
    return int(value)


def compare_rates(*, session: Session, form: Mapping[str, str]) -> RateComparison:
    """Return the services able to carry the form's parcel to its destination, ranked by its
    policy (cost, promised date, on-time rate, explanation), or the input's error."""
    values = {k: (form.get(k) or "").strip() for k in RATE_FIELDS}
    try:
        errors = ErrorCollector()
        dims = {k: _whole(errors, values, k) for k in RATE_FIELDS[2:6]}
        if values["policy"] not in POLICIES:
            errors.add("policy", "use best_value, cheapest or fastest")
        errors.raise_if_any()
        destination = quoting.make_destination(
            country=values["country"], postcode=values["postcode"], field=""
        )
        parcel = quoting.make_parcel(**dims, field="")
        result = quoting.quote_options(
            session=session,
            parcel=parcel,
            destination=destination,
            policy=rates.ShoppingPolicy(objective=rates.Objective(values["policy"])),
        )
    except MaillonError as exc:
        return RateComparison(values, [], error=_problem(exc))
    rows = [
        {
            "rank": k,
            "carrier": q.carrier,
            "service": q.service,
            "name": q.service_name,
            "kind": q.kind.value,
            "zone": q.zone,
            "total_cents": q.total_cents,
            "ship_date": q.promise.ship_date if q.promise else None,
            "delivery_date": q.promise.delivery_date if q.promise else None,
            "on_time_pct": None if q.on_time_rate is None else round(100 * q.on_time_rate, 1),
            "samples": q.on_time_samples,
            "explanation": q.explain(),
        }
        for k, q in enumerate(result.quotes, start=1)
    ]
    return RateComparison(values, rows, result.reason, result.excluded)


@router.get("/shipping/rates", response_class=HTMLResponse)
def rates_fragment(
    request: Request,
    country: Text = "",
    postcode: Text = "",
    weight_g: Text = "",
    length_mm: Text = "",
    width_mm: Text = "",
    height_mm: Text = "",
    policy: Text = "",
) -> Response:
    """The ranked services for a parcel (an htmx fragment; a page of its own otherwise)."""
    user = require(request, *OPERATORS)
    form = {
        "country": country,
        "postcode": postcode,
        "weight_g": weight_g,
        "length_mm": length_mm,
        "width_mm": width_mm,
        "height_mm": height_mm,
        "policy": policy,
    }
    with database(request).reader() as session:
        comparison = compare_rates(session=session, form=form)
    if _is_htmx(request):
        return render(request, "_shipping_rates.html", user, comparison=comparison)
    return render(
        request,
        "shipping_rates.html",
        user,
        comparison=comparison,
        rate_form=comparison.form,
        policies=POLICIES,
        status_code=422 if comparison.error else 200,
    )


# ------------------------------------------------------------------------------ shipping


def _shipment_row(shipment: Shipment, postcode: str) -> dict[str, Any]:
    numbers = [p.tracking_number for p in shipment.parcels if p.tracking_number]
    return {
        "id": shipment.id,
        "order": order_number(shipment.order_id),
        "carrier": shipment.carrier.code if shipment.carrier else "",
        "carrier_name": shipment.carrier.name if shipment.carrier else "",
        "service": shipment.service_code or "",
        "zone": shipment.zone or "",
        "status": shipment.status,
        "quoted_cents": shipment.quoted_cents,
        "shipped_at": shipment.shipped_at,
        "promised_on": shipment.promised_on,
        "delay_reason": shipment.delay_reason or "",
        "parcels": len(shipment.parcels),
        "tracking": [
            {"number": n, "href": "/track?" + urlencode({"number": n, "postcode": postcode})}
            for n in numbers
        ],
        "label": f"/shipping/shipments/{shipment.id}/labels.pdf" if numbers else None,
    }


def recent_shipments(
    *, session: Session, carrier: str | None, status: str | None, page: int
) -> tuple[list[dict[str, Any]], bool]:
    """Return one page of shipments, newest first, and whether there is a next page."""
    query = (
        select(Shipment, Order.ship_postcode)
        .join(Order, Order.id == Shipment.order_id)
        .order_by(Shipment.id.desc())
    )
    if carrier:
        query = query.join(Carrier, Carrier.id == Shipment.carrier_id).where(
            Carrier.code == carrier
        )
    if status:
        query = query.where(Shipment.status == status)
    rows = session.execute(query.limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    return [_shipment_row(s, pc) for s, pc in rows[:PAGE]], len(rows) > PAGE


def late_shipments(*, session: Session, today: dt.date) -> list[dict[str, Any]]:
    """Return the shipments in trouble: carrier exceptions, flagged delays, or past their
    promised day without delivery (at most :data:`LATE_LIMIT`, the oldest promise first)."""
    rows = session.execute(
        select(Shipment, Order.ship_postcode)
        .join(Order, Order.id == Shipment.order_id)
        .where(
            Shipment.carrier_id.is_not(None),  # handed over (not the shipped_at index: slower)
            Shipment.delivered_at.is_(None),
            Shipment.status != "delivered",
            or_(
                Shipment.status == "exception",
                Shipment.delay_flagged_at.is_not(None),
                Shipment.promised_on < today,
            ),
        )
        .order_by(Shipment.promised_on, Shipment.id)
        .limit(LATE_LIMIT)
    ).all()
    out = []
    for shipment, postcode in rows:
        row = _shipment_row(shipment, postcode)
        if not row["delay_reason"]:
            if shipment.status == "exception":
                row["delay_reason"] = "carrier exception"
            elif shipment.promised_on is not None:
                row["delay_reason"] = f"promised for {shipment.promised_on:%d/%m/%Y}"
        out.append(row)
    return out


def manifests_of_day(*, session: Session, day: dt.date) -> list[dict[str, Any]]:
    """Return each carrier with the parcels handed over on ``day`` and its manifest links."""
    start, end = history.local_day_bounds(day, day)
    counts = dict(
        session.execute(
            select(Shipment.carrier_id, func.count(Parcel.id))
            .join(Parcel, Parcel.shipment_id == Shipment.id)
            .where(Shipment.shipped_at >= start, Shipment.shipped_at < end)
            .group_by(Shipment.carrier_id)
        ).all()
    )
    out = []
    for carrier in shipping.list_carriers(session=session):
        link = "/shipping/manifest?" + urlencode({"carrier": carrier.code, "date": day.isoformat()})
        out.append(
            {
                "code": carrier.code,
                "name": carrier.name,
                "parcels": int(counts.get(carrier.id, 0)),
                "pdf": f"{link}&format=pdf",
                "csv": f"{link}&format=csv",
            }
        )
    return out


def shipped_result(*, session: Session, number: str) -> dict[str, Any] | None:
    """Return an order's shipments with tracking and label links (None: unknown order)."""
    try:
        order = orders.get_order(session=session, number=number)
    except NotFound:
        return None
    shipments = shipping.shipments_of(session=session, order=order)
    return {
        "order": order.number,
        "shipments": [_shipment_row(s, order.ship_postcode) for s in shipments if s.carrier],
    }


@router.get("/shipping", response_class=HTMLResponse)
def shipping_page(
    request: Request,
    carrier: Annotated[str, Query(max_length=30)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    day: Annotated[str, Query(max_length=20)] = "",
    shipped: Annotated[str, Query(max_length=20)] = "",
    error: Annotated[str, Query(max_length=300)] = "",
    number: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """Rates, recent shipments, the ship form, today's manifests, late shipments and the
    carrier scorecards (loaded as a fragment)."""
    user = require(request, *OPERATORS)
    today = _local_today()
    when = _day(day) if day else today
    day_error = DAY_ERROR if when is None else None
    when = when or today
    with database(request).reader() as session:
        carriers = [(c.code, c.name) for c in shipping.list_carriers(session=session)]
        rows, has_next = recent_shipments(
            session=session,
            carrier=carrier or None,
            status=status if status in SHIPMENT_STATUSES else None,
            page=page,
        )
        late = late_shipments(session=session, today=today)
        manifests = manifests_of_day(session=session, day=when)
        result = shipped_result(session=session, number=shipped) if shipped else None
        ready = [
            order_number(oid)
            for oid in session.scalars(
                select(Shipment.order_id)
                .where(Shipment.status == "packed")
                .order_by(Shipment.id.desc())
                .limit(50)
            ).all()
        ]
    filters = {"carrier": carrier, "status": status}
    return render(
        request,
        "shipping.html",
        user,
        carriers=carriers,
        statuses_shipment=SHIPMENT_STATUSES,
        shipments=rows,
        page=page,
        has_next=has_next,
        filters=filters,
        query=lambda p: urlencode({**filters, "page": p}),
        late=late,
        manifests=manifests,
        day=when,
        day_error=day_error,
        rate_form=RATE_DEFAULTS,
        policies=POLICIES,
        comparison=None,
        result=result,
        ship_error=error or None,
        number=number or shipped,
        ready=sorted(set(ready)),
    )


@router.post("/shipping/ship", response_class=HTMLResponse)
def ship_order(
    request: Request,
    number: Annotated[str, Form(max_length=20)] = "",
    carrier: Annotated[str, Form(max_length=30)] = "",
    policy: Annotated[str, Form(max_length=20)] = "best_value",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Hand a packed order to a carrier; show its tracking numbers and label link."""
    user = require(request, *OPERATORS)
    check_csrf(user, csrf)
    number = number.strip()
    db = database(request)
    error = None
    try:
        if not number:
            raise ValidationError("order: give the number of a packed order")
        if policy not in POLICIES:
            raise ValidationError("policy: use best_value, cheapest or fastest")
        with db.transaction() as session:
            shipping.ship_order(
                session=session,
                number=number,
                carrier_code=carrier or None,
                policy=rates.ShoppingPolicy(objective=rates.Objective(policy)),
                actor=user.principal.actor,
            )
    except MaillonError as exc:
        error = _problem(exc)
    if not _is_htmx(request):
        if error:
            target = "/shipping?" + urlencode({"error": error[:300], "number": number[:20]})
        else:
            target = f"/shipping?shipped={quote(number)}"
        return RedirectResponse(target, status_code=303)
    result = None
    if error is None:
        with db.reader() as session:
            result = shipped_result(session=session, number=number)
    return render(request, "_shipping_shipped.html", user, result=result, ship_error=error)


@router.get("/shipping/shipments/{shipment_id}/labels.pdf")
def shipment_labels(request: Request, shipment_id: int) -> Response:
    """The labels of a shipment's parcels (one PDF, a 10x15 cm page per parcel)."""
    user = require(request, *FLOOR)
    try:
        with database(request).reader() as session:
            content = documents.shipment_labels(session=session, shipment_id=shipment_id)
    except MaillonError as exc:
        return render(request, "error.html", user, status_code=exc.status_code, message=exc.message)
    return Response(
        content,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="shipment-{shipment_id}-labels.pdf"'},
    )


@router.get("/shipping/manifest")
def manifest(
    request: Request,
    carrier: Annotated[str, Query(min_length=1, max_length=30)],
    date: Annotated[dt.date, Query()],
    format: Annotated[Literal["csv", "pdf"], Query()] = "pdf",
) -> Response:
    """A carrier's manifest of the parcels handed over on ``date`` (PDF or CSV)."""
    user = require(request, *OPERATORS)
    try:
        with database(request).reader() as session:
            content, media_type, name = documents.manifest_document(
                session=session, carrier_code=carrier, day=date, fmt=format
            )
    except MaillonError as exc:
        return render(request, "error.html", user, status_code=exc.status_code, message=exc.message)
    disposition = "inline" if format == "pdf" else "attachment"
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f'{disposition}; filename="{name}"'},
    )


def scorecard_figures(*, session: Session, days: int) -> dict[str, Any]:
    """Return the carrier scorecards of the last ``days`` days as table rows and the
    on-time % per carrier (x) and zone (one bar series each) for the chart."""
    end = _local_today()
    start = end - dt.timedelta(days=days - 1)
    cards = history.carrier_scorecards(session=session, day_from=start, day_to=end)
    carriers = sorted({r.carrier for r in cards})
    zones = sorted({r.zone for r in cards}, key=lambda z: (z != "*", z))
    by_key = {(r.carrier, r.zone): r for r in cards}
    series = [
        {
            "name": "all zones" if zone == "*" else zone,
            "x": carriers,
            "y": [
                None
                if (r := by_key.get((c, zone))) is None or r.on_time_rate is None
                else round(100 * r.on_time_rate, 1)
                for c in carriers
            ],
        }
        for zone in zones
    ]
    return {"start": start, "end": end, "rows": cards, "series": series}


@router.get("/shipping/scorecards", response_class=HTMLResponse)
def scorecards_fragment(
    request: Request, days: Annotated[int, Query(ge=1, le=90)] = 30
) -> Response:
    """Carrier scorecards over the last ``days`` days: a table and an on-time bar chart (an
    htmx fragment)."""
    user = require(request, *OPERATORS)
    with database(request).reader() as session:
        figures = scorecard_figures(session=session, days=days)
    return render(request, "_shipping_scorecards.html", user, days=days, **figures)


# ------------------------------------------------------------------------------ delivery


def _warehouse_choice(session: Session, code: str) -> tuple[list[tuple[str, str]], str | None]:
    choices = [(w.code, w.name) for w in inventory.list_warehouses(session=session)]
    if code in {c for c, _ in choices}:
        return choices, code
    latest = session.scalar(
        select(Warehouse.code)
        .join(RoutePlan, RoutePlan.warehouse_id == Warehouse.id)
        .order_by(RoutePlan.id.desc())
        .limit(1)
    )
    return choices, latest or (choices[0][0] if choices else None)


def _default_day(session: Session, today: dt.date) -> dt.date:
    """Today when a plan exists for today, else tomorrow (the day one usually plans)."""
    planned = session.scalar(select(RoutePlan.id).where(RoutePlan.day == today).limit(1))
    return today if planned is not None else today + dt.timedelta(days=1)


def route_figure(plan: RoutePlan, depot: tuple[float, float] | None) -> dict[str, Any]:
    """Return the Plotly traces of a plan: each vehicle's route as a line from the depot
    through its stops (longitude as x, latitude as y), the unassigned stops and the depot."""
    traces: list[dict[str, Any]] = []
    lat0 = depot[0] if depot else (plan.stops[0].lat if plan.stops else 46.0)
    for v in plan.vehicles:
        stops = sorted(
            (s for s in plan.stops if s.vehicle == v["id"] and s.status != "unassigned"),
            key=lambda s: s.sequence,
        )
        if not stops:
            continue
        xs = [s.lon for s in stops]
        ys = [s.lat for s in stops]
        text = [f"{s.sequence}. {s.stop_key} {s.name} · {_hhmm(s.eta_s)}" for s in stops]
        if depot is not None:
            xs, ys = [depot[1], *xs, depot[1]], [depot[0], *ys, depot[0]]
            text = ["depot", *text, "depot"]
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": str(v["id"]),
                "x": xs,
                "y": ys,
                "hovertext": text,
                "hoverinfo": "text",
                "marker": {"size": 9},
            }
        )
    unassigned = [s for s in plan.stops if s.status == "unassigned"]
    if unassigned:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "unassigned",
                "x": [s.lon for s in unassigned],
                "y": [s.lat for s in unassigned],
                "hovertext": [f"{s.stop_key} {s.name}" for s in unassigned],
                "hoverinfo": "text",
                "marker": {"size": 11, "symbol": "x", "color": "#b42318"},
            }
        )
    if depot is not None:
        traces.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "depot",
                "x": [depot[1]],
                "y": [depot[0]],
                "hovertext": ["depot"],
                "hoverinfo": "text",
                "marker": {"size": 15, "symbol": "square", "color": "#10243e"},
            }
        )
    # one degree of longitude is cos(latitude) of a degree of latitude on the ground
    ratio = 1 / max(0.1, math.cos(math.radians(lat0)))
    return {"traces": traces, "ratio": round(ratio, 4)}


def route_rows(plan: RoutePlan) -> list[dict[str, Any]]:
    """Return per vehicle: driver, stops, parcels, distance, duration, window misses."""
    out = []
    for v in plan.vehicles:
        stops = [s for s in plan.stops if s.vehicle == v["id"] and s.status != "unassigned"]
        misses = [
            s.stop_key
            for s in stops
            if s.tw_end is not None and s.start_s is not None and s.start_s > s.tw_end
        ]
        start, end = v.get("start_time"), v.get("end_time")
        out.append(
            {
                "id": v["id"],
                "driver": str(v.get("driver") or ""),
                "shift": f"{_hhmm(v['shift_start'])}-{_hhmm(v['shift_end'])}",
                "start": _hhmm(start),
                "end": _hhmm(end),
                "stops": len(stops),
                "parcels": sum(s.parcels for s in stops),
                "distance_km": None
                if "distance_m" not in v
                else round(int(v["distance_m"]) / 1000, 1),
                "duration_min": None
                if start is None or end is None
                else round((int(end) - int(start)) / 60),
                "misses": misses,
                "sheet": f"/delivery/plans/{plan.id}/sheets.pdf?" + urlencode({"vehicle": v["id"]})
                if stops
                else None,
            }
        )
    return out


def slot_table(*, session: Session, day: dt.date) -> dict[str, Any]:
    """Return the slots of ``day`` and the following days as rows (zone, window) and
    columns (days): booked and capacity per cell."""
    days = [day + dt.timedelta(days=k) for k in range(SLOT_DAYS)]
    slots, _total = delivery.list_slots(
        session=session, day_from=days[0], day_to=days[-1], limit=SLOT_LIMIT
    )
    rows: dict[tuple[str, int, int], dict[str, Any]] = {}
    for slot in slots:
        key = (slot.zone.code, slot.start_min, slot.end_min)
        row = rows.setdefault(
            key,
            {
                "zone": slot.zone.code,
                "zone_name": slot.zone.name,
                "window": f"{_hhmm(slot.start_min * 60)}-{_hhmm(slot.end_min * 60)}",
                "cells": {},
            },
        )
        row["cells"][slot.day] = {
            "booked": slot.booked,
            "capacity": slot.capacity,
            "full": slot.booked >= slot.capacity,
        }
    return {"days": days, "rows": [rows[k] for k in sorted(rows)]}


@router.get("/delivery", response_class=HTMLResponse)
def delivery_page(
    request: Request,
    day: Annotated[str, Query(max_length=20)] = "",
    warehouse: Annotated[str, Query(max_length=20)] = "",
    plan: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    error: Annotated[str, Query(max_length=300)] = "",
) -> Response:
    """A day's route plan drawn over the customers' positions, its routes and driver
    sheets, the plan-routes form and the slots' capacity."""
    user = require(request, *OPERATORS)
    when = _day(day) if day else None
    if day and when is None:
        error = error or DAY_ERROR
    with database(request).reader() as session:
        when = when or _default_day(session, delivery.local_today())
        choices, code = _warehouse_choice(session, warehouse)
        plans: Sequence[RoutePlan] = []
        chosen = None
        depot = None
        if code is not None:
            wh = inventory.get_warehouse(session=session, code=code)
            plans = session.scalars(
                select(RoutePlan)
                .where(RoutePlan.warehouse_id == wh.id, RoutePlan.day == when)
                .order_by(RoutePlan.id.desc())
                .limit(PLAN_CHOICES)
            ).all()
            chosen = next((p for p in plans if p.id == plan), plans[0] if plans else None)
            try:
                depot = delivery.warehouse_point(wh)
            except ValidationError:
                depot = None
        view = None
        if chosen is not None:
            view = {
                "id": chosen.id,
                "revision": chosen.revision,
                "feasible": chosen.feasible,
                "distance_km": round(chosen.total_distance_m / 1000, 1),
                "duration_min": round(chosen.total_duration_s / 60),
                "stops": len(chosen.stops),
                "unassigned": [s.stop_key for s in chosen.stops if s.status == "unassigned"],
                "routes": route_rows(chosen),
                "figure": route_figure(chosen, depot),
                "sheets": f"/delivery/plans/{chosen.id}/sheets.pdf",
            }
        booked = len(lastmile.booked_orders(session=session, day=when))
        slots = slot_table(session=session, day=when)
    return render(
        request,
        "delivery.html",
        user,
        day=when,
        choices=choices,
        code=code,
        plans=[(p.id, p.revision, p.created_at) for p in plans],
        view=view,
        booked=booked,
        slots=slots,
        error=error or None,
    )


WHAT_IF_MODES = ("approx", "vrp")


def _sites(text: str) -> tuple[list[lastmile.SiteInput], list[str]]:
    """Parse candidate sites, one a line: ``id, latitude, longitude[, fixed cost EUR/day]``."""
    sites: list[lastmile.SiteInput] = []
    problems: list[str] = []
    for n, raw in enumerate(text.splitlines()[:20], start=1):
        parts = [p.strip() for p in raw.replace(";", ",").split(",")]
        if not raw.strip():
            continue
        if len(parts) not in (3, 4) or not parts[0]:
            problems.append(f"sites line {n}: write id, latitude, longitude[, cost per day]")
            continue
        try:
            lat, lon = float(parts[1]), float(parts[2])
            cost = float(parts[3]) if len(parts) == 4 else 0.0
        except ValueError:
            problems.append(f"sites line {n}: latitude, longitude and cost must be numbers")
            continue
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or cost < 0:
            problems.append(f"sites line {n}: out of range")
            continue
        sites.append(lastmile.SiteInput(parts[0][:20], lat, lon, round(cost * 100)))
    if not sites and not problems:
        problems.append("sites: give at least one candidate site")
    return sites, problems


@router.get("/delivery/what-if", response_class=HTMLResponse)
def what_if_fragment(
    request: Request,
    central: Annotated[str, Query(max_length=20)] = "",
    sites: Annotated[str, Query(max_length=2000)] = "",
    days: Annotated[str, Query(max_length=4)] = "30",
    mode: Annotated[str, Query(max_length=10)] = "approx",
) -> Response:
    """Last-mile from the central warehouse against from micro-warehouses on the orders of
    the last days (an htmx fragment): figures per scenario and site, and a bar chart."""
    user = require(request, *OPERATORS)
    candidates, problems = _sites(sites)
    if not days.isdigit() or not 1 <= int(days) <= 365:
        problems.append("days: a number of days from 1 to 365")
    if mode not in WHAT_IF_MODES:
        problems.append("mode: approx or vrp")
    result = None
    if not problems:
        try:
            with database(request).reader() as session:
                result = lastmile.micro_what_if(
                    session=session,
                    central_code=central,
                    sites=candidates,
                    days=int(days),
                    mode=mode,
                    time_limit=2.0,
                )
        except MaillonError as exc:
            problems.append(_problem(exc))
    return render(
        request,
        "_delivery_whatif.html",
        user,
        problems=problems,
        result=result,
        chart=result.chart() if result is not None else None,
    )


def _vehicles(count: str, capacity: str, start: str, end: str) -> list[lastmile.VehicleSpec]:
    """Return ``count`` identical vans from the plan form. Raises ValidationError naming the
    form's fields."""
    errors = ErrorCollector()
    n = int(count) if count.strip().isdigit() else 0
    if not 1 <= n <= lastmile.MAX_VEHICLES:
        errors.add("vehicles", f"a whole number from 1 to {lastmile.MAX_VEHICLES}")
    cap: int | None = None
    if capacity.strip():
        if capacity.strip().isdigit() and int(capacity) >= 1:
            cap = int(capacity)
        else:
            errors.add("capacity", "a whole number of parcels, at least 1 (or empty)")
    shift = []
    for name, text in (("shift_start", start), ("shift_end", end)):
        hh, sep, mm = text.strip().partition(":")
        if not (sep and hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            errors.add(name, "a time such as 08:00")
            shift.append(0)
        else:
            shift.append(int(hh) * 3600 + int(mm) * 60)
    if not errors.errors and shift[1] <= shift[0]:
        errors.add("shift_end", "must be after the shift start")
    errors.raise_if_any()
    return [
        lastmile.VehicleSpec(
            id=f"VAN{k}",
            capacity_parcels=cap,
            capacity_kg=None,
            shift_start=shift[0],
            shift_end=shift[1],
        )
        for k in range(1, n + 1)
    ]


@router.post("/delivery/plan")
def plan_routes(
    request: Request,
    warehouse: Annotated[str, Form(max_length=20)] = "",
    day: Annotated[str, Form(max_length=20)] = "",
    vehicles: Annotated[str, Form(max_length=5)] = "2",
    capacity: Annotated[str, Form(max_length=6)] = "",
    shift_start: Annotated[str, Form(max_length=5)] = "08:00",
    shift_end: Annotated[str, Form(max_length=5)] = "18:00",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Plan the routes of the home deliveries booked on a day, from a depot (PyVRP)."""
    user = require(request, *OPERATORS)
    check_csrf(user, csrf)
    back = {"warehouse": warehouse}
    try:
        when = _day(day)
        if when is None:
            raise ValidationError(DAY_ERROR)
        back["day"] = when.isoformat()
        fleet = _vehicles(vehicles, capacity, shift_start, shift_end)
        with database(request).transaction() as session:
            made = lastmile.plan_routes(
                session=session,
                warehouse_code=warehouse,
                day=when,
                vehicles=fleet,
                actor=user.principal.actor,
            )
            plan_id = made.id
    except MaillonError as exc:
        back["error"] = _problem(exc)[:300]
        return RedirectResponse("/delivery?" + urlencode(back), status_code=303)
    return RedirectResponse("/delivery?" + urlencode({**back, "plan": plan_id}), status_code=303)


@router.get("/delivery/plans/{plan_id}/sheets.pdf")
def route_sheets(
    request: Request,
    plan_id: int,
    vehicle: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The drivers' route sheets of a plan (every vehicle, or the one named) as a PDF."""
    user = require(request, *OPERATORS)
    try:
        with database(request).reader() as session:
            content = lastmile.route_sheets_pdf(
                session=session, plan_id=plan_id, vehicle=vehicle or None
            )
    except MaillonError as exc:
        return render(request, "error.html", user, status_code=exc.status_code, message=exc.message)
    suffix = "".join(c for c in vehicle if c.isalnum() or c in "-_")
    name = f"route-sheet-{plan_id}{'-' + suffix if suffix else ''}.pdf"
    return Response(
        content,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
