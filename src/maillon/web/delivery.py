"""Console pages of delivery: a day's route plan drawn over the customers' positions (plain
longitude/latitude axes: no tile server), its routes and driver sheets, planning the day's
booked deliveries, the slots' capacity, and the micro-warehouse what-if.

Everything goes through :mod:`maillon.delivery.service`,
:mod:`maillon.delivery.service.lastmile` and
:mod:`maillon.delivery.queries`; a bad input comes back in the page (``role="alert"``), never
as a server error.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from maillon.core.errors import ErrorCollector, MaillonError, ValidationError
from maillon.core.users import ConsoleUser
from maillon.delivery import queries, sheets
from maillon.delivery import service as delivery
from maillon.delivery.model import StopStatus
from maillon.delivery.service import lastmile, route_jobs
from maillon.delivery.tables import RoutePlan
from maillon.inventory import service as inventory
from maillon.web.console import (
    OperatorForm,
    OperatorPage,
    console_router,
    database,
    error_page,
    on_refusal,
    parse_day,
    problem,
    render,
)
from maillon.web.jobs import job_note

router = console_router()

SLOT_DAYS = 7
SLOT_LIMIT = 500
PLAN_CHOICES = 10
PDF = "application/pdf"
DAY_ERROR = "day: a date such as 2026-11-02"


def _hhmm(seconds: int | None) -> str:
    return "" if seconds is None else sheets.format_time(max(0, int(seconds)))


def _warehouse_choice(session: Session, code: str) -> tuple[list[tuple[str, str]], str | None]:
    """The warehouses to choose from and the one shown: ``code`` when known, else the one
    planned last, else the first."""
    choices = [(w.code, w.name) for w in inventory.list_warehouses(session=session)]
    if code in {c for c, _ in choices}:
        return choices, code
    latest = queries.last_planned_warehouse(session=session)
    return choices, latest or (choices[0][0] if choices else None)


def _default_day(session: Session, today: dt.date) -> dt.date:
    """Today when a plan exists for today, else tomorrow (the day one usually plans)."""
    planned = queries.has_plan(session=session, day=today)
    return today if planned else today + dt.timedelta(days=1)


def route_figure(plan: RoutePlan, depot: tuple[float, float] | None) -> dict[str, Any]:
    """Return the Plotly traces of a plan: each vehicle's route as a line from the depot
    through its stops (longitude as x, latitude as y), the unassigned stops and the depot."""
    traces: list[dict[str, Any]] = []
    lat0 = depot[0] if depot else (plan.stops[0].lat if plan.stops else 46.0)
    for v in plan.vehicles:
        stops = sorted(
            (s for s in plan.stops if s.vehicle == v["id"] and s.status != StopStatus.UNASSIGNED),
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
    unassigned = [s for s in plan.stops if s.status == StopStatus.UNASSIGNED]
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
        stops = [
            s for s in plan.stops if s.vehicle == v["id"] and s.status != StopStatus.UNASSIGNED
        ]
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


def _plan_view(plan: RoutePlan, depot: tuple[float, float] | None) -> dict[str, Any]:
    """A route plan as the page shows it: totals, routes per vehicle, the map."""
    return {
        "id": plan.id,
        "revision": plan.revision,
        "feasible": plan.feasible,
        "distance_km": round(plan.total_distance_m / 1000, 1),
        "duration_min": round(plan.total_duration_s / 60),
        "stops": len(plan.stops),
        "unassigned": [s.stop_key for s in plan.stops if s.status == StopStatus.UNASSIGNED],
        "routes": route_rows(plan),
        "figure": route_figure(plan, depot),
        "sheets": f"/delivery/plans/{plan.id}/sheets.pdf",
    }


@router.get("/delivery", response_class=HTMLResponse)
def delivery_page(
    request: Request,
    user: OperatorPage,
    day: Annotated[str, Query(max_length=20)] = "",
    warehouse: Annotated[str, Query(max_length=20)] = "",
    plan: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    error: Annotated[str, Query(max_length=300)] = "",
    queued: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """A day's route plan drawn over the customers' positions, its routes and driver
    sheets, the plan-routes form (saying so while the day's routes are being planned) and
    the slots' capacity."""
    when = parse_day(day) if day else None
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
            plans = queries.plans_of_day(
                session=session, warehouse_id=wh.id, day=when, limit=PLAN_CHOICES
            )
            chosen = next((p for p in plans if p.id == plan), plans[0] if plans else None)
            try:
                depot = delivery.warehouse_point(wh)
            except ValidationError:
                depot = None
        view = _plan_view(chosen, depot) if chosen is not None else None
        booked = len(lastmile.booked_orders(session=session, day=when))
        slots = slot_table(session=session, day=when)
        note = job_note(
            session,
            route_jobs.PLAN_JOB,
            kind="routes",
            queued=queued,
            match=lambda args: args.get("warehouse") == code and args.get("day") == str(when),
        )
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
        job_note=note,
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


def _what_if_view(
    request: Request, user: ConsoleUser, problems: list[str], result: Any = None
) -> Response:
    return render(
        request,
        "_delivery_whatif.html",
        user,
        problems=problems,
        result=result,
        chart=result.chart() if result is not None else None,
    )


def _what_if_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, _values: Mapping[str, str]
) -> Response:
    return _what_if_view(request, user, [problem(exc)])


@router.get("/delivery/what-if", response_class=HTMLResponse)
@on_refusal(_what_if_refused)
def what_if_fragment(
    request: Request,
    user: OperatorPage,
    central: Annotated[str, Query(max_length=20)] = "",
    sites: Annotated[str, Query(max_length=2000)] = "",
    days: Annotated[str, Query(max_length=4)] = "30",
    mode: Annotated[str, Query(max_length=10)] = "approx",
) -> Response:
    """Last-mile from the central warehouse against from micro-warehouses on the orders of
    the last days (an htmx fragment): figures per scenario and site, and a bar chart."""
    candidates, problems = _sites(sites)
    if not days.isdigit() or not 1 <= int(days) <= 365:
        problems.append("days: a number of days from 1 to 365")
    if mode not in WHAT_IF_MODES:
        problems.append("mode: approx or vrp")
    if problems:
        return _what_if_view(request, user, problems)
    with database(request).reader() as session:
        result = lastmile.micro_what_if(
            session=session,
            central_code=central,
            sites=candidates,
            days=int(days),
            mode=mode,
            time_limit=2.0,
        )
    return _what_if_view(request, user, problems, result)


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


def _plan_refused(
    _request: Request, _user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """Back to the delivery page (the day asked for when it is a date), the refusal in it."""
    back = {"warehouse": values.get("warehouse", "")}
    when = parse_day(values.get("day", ""))
    if when is not None:
        back["day"] = when.isoformat()
    back["error"] = problem(exc)[:300]
    return RedirectResponse("/delivery?" + urlencode(back), status_code=303)


@router.post("/delivery/plan")
@on_refusal(_plan_refused)
def plan_routes(
    request: Request,
    user: OperatorForm,
    warehouse: Annotated[str, Form(max_length=20)] = "",
    day: Annotated[str, Form(max_length=20)] = "",
    vehicles: Annotated[str, Form(max_length=5)] = "2",
    capacity: Annotated[str, Form(max_length=6)] = "",
    shift_start: Annotated[str, Form(max_length=5)] = "08:00",
    shift_end: Annotated[str, Form(max_length=5)] = "18:00",
) -> Response:
    """Have the worker tier plan the routes of the home deliveries booked on a day, from a
    depot (PyVRP): the input is checked now, and the page comes back at once saying the
    planning is queued (followed on the jobs page, and on this page while it runs)."""
    when = parse_day(day)
    if when is None:
        raise ValidationError(DAY_ERROR)
    fleet = _vehicles(vehicles, capacity, shift_start, shift_end)
    with database(request).transaction() as session:
        job = route_jobs.request_plan(
            session=session,
            warehouse_code=warehouse,
            day=when,
            vehicles=fleet,
            requested_by=user.principal.actor,
        )
        queued = job.id
    back = {"warehouse": warehouse, "day": when.isoformat(), "queued": queued}
    return RedirectResponse("/delivery?" + urlencode(back), status_code=303)


@router.get("/delivery/plans/{plan_id}/sheets.pdf")
@on_refusal(error_page)
def route_sheets(
    request: Request,
    _user: OperatorPage,
    plan_id: int,
    vehicle: Annotated[str, Query(max_length=40)] = "",
) -> Response:
    """The drivers' route sheets of a plan (every vehicle, or the one named) as a PDF."""
    with database(request).reader() as session:
        content = lastmile.route_sheets_pdf(
            session=session, plan_id=plan_id, vehicle=vehicle or None
        )
    suffix = "".join(c for c in vehicle if c.isalnum() or c in "-_")
    name = f"route-sheet-{plan_id}{'-' + suffix if suffix else ''}.pdf"
    return Response(
        content,
        media_type=PDF,
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )
