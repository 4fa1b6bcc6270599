"""Console pages of the warehouse floor: picking by scan, the packing station, returns (queue,
inspection, disposition).

Picking and packing are made for handheld scanners that type like keyboards: the field to scan
is focused, a scan ends with Enter, and htmx swaps the work area in place (every form also
works without JavaScript, as a plain POST answered with the whole page). Each page calls the
service layer: :mod:`maillon.warehouse.tasks` (pick tasks), :mod:`maillon.warehouse.packstation`
(pack plans and packing scans), :mod:`maillon.returns.service` (RMAs).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased
from starlette.concurrency import run_in_threadpool

from maillon.core.auth import Role
from maillon.core.errors import Conflict, FieldError, MaillonError, NotFound, ValidationError
from maillon.core.users import ConsoleUser
from maillon.inventory.tables import Warehouse
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus, order_number
from maillon.orders.tables import Order
from maillon.returns import record
from maillon.returns import service as returns
from maillon.returns.model import ReturnStatus
from maillon.returns.policy import Disposition, Grade, RefundMethod
from maillon.returns.schemas import parse_content
from maillon.returns.tables import ReturnRequest
from maillon.warehouse import packing_flow, packstation
from maillon.warehouse import service as warehouse
from maillon.warehouse.model import PackingStatus, PickListStatus
from maillon.warehouse.tables import PackingScan, PackingSession, PickList
from maillon.web import portal
from maillon.web.console import (
    CARE,
    FLOOR,
    OPERATORS,
    LoginRequired,
    allowed,
    check_csrf,
    current_user,
    database,
    render,
    require,
)

router = APIRouter(include_in_schema=False)

#: The cookie that remembers the warehouse a picker works in.
WAREHOUSE_COOKIE = "maillon_pick_warehouse"
PAGE = 50
#: Width in pixels of a carton's top view at the packing station.
TOP_VIEW_PX = 260
PALETTE = ("#2e90fa", "#f79009", "#12b76a", "#9e77ed", "#f04438", "#0ba5ec", "#ee46bc", "#669f2a")


def _htmx(request: Request) -> bool:
    """Return whether the request comes from htmx (answer with a fragment, not a page)."""
    return request.headers.get("hx-request") == "true"


def _whole(value: str, field: str, *, low: int = 0, high: int = 1_000_000) -> int:
    """Return a form field as a whole number from ``low`` to ``high``. Raises ValidationError
    naming ``field``."""
    text = value.strip()
    if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        raise ValidationError(FieldError(field, f"must be a whole number from {low} to {high}"))
    return int(text)


# --------------------------------------------------------------------------- packing


def _colour(sku: str, skus: list[str]) -> str:
    return PALETTE[skus.index(sku) % len(PALETTE)] if sku in skus else PALETTE[0]


def top_view_layers(
    parcel: packstation.PlannedParcel, *, first: int, filled: set[int], skus: list[str]
) -> list[dict[str, Any]]:
    """Return the SVG top views of a parcel, one per layer (units starting at the same height),
    in pixels: the units of the layer (numbered by loading step, solid once packed) and, in
    grey, the units from below that rise through it. ``first`` is the index of the parcel's
    first unit in the order's flat list of placements (the index packing scans record)."""
    length, width, _height = parcel.inner_mm
    scale = TOP_VIEW_PX / max(length, width, 1)
    levels = sorted({u.z for u in parcel.units})
    layers = []
    for number, z in enumerate(levels, start=1):
        boxes = []
        for offset, unit in enumerate(parcel.units):
            here = unit.z == z
            below = unit.z < z < unit.z + unit.height
            if not (here or below):
                continue
            boxes.append(
                {
                    "x": round(unit.x * scale, 1),
                    "y": round(unit.y * scale, 1),
                    "w": max(1.0, round(unit.length * scale, 1)),
                    "h": max(1.0, round(unit.width * scale, 1)),
                    "step": unit.step,
                    "sku": unit.sku,
                    "below": below,
                    "packed": (first + offset) in filled,
                    "colour": _colour(unit.sku, skus),
                }
            )
        layers.append(
            {
                "number": number,
                "z": z,
                "width": round(length * scale, 1),
                "height": round(width * scale, 1),
                "boxes": sorted(boxes, key=lambda b: (not b["below"], b["step"])),
            }
        )
    return layers


def _plan_view(
    plan: packstation.PackPlan, filled: set[int], session_status: str | None
) -> dict[str, Any]:
    """A pack plan as the packing page shows it: parcels, their units ticked once packed,
    and a top view per layer."""
    skus = sorted({u.sku for p in plan.parcels for u in p.units})
    parcels = []
    first = 0
    for parcel in plan.parcels:
        units = [
            {
                "index": first + i,
                "step": u.step,
                "sku": u.sku,
                "name": u.name,
                "instruction": u.instruction,
                "packed": (first + i) in filled,
                "colour": _colour(u.sku, skus),
            }
            for i, u in enumerate(parcel.units)
        ]
        parcels.append(
            {
                "number": parcel.number,
                "carton": parcel.carton,
                "inner": "×".join(str(v) for v in parcel.inner_mm),
                "carton_cost": parcel.carton_cost_cents,
                "shipping_cost": parcel.shipping_cost_cents,
                "weight": parcel.gross_weight_g,
                "fill": parcel.fill_pct,
                "units": units,
                "left": sum(1 for u in units if not u["packed"]),
                "layers": top_view_layers(parcel, first=first, filled=filled, skus=skus),
            }
        )
        first += len(parcel.units)
    return {
        "warehouse": plan.warehouse,
        "parcels": parcels,
        "unpackable": list(plan.unpackable),
        "total_cost": plan.total_cost_cents,
        "units": plan.units,
        "left": plan.units - len(filled),
        "started": session_status is not None,
        "done": session_status == PackingStatus.DONE
        or (plan.units > 0 and len(filled) >= plan.units),
    }


def _packing_plans(session: Session, number: str) -> tuple[Order, list[dict[str, Any]]]:
    """The order and its plans per warehouse: the fixed plan of a packing session once the
    first item is scanned (with the units packed), else the plan computed now."""
    order = orders.get_order(session=session, number=number, field="order")
    computed = warehouse.pack_plan(session=session, number=order.number)
    latest: dict[int, PackingSession] = {}
    for row in session.scalars(
        select(PackingSession)
        .where(PackingSession.order_id == order.id)
        .order_by(PackingSession.id)
        .limit(50)
    ):
        latest[row.warehouse_id] = row
    codes = dict(
        session.execute(
            select(Warehouse.code, Warehouse.id).where(Warehouse.id.in_(list(latest)))
        ).all()
    )
    filled_by: dict[int, set[int]] = {}
    if latest:
        for session_id, placement in session.execute(
            select(PackingScan.session_id, PackingScan.placement).where(
                PackingScan.session_id.in_([r.id for r in latest.values()])
            )
        ):
            filled_by.setdefault(session_id, set()).add(placement)
    views = []
    for plan in computed:
        held = latest.get(codes[plan.warehouse]) if plan.warehouse in codes else None
        if held is None:
            views.append(_plan_view(plan, set(), None))
        else:
            fixed = packstation.PackPlan.from_dict(held.plan)
            views.append(_plan_view(fixed, filled_by.get(held.id, set()), held.status))
    return order, views


def _ready_to_pack(session: Session) -> list[str]:
    """Up to 20 orders whose picking is finished and that are not packed yet, latest first."""
    other = aliased(PickList)
    open_list = exists().where(other.order_id == Order.id, other.status == PickListStatus.OPEN)
    packed = exists().where(
        PackingSession.order_id == Order.id, PackingSession.status == PackingStatus.DONE
    )
    rows = session.execute(
        select(Order.id)
        .join(PickList, PickList.order_id == Order.id)
        .where(
            Order.status == OrderStatus.PICKING.value,
            PickList.status == PickListStatus.DONE,
            ~open_list,
            ~packed,
        )
        .group_by(Order.id)
        .order_by(func.max(PickList.completed_at).desc(), Order.id.desc())
        .limit(20)
    ).all()
    return [order_number(order_id) for (order_id,) in rows]


def _packing_response(
    request: Request,
    user: ConsoleUser,
    number: str,
    warehouse_code: str,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    """The packing page (or, for htmx, its plan area) for order ``number``."""
    number = number.strip().upper()
    values: dict[str, Any] = {
        "number": number,
        "order": None,
        "plans": [],
        "ready": [],
        "error": None,
        "result": None,
        "warehouse": warehouse_code,
        **extra,
    }
    with database(request).reader() as session:
        if number:
            try:
                order, plans = _packing_plans(session, number)
            except MaillonError as exc:
                values["error"] = values["error"] or exc.message
                status_code = max(status_code, exc.status_code)
            else:
                values["order"] = {"number": order.number, "status": order.status}
                values["plans"] = plans
                if not warehouse_code and plans:
                    values["warehouse"] = plans[0]["warehouse"]
        if not _htmx(request):
            values["ready"] = _ready_to_pack(session)
    if _htmx(request):
        return render(request, "_packing_plan.html", user, **values)
    return render(request, "packing.html", user, status_code=status_code, **values)


@router.get("/packing", response_class=HTMLResponse)
def packing_page(
    request: Request,
    order: Annotated[str, Query(max_length=20)] = "",
    warehouse: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The packing station: an order's cartons, where each item goes, and the scan field."""
    user = require(request, *FLOOR)
    return _packing_response(request, user, order, warehouse)


@router.post("/packing/scan", response_class=HTMLResponse)
def packing_scan(
    request: Request,
    order: Annotated[str, Form(max_length=20)] = "",
    warehouse: Annotated[str, Form(max_length=20)] = "",
    barcode: Annotated[str, Form(max_length=60)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Scan an item at the packing station: it is ticked and the page says which carton and
    step it goes to; an item not in the order (or already all packed) is refused."""
    user = require(request, *FLOOR)
    check_csrf(user, csrf)
    number = order.strip().upper()
    try:
        with database(request).transaction() as session:
            pick_list_id = None
            if warehouse:
                found = orders.get_order(session=session, number=number, field="order")
                pick_list_id = session.scalar(
                    select(PickList.id)
                    .join(Warehouse, Warehouse.id == PickList.warehouse_id)
                    .where(
                        PickList.order_id == found.id,
                        Warehouse.code == warehouse,
                        PickList.status != PickListStatus.CANCELLED,
                    )
                    .order_by(PickList.id)
                    .limit(1)
                )
                if pick_list_id is None:
                    raise Conflict(f"order {found.number} has no pick list in {warehouse}")
            result = packing_flow.packing_scan(
                session=session,
                barcode=barcode,
                packer=user.principal.name,
                number=None if pick_list_id else number,
                pick_list_id=pick_list_id,
            )
    except MaillonError as exc:
        return _packing_response(
            request,
            user,
            number,
            warehouse,
            status_code=exc.status_code,
            error=exc.message,
        )
    outcome = {
        "parcel": result.parcel,
        "carton": result.carton,
        "step": result.unit.step,
        "sku": result.unit.sku,
        "name": result.unit.name,
        "instruction": result.unit.instruction,
        "earlier_open": result.earlier_steps_open,
        "parcel_left": result.parcel_units_left,
        "order_left": result.order_units_left,
        "done": result.done,
        "parcels": result.parcels,
    }
    return _packing_response(request, user, number, result.warehouse, result=outcome)


# --------------------------------------------------------------------------- returns

#: What a return's next steps are, by status: (action, roles allowed: as the API allows).
NEXT_STEPS: dict[str, tuple[str, ...]] = {
    ReturnStatus.REQUESTED.value: ("approve", "reject", "cancel"),
    ReturnStatus.APPROVED.value: ("receive", "cancel"),
    ReturnStatus.LABEL_ISSUED.value: ("receive", "cancel"),
    ReturnStatus.RECEIVED.value: ("inspect",),
    ReturnStatus.INSPECTED.value: ("dispose", "settle", "close"),
    ReturnStatus.SETTLED.value: ("dispose", "close"),
}
#: Receipt, inspection and disposition are warehouse work (the API allows operators and
#: pickers; the returns pages are for operators and agents, so operators); the rest is the
#: customer desk's (operators and agents).
ACTION_ROLES: dict[str, tuple[Role, ...]] = {
    "approve": CARE,
    "reject": CARE,
    "cancel": CARE,
    "settle": CARE,
    "close": CARE,
    "receive": OPERATORS,
    "inspect": OPERATORS,
    "dispose": OPERATORS,
}


@router.get("/returns/queue", response_class=HTMLResponse)
def returns_queue(
    request: Request,
    status: Annotated[str, Query(max_length=20)] = "",
    order: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The returns queue: counts per status, a status filter and one page of returns."""
    user = require(request, *CARE)
    error = None
    items: list[dict[str, Any]] = []
    total = 0
    with database(request).reader() as session:
        counts = dict(
            session.execute(
                select(ReturnRequest.status, func.count()).group_by(ReturnRequest.status)
            ).all()
        )
        try:
            rows = returns.list_returns(
                session=session,
                limit=PAGE,
                offset=(page - 1) * PAGE,
                status=status or None,
                order=order.strip() or None,
            )
            total = returns.count_returns(
                session=session, status=status or None, order=order.strip() or None
            )
        except MaillonError as exc:
            rows, error = [], exc.message
        items = [
            {
                "id": r.id,
                "number": r.number,
                "order": order_number(r.order_id),
                "status": r.status,
                "reason": r.reason,
                "channel": r.channel,
                "warehouse": r.warehouse_code,
                "units": sum(x.quantity for x in r.lines),
                "created_at": r.created_at,
            }
            for r in rows
        ]
    return render(
        request,
        "returns.html",
        user,
        status_code=422 if error else 200,
        counts=[(s.value, counts.get(s.value, 0)) for s in ReturnStatus],
        all_count=sum(counts.values()),
        items=items,
        total=total,
        page=page,
        pages=max(1, (total + PAGE - 1) // PAGE),
        filters={"status": status, "order": order},
        error=error,
    )


@router.get("/returns", response_class=HTMLResponse)
def returns_page(
    request: Request,
    status: Annotated[str, Query(max_length=20)] = "",
    order: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The returns queue for signed-in staff; a visitor who is not signed in gets the
    customers' return portal (:mod:`maillon.web.portal`), which shares this address.

    The portal's own ``GET /returns`` is included in the app before the console, so this route
    only answers once the console is mounted first; ``/returns/queue`` always answers.
    """
    try:
        current_user(request)
    except LoginRequired:
        return portal.returns_form(request)
    return returns_queue(request, status=status, order=order, page=page)


def _summary(content: dict[str, Any]) -> str:
    """Return a record entry's data in short words (``key value`` pairs; lists of pairs)."""
    data = content.get("data", content)
    if not isinstance(data, dict):
        return str(data)[:300]

    def words(value: Any) -> str:
        if isinstance(value, dict):
            return ", ".join(f"{k} {words(v)}" for k, v in value.items() if v not in ("", None))
        if isinstance(value, list):
            return "; ".join(words(v) for v in value)
        return str(value)

    parts = [
        f"{k}: {words(v)}"
        for k, v in data.items()
        if k not in ("rma", "from") and v not in ("", None, [], {})
    ]
    return " · ".join(parts)[:600]


def _return_response(
    request: Request,
    user: ConsoleUser,
    return_id: int,
    *,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    """The detail page of a return, with the forms of its next steps the user may take."""
    with database(request).reader() as session:
        try:
            r = returns.get_return(session=session, return_id=return_id)
        except NotFound:
            return render(
                request, "error.html", user, status_code=404, message=f"No return {return_id}"
            )
        events = [
            {
                "seq": e.seq,
                "type": e.event_type,
                "actor": e.actor,
                "at": e.created_at,
                "details": _summary(parse_content(e.content)),
            }
            for e in record.events_of(session=session, return_id=r.id)
        ]
        steps = [a for a in NEXT_STEPS.get(r.status, ()) if allowed(user, ACTION_ROLES[a])]
        pending = [u for u in r.units if not u.disposition]
        if not pending and "dispose" in steps:
            steps.remove("dispose")
        if pending and "close" in steps:
            steps.remove("close")
        view: dict[str, Any] = {
            "id": r.id,
            "number": r.number,
            "order": order_number(r.order_id),
            "status": r.status,
            "reason": r.reason,
            "channel": r.channel,
            "note": r.note,
            "warehouse": r.warehouse_code,
            "label": (r.label_status, r.label_carrier, r.label_tracking),
            "paid_by": r.return_shipping_paid_by,
            "created_at": r.created_at,
            "lines": [
                {
                    "id": x.id,
                    "sku": x.sku,
                    "quantity": x.quantity,
                    "reason": x.reason_code,
                    "price": x.unit_price_cents,
                    "received": x.received_quantity,
                    "disposition": x.disposition,
                }
                for x in r.lines
            ],
            "units": [
                {
                    "id": u.id,
                    "sku": u.sku,
                    "quantity": u.quantity,
                    "grade": u.grade,
                    "proposed": u.proposed,
                    "disposition": u.disposition,
                    "location": u.location_code,
                    "note": u.note,
                }
                for u in r.units
            ],
            "settlements": [
                {
                    "method": s.method,
                    "refund": s.refund_cents,
                    "credit": s.store_credit_cents,
                    "fee": s.restocking_fee_cents,
                    "deduction": s.deduction_cents,
                    "reference": s.reference,
                    "at": s.created_at,
                }
                for s in r.settlements
            ],
        }
        currency = session.scalar(select(Order.currency).where(Order.id == r.order_id)) or "EUR"
    return render(
        request,
        "returns_detail.html",
        user,
        status_code=status_code,
        r=view,
        currency=currency,
        events=events,
        steps=steps,
        pending=[u for u in view["units"] if not u["disposition"]],
        grades=[(g.value, g.description) for g in Grade],
        dispositions=[d.value for d in Disposition],
        methods=[m.value for m in RefundMethod],
        error=error,
    )


@router.get("/returns/{return_id}", response_class=HTMLResponse)
def return_page(request: Request, return_id: int) -> Response:
    """One return: lines, units, settlements, its record, and forms for its next steps."""
    user = require(request, *CARE)
    return _return_response(request, user, return_id)


def _approve(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.approve(session=session, return_id=rid, actor=actor, note=form.get("note", ""))


def _reject(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.reject(session=session, return_id=rid, actor=actor, note=form.get("note", ""))


def _cancel(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.cancel(session=session, return_id=rid, actor=actor, note=form.get("note", ""))


def _close(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.close(session=session, return_id=rid, actor=actor, note=form.get("note", ""))


def _receive(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    request = returns.get_return(session=session, return_id=rid)
    quantities = {
        line.id: _whole(form.get(f"qty_{line.id}", ""), f"lines.{line.id}", high=line.quantity)
        for line in request.lines
    }
    returns.receive(
        session=session,
        return_id=rid,
        actor=actor,
        warehouse=form.get("warehouse", "").strip() or None,
        quantities=quantities,
    )


def _inspect(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    request = returns.get_return(session=session, return_id=rid)
    grades = []
    for line in request.lines:
        note = form.get(f"note_{line.id}", "")[:200]
        for grade in Grade:
            raw = form.get(f"grade_{line.id}_{grade.value}", "")
            n = _whole(raw or "0", f"lines.{line.id}.{grade.value}")
            if n:
                grades.append(returns.Grading(line.id, grade.value, n, note))
    returns.inspect(session=session, return_id=rid, actor=actor, grades=grades)


def _dispose(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    request = returns.get_return(session=session, return_id=rid)
    choices = [
        returns.DispositionChoice(
            u.id,
            form.get(f"disposition_{u.id}") or None,
            form.get(f"location_{u.id}", "").strip() or None,
        )
        for u in request.units
        if not u.disposition
    ]
    returns.dispose(session=session, return_id=rid, actor=actor, choices=choices)


def _settle(session: Session, rid: int, actor: str, form: Mapping[str, str]) -> None:
    returns.settle(
        session=session,
        return_id=rid,
        method=form.get("method", ""),
        actor=actor,
        reference=form.get("reference", "").strip()[:100],
        return_label_cents=_whole(form.get("return_label_cents") or "0", "return_label_cents"),
        deduction_cents=_whole(form.get("deduction_cents") or "0", "deduction_cents"),
        note=form.get("note", "")[:500],
    )


ACTIONS: dict[str, Callable[[Session, int, str, Mapping[str, str]], None]] = {
    "approve": _approve,
    "reject": _reject,
    "cancel": _cancel,
    "close": _close,
    "receive": _receive,
    "inspect": _inspect,
    "dispose": _dispose,
    "settle": _settle,
}


def _run_action(
    request: Request, user: ConsoleUser, return_id: int, action: str, form: dict[str, str]
) -> Response:
    """Carry out one step on a return; show the service's refusal in the page."""
    try:
        with database(request).transaction() as session:
            ACTIONS[action](session, return_id, user.principal.actor, form)
    except MaillonError as exc:
        return _return_response(
            request, user, return_id, error=exc.message, status_code=exc.status_code
        )
    return RedirectResponse(f"/returns/{return_id}", status_code=303)


@router.post("/returns/{return_id}/{action}", response_class=HTMLResponse)
async def return_action(request: Request, return_id: int, action: str) -> Response:
    """Approve, reject, cancel, receive, inspect, dispose of, settle or close a return (each
    with the roles the API allows for it)."""
    if action not in ACTIONS:
        return Response("Not found", status_code=404)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    user = await run_in_threadpool(require, request, *ACTION_ROLES[action])
    check_csrf(user, form.get("csrf"))
    return await run_in_threadpool(_run_action, request, user, return_id, action, form)
