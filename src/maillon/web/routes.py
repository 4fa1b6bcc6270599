"""The operator console: server-rendered pages over the same services as the API.

Sign-in takes an API key and keeps it in an HTTP-only, same-site cookie; every page checks it
like the API does. Plotly's JavaScript is served from the installed Python package, so the
console works offline.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from maillon.analytics.service import kpi_summary
from maillon.api.deps import SESSION_COOKIE
from maillon.core.auth import Principal, authenticate
from maillon.core.db import Database
from maillon.core.errors import AuthenticationError, MaillonError, NotFound
from maillon.core.money import format_cents
from maillon.inventory import service as inventory
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus
from maillon.shipping import service as shipping

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["money"] = format_cents
TEMPLATES.env.filters["dt"] = lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""
PAGE = 50


class LoginRequired(Exception):
    """Raised by a page whose visitor is not signed in."""


def _principal(request: Request) -> Principal:
    db: Database = request.app.state.db
    key = request.cookies.get(SESSION_COOKIE)
    try:
        with db.reader() as session:
            return authenticate(session=session, raw_key=key)
    except AuthenticationError:
        raise LoginRequired from None


def _render(request: Request, name: str, principal: Principal | None, **context: Any) -> Response:
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {"principal": principal, "statuses": [s.value for s in OrderStatus], **context},
    )


def mount_console(app: FastAPI) -> None:
    """Add the console pages, the public tracking page and static files to ``app``."""
    router = APIRouter(include_in_schema=False)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @router.get("/static/plotly.min.js")
    def plotly_js() -> Response:
        path = resources.files("plotly") / "package_data" / "plotly.min.js"
        return FileResponse(str(path), media_type="application/javascript")

    @router.get("/static/console.css")
    def css() -> Response:
        return FileResponse(
            str(Path(__file__).parent / "static" / "console.css"), media_type="text/css"
        )

    @router.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Response:
        return _render(request, "login.html", None, next=next, error=None)

    @router.post("/login", response_class=HTMLResponse)
    def login(
        request: Request, key: Annotated[str, Form()], next: Annotated[str, Form()] = "/"
    ) -> Response:
        db: Database = request.app.state.db
        try:
            with db.reader() as session:
                authenticate(session=session, raw_key=key)
        except AuthenticationError as exc:
            resp = _render(request, "login.html", None, next=next, error=exc.message)
            resp.status_code = 401
            return resp
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        resp = RedirectResponse(target, status_code=303)
        resp.set_cookie(
            SESSION_COOKIE, key.strip(), httponly=True, samesite="strict", max_age=12 * 3600
        )
        return resp

    @router.post("/logout")
    def logout() -> Response:
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(SESSION_COOKIE)
        return resp

    @router.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        _principal(request)
        return RedirectResponse("/orders", status_code=303)

    @router.get("/orders", response_class=HTMLResponse)
    def orders_page(
        request: Request,
        status: str | None = None,
        channel: str | None = None,
        q: Annotated[str | None, Query(max_length=100)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> Response:
        principal = _principal(request)
        db: Database = request.app.state.db
        with db.reader() as session:
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
        return _render(
            request,
            "orders.html",
            principal,
            orders=items,
            total=total,
            page=page,
            pages=max(1, (total + PAGE - 1) // PAGE),
            filters={"status": status or "", "channel": channel or "", "q": q or ""},
        )

    @router.get("/orders/{number}", response_class=HTMLResponse)
    def order_page(request: Request, number: str) -> Response:
        principal = _principal(request)
        db: Database = request.app.state.db
        with db.reader() as session:
            try:
                order = orders.get_order(session=session, number=number)
            except NotFound:
                resp = _render(request, "error.html", principal, message=f"No order {number}")
                resp.status_code = 404
                return resp
            events = orders.timeline(session=session, order=order)
            shipments = shipping.shipments_of(session=session, order=order)
            tracking = shipping.tracking_events_of(session=session, shipments=shipments)
            return _render(
                request,
                "order.html",
                principal,
                order=order,
                events=events,
                shipments=shipments,
                tracking=tracking,
            )

    @router.get("/stock", response_class=HTMLResponse)
    def stock_page(
        request: Request,
        warehouse: str | None = None,
        sku: Annotated[str | None, Query(max_length=64)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> Response:
        principal = _principal(request)
        db: Database = request.app.state.db
        with db.reader() as session:
            summary = inventory.stock_by_warehouse(session=session)
            rows, total = inventory.list_balances(
                session=session,
                sku=sku or None,
                warehouse=warehouse or None,
                limit=PAGE,
                offset=(page - 1) * PAGE,
            )
        return _render(
            request,
            "stock.html",
            principal,
            summary=summary,
            rows=rows,
            total=total,
            page=page,
            pages=max(1, (total + PAGE - 1) // PAGE),
            filters={"warehouse": warehouse or "", "sku": sku or ""},
        )

    @router.get("/kpi", response_class=HTMLResponse)
    def kpi_page(request: Request, days: Annotated[int, Query(ge=1, le=3650)] = 3650) -> Response:
        principal = _principal(request)
        db: Database = request.app.state.db
        start = datetime.now(UTC) - timedelta(days=days) if days < 3650 else None
        with db.reader() as session:
            summary = kpi_summary(session=session, start=start)
        chart = {
            "x": [d.isoformat() for d in summary.orders_per_day],
            "y": list(summary.orders_per_day.values()),
        }
        return _render(request, "kpi.html", principal, k=summary, chart=chart)

    @router.get("/track", response_class=HTMLResponse)
    def track_page(
        request: Request,
        number: Annotated[str | None, Query(max_length=40)] = None,
        postcode: Annotated[str | None, Query(max_length=12)] = None,
    ) -> Response:
        result = None
        error = None
        if number and postcode:
            db: Database = request.app.state.db
            try:
                with db.reader() as session:
                    result = shipping.public_tracking(
                        session=session, tracking_number=number, postcode=postcode
                    )
            except MaillonError:
                error = "No parcel matches this tracking number and postal code."
        resp = _render(
            request,
            "track.html",
            None,
            result=result,
            error=error,
            number=number or "",
            postcode=postcode or "",
        )
        if error:
            resp.status_code = 404
        return resp

    app.include_router(router)
