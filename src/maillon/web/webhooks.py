"""Console pages of the outgoing webhooks, for admins: the endpoints (state, failures, the
reason one was disabled), adding one (its signing secret shown this once), enabling,
disabling, rotating the secret (shown once too), deleting (confirmed), a test ping, and an
endpoint's delivery log. The pages call :mod:`maillon.webhooks.service` and
:mod:`maillon.webhooks.service.sending` (the ping is sent while the admin waits, as the API
does: it is the answer they asked for, bounded by the receiver's time-out).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from maillon.core.errors import FieldError, MaillonError, ValidationError
from maillon.core.users import ConsoleUser
from maillon.web.console import (
    AdminForm,
    AdminPage,
    console_router,
    database,
    error_status,
    language,
    on_refusal,
    page_count,
    render,
)
from maillon.web.i18n import refusal, translate, translator
from maillon.webhooks import service
from maillon.webhooks.model import PING_TOPIC, TOPICS, DeliveryStatus
from maillon.webhooks.service import sending
from maillon.webhooks.tables import WebhookDelivery, WebhookEndpoint

router = console_router()

LOG_PAGE = 50
EndpointId = Annotated[int, Path(ge=1, le=2_147_483_647)]
NO_STORE = {"Cache-Control": "no-store"}  # a page showing a secret is never kept

#: What each topic means, as people read it (French in ``web/french/webhooks.py``).
TOPIC_LABELS = {
    "order.created": "An order was placed",
    "order.cancelled": "An order was cancelled",
    "order.packed": "An order was packed",
    "order.shipped": "An order was shipped",
    "order.delivered": "An order was delivered",
    "shipment.delivered": "A parcel was delivered",
    "shipment.delayed": "A parcel is late",
    "tracking.updated": "A parcel's tracking moved",
    "return.requested": "A return was requested",
    "return.approved": "A return was approved",
    "return.rejected": "A return was rejected",
    "return.label_issued": "A return label was issued",
    "return.received": "A return was received",
    "return.inspected": "A return was inspected",
    "return.settled": "A return was settled",
    "return.closed": "A return was closed",
    "return.cancelled": "A return was cancelled",
    "ticket.created": "A care ticket was opened",
    "ticket.status_changed": "A care ticket changed status",
    "ticket.sla_breached": "A care ticket missed its SLA",
    PING_TOPIC: "Test ping",
    "*": "Every event",
}
FAMILY_LABELS = {
    "order": "Every order event",
    "shipment": "Every shipment event",
    "tracking": "Every tracking event",
    "return": "Every return event",
    "ticket": "Every care ticket event",
}
#: A delivery's status as the log shows it.
STATUS_LABELS = {
    DeliveryStatus.PENDING: "pending",
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.CANCELLED: "cancelled",
}
#: Reasons and errors that carry data.
REASONS = (
    (
        re.compile(
            r"disabled after (?P<failures>\d+) failed attempts in a row since "
            r"(?P<since>.+?) UTC; last: (?P<last>.*)",
            re.DOTALL,
        ),
        "disabled after {failures} failed attempts in a row since {since} UTC; last: {last}",
    ),
    (re.compile(r"timed out after (?P<seconds>[\d.]+) s"), "timed out after {seconds} s"),
    (
        re.compile(r"endpoint disabled: (?P<t_reason>.+)", re.DOTALL),
        "endpoint disabled: {t_reason}",
    ),
    (
        re.compile(r"unknown topic\(s\) (?P<topics>.+?); use \* or one of (?P<allowed>.+)"),
        "unknown topic(s) {topics}; use * or one of {allowed}",
    ),
    (re.compile(r"use one of (?P<allowed>.+)"), "use one of {allowed}"),
)


def _t(request: Request, user: ConsoleUser) -> Callable[[str], str]:
    return translator(language(request, user))


def _topic_groups() -> list[dict[str, Any]]:
    """The catalogue by family, for the form's checkboxes."""
    groups: dict[str, list[str]] = {}
    for topic in TOPICS:
        groups.setdefault(topic.split(".")[0], []).append(topic)
    return [
        {"family": f"{family}.*", "label": FAMILY_LABELS[family], "topics": topics}
        for family, topics in groups.items()
    ]


def _topic_label(pattern: str) -> str:
    if pattern.endswith(".*"):
        return FAMILY_LABELS.get(pattern[:-2], pattern)
    return TOPIC_LABELS.get(pattern, pattern)


def _refusal_text(exc: MaillonError, t: Callable[[str], str]) -> str:
    return refusal(exc, t, REASONS)


def _endpoint_row(endpoint: WebhookEndpoint, t: Callable[[str], str]) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "description": endpoint.description,
        "topics": [(p, _topic_label(p)) for p in endpoint.topics],
        "active": endpoint.active,
        "reason": translate(endpoint.disabled_reason or "", t, REASONS),
        "disabled_at": endpoint.disabled_at,
        "failures": endpoint.failures,
        "last_success_at": endpoint.last_success_at,
        "created_at": endpoint.created_at,
        "created_by": endpoint.created_by,
    }


def _delivery_row(delivery: WebhookDelivery, t: Callable[[str], str]) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "topic": delivery.topic,
        "topic_label": TOPIC_LABELS.get(delivery.topic, delivery.topic),
        "status": delivery.status,
        "status_label": STATUS_LABELS[DeliveryStatus(delivery.status)],
        "attempts": delivery.attempts,
        "response_status": delivery.response_status,
        "latency_ms": delivery.latency_ms,
        "error": translate(delivery.error, t, REASONS) if delivery.error else "",
        "created_at": delivery.created_at,
        "last_attempt_at": delivery.last_attempt_at,
    }


# --------------------------------------------------------------------------- the list


def _list_page(
    request: Request,
    user: ConsoleUser,
    *,
    form: Mapping[str, Any] | None = None,
    created: dict[str, Any] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    t = _t(request, user)
    with database(request).reader() as session:
        endpoints = [_endpoint_row(e, t) for e in service.list_endpoints(session=session)]
    response = render(
        request,
        "webhooks.html",
        user,
        status_code=status_code,
        endpoints=endpoints,
        groups=_topic_groups(),
        topic_labels=TOPIC_LABELS,
        form=form or {"url": "", "description": "", "topics": []},
        created=created,
        error=error,
    )
    if created:
        response.headers.update(NO_STORE)
    return response


@router.get("/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, user: AdminPage) -> Response:
    """The endpoints and the form adding one."""
    return _list_page(request, user)


def _create_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The form again, as it was filled, with the refusal naming the field."""
    form = {
        "url": values.get("url", ""),
        "description": values.get("description", ""),
        "topics": getattr(request.state, "webhook_topics", []),
    }
    return _list_page(
        request,
        user,
        form=form,
        error=_refusal_text(exc, _t(request, user)),
        status_code=error_status(exc),
    )


@router.post("/webhooks", response_class=HTMLResponse)
@on_refusal(_create_refused)
def add_endpoint(
    request: Request,
    user: AdminForm,
    url: Annotated[str, Form(max_length=2100)] = "",
    description: Annotated[str, Form(max_length=300)] = "",
    topics: Annotated[list[str] | None, Form(max_length=50)] = None,
) -> Response:
    """Register an endpoint and show its signing secret, this once."""
    request.state.webhook_topics = list(topics or [])
    with database(request).transaction() as session:
        endpoint, secret = service.create_endpoint(
            session=session,
            url=url,
            topics=topics or [],
            description=description,
            actor=user.principal.actor,
        )
        created = {"id": endpoint.id, "url": endpoint.url, "secret": secret}
    return _list_page(request, user, created=created)


# --------------------------------------------------------------------------- one endpoint


def _endpoint_page(
    request: Request,
    user: ConsoleUser,
    endpoint_id: int,
    *,
    status: str = "",
    page: int = 1,
    ping: int | None = None,
    secret: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    t = _t(request, user)
    with database(request).reader() as session:
        endpoint = _endpoint_row(service.get_endpoint(session=session, endpoint_id=endpoint_id), t)
        rows, total = service.deliveries_of(
            session=session,
            endpoint_id=endpoint_id,
            status=status or None,
            limit=LOG_PAGE,
            offset=(page - 1) * LOG_PAGE,
        )
        log = [_delivery_row(d, t) for d in rows]
        pinged = None
        if ping is not None:
            found = service.get_delivery(session=session, delivery_id=ping)
            if found.endpoint_id == endpoint_id:
                pinged = _delivery_row(found, t)
    response = render(
        request,
        "webhooks_endpoint.html",
        user,
        status_code=status_code,
        endpoint=endpoint,
        log=log,
        total=total,
        status=status,
        filters={"": "All deliveries", **{s.value: label for s, label in STATUS_LABELS.items()}},
        page=page,
        pages=page_count(total, LOG_PAGE),
        pinged=pinged,
        secret=secret,
        error=error,
    )
    if secret:
        response.headers.update(NO_STORE)
    return response


def _endpoint_refused(
    request: Request, user: ConsoleUser, exc: MaillonError, values: Mapping[str, str]
) -> Response:
    """The endpoint's page with the refusal (the list when the endpoint is gone)."""
    t = _t(request, user)
    text, code = _refusal_text(exc, t), error_status(exc)
    try:
        return _endpoint_page(
            request, user, int(values.get("endpoint_id", "0")), error=text, status_code=code
        )
    except MaillonError:
        return _list_page(request, user, error=text, status_code=code)


@router.get("/webhooks/{endpoint_id}", response_class=HTMLResponse)
@on_refusal(_endpoint_refused)
def endpoint_page(
    request: Request,
    user: AdminPage,
    endpoint_id: EndpointId,
    status: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ping: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Response:
    """An endpoint, its actions and its delivery log (newest first)."""
    return _endpoint_page(request, user, endpoint_id, status=status, page=page, ping=ping)


def _back(endpoint_id: int) -> Response:
    return RedirectResponse(f"/webhooks/{endpoint_id}", status_code=303)


@router.post("/webhooks/{endpoint_id}/enable")
@on_refusal(_endpoint_refused)
def enable_endpoint(request: Request, user: AdminForm, endpoint_id: EndpointId) -> Response:
    """Enable an endpoint again (its failures start from zero)."""
    with database(request).transaction() as session:
        service.update_endpoint(session=session, endpoint_id=endpoint_id, active=True)
    return _back(endpoint_id)


@router.post("/webhooks/{endpoint_id}/disable")
@on_refusal(_endpoint_refused)
def disable_endpoint(request: Request, user: AdminForm, endpoint_id: EndpointId) -> Response:
    """Stop sending to an endpoint (its pending deliveries are cancelled when their turn
    comes)."""
    with database(request).transaction() as session:
        service.update_endpoint(session=session, endpoint_id=endpoint_id, active=False)
    return _back(endpoint_id)


@router.post("/webhooks/{endpoint_id}/rotate", response_class=HTMLResponse)
@on_refusal(_endpoint_refused)
def rotate_secret(request: Request, user: AdminForm, endpoint_id: EndpointId) -> Response:
    """Give the endpoint a new signing secret and show it, this once."""
    with database(request).transaction() as session:
        _, secret = service.update_endpoint(
            session=session, endpoint_id=endpoint_id, rotate_secret=True
        )
    return _endpoint_page(request, user, endpoint_id, secret=secret)


@router.post("/webhooks/{endpoint_id}/ping")
@on_refusal(_endpoint_refused)
def ping_endpoint(request: Request, user: AdminForm, endpoint_id: EndpointId) -> Response:
    """Send a signed test ping now; the page then says how it went (and the log has it)."""
    with database(request).transaction() as session:
        delivery = service.request_ping(
            session=session, endpoint_id=endpoint_id, actor=user.principal.actor
        )
        delivery_id = delivery.id
    sending.deliver(database(request), delivery_id)
    return RedirectResponse(f"/webhooks/{endpoint_id}?ping={delivery_id}", status_code=303)


@router.post("/webhooks/{endpoint_id}/delete")
@on_refusal(_endpoint_refused)
def delete_endpoint(
    request: Request,
    user: AdminForm,
    endpoint_id: EndpointId,
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Delete an endpoint and its delivery log, once the box saying so is ticked."""
    if confirm != "yes":
        raise ValidationError(FieldError("confirm", "tick the box to confirm the deletion"))
    with database(request).transaction() as session:
        service.delete_endpoint(session=session, endpoint_id=endpoint_id)
    return RedirectResponse("/webhooks", status_code=303)
