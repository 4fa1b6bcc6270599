"""Console pages of the shops (Shopify, WooCommerce): the shops connected, the inbox of the
webhooks Maillon refused (fix the raw JSON, reprocess or discard), and each shop's stock
drift report.

The drift report reads the shop over the network, so no GET asks for it: "Check the stock"
(a POST) records the job ``channels.drift`` and the report page shows the last report the
worker kept, with its time (or that it is on its way). The pages call
:mod:`maillon.channels.service`, :mod:`maillon.channels.service.incoming` and
:mod:`maillon.channels.service.outgoing`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from maillon.channels import service as channels
from maillon.channels.model import ChannelKind, InboxKind, InboxStatus
from maillon.channels.service import incoming, outgoing
from maillon.channels.tables import InboxEntry
from maillon.core.errors import FieldError, MaillonError, ValidationError
from maillon.core.jobs import JobStatus
from maillon.core.tables import Job
from maillon.core.users import ConsoleUser
from maillon.orders.tables import SalesChannel
from maillon.web.console import (
    OperatorForm,
    OperatorPage,
    console_router,
    database,
    error_status,
    language,
    on_refusal,
    render,
)
from maillon.web.i18n import refusal, translate, translator

router = console_router()

INBOX_PAGE = 50
ALL = "all"
INBOX_FILTERS = (*(s.value for s in InboxStatus), ALL)
EntryId = Annotated[int, Path(ge=1, le=2_147_483_647)]
Code = Annotated[str, Path(max_length=40)]

KIND_NAMES = {ChannelKind.SHOPIFY: "Shopify", ChannelKind.WOOCOMMERCE: "WooCommerce"}
#: What the page says of an inbox entry's status and kind (French in web/french/channels.py).
STATUS_LABELS = {
    InboxStatus.REFUSED: "Waiting for a fix",
    InboxStatus.PROCESSED: "Processed",
    InboxStatus.DISCARDED: "Discarded",
}
FILTER_LABELS = {**STATUS_LABELS, ALL: "All"}
KIND_LABELS = {InboxKind.ORDER: "Order", InboxKind.CANCELLATION: "Cancellation"}
JOB_LABELS = {
    JobStatus.QUEUED: "Waiting for the worker",
    JobStatus.RUNNING: "Reading the shop",
    JobStatus.SUCCEEDED: "Done",
    JobStatus.FAILED: "Failed",
}

#: The reasons of a refusal that carry data (the rest are translated whole).
REASONS = (
    (re.compile(r"unknown SKU (?P<sku>.+)"), "unknown SKU {sku}"),
    (re.compile(r"SKU (?P<sku>.+) is not sold any more"), "SKU {sku} is not sold any more"),
    (re.compile(r"(?P<value>.+) is not an amount"), "{value} is not an amount"),
    (
        re.compile(r"order (?P<number>\S+) is (?P<t_status>\w+): it can no longer be cancelled"),
        "order {number} is {t_status}: it can no longer be cancelled",
    ),
    (
        re.compile(r"inbox entry (?P<id>\d+) is (?P<t_status>\w+): only a refused one changes"),
        "inbox entry {id} is {t_status}: only a refused one changes",
    ),
    (
        re.compile(r"order cannot go from '(?P<t_from>\w+)' to '(?P<t_to>\w+)'"),
        "order cannot go from {t_from} to {t_to}",
    ),
    (
        re.compile(r"is not JSON \(line (?P<line>\d+), column (?P<column>\d+)\)"),
        "is not JSON (line {line}, column {column})",
    ),
    (
        re.compile(r"(?P<value>.+) is not a valid phone number for (?P<country>\w+)"),
        "{value} is not a valid phone number for {country}",
    ),
    (re.compile(r"must be at most (?P<limit>\d+)"), "must be at most {limit}"),
    (re.compile(r"at most (?P<limit>\d+) lines"), "at most {limit} lines"),
    (re.compile(r"use one of (?P<allowed>.+)"), "use one of {allowed}"),
)


def _t(request: Request, user: ConsoleUser) -> Callable[[str], str]:
    return translator(language(request, user))


def reasons_of(errors: list[dict[str, Any]], t: Callable[[str], str]) -> list[str]:
    """A refusal's reasons as the page shows them: the field named, the reason translated."""
    out = []
    for error in errors:
        text = translate(str(error.get("message", "")), t, REASONS)
        out.append(f"{error['field']}: {text}" if error.get("field") else text)
    return out


def _refusal_text(exc: MaillonError, t: Callable[[str], str]) -> str:
    return refusal(exc, t, REASONS)


def _error(
    request: Request, user: ConsoleUser, exc: MaillonError, _values: Mapping[str, str]
) -> Response:
    """The error page, the refusal in the page's language (an unknown entry or shop)."""
    message = _refusal_text(exc, _t(request, user))
    return render(request, "error.html", user, status_code=error_status(exc), message=message)


# --------------------------------------------------------------------------- the list


def _shop_rows(session: Session) -> list[dict[str, Any]]:
    """The shops as the page lists them (never a secret: only whether credentials are set)."""
    rows = []
    for channel in channels.list_channels(session=session):
        kind = ChannelKind(channel.kind)
        drift = outgoing.last_drift(session=session, code=channel.code)
        rows.append(
            {
                "code": channel.code,
                "kind": KIND_NAMES[kind],
                "shop_url": channel.shop_url,
                "connected": channels.access_of(channel) is not None,
                "webhook_url": f"/api/v1/webhooks/{kind.value}/{channel.code}",
                "drift": _drift_summary(drift),
            }
        )
    return rows


def _drift_summary(job: Job | None) -> dict[str, Any] | None:
    if job is None:
        return None
    result = job.result or {}
    return {
        "label": JOB_LABELS[JobStatus(job.status)],
        "status": job.status,
        "pending": job.status in (JobStatus.QUEUED, JobStatus.RUNNING),
        "at": job.finished_at or job.created_at,
        "drifting": result.get("drifting"),
        "skus": result.get("skus"),
    }


def _entry_row(entry: InboxEntry, code: str, t: Callable[[str], str]) -> dict[str, Any]:
    return {
        "id": entry.id,
        "channel": code,
        "kind": KIND_LABELS[InboxKind(entry.kind)],
        "shop_order_id": entry.shop_order_id,
        "status": entry.status,
        "status_label": STATUS_LABELS[InboxStatus(entry.status)],
        "reasons": reasons_of(entry.errors, t),
        "received": entry.received,
        "received_at": entry.received_at,
        "updated_at": entry.updated_at,
        "updated_by": entry.updated_by,
        "order_number": entry.order_number,
    }


def _channels_page(
    request: Request,
    user: ConsoleUser,
    *,
    status: str = InboxStatus.REFUSED.value,
    page: int = 1,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    if status not in INBOX_FILTERS:
        raise ValidationError(
            FieldError("status", f"use one of {', '.join(INBOX_FILTERS)}"),
        )
    t = _t(request, user)
    with database(request).reader() as session:
        shops = _shop_rows(session)
        found = incoming.list_inbox(
            session=session,
            status=None if status == ALL else InboxStatus(status),
            limit=INBOX_PAGE + 1,
            offset=(page - 1) * INBOX_PAGE,
        )
        entries = [_entry_row(entry, code, t) for entry, code in found[:INBOX_PAGE]]
    return render(
        request,
        "channels.html",
        user,
        status_code=status_code,
        shops=shops,
        entries=entries,
        status=status,
        filters=FILTER_LABELS,
        page=page,
        more=len(found) > INBOX_PAGE,
        error=error,
    )


def _list_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The shops and the waiting entries, with the refusal (a filter, a shop, an entry)."""
    return _channels_page(
        request, user, error=_refusal_text(exc, _t(request, user)), status_code=error_status(exc)
    )


@router.get("/channels", response_class=HTMLResponse)
@on_refusal(_list_refused)
def channels_page(
    request: Request,
    user: OperatorPage,
    status: Annotated[str, Query(max_length=20)] = InboxStatus.REFUSED.value,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The shops connected and the inbox of refused webhooks (those waiting first)."""
    return _channels_page(request, user, status=status, page=page)


# --------------------------------------------------------------------------- one entry


def _entry_page(
    request: Request,
    user: ConsoleUser,
    entry_id: int,
    *,
    body: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    t = _t(request, user)
    with database(request).reader() as session:
        entry = incoming.get_entry(session=session, entry_id=entry_id)
        channel = session.get(SalesChannel, entry.channel_id)
        row = _entry_row(entry, channel.code if channel else "", t)
        stored = entry.body
    return render(
        request,
        "channels_entry.html",
        user,
        status_code=status_code,
        entry=row,
        body=_pretty(stored) if body is None else body,
        waiting=row["status"] == InboxStatus.REFUSED,
        error=error,
    )


def _pretty(body: str) -> str:
    """The stored body indented to be read and fixed (as it is when it is not JSON)."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


@router.get("/channels/inbox/{entry_id}", response_class=HTMLResponse)
@on_refusal(_error)
def inbox_entry(request: Request, user: OperatorPage, entry_id: EntryId) -> Response:
    """A refused webhook: why, and its raw JSON to fix."""
    return _entry_page(request, user, entry_id)


def _entry_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The entry again, with the refusal naming the field and the JSON as it was sent."""
    try:
        entry_id = int(values.get("entry_id", ""))
        return _entry_page(
            request,
            user,
            entry_id,
            body=values.get("payload"),
            error=_refusal_text(exc, _t(request, user)),
            status_code=error_status(exc),
        )
    except MaillonError as gone:
        return _error(request, user, gone, values)


def _payload(text: str) -> Any:
    """The JSON object typed in the page. Raises ValidationError naming ``payload``."""
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            FieldError("payload", f"is not JSON (line {exc.lineno}, column {exc.colno})")
        ) from None
    if not isinstance(payload, dict):
        raise ValidationError(FieldError("payload", "must be a JSON object"))
    return payload


def _save(request: Request, user: ConsoleUser, entry_id: int, text: str) -> None:
    """Keep the JSON typed in the page as the entry's body (when it differs)."""
    payload = _payload(text)
    with database(request).transaction() as session:
        entry = incoming.get_entry(session=session, entry_id=entry_id)
        try:
            same = json.loads(entry.body) == payload
        except ValueError:
            same = False
        if not same:
            incoming.edit_entry(
                session=session, entry_id=entry_id, payload=payload, actor=user.principal.actor
            )


Payload = Annotated[str, Form(max_length=1_000_000)]


@router.post("/channels/inbox/{entry_id}/save")
@on_refusal(_entry_refused)
def save_entry(
    request: Request, user: OperatorForm, entry_id: EntryId, payload: Payload = ""
) -> Response:
    """Keep the fixed JSON without taking the order yet."""
    _save(request, user, entry_id, payload)
    return RedirectResponse(f"/channels/inbox/{entry_id}", status_code=303)


@router.post("/channels/inbox/{entry_id}/reprocess")
@on_refusal(_entry_refused)
def reprocess_entry(
    request: Request, user: OperatorForm, entry_id: EntryId, payload: Payload = ""
) -> Response:
    """Keep the JSON as fixed in the page, then take it again: an order is placed (or a
    cancellation applied); still refused, the page names the field."""
    _save(request, user, entry_id, payload)
    incoming.reprocess(database(request), entry_id=entry_id, actor=user.principal.actor)
    return RedirectResponse(f"/channels/inbox/{entry_id}", status_code=303)


@router.post("/channels/inbox/{entry_id}/discard")
@on_refusal(_entry_refused)
def discard_entry(request: Request, user: OperatorForm, entry_id: EntryId) -> Response:
    """Give up on a refused webhook."""
    with database(request).transaction() as session:
        incoming.discard_entry(session=session, entry_id=entry_id, actor=user.principal.actor)
    return RedirectResponse("/channels", status_code=303)


# --------------------------------------------------------------------------- stock drift


@router.post("/channels/{code}/drift")
@on_refusal(_list_refused)
def request_drift(request: Request, user: OperatorForm, code: Code) -> Response:
    """Ask the worker to compare the shop's stock with ours (the report page shows it)."""
    with database(request).transaction() as session:
        outgoing.request_drift(session=session, code=code, actor=user.principal.actor)
    return RedirectResponse(f"/channels/{code}/drift", status_code=303)


@router.get("/channels/{code}/drift", response_class=HTMLResponse)
@on_refusal(_error)
def drift_page(request: Request, user: OperatorPage, code: Code) -> Response:
    """The last drift report the worker kept for the shop (the drifting SKUs first), or
    that it is on its way; reading it never calls the shop."""
    with database(request).reader() as session:
        channel = channels.get_channel(session=session, code=code)
        connected = channels.access_of(channel) is not None
        job = outgoing.last_drift(session=session, code=code)
        kind = KIND_NAMES[ChannelKind(channel.kind)]
    result = (job.result or {}) if job is not None else {}
    return render(
        request,
        "channels_drift.html",
        user,
        code=code,
        kind=kind,
        connected=connected,
        job=_drift_summary(job),
        error=job.error if job is not None and job.status == JobStatus.FAILED else None,
        rows=result.get("rows", []),
        report=result,
    )
