"""Console page of the packing station: an order's cartons, where each item goes (a top view
per layer), and the scan field.

Made for handheld scanners that type like keyboards: the field to scan is focused, a scan ends
with Enter, and htmx swaps the plan area in place (the form also works without JavaScript, as a
plain POST answered with the whole page). The page calls
:mod:`maillon.warehouse.service.packstation`
(pack plans), :mod:`maillon.warehouse.service.packing_flow` (packing scans) and
:mod:`maillon.warehouse.queries`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from maillon.core.errors import Conflict, MaillonError
from maillon.core.users import ConsoleUser
from maillon.orders import service as orders
from maillon.orders.tables import Order
from maillon.warehouse import queries
from maillon.warehouse import service as warehouse
from maillon.warehouse.model import PackingStatus
from maillon.warehouse.service import packing_flow, packstation
from maillon.web.console import (
    FloorForm,
    FloorPage,
    console_router,
    database,
    is_htmx,
    on_refusal,
    render,
)

router = console_router()

#: Width in pixels of a carton's top view at the packing station.
TOP_VIEW_PX = 260
PALETTE = ("#2e90fa", "#f79009", "#12b76a", "#9e77ed", "#f04438", "#0ba5ec", "#ee46bc", "#669f2a")


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
    held_by, filled_by = queries.packing_progress(session=session, order_id=order.id)
    views = []
    for plan in computed:
        held = held_by.get(plan.warehouse)
        if held is None:
            views.append(_plan_view(plan, set(), None))
        else:
            fixed = packstation.PackPlan.from_dict(held.plan)
            views.append(_plan_view(fixed, filled_by.get(held.id, set()), held.status))
    return order, views


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
        if not is_htmx(request):
            values["ready"] = queries.ready_to_pack(session=session)
    if is_htmx(request):
        return render(request, "_packing_plan.html", user, **values)
    return render(request, "packing.html", user, status_code=status_code, **values)


@router.get("/packing", response_class=HTMLResponse)
def packing_page(
    request: Request,
    user: FloorPage,
    order: Annotated[str, Query(max_length=20)] = "",
    warehouse: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The packing station: an order's cartons, where each item goes, and the scan field."""
    return _packing_response(request, user, order, warehouse)


def _scan_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The packing station again, the refusal in the page."""
    return _packing_response(
        request,
        user,
        values.get("order", ""),
        values.get("warehouse", ""),
        status_code=exc.status_code,
        error=exc.message,
    )


@router.post("/packing/scan", response_class=HTMLResponse)
@on_refusal(_scan_refused)
def packing_scan(
    request: Request,
    user: FloorForm,
    order: Annotated[str, Form(max_length=20)] = "",
    warehouse: Annotated[str, Form(max_length=20)] = "",
    barcode: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    """Scan an item at the packing station: it is ticked and the page says which carton and
    step it goes to; an item not in the order (or already all packed) is refused."""
    number = order.strip().upper()
    with database(request).transaction() as session:
        pick_list_id = None
        if warehouse:
            found = orders.get_order(session=session, number=number, field="order")
            pick_list_id = queries.pick_list_in(
                session=session, order_id=found.id, warehouse_code=warehouse
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
