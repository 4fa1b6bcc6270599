"""Console pages of orders: the order list (filtered, searched, paged), one order with its
timeline, shipments and tracking, and cancelling it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from maillon.core.errors import MaillonError, NotFound
from maillon.core.users import ConsoleUser
from maillon.orders import queries
from maillon.orders import service as orders
from maillon.orders.choice import DeliveryMethod
from maillon.orders.service import choices
from maillon.shipping import service as shipping
from maillon.web.console import (
    CareForm,
    CarePage,
    console_router,
    database,
    on_refusal,
    page_count,
    render,
)

router = console_router()

PAGE = 50

METHOD_LABELS = {
    DeliveryMethod.HOME: "Home delivery",
    DeliveryMethod.RELAY_POINT: "Relay point delivery",
    DeliveryMethod.CLICK_COLLECT: "Click & collect",
    DeliveryMethod.EXPRESS: "Express delivery",
    DeliveryMethod.SAME_DAY: "Same-day delivery",
    DeliveryMethod.APPOINTMENT: "Delivery by appointment",
}
"""How the order page names each delivery method (translated by the page's ``t``)."""


@router.get("/orders", response_class=HTMLResponse)
def orders_page(
    request: Request,
    user: CarePage,
    status: str | None = None,
    channel: str | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """One page of orders, newest first, filtered by status and channel or searched."""
    with database(request).reader() as session:
        rows, total = orders.list_orders(
            session=session,
            status=status or None,
            channel=channel or None,
            search=q or None,
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )
        items = [
            {
                "number": o.number,
                "created_at": o.created_at,
                "status": o.status,
                "channel": o.channel,
                "customer": o.customer.name,
                "city": o.ship_city,
                "postcode": o.ship_postcode,
                "total": o.total_cents,
                "currency": o.currency,
            }
            for o in rows
        ]
    return render(
        request,
        "orders.html",
        user,
        orders=items,
        total=total,
        page=page,
        pages=page_count(total, PAGE),
        filters={"status": status or "", "channel": channel or "", "q": q or ""},
    )


@router.get("/orders/{number}", response_class=HTMLResponse)
def order_page(
    request: Request,
    user: CarePage,
    number: str,
    error: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """One order: its lines, timeline, shipments and tracking, and the cancel form."""
    with database(request).reader() as session:
        try:
            order = orders.get_order(session=session, number=number)
        except NotFound:
            return render(
                request, "error.html", user, status_code=404, message=f"No order {number}"
            )
        events = queries.order_events(session=session, order=order)
        shipments = shipping.shipments_of(session=session, order=order)
        tracking = shipping.tracking_events_of(session=session, shipments=shipments)
        delivery = choices.choice_of(session=session, order_id=order.id)
        return render(
            request,
            "order.html",
            user,
            order=order,
            events=events,
            shipments=shipments,
            tracking=tracking,
            delivery=delivery,
            method_label=METHOD_LABELS[delivery.method],
            error=error,
            can_cancel=queries.can_cancel(order),
        )


def _cancel_refused(
    _request: Request, _user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """Back to the order, the refusal in the page."""
    return RedirectResponse(f"/orders/{values['number']}?error={quote(exc.message)}", 303)


@router.post("/orders/{number}/cancel")
@on_refusal(_cancel_refused)
def cancel_order(
    request: Request,
    user: CareForm,
    number: str,
    reason: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Cancel an order (its reserved stock goes back)."""
    with database(request).transaction() as session:
        orders.cancel_order(
            session=session,
            number=number,
            reason=reason.strip() or "cancelled from the console",
            actor=user.principal.actor,
        )
    return RedirectResponse(f"/orders/{number}", status_code=303)
