"""What every console page shares: who is signed in, which role may see what, CSRF checks on
forms, the language, and rendering a template.

A page takes the signed-in user through a dependency naming the roles that may open it
(``user: OperatorPage``; admins always may); a form handler takes ``user: OperatorForm``, which
also checks the form's CSRF token. When a service refuses a form (a :class:`MaillonError`), the
one handler of :class:`ConsoleRoute` answers with the view the page registered through
:func:`on_refusal` (usually the form again, with the error), so no page catches errors by hand.
Sessions live in the database (:mod:`maillon.core.users`); the cookie holds a random token only.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from maillon.core.auth import Role
from maillon.core.db import Database
from maillon.core.errors import (
    AuthenticationError,
    FieldError,
    MaillonError,
    NotFound,
    ValidationError,
)
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
#: Admins only (every role check lets admins in, so no other role names them).
ADMINS = (Role.ADMIN,)

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
    ("/jobs", "Jobs", OPERATORS),
    ("/channels", "Shops", OPERATORS),
    ("/webhooks", "Webhooks", ADMINS),
    ("/carriers", "Carriers", ADMINS),
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
    request.state.console_user = user
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


# --------------------------------------------------------------------------- dependencies


class SignedIn:
    """A dependency: the signed-in user, whose role is one of ``roles`` (every console role
    when none is given). Raises LoginRequired, Forbidden."""

    def __init__(self, *roles: Role) -> None:
        self.roles = roles

    def __call__(self, request: Request) -> ConsoleUser:
        return require(request, *self.roles)


class FormUser(SignedIn):
    """A dependency for form handlers: the signed-in user, whose role is one of ``roles`` and
    whose form carries the session's CSRF token. Raises LoginRequired, Forbidden."""

    def __call__(  # type: ignore[override]
        self, request: Request, csrf: Annotated[str, Form()] = ""
    ) -> ConsoleUser:
        user = require(request, *self.roles)
        check_csrf(user, csrf)
        return user


OperatorPage = Annotated[ConsoleUser, Depends(SignedIn(*OPERATORS))]
FloorPage = Annotated[ConsoleUser, Depends(SignedIn(*FLOOR))]
CarePage = Annotated[ConsoleUser, Depends(SignedIn(*CARE))]
AdminPage = Annotated[ConsoleUser, Depends(SignedIn(*ADMINS))]
OperatorForm = Annotated[ConsoleUser, Depends(FormUser(*OPERATORS))]
FloorForm = Annotated[ConsoleUser, Depends(FormUser(*FLOOR))]
CareForm = Annotated[ConsoleUser, Depends(FormUser(*CARE))]
AdminForm = Annotated[ConsoleUser, Depends(FormUser(*ADMINS))]


# --------------------------------------------------------------------------- refusals

#: What a page answers when a service refuses: ``show(request, user, error, values)``, where
#: ``values`` are the request's query, form and path values (strings); ``user`` is None on a
#: public page (the tracking page).
Refusal = Callable[[Request, ConsoleUser, MaillonError, Mapping[str, str]], Response]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def on_refusal(show: Refusal) -> Callable[[Endpoint], Endpoint]:
    """Mark a console endpoint: a :class:`MaillonError` it raises is answered by ``show``
    (usually the form again with the error) instead of the API's JSON error."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.console_refusal = show  # type: ignore[attr-defined]
        return endpoint

    return mark


class ConsoleRoute(APIRoute):
    """A console route: the one place where a service's refusal raised by an endpoint marked
    with :func:`on_refusal` becomes a page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        show: Refusal | None = getattr(self.endpoint, "console_refusal", None)
        if show is None:
            return handle

        async def handle_refusal(request: Request) -> Response:
            try:
                return await handle(request)
            except MaillonError as exc:
                values: dict[str, str] = dict(request.query_params)
                if request.method == "POST":
                    form = await request.form()
                    values |= {k: v for k, v in form.items() if isinstance(v, str)}
                values |= {k: str(v) for k, v in request.path_params.items()}
                user = getattr(request.state, "console_user", None)
                return await run_in_threadpool(show, request, user, exc, values)

        return handle_refusal


def console_router() -> APIRouter:
    """Return a router for console pages (hidden from the OpenAPI schema)."""
    return APIRouter(include_in_schema=False, route_class=ConsoleRoute)


# --------------------------------------------------------------------------- page helpers


def is_htmx(request: Request) -> bool:
    """Return whether the request comes from htmx (answer with a fragment, not a page)."""
    return request.headers.get("hx-request") == "true"


def page_count(total: int, size: int) -> int:
    """Return how many pages of ``size`` rows ``total`` rows fill (at least one)."""
    return max(1, (total + size - 1) // size)


def whole(value: str, field: str, *, low: int = 0, high: int = 1_000_000) -> int:
    """Return a form field as a whole number from ``low`` to ``high``. Raises ValidationError
    naming ``field``."""
    text = value.strip()
    if not text.lstrip("-").isdigit() or not low <= int(text) <= high:
        raise ValidationError(FieldError(field, f"must be a whole number from {low} to {high}"))
    return int(text)


def parse_day(text: str) -> dt.date | None:
    """Return the date of an ISO ``YYYY-MM-DD`` text, or None when it is not one."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def problem(exc: MaillonError) -> str:
    """Return an error's message naming the offending field when the service gave one."""
    field = getattr(exc, "field", None)
    if isinstance(exc, NotFound) and field and field not in exc.message:
        return f"{field}: {exc.message}"
    return exc.message


def error_status(exc: MaillonError) -> int:
    """The status code of a page showing ``exc`` (4xx: the input or the state refused it)."""
    return exc.status_code if 400 <= exc.status_code < 500 else 400


def error_page(
    request: Request, user: ConsoleUser | None, exc: MaillonError, _values: Mapping[str, str]
) -> Response:
    """The error page for a refusal, with the refusal's status code (a :data:`Refusal`)."""
    return render(request, "error.html", user, status_code=exc.status_code, message=exc.message)
