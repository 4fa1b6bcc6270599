"""What every console page shares: who is signed in, which role may see what, CSRF checks on
forms, the language, and rendering a template.

A page calls :func:`require` with the roles that may open it (admins always may); a form
handler also calls :func:`check_csrf`. Sessions live in the database
(:mod:`maillon.core.users`); the cookie holds a random token only.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from maillon.core.auth import Role
from maillon.core.db import Database
from maillon.core.errors import AuthenticationError
from maillon.core.money import format_cents
from maillon.core.users import ConsoleUser, console_user
from maillon.orders.model import OrderStatus
from maillon.web.i18n import choose_language, translator

COOKIE = "maillon_session"
TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["money"] = format_cents
TEMPLATES.env.filters["dt"] = lambda v: v.strftime("%Y-%m-%d %H:%M") if v else ""

OPERATORS = (Role.OPERATOR,)
FLOOR = (Role.OPERATOR, Role.PICKER)
CARE = (Role.OPERATOR, Role.AGENT)
EVERYONE = (Role.OPERATOR, Role.PICKER, Role.AGENT)

# The navigation: (path, label, roles that see it). Admins see everything.
NAVIGATION: list[tuple[str, str, tuple[Role, ...]]] = [
    ("/dashboard", "Dashboard", OPERATORS),
    ("/orders", "Orders", CARE),
    ("/stock", "Stock", OPERATORS),
    ("/warehouse", "Warehouse", FLOOR),
    ("/picking", "Picking", FLOOR),
    ("/packing", "Packing", FLOOR),
    ("/shipping", "Shipping", OPERATORS),
    ("/delivery", "Delivery", OPERATORS),
    ("/returns", "Returns", CARE),
    ("/care", "Care", CARE),
    ("/fraud", "Fraud", OPERATORS),
    ("/acquisition", "Acquisition", OPERATORS),
    ("/planning", "Planning", OPERATORS),
    ("/kpi", "KPIs", CARE),
]


class LoginRequired(Exception):
    """The visitor is not signed in (or the session expired)."""


class Forbidden(Exception):
    """The signed-in role may not open this page, or a form's CSRF token is wrong."""

    def __init__(self, message: str = "Your role may not open this page.") -> None:
        super().__init__(message)
        self.message = message


def database(request: Request) -> Database:
    """Return the app's database."""
    db: Database = request.app.state.db
    return db


def current_user(request: Request) -> ConsoleUser:
    """Return who is signed in. Raises LoginRequired."""
    with database(request).reader() as session:
        try:
            return console_user(session=session, token=request.cookies.get(COOKIE))
        except AuthenticationError:
            raise LoginRequired from None


def allowed(user: ConsoleUser, roles: tuple[Role, ...]) -> bool:
    """Return whether ``user`` may open a page meant for ``roles`` (admins may open all)."""
    role = user.principal.role
    return role is Role.ADMIN or role in roles


def require(request: Request, *roles: Role) -> ConsoleUser:
    """Return the signed-in user if their role is one of ``roles``. Raises LoginRequired,
    Forbidden."""
    user = current_user(request)
    if not allowed(user, roles or EVERYONE):
        raise Forbidden()
    return user


def check_csrf(user: ConsoleUser, token: str | None) -> None:
    """Raise Forbidden unless ``token`` (a form field or the ``X-CSRF-Token`` header) is the
    session's CSRF token."""
    if not token or not hmac.compare_digest(token, user.csrf_token):
        raise Forbidden("The form expired: reload the page and try again.")


def language(request: Request, user: ConsoleUser | None) -> str:
    """Return the page language: the user's choice, else the browser's, else English."""
    return choose_language(
        user.language if user else request.cookies.get("maillon_lang"),
        request.headers.get("accept-language"),
    )


def render(
    request: Request,
    name: str,
    user: ConsoleUser | None,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """Render a template with the frame's context: user, navigation, CSRF token, ``t``."""
    lang = language(request, user)
    nav = [(p, label) for p, label, roles in NAVIGATION if user and allowed(user, roles)]
    return TEMPLATES.TemplateResponse(
        request,
        name,
        {
            "user": user,
            "principal": user.principal if user else None,
            "csrf": user.csrf_token if user else "",
            "nav": nav,
            "lang": lang,
            "t": translator(lang),
            "statuses": [s.value for s in OrderStatus],
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
    )
