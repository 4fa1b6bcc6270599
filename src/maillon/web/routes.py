"""The operator console: server-rendered pages over the same services as the API.

People sign in with a username and password (or an API key); the session lives in the
database and its cookie is HTTP-only and same-site; forms carry a CSRF token. Each role sees
its own pages. Plotly's JavaScript is served from the installed Python package and htmx from
``static/``, so the console works offline. One module per chain package holds its pages
(:mod:`maillon.web.orders`, :mod:`maillon.web.warehouse`, ...); :mod:`maillon.web.console`
holds what they share.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from maillon.core.errors import MaillonError
from maillon.shipping import service as shipping
from maillon.web import analytics, inventory, orders, packing, returns, signin, warehouse
from maillon.web.console import (
    Forbidden,
    LoginRequired,
    console_router,
    current_user,
    database,
    render,
)
from maillon.web.pages_planning import router as planning_router
from maillon.web.pages_service import router as service_router
from maillon.web.pages_transport import router as transport_router

router = console_router()


@router.get("/track", response_class=HTMLResponse)
def track_page(
    request: Request,
    number: Annotated[str | None, Query(max_length=40)] = None,
    postcode: Annotated[str | None, Query(max_length=12)] = None,
) -> Response:
    result = None
    error = None
    if number and postcode:
        try:
            with database(request).reader() as session:
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


def mount_console(app: FastAPI) -> None:
    """Add the console pages, the public tracking page and static files to ``app``."""

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

    for pages in (signin, orders, inventory, analytics, warehouse, packing, returns):
        app.include_router(pages.router)
    app.include_router(router)
    app.include_router(planning_router)
    app.include_router(transport_router)
    app.include_router(service_router)
