"""The webhook contract, pure: which topics may be subscribed to, which URLs are accepted, the
body sent and its signature, and when an endpoint that keeps failing is disabled.

A receiver checks a request by recomputing the signature::

    expected = base64(HMAC-SHA256(secret, X-Maillon-Triggered-At + "." + raw body))

and comparing it with ``X-Maillon-Hmac-Sha256`` in constant time (:func:`verify`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from maillon.core.errors import FieldError, ValidationError

#: The events an endpoint may subscribe to, by family; ``<family>.*`` takes a whole family.
TOPICS: tuple[str, ...] = (
    "order.created",
    "order.cancelled",
    "order.packed",
    "order.shipped",
    "order.delivered",
    "shipment.delivered",
    "shipment.delayed",
    "tracking.updated",
    "return.requested",
    "return.approved",
    "return.rejected",
    "return.label_issued",
    "return.received",
    "return.inspected",
    "return.settled",
    "return.closed",
    "return.cancelled",
    "ticket.created",
    "ticket.status_changed",
    "ticket.sla_breached",
)
#: The topic of a test ping: sent to one endpoint on request, never subscribed to.
PING_TOPIC = "webhook.ping"
#: Payload keys never sent out (fraud signals: the customer's IP address, device, ...).
INTERNAL_KEYS = frozenset({"signals"})

#: The time a receiver has to answer.
TIMEOUT_SECONDS = 10.0
#: A delivery is tried this many times (the job's backoff: 10 s, 20 s, ... up to an hour,
#: about three and a half hours in all) before it is given up.
MAX_ATTEMPTS = 12
#: An endpoint is disabled after this many failed attempts in a row, whatever the events...
DISABLE_AFTER_FAILURES = 20
#: ... or when it has failed every attempt for this long.
DISABLE_AFTER = timedelta(days=3)
#: Stored response bodies and errors are cut to this many characters.
KEEP_CHARS = 500
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})

HEADER_TOPIC = "X-Maillon-Topic"
HEADER_ID = "X-Maillon-Webhook-Id"
HEADER_TRIGGERED_AT = "X-Maillon-Triggered-At"
HEADER_SIGNATURE = "X-Maillon-Hmac-Sha256"


class DeliveryStatus(StrEnum):
    """Where one delivery of one event to one endpoint stands."""

    PENDING = "pending"  # waiting for its first attempt or its next retry
    DELIVERED = "delivered"  # the endpoint answered 2xx
    FAILED = "failed"  # every attempt failed; the job's retry button tries again
    CANCELLED = "cancelled"  # the endpoint was disabled or deleted before it succeeded


def check_url(url: str) -> str:
    """Return ``url`` stripped, or raise ValidationError naming ``url``: https only, except
    http to localhost, 127.0.0.1 or ::1 (a receiver in development)."""
    value = (url or "").strip()
    if len(value) > 2000:
        raise ValidationError(FieldError("url", "is longer than 2000 characters"))
    try:
        parts = urlsplit(value)
        host = (parts.hostname or "").lower()
    except ValueError:  # e.g. an unclosed IPv6 bracket
        raise ValidationError(FieldError("url", "is not a valid URL")) from None
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError(FieldError("url", "must be an absolute https:// URL"))
    if parts.username or parts.password:
        raise ValidationError(FieldError("url", "must not carry a user name or password"))
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValidationError(FieldError("url", "has an invalid port")) from None
    if parts.scheme == "http" and not _is_local(host):
        raise ValidationError(
            FieldError("url", "must use https (http only to localhost or 127.0.0.1)")
        )
    return value


def _is_local(host: str) -> bool:
    if host in LOCAL_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_topics(patterns: Iterable[str]) -> list[str]:
    """Return the subscribed patterns, deduplicated in order, or raise ValidationError naming
    ``topics``: each is a topic of :data:`TOPICS`, a family (``order.*``, or ``tracking`` for
    ``tracking.*``) or ``*`` (everything)."""
    chosen: list[str] = []
    wrong: list[str] = []
    for raw in patterns:
        pattern = _pattern_of(raw.strip())
        if pattern is None:
            wrong.append(raw)
        elif pattern not in chosen:
            chosen.append(pattern)
    if wrong:
        families = sorted({t.split(".")[0] + ".*" for t in TOPICS})
        raise ValidationError(
            FieldError(
                "topics",
                f"unknown topic(s) {', '.join(map(repr, wrong))}; use * or one of "
                f"{', '.join(families + list(TOPICS))}",
            )
        )
    if not chosen:
        raise ValidationError(FieldError("topics", "subscribe to at least one topic"))
    return chosen


def _pattern_of(text: str) -> str | None:
    """The pattern ``text`` names (a bare family gets its ``.*``), or ``None``."""
    if text in TOPICS or text == "*":
        return text
    family = text[:-2] if text.endswith(".*") else text
    if family and any(t.startswith(f"{family}.") for t in TOPICS):
        return f"{family}.*"
    return None


def matches(patterns: Iterable[str], topic: str) -> bool:
    """Whether an endpoint subscribed to ``patterns`` receives ``topic`` (only topics of the
    catalogue are ever sent)."""
    if topic not in TOPICS:
        return False
    for pattern in patterns:
        if pattern in ("*", topic):
            return True
        if pattern.endswith(".*") and topic.startswith(pattern[:-1]):
            return True
    return False


def public_data(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The event's payload as sent out: internal keys dropped."""
    return {k: v for k, v in payload.items() if k not in INTERNAL_KEYS}


def body_of(event_id: int, topic: str, created_at: datetime, data: Mapping[str, Any]) -> bytes:
    """The JSON body of a delivery: ``{"id", "topic", "created_at", "data"}`` (the same for
    every endpoint and every attempt)."""
    document = {
        "id": event_id,
        "topic": topic,
        "created_at": created_at.isoformat(),
        "data": public_data(data),
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``base64(HMAC-SHA256(secret, timestamp + "." + body))``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Whether ``signature`` is the one :func:`sign` makes (compared in constant time)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def headers_for(topic: str, delivery_id: int, timestamp: str, signature: str) -> dict[str, str]:
    """The headers of a delivery's request."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "Maillon-Webhooks/1",
        HEADER_TOPIC: topic,
        HEADER_ID: str(delivery_id),
        HEADER_TRIGGERED_AT: timestamp,
        HEADER_SIGNATURE: signature,
    }


@dataclass(frozen=True)
class Attempt:
    """How one attempt ended: the answer's status code (``None`` when none came), the
    time taken, an error and the start of the answer's body."""

    status_code: int | None
    latency_ms: int
    error: str | None = None
    response_body: str = ""

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status_code is not None and 200 <= self.status_code < 300

    def summary(self) -> str:
        """One line saying how it ended."""
        if self.status_code is None:
            return self.error or "no answer"
        return f"HTTP {self.status_code}" + (f": {self.error}" if self.error else "")


def should_disable(failures_in_a_row: int, failing_since: datetime, now: datetime) -> bool:
    """Whether an endpoint that has failed ``failures_in_a_row`` attempts, every one since
    ``failing_since``, is disabled."""
    return failures_in_a_row >= DISABLE_AFTER_FAILURES or now - failing_since >= DISABLE_AFTER


def truncate(text: str | None, limit: int = KEEP_CHARS) -> str | None:
    """``text`` cut to ``limit`` characters (``None`` stays ``None``)."""
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"
