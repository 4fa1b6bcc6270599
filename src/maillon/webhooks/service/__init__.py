"""Webhook endpoints (register, change, delete, log) and the deliveries recorded with events.

:func:`on_event` is observed by the outbox (:func:`maillon.core.outbox.observe`): inside the
transaction that publishes an event, it records one delivery per active endpoint subscribed
to the event's topic and submits the job that sends it, so an event and its deliveries
commit together or not at all. :mod:`maillon.webhooks.service.sending` sends them.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from maillon.core import clock, jobs, outbox
from maillon.core.db import insert_now
from maillon.core.errors import FieldError, NotFound, ValidationError
from maillon.core.tables import OutboxMessage
from maillon.webhooks.model import (
    MAX_ATTEMPTS,
    PING_TOPIC,
    TOPICS,
    DeliveryStatus,
    check_topics,
    check_url,
    matches,
)
from maillon.webhooks.tables import WebhookDelivery, WebhookEndpoint

#: The job that sends one delivery (``{"delivery_id": ...}``).
JOB = "webhooks.deliver"
SECRET_PREFIX = "whsec_"
_CACHE = "maillon.webhooks.endpoints"
#: A process reads the active endpoints at most once per this many seconds, not once per
#: order: an endpoint added, changed or disabled in another process takes effect there
#: within this time (at once in the process that changed it).
SHARED_FOR_S = 2.0
_shared: dict[str, tuple[float, list[tuple[int, list[str]]]]] = {}
_shared_lock = threading.Lock()


def _active(session: Session) -> list[tuple[int, list[str]]]:
    """The active endpoints and their topics: read once per transaction (an order's events
    share one read) and shared by the process's transactions for :data:`SHARED_FOR_S`
    seconds; the endpoints' use cases below drop both."""
    transaction = session.get_transaction()
    cached = session.info.get(_CACHE)
    if cached is not None and cached[0] is transaction:
        return list(cached[1])
    key, now = str(session.get_bind().url), time.monotonic()
    with _shared_lock:
        shared = _shared.get(key)
    if shared is not None and now - shared[0] < SHARED_FOR_S:
        endpoints = shared[1]
    else:
        rows = session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.topics)
            .where(WebhookEndpoint.active.is_(True))
            .order_by(WebhookEndpoint.id)
        ).all()
        endpoints = [(endpoint_id, list(topics)) for endpoint_id, topics in rows]
        with _shared_lock:
            _shared[key] = (now, endpoints)
    session.info[_CACHE] = (transaction, endpoints)
    return list(endpoints)


def _forget(session: Session) -> None:
    session.info.pop(_CACHE, None)
    forget_endpoints()


def forget_endpoints() -> None:
    """Read the endpoints again at the next event of this process (one changed here)."""
    with _shared_lock:
        _shared.clear()


def _record(session: Session, event: OutboxMessage, endpoint_ids: Sequence[int]) -> list[int]:
    """Record one delivery of ``event`` per endpoint and submit the job of each."""
    now = clock.now()
    deliveries = [
        WebhookDelivery(
            endpoint_id=endpoint_id,
            event_id=event.id,
            topic=event.topic,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            created_at=now,
        )
        for endpoint_id in endpoint_ids
    ]
    insert_now(session, deliveries)
    return [d.id for d in deliveries]


def on_event(session: Session, event: OutboxMessage) -> None:
    """Outbox observer: record a delivery of ``event`` for every active endpoint subscribed to
    its topic, and the job sending each, in the event's transaction."""
    if event.topic not in TOPICS:
        return
    chosen = [e for e, topics in _active(session) if matches(topics, event.topic)]
    if not chosen:
        return
    for delivery_id in _record(session, event, chosen):
        jobs.submit(
            session,
            JOB,
            {"delivery_id": delivery_id},
            requested_by="webhooks",
            max_attempts=MAX_ATTEMPTS,
        )


def install() -> None:
    """Record deliveries for every event published from now on (idempotent)."""
    outbox.observe(on_event)


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _check_description(description: str) -> str:
    text = (description or "").strip()
    if len(text) > 200:
        raise ValidationError(FieldError("description", "is longer than 200 characters"))
    return text


def create_endpoint(
    *, session: Session, url: str, topics: Sequence[str], actor: str, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint receiving ``topics``; return it and its signing secret (shown
    this once). Raises ValidationError naming ``url``, ``topics`` or ``description``."""
    checked_url = check_url(url)
    checked_topics = check_topics(topics)
    text = _check_description(description)
    secret = _new_secret()
    endpoint = WebhookEndpoint(
        url=checked_url,
        description=text,
        topics=checked_topics,
        secret=secret,
        active=True,
        failures=0,
        created_by=actor,
        created_at=clock.now(),
    )
    session.add(endpoint)
    session.flush()
    _forget(session)
    return endpoint, secret


def get_endpoint(*, session: Session, endpoint_id: int, lock: bool = False) -> WebhookEndpoint:
    """Return endpoint ``endpoint_id`` or raise NotFound (field ``endpoint``)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id, with_for_update=True if lock else None)
    if endpoint is None:
        raise NotFound("webhook endpoint", endpoint_id, field="endpoint")
    return endpoint


def list_endpoints(*, session: Session) -> Sequence[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    return session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()


def update_endpoint(
    *,
    session: Session,
    endpoint_id: int,
    url: str | None = None,
    topics: Sequence[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
    rotate_secret: bool = False,
) -> tuple[WebhookEndpoint, str | None]:
    """Change what is given; return the endpoint and its new secret when ``rotate_secret``
    (else ``None``). Enabling an endpoint clears its failures and the reason it was disabled.
    Raises NotFound, ValidationError naming the field."""
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id, lock=True)
    if url is not None:
        endpoint.url = check_url(url)
    if topics is not None:
        endpoint.topics = check_topics(topics)
    if description is not None:
        endpoint.description = _check_description(description)
    if active is True and not endpoint.active:
        endpoint.active = True
        endpoint.failures = 0
        endpoint.failing_since = None
        endpoint.disabled_at = None
        endpoint.disabled_reason = None
    elif active is False and endpoint.active:
        endpoint.active = False
        endpoint.disabled_at = clock.now()
        endpoint.disabled_reason = "disabled by an admin"
    secret = _new_secret() if rotate_secret else None
    if secret is not None:
        endpoint.secret = secret
    _forget(session)
    return endpoint, secret


def delete_endpoint(*, session: Session, endpoint_id: int) -> WebhookEndpoint:
    """Delete an endpoint and its delivery log; its deliveries' jobs then do nothing.
    Raises NotFound."""
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id, lock=True)
    session.execute(delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
    _forget(session)
    return endpoint


def deliveries_of(
    *,
    session: Session,
    endpoint_id: int,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[WebhookDelivery], int]:
    """One page of an endpoint's delivery log, newest first, and how many match. Raises
    NotFound, ValidationError naming ``status``."""
    get_endpoint(session=session, endpoint_id=endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        try:
            query = query.where(WebhookDelivery.status == DeliveryStatus(status).value)
        except ValueError:
            allowed = ", ".join(s.value for s in DeliveryStatus)
            raise ValidationError(FieldError("status", f"use one of {allowed}")) from None
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(WebhookDelivery.id.desc()).limit(limit).offset(offset)
    ).all()
    return rows, total


def get_delivery(*, session: Session, delivery_id: int) -> WebhookDelivery:
    """Return delivery ``delivery_id`` or raise NotFound (field ``delivery``)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound("webhook delivery", delivery_id, field="delivery")
    return delivery


def request_ping(*, session: Session, endpoint_id: int, actor: str) -> WebhookDelivery:
    """Record a ``webhook.ping`` event and its delivery to this endpoint only (active or
    not, to test it before enabling it); the caller sends it once committed
    (:func:`maillon.webhooks.service.sending.send_ping`). Raises NotFound."""
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id)
    payload: dict[str, Any] = {"endpoint_id": endpoint.id, "requested_by": actor}
    event = outbox.publish(session, PING_TOPIC, payload)
    (delivery_id,) = _record(session, event, [endpoint.id])
    delivery = session.get(WebhookDelivery, delivery_id)
    assert delivery is not None
    return delivery
