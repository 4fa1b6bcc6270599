"""Sending one delivery: claim it, sign and post its event, record how the attempt ended.

:func:`deliver` is what the ``webhooks.deliver`` job runs. The delivery is claimed first
(a conditional update), so two workers never send it at once, and a delivery already
delivered, cancelled or deleted is left alone: running the job twice sends nothing twice.
A failed attempt leaves the delivery pending and the job raises, so the job record retries
it after its backoff; after :data:`~maillon.webhooks.model.MAX_ATTEMPTS` it has failed.
Every failed attempt counts against its endpoint, which is disabled past the limits of
:func:`~maillon.webhooks.model.should_disable`, with the reason kept for the admin.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import or_, update

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from maillon.webhooks import model
from maillon.webhooks.model import PING_TOPIC, Attempt, DeliveryStatus
from maillon.webhooks.service import forget_endpoints
from maillon.webhooks.tables import WebhookDelivery, WebhookEndpoint

#: A worker sending a delivery holds it this long; past it (the worker died) another may.
CLAIM = timedelta(minutes=1)
#: How much of an answer's body is read (the log keeps its first characters).
READ_BYTES = 4096

Poster = Callable[[str, bytes, dict[str, str], float], Attempt]
"""Posts ``body`` to a URL with headers and a time-out; says how it ended, never raises."""


class DeliveryFailed(Exception):
    """Raised by the job when an attempt failed, so that the job record retries it."""


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Attempt:
    """POST ``body`` with httpx (no redirects followed) and return how it ended."""
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False) as client,
            client.stream("POST", url, content=body, headers=headers) as response,
        ):
            read = b""
            for chunk in response.iter_bytes():
                read += chunk
                if len(read) >= READ_BYTES:
                    break
    except httpx.TimeoutException:
        return Attempt(None, elapsed(), f"timed out after {timeout:g} s")
    except httpx.HTTPError as exc:
        return Attempt(None, elapsed(), f"{type(exc).__name__}: {exc}")
    text = read[:READ_BYTES].decode("utf-8", errors="replace")
    error = None if 200 <= response.status_code < 300 else response.reason_phrase or None
    return Attempt(response.status_code, elapsed(), error, text)


@dataclass(frozen=True)
class Outcome:
    """What :func:`deliver` did: the delivery's status after it (``None``: nothing to do,
    ``note`` says why) and the attempt made, if any."""

    delivery_id: int
    status: DeliveryStatus | None
    attempt: Attempt | None = None
    note: str = ""

    @property
    def retry(self) -> bool:
        """Whether an attempt failed (the job raises to be retried)."""
        return self.attempt is not None and not self.attempt.ok

    def as_dict(self) -> dict[str, Any]:
        """The job's result."""
        return {
            "delivery_id": self.delivery_id,
            "status": self.status.value if self.status else None,
            "response_status": self.attempt.status_code if self.attempt else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class _Request:
    url: str
    secret: str
    topic: str
    body: bytes


def _cancel(delivery: WebhookDelivery, reason: str) -> None:
    delivery.status = DeliveryStatus.CANCELLED.value
    delivery.claimed_until = None
    delivery.attempts -= 1  # the claim counted an attempt that is not made
    delivery.error = model.truncate(reason)


def _claim(db: Database, delivery_id: int) -> _Request | str:
    """Take the delivery to send it (counting the attempt) and return the request to make,
    or say why there is none (delivered, cancelled, being sent, gone)."""
    now = clock.now()
    with db.transaction() as session:
        taken = session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.status.in_(
                    (DeliveryStatus.PENDING.value, DeliveryStatus.FAILED.value)
                ),
                or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            )
            .values(claimed_until=now + CLAIM, attempts=WebhookDelivery.attempts + 1)
        ).rowcount
        delivery = session.get(WebhookDelivery, delivery_id)
        if delivery is None:
            return "the delivery was deleted with its endpoint"
        if not taken:
            return f"the delivery is {delivery.status} or being sent"
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        event = session.get(OutboxMessage, delivery.event_id)
        assert endpoint is not None
        if not endpoint.active and delivery.topic != PING_TOPIC:
            _cancel(delivery, f"endpoint disabled: {endpoint.disabled_reason or 'by an admin'}")
            return "the endpoint is disabled"
        if event is None:
            _cancel(delivery, "the event is no longer in the outbox")
            return "the event is gone"
        body = model.body_of(event.id, event.topic, event.created_at, event.payload)
        return _Request(endpoint.url, endpoint.secret, delivery.topic, body)


def _disable_reason(endpoint: WebhookEndpoint, attempt: Attempt) -> str:
    since = endpoint.failing_since or clock.now()
    return (
        f"disabled after {endpoint.failures} failed attempts in a row since "
        f"{since:%Y-%m-%d %H:%M} UTC; last: {attempt.summary()}"
    )[:700]


def _count_failure(endpoint: WebhookEndpoint, attempt: Attempt) -> None:
    now = clock.now()
    endpoint.failures += 1
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    if model.should_disable(endpoint.failures, endpoint.failing_since, now):
        endpoint.active = False
        endpoint.disabled_at = now
        endpoint.disabled_reason = _disable_reason(endpoint, attempt)
        forget_endpoints()  # this process records no more deliveries for it


def _record(db: Database, delivery_id: int, attempt: Attempt) -> DeliveryStatus | None:
    """Record how the attempt ended on the delivery and its endpoint; return its status
    (``None``: the endpoint was deleted meanwhile)."""
    now = clock.now()
    with db.transaction() as session:
        delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            return None
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id, with_for_update=True)
        assert endpoint is not None
        ping = delivery.topic == PING_TOPIC
        delivery.claimed_until = None
        delivery.last_attempt_at = now
        delivery.response_status = attempt.status_code
        delivery.latency_ms = attempt.latency_ms
        delivery.error = None if attempt.ok else model.truncate(attempt.summary())
        delivery.response_body = model.truncate(attempt.response_body)
        if attempt.ok:
            delivery.status = DeliveryStatus.DELIVERED.value
            delivery.delivered_at = now
            if not ping:
                endpoint.failures = 0
                endpoint.failing_since = None
                endpoint.last_success_at = now
        else:
            final = ping or delivery.attempts >= model.MAX_ATTEMPTS
            delivery.status = (DeliveryStatus.FAILED if final else DeliveryStatus.PENDING).value
            if not ping and endpoint.active:  # a ping never counts against its endpoint
                _count_failure(endpoint, attempt)
        return DeliveryStatus(delivery.status)


def deliver(db: Database, delivery_id: int, *, poster: Poster = post) -> Outcome:
    """Make one attempt at delivery ``delivery_id`` unless it is delivered, cancelled, being
    sent or gone; record it and return what happened."""
    request = _claim(db, delivery_id)
    if isinstance(request, str):
        return Outcome(delivery_id, None, note=request)
    timestamp = str(int(clock.now().timestamp()))
    signature = model.sign(request.secret, timestamp, request.body)
    headers = model.headers_for(request.topic, delivery_id, timestamp, signature)
    attempt = poster(request.url, request.body, headers, model.TIMEOUT_SECONDS)
    status = _record(db, delivery_id, attempt)
    return Outcome(delivery_id, status, attempt, attempt.summary())
