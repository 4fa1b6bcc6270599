"""The operator console: server-rendered pages over the same services as the API.

People sign in with a username and password (or an API key); the session lives in the
database and its cookie is HTTP-only and same-site; forms carry a CSRF token. Each role sees
its own pages. Plotly's JavaScript is served from the installed Python package and htmx from
``static/``, so the console works offline. One module per chain package holds its pages
(:mod:`maillon.web.orders`, :mod:`maillon.web.warehouse`, ...); :mod:`maillon.web.console`
holds what they share.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response

from maillon.web import (
    acquisition,
    analytics,
    care,
    carriers,
    channels,
    delivery,
    fraud,
    inventory,
    jobs,
    orders,
    packing,
    planning,
    returns,
    shipping,
    signin,
    warehouse,
    webhooks,
)
from maillon.web.console import (
    Forbidden,
    LoginRequired,
    current_user,
    render,
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

    for pages in (
        signin,
        orders,
        inventory,
        analytics,
        warehouse,
        packing,
        returns,
        shipping,
        delivery,
        care,
        fraud,
        acquisition,
        planning,
        jobs,
        channels,
        webhooks,
        carriers,
    ):
        app.include_router(pages.router)
