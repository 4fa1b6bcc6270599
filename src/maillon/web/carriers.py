"""Console page of the carriers' accounts, for admins: each carrier's mode (sandbox, live,
rate card only), its connector, which credentials are set (never their values), what it can
do (the connector registry), and a form setting the mode and credentials. The page calls
:mod:`maillon.shipping.service.accounts`; credentials are stored encrypted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from maillon.core.errors import FieldError, MaillonError, ValidationError
from maillon.core.users import ConsoleUser
from maillon.shipping import connectors
from maillon.shipping.carriers import Capability
from maillon.shipping.service import accounts
from maillon.web.console import (
    AdminForm,
    AdminPage,
    console_router,
    database,
    error_status,
    language,
    on_refusal,
    render,
)
from maillon.web.i18n import refusal, translator

router = console_router()

#: A mode as people read it (French in ``web/french/carriers.py``).
MODE_LABELS = {"sandbox": "Sandbox", "live": "Live", "rate_card": "Rate card only"}
#: A capability as people read it.
CAPABILITY_LABELS = {
    Capability.CREATE: "Labels",
    Capability.CANCEL: "Cancel",
    Capability.TRACK: "Tracking",
    Capability.RELAY_SEARCH: "Relay search",
    Capability.RETURN_LABEL: "Return labels",
    Capability.ZPL: "ZPL",
    Capability.RATES: "Rates",
}


def _t(request: Request, user: ConsoleUser) -> Callable[[str], str]:
    return translator(language(request, user))


def _rows(views: list[accounts.AccountView]) -> list[dict[str, Any]]:
    return [
        {
            "carrier": v.carrier,
            "name": v.name,
            "mode": v.mode.value,
            "mode_label": MODE_LABELS[v.mode.value],
            "disabled": v.disabled,
            "connector": v.connector or "",
            "connector_title": v.connector_title,
            "credential_keys": v.credential_keys,
            "missing": v.missing_credentials,
            "base_url": v.base_url or "",
            "label_format": v.label_format.value,
            "capabilities": [CAPABILITY_LABELS[c] for c in Capability if c in v.capabilities],
        }
        for v in views
    ]


def _page(
    request: Request,
    user: ConsoleUser,
    *,
    form: Mapping[str, Any] | None = None,
    saved: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    with database(request).reader() as session:
        rows = _rows(list(accounts.account_views(session=session)))
    known = connectors.known()
    return render(
        request,
        "carriers.html",
        user,
        status_code=status_code,
        carriers=rows,
        connectors=[
            {"name": c.name, "title": c.title, "required": c.required_credentials}
            for c in known.values()
        ],
        modes=MODE_LABELS,
        form=form or {},
        saved=saved,
        error=error,
    )


@router.get("/carriers", response_class=HTMLResponse)
def carriers_page(request: Request, user: AdminPage, saved: str = "") -> Response:
    """Every carrier's mode, credentials set and capabilities, and the account form."""
    return _page(request, user, saved=saved[:30])


def _refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The form again (secrets left out) with the refusal naming the field."""
    form = {k: values.get(k, "") for k in ("carrier", "connector", "mode", "base_url")}
    form["label_format"] = values.get("label_format", "pdf")
    return _page(
        request,
        user,
        form=form,
        error=refusal(exc, _t(request, user)),
        status_code=error_status(exc),
    )


def _credentials(text: str) -> dict[str, str]:
    """The ``key=value`` lines of the form. Raises ValidationError (``credentials``)."""
    pairs = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValidationError(FieldError("credentials", "write key=value, one a line"))
        pairs[key.strip()] = value.strip()
    return pairs


@router.post("/carriers", response_class=HTMLResponse)
@on_refusal(_refused)
def set_account(
    request: Request,
    user: AdminForm,
    carrier: Annotated[str, Form(max_length=30)] = "",
    connector: Annotated[str, Form(max_length=40)] = "",
    mode: Annotated[str, Form(max_length=20)] = "sandbox",
    credentials: Annotated[str, Form(max_length=4000)] = "",
    base_url: Annotated[str, Form(max_length=300)] = "",
    label_format: Annotated[str, Form(max_length=10)] = "pdf",
) -> Response:
    """Add or change a carrier's account (credentials merged, stored encrypted)."""
    with database(request).transaction() as session:
        accounts.set_account(
            session=session,
            carrier_code=carrier,
            connector=connector,
            mode=mode,
            credentials=_credentials(credentials),
            base_url=base_url or None,
            label_format=label_format,
            actor=user.principal.actor,
        )
    return RedirectResponse(f"/carriers?saved={carrier}", status_code=303)
