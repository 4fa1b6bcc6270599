"""The operator console: server-rendered pages over the same services as the API.

People sign in with a username and password (or an API key); the session lives in the
database and its cookie is HTTP-only and same-site; forms carry a CSRF token. Each role sees
its own pages. Plotly's JavaScript is served from the installed Python package and htmx from
``static/``, so the console works offline.
"""

from __future__ import annotations

from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from maillon.analytics.definitions import DIMENSIONS, KPIS, KpiTable
from maillon.analytics.service import compute_kpis, orders_per_day, refresh_order_facts
from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import AuthenticationError, MaillonError, NotFound
from maillon.core.users import (
    set_session_language,
    sign_in_with_key,
    sign_in_with_password,
    sign_out,
)
from maillon.inventory import service as inventory
from maillon.inventory.counts import discrepancies
from maillon.inventory.sensors import open_alerts
from maillon.orders import service as orders
from maillon.shipping import service as shipping
from maillon.web.console import (
    CARE,
    COOKIE,
    NAVIGATION,
    OPERATORS,
    Forbidden,
    LoginRequired,
    allowed,
    check_csrf,
    current_user,
    render,
    require,
)
from maillon.web.i18n import LANGUAGES, choose_language, translator
from maillon.web.pages_floor import router as floor_router
from maillon.web.pages_ops import router as ops_router
from maillon.web.pages_planning import router as planning_router
from maillon.web.pages_service import router as service_router
from maillon.web.pages_transport import router as transport_router

PAGE = 50


def _kpi_tables(request: Request, days: int, by: str) -> tuple[KpiTable, dict[str, int]]:
    """The KPIs of the last ``days`` days (split by ``by``) and orders per day, on fresh
    facts."""
    if by and by not in DIMENSIONS:
        raise Forbidden("Unknown dimension.")
    db: Database = request.app.state.db
    end = clock.now()
    start = end - timedelta(days=days)
    with db.transaction() as session:
        refresh_order_facts(session=session)
    with db.reader() as session:
        table = compute_kpis(session=session, start=start, end=end, by=by or None)
        daily = orders_per_day(session=session, start=start, end=end)
    return table, daily


def mount_console(app: FastAPI) -> None:
    """Add the console pages, the public tracking page and static files to ``app``."""
    router = APIRouter(include_in_schema=False)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        try:
            user = current_user(request)
        except LoginRequired:
            user = None
        return render(request, "error.html", user, status_code=403, message=exc.message)

    @router.get("/static/htmx.min.js")
    def htmx_js() -> Response:
        return FileResponse(
            str(Path(__file__).parent / "static" / "htmx.min.js"),
            media_type="application/javascript",
        )

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
        return render(request, "login.html", None, next=next, error=None)

    @router.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=60)] = "",
        password: Annotated[str, Form(max_length=200)] = "",
        key: Annotated[str, Form(max_length=200)] = "",
        next: Annotated[str, Form(max_length=300)] = "/",
    ) -> Response:
        db: Database = request.app.state.db
        try:
            with db.transaction() as session:
                if key.strip():
                    token = sign_in_with_key(session=session, raw_key=key)
                else:
                    token = sign_in_with_password(
                        session=session, username=username, password=password
                    )
        except AuthenticationError as exc:
            t = translator(choose_language(None, request.headers.get("accept-language")))
            return render(
                request,
                "login.html",
                None,
                status_code=401,
                next=next,
                error=t(exc.message),
                username=username,
            )
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        resp = RedirectResponse(target, status_code=303)
        resp.set_cookie(
            COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
            max_age=12 * 3600,
        )
        return resp

    @router.post("/logout")
    def logout(request: Request, csrf: Annotated[str, Form()] = "") -> Response:
        user = current_user(request)
        check_csrf(user, csrf)
        with request.app.state.db.transaction() as session:
            sign_out(session=session, token=request.cookies.get(COOKIE))
        resp = RedirectResponse("/login", status_code=303)
        resp.delete_cookie(COOKIE)
        return resp

    @router.post("/language")
    def choose(
        request: Request,
        language: Annotated[str, Form()],
        csrf: Annotated[str, Form()] = "",
        next: Annotated[str, Form(max_length=300)] = "/",
    ) -> Response:
        user = current_user(request)
        check_csrf(user, csrf)
        if language not in LANGUAGES:
            raise Forbidden("Unknown language.")
        with request.app.state.db.transaction() as session:
            set_session_language(session=session, session_id=user.session_id, language=language)
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        return RedirectResponse(target, status_code=303)

    @router.get("/", response_class=HTMLResponse)
    def home(request: Request) -> Response:
        user = current_user(request)
        for path, _label, roles in NAVIGATION:
            if allowed(user, roles):
                return RedirectResponse(path, status_code=303)
        raise Forbidden()

    @router.get("/orders", response_class=HTMLResponse)
    def orders_page(
        request: Request,
        status: str | None = None,
        channel: str | None = None,
        q: Annotated[str | None, Query(max_length=100)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> Response:
        user = require(request, *CARE)
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
        return render(
            request,
            "orders.html",
            user,
            orders=items,
            total=total,
            page=page,
            pages=max(1, (total + PAGE - 1) // PAGE),
            filters={"status": status or "", "channel": channel or "", "q": q or ""},
        )

    @router.get("/orders/{number}", response_class=HTMLResponse)
    def order_page(
        request: Request, number: str, error: Annotated[str | None, Query(max_length=300)] = None
    ) -> Response:
        user = require(request, *CARE)
        db: Database = request.app.state.db
        with db.reader() as session:
            try:
                order = orders.get_order(session=session, number=number)
            except NotFound:
                return render(
                    request, "error.html", user, status_code=404, message=f"No order {number}"
                )
            events = orders.timeline(session=session, order=order)
            shipments = shipping.shipments_of(session=session, order=order)
            tracking = shipping.tracking_events_of(session=session, shipments=shipments)
            return render(
                request,
                "order.html",
                user,
                order=order,
                events=events,
                shipments=shipments,
                tracking=tracking,
                error=error,
                can_cancel=order.status in ("confirmed", "backordered", "allocated"),
            )

    @router.post("/orders/{number}/cancel")
    def cancel_order(
        request: Request,
        number: str,
        csrf: Annotated[str, Form()] = "",
        reason: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        user = require(request, *CARE)
        check_csrf(user, csrf)
        db: Database = request.app.state.db
        try:
            with db.transaction() as session:
                orders.cancel_order(
                    session=session,
                    number=number,
                    reason=reason.strip() or "cancelled from the console",
                    actor=user.principal.actor,
                )
        except MaillonError as exc:
            return RedirectResponse(f"/orders/{number}?error={quote(exc.message)}", 303)
        return RedirectResponse(f"/orders/{number}", status_code=303)

    @router.get("/stock", response_class=HTMLResponse)
    def stock_page(
        request: Request,
        warehouse: str | None = None,
        sku: Annotated[str | None, Query(max_length=64)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> Response:
        user = require(request, *OPERATORS)
        db: Database = request.app.state.db
        with db.reader() as session:
            alerts = [
                {
                    "kind": a.kind,
                    "expected": a.expected,
                    "observed": a.observed,
                    "note": a.note,
                    "created_at": a.created_at,
                }
                for a in open_alerts(session=session, limit=20)
            ]
            differences = discrepancies(session=session, warehouse=warehouse or None)[:20]
            movements = []
            if sku:
                try:
                    moves, _ = inventory.list_movements(session=session, sku=sku, limit=30)
                except NotFound:
                    moves = []
                movements = [
                    {
                        "at": m.created_at,
                        "kind": m.kind,
                        "on_hand": m.delta_on_hand,
                        "reserved": m.delta_reserved,
                        "reference": m.reference,
                        "reason": m.reason,
                        "actor": m.actor,
                    }
                    for m in moves
                ]
            summary = inventory.stock_by_warehouse(session=session)
            rows, total = inventory.list_balances(
                session=session,
                sku=sku or None,
                warehouse=warehouse or None,
                limit=PAGE,
                offset=(page - 1) * PAGE,
            )
        return render(
            request,
            "stock.html",
            user,
            alerts=alerts,
            differences=differences,
            movements=movements,
            summary=summary,
            rows=rows,
            total=total,
            page=page,
            pages=max(1, (total + PAGE - 1) // PAGE),
            filters={"warehouse": warehouse or "", "sku": sku or ""},
        )

    @router.get("/kpi", response_class=HTMLResponse)
    def kpi_page(
        request: Request,
        days: Annotated[int, Query(ge=1, le=3650)] = 30,
        by: Annotated[str, Query(max_length=20)] = "",
    ) -> Response:
        user = require(request, *CARE)
        table, daily = _kpi_tables(request, days, by)
        chart = {"x": list(daily), "y": list(daily.values())}
        groups: dict[str, list[Any]] = {}
        for k in KPIS:
            groups.setdefault(k.group, []).append(k)
        return render(
            request,
            "kpi.html",
            user,
            table=table,
            groups=groups,
            chart=chart,
            days=days,
            by=by,
            dimensions=DIMENSIONS,
        )

    @router.get("/kpi.csv")
    def kpi_csv(
        request: Request,
        days: Annotated[int, Query(ge=1, le=3650)] = 30,
        by: Annotated[str, Query(max_length=20)] = "",
    ) -> Response:
        require(request, *CARE)
        table, _ = _kpi_tables(request, days, by)
        return Response(
            table.to_csv(),
            media_type="text/csv",
            headers={"Content-Disposition": 'attachment; filename="kpis.csv"'},
        )

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
        return render(
            request,
            "track.html",
            None,
            status_code=404 if error else 200,
            result=result,
            error=error,
            number=number or "",
            postcode=postcode or "",
        )

    app.include_router(router)
    app.include_router(ops_router)
    app.include_router(planning_router)
    app.include_router(floor_router)
    app.include_router(transport_router)
    app.include_router(service_router)
