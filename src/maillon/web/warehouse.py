"""Console pages of the warehouse: its layout with a pick list's or a wave tour's route drawn
on it, releasing a wave, the slotting proposal, and picking by scan.

Picking is made for handheld scanners that type like keyboards: the field to scan is focused,
a scan ends with Enter, and htmx swaps the work area in place (every form also works without
JavaScript, as a plain POST answered with the whole page). The pages call
:mod:`maillon.warehouse.service`, :mod:`maillon.warehouse.service.release` (waves),
:mod:`maillon.warehouse.service.tasks` (pick tasks) and :mod:`maillon.warehouse.queries`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import FieldError, MaillonError, ValidationError
from maillon.core.users import ConsoleUser
from maillon.inventory import service as inventory
from maillon.orders.model import order_number
from maillon.warehouse import batching, queries
from maillon.warehouse import service as warehouse
from maillon.warehouse.layout_spec import LayoutSpec
from maillon.warehouse.model import PickListStatus
from maillon.warehouse.queries import picking_stats
from maillon.warehouse.scanning import normalise_location
from maillon.warehouse.service import release, tasks, wave_jobs
from maillon.web.console import (
    OPERATORS,
    FloorForm,
    FloorPage,
    OperatorForm,
    OperatorPage,
    allowed,
    console_router,
    database,
    is_htmx,
    on_refusal,
    render,
    whole,
)
from maillon.web.jobs import job_note

router = console_router()

#: The cookie that remembers the warehouse a picker works in.
WAREHOUSE_COOKIE = "maillon_pick_warehouse"
#: A walk to draw: ("list" or "tour", its id, its metres, its numbered stops).
Walk = tuple[str, int, float | None, list[Any]]


# --------------------------------------------------------------------------- layout


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


def _walk(
    session: Session,
    lists: Sequence[Any],
    tours: Sequence[Any],
    pick_list: int | None,
    tour: int | None,
) -> Walk | None:
    """The walk to draw: the tour asked for, else the pick list asked for (or the first)."""
    if tour is not None and any(t.id == tour for t, _, _ in tours):
        tour_row = next(t for t, _, _ in tours if t.id == tour)
        lines = queries.tour_lines(session=session, tour_id=tour)
        return ("tour", tour, tour_row.route_m, [(k, ln) for k, ln in enumerate(lines, 1)])
    chosen = next((p for p in lists if p.id == pick_list), lists[0] if lists else None)
    if chosen is not None:
        return ("list", chosen.id, chosen.route_m, [(ln.sequence, ln) for ln in chosen.lines])
    return None


def _route_view(spec: LayoutSpec, walked: Walk) -> dict[str, Any]:
    """A walk as the layout chart draws it: the path through the aisles and numbered stops."""
    kind, walked_id, metres, numbered = walked
    stops = [
        (seq, line.location_code, line.sku, spec.locate(line.location_code))
        for seq, line in numbered
    ]
    placed = [(seq, code_, sku, loc) for seq, code_, sku, loc in stops if loc is not None]
    layout = spec.layout()
    corners = layout.walk([loc for _, _, _, loc in placed])
    return {
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


@router.get("/warehouse", response_class=HTMLResponse)
def warehouse_page(
    request: Request,
    user: FloorPage,
    code: Annotated[str | None, Query(max_length=20)] = None,
    pick_list: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    tour: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    error: Annotated[str, Query(max_length=300)] = "",
    queued: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """A warehouse's layout with a pick list's route, or a wave tour's (every list of the
    batch in one walk), drawn on it; the recent waves (saying so while a large one is being
    released); the slotting proposal."""
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
        note = job_note(
            session,
            wave_jobs.WAVE_JOB,
            kind="wave",
            queued=queued,
            match=lambda args: args.get("warehouse") == code,
        )
        lists = queries.recent_pick_lists(session=session, warehouse_id=wh.id)
        figure = _layout_figure(spec)
        tours = queries.recent_tours(session=session, warehouse_id=wh.id)
        walked = _walk(session, lists, tours, pick_list, tour)
        route = _route_view(spec, walked) if walked is not None else None
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
        job_note=note,
    )


def _wave_refused(
    _request: Request, _user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """Back to the warehouse, the refusal in the page."""
    target = {"code": values.get("code", ""), "error": exc.message}
    return RedirectResponse(f"/warehouse?{urlencode(target)}", status_code=303)


@router.post("/warehouse/waves")
@on_refusal(_wave_refused)
def release_wave(
    request: Request,
    user: OperatorForm,
    code: Annotated[str, Form(max_length=20)] = "",
    max_orders: Annotated[str, Form(max_length=6)] = "20",
    cart_units: Annotated[str, Form(max_length=6)] = "40",
    method: Annotated[str, Form(max_length=20)] = "savings",
    selection: Annotated[str, Form(max_length=20)] = "promise",
) -> Response:
    """Release a wave of the allocated orders waiting in a warehouse as picker tours, then
    show its first tour's walk; a refusal (nothing waiting, a bad number) is said on the page.
    A large wave (over 50 orders) or a density wave is checked now and released by the
    worker tier: the page comes back at once saying so."""
    target: dict[str, Any] = {"code": code}
    if not max_orders.isdigit() or not cart_units.isdigit():
        raise ValidationError(
            FieldError("max_orders" if not max_orders.isdigit() else "cart_units", "a number")
        )
    if wave_jobs.in_background(max_orders=int(max_orders), selection=selection):
        with database(request).transaction() as session:
            job = wave_jobs.request_wave(
                session=session,
                warehouse_code=code,
                requested_by=user.principal.name,
                max_orders=int(max_orders),
                cart_units=int(cart_units),
                method=method,
                selection=selection,
            )
            target["queued"] = job.id
        return RedirectResponse(f"/warehouse?{urlencode(target)}", status_code=303)
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
        first = queries.first_tour_of_wave(session=session, wave_id=wave.id)
    if first is not None:
        target["tour"] = first
    return RedirectResponse(f"/warehouse?{urlencode(target)}", status_code=303)


@router.get("/warehouse/slotting", response_class=HTMLResponse)
def slotting_fragment(
    request: Request, user: OperatorPage, code: Annotated[str, Query(min_length=1, max_length=20)]
) -> Response:
    """The slotting proposal of a warehouse (an htmx fragment: it can take a few seconds)."""
    with database(request).reader() as session:
        result = warehouse.slotting_proposal(
            session=session, warehouse_code=code, max_moves=20, time_limit=5.0
        )
    return render(request, "_slotting.html", user, result=result)


def _picking_context(session: Session, user: ConsoleUser, code: str) -> dict[str, Any]:
    """The signed-in picker's current stop in ``code`` (claims nothing) and their day."""
    picker = user.principal.name
    task = tasks.next_task(session=session, warehouse_code=code, picker=picker, claim=False)
    today = clock.now().date()
    days = picking_stats.picker_metrics(session=session, start=today, end=today, picker=picker)
    return {"task": task, "metrics": days[0] if days else None}


def _picking_response(
    request: Request,
    user: ConsoleUser,
    warehouse_code: str | None,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The picking page (or, for htmx, its work area) for ``warehouse_code``."""
    with database(request).reader() as session:
        codes = [(w.code, w.name) for w in inventory.list_warehouses(session=session)]
        known = {c for c, _ in codes}
        remembered = request.cookies.get(WAREHOUSE_COOKIE)
        if warehouse_code not in known:
            warehouse_code = remembered if remembered in known else None
        if warehouse_code is None and codes:
            warehouse_code = codes[0][0]
        context: dict[str, Any] = {"task": None, "metrics": None}
        exceptions: list[Any] = []
        if warehouse_code is not None:
            context = _picking_context(session, user, warehouse_code)
            if allowed(user, OPERATORS) and not is_htmx(request):
                rows, _ = tasks.list_exceptions(
                    session=session, warehouse_code=warehouse_code, limit=20
                )
                exceptions = [
                    {
                        "at": e.created_at,
                        "order": order_number(e.order_id),
                        "sku": e.sku,
                        "location": e.location_code,
                        "asked": e.asked,
                        "picked": e.picked,
                        "reallocated": e.reallocated,
                        "backordered": e.backordered,
                        "resolution": e.resolution,
                        "picker": e.picker,
                    }
                    for e in rows
                ]
    values = {
        "warehouses": codes,
        "warehouse": warehouse_code,
        "exceptions": exceptions,
        "show_exceptions": allowed(user, OPERATORS),
        "error": None,
        "error_field": None,
        "done": None,
        "location_ok": "",
        **context,
        **extra,
    }
    if is_htmx(request):
        response = render(request, "_picking_work.html", user, **values)
    else:
        response = render(request, "picking.html", user, status_code=status_code, **values)
    if warehouse_code is not None:
        response.set_cookie(
            WAREHOUSE_COOKIE, warehouse_code, max_age=90 * 86400, samesite="lax", httponly=True
        )
    return response


# --------------------------------------------------------------------------- picking


@router.get("/picking", response_class=HTMLResponse)
def picking_page(
    request: Request, user: FloorPage, warehouse: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    """The signed-in picker's current stop, their day, and (operators) short picks."""
    return _picking_response(request, user, warehouse)


def _picking_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The picking page again with the refusal; a wrong scan names its field, and a location
    already checked stays checked."""
    warehouse_code, location = values.get("warehouse", ""), values.get("location", "").strip()
    if isinstance(exc, tasks.ScanMismatch):
        return _picking_response(
            request,
            user,
            warehouse_code,
            status_code=409,
            error=exc.message,
            error_field=exc.field,
            location_ok=location if exc.field == "barcode" else "",
        )
    extra = {"location_ok": location} if request.url.path == "/picking/scan" else {}
    return _picking_response(
        request, user, warehouse_code, status_code=exc.status_code, error=exc.message, **extra
    )


@router.post("/picking/next", response_class=HTMLResponse)
@on_refusal(_picking_refused)
def picking_next(
    request: Request, user: FloorForm, warehouse: Annotated[str, Form(max_length=20)] = ""
) -> Response:
    """Take the next pick work for the signed-in user (their list or tour, else the most
    urgent open one nobody holds)."""
    with database(request).transaction() as session:
        task = tasks.next_task(
            session=session, warehouse_code=warehouse, picker=user.principal.name
        )
    if task is None:
        return _picking_response(request, user, warehouse, empty=True)
    if not is_htmx(request):
        return RedirectResponse(f"/picking?warehouse={warehouse}", status_code=303)
    return _picking_response(request, user, warehouse)


@router.post("/picking/scan", response_class=HTMLResponse)
@on_refusal(_picking_refused)
def picking_scan(
    request: Request,
    user: FloorForm,
    warehouse: Annotated[str, Form(max_length=20)] = "",
    line_id: Annotated[str, Form(max_length=12)] = "",
    location: Annotated[str, Form(max_length=60)] = "",
    barcode: Annotated[str, Form(max_length=60)] = "",
    quantity: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Confirm a stop by its scans. A location scan alone (the scanner's Enter) is checked and
    kept, and the barcode field comes next; a wrong location or barcode is refused, counted
    for the picker, and the stop stays; fewer units than asked is a short pick."""
    picker = user.principal.name
    db = database(request)
    line = whole(line_id, "line_id", low=1, high=2_147_483_647)
    if not barcode.strip():
        with db.reader() as session:
            task = tasks.next_task(
                session=session, warehouse_code=warehouse, picker=picker, claim=False
            )
        if not location.strip() or task is None or task.line_id != line:
            return _picking_response(request, user, warehouse)
        if normalise_location(location) == normalise_location(task.location):
            return _picking_response(request, user, warehouse, location_ok=location.strip())
    qty = whole(quantity, "quantity")
    outcome = tasks.scan(
        db, line_id=line, picker=picker, location=location, barcode=barcode, quantity=qty
    )
    return _picking_response(request, user, warehouse, done=_scan_done(outcome))


def _scan_done(outcome: tasks.ScanOutcome) -> dict[str, Any]:
    """What the page says of a confirmed stop: picked units, a short pick's resolution."""
    picked = outcome.line
    done: dict[str, Any] = {
        "sku": picked.sku,
        "location": picked.location_code,
        "asked": picked.quantity,
        "picked": picked.picked_quantity,
        "list_done": outcome.list_status == PickListStatus.DONE,
        "short": None,
    }
    if outcome.exception is not None:
        e = outcome.exception
        done["short"] = {
            "reallocated": e.reallocated,
            "backordered": e.backordered,
            "written_off": e.written_off,
            "resolution": e.resolution,
        }
    return done
