"""What the console is around its pages: signing in (password or API key) and out, the
language choice, the home redirect to the first page the role may open, and the static files
(htmx, Plotly and the style sheet, served locally so the console works offline)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from maillon.core.errors import AuthenticationError
from maillon.core.users import (
    ConsoleUser,
    set_session_language,
    sign_in_with_key,
    sign_in_with_password,
    sign_out,
)
from maillon.web.console import (
    COOKIE,
    NAVIGATION,
    Forbidden,
    FormUser,
    allowed,
    console_router,
    current_user,
    database,
    render,
)
from maillon.web.i18n import LANGUAGES, choose_language, translator

router = console_router()

STATIC = Path(__file__).parent / "static"
#: Anyone signed in, with the form's CSRF token.
AnyForm = Annotated[ConsoleUser, Depends(FormUser())]


def _local(target: str) -> str:
    """Return ``target`` when it is a path of this site, else ``/`` (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/static/htmx.min.js")
def htmx_js() -> Response:
    return FileResponse(str(STATIC / "htmx.min.js"), media_type="application/javascript")


@router.get("/static/plotly.min.js")
def plotly_js() -> Response:
    path = resources.files("plotly") / "package_data" / "plotly.min.js"
    return FileResponse(str(path), media_type="application/javascript")


@router.get("/static/console.css")
def css() -> Response:
    return FileResponse(str(STATIC / "console.css"), media_type="text/css")


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
    """Sign in with a username and password, or an API key; the session token goes in an
    HTTP-only, same-site cookie."""
    try:
        with database(request).transaction() as session:
            if key.strip():
                token = sign_in_with_key(session=session, raw_key=key)
            else:
                token = sign_in_with_password(session=session, username=username, password=password)
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
    resp = RedirectResponse(_local(next), status_code=303)
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
def logout(request: Request, _user: AnyForm) -> Response:
    with database(request).transaction() as session:
        sign_out(session=session, token=request.cookies.get(COOKIE))
    resp = RedirectResponse("/login", status_code=303)
    resp.delete_cookie(COOKIE)
    return resp


@router.post("/language")
def choose(
    request: Request,
    user: AnyForm,
    language: Annotated[str, Form()],
    next: Annotated[str, Form(max_length=300)] = "/",
) -> Response:
    if language not in LANGUAGES:
        raise Forbidden("Unknown language.")
    with database(request).transaction() as session:
        set_session_language(session=session, session_id=user.session_id, language=language)
    return RedirectResponse(_local(next), status_code=303)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    """Go to the first page of the navigation the signed-in role may open."""
    user = current_user(request)
    for path, _label, roles in NAVIGATION:
        if allowed(user, roles):
            return RedirectResponse(path, status_code=303)
    raise Forbidden()
