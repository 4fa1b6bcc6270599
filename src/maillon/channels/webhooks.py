"""What a shop's webhook asks for (pure): place an order, cancel one, nothing, or a ping.

Shopify names the topic in ``X-Shopify-Topic`` (``orders/create``, ``orders/cancelled``,
``orders/updated``: a cancellation when ``cancelled_at`` is set); WooCommerce in
``X-WC-Webhook-Topic`` (``order.created``, ``order.updated`` with ``status: cancelled``).
A request without a topic is an order, as before topics were read. WooCommerce pings a new
webhook with an unsigned form body ``webhook_id=<n>``: it is answered 200 and does nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from maillon.channels.model import ChannelKind

_PING = re.compile(rb"webhook_id=\d+")


class Action(StrEnum):
    """What Maillon does with a webhook."""

    CREATE = "create"
    CANCEL = "cancel"
    IGNORE = "ignore"


@dataclass(frozen=True)
class Incoming:
    """A webhook read: its action, the shop's order id, and the shop's cancel reason."""

    action: Action
    shop_order_id: str
    reason: str = ""


def is_ping(body: bytes) -> bool:
    """True for WooCommerce's ping when a webhook is created (``webhook_id=<n>``)."""
    return _PING.fullmatch(body.strip()) is not None


def shop_order_id(payload: Mapping[str, Any], body: bytes) -> str:
    """The shop's order id, or a digest of the body when the payload has none (so the same
    broken body is one inbox entry however often it comes)."""
    value = payload.get("id")
    if value is not None and str(value).strip() and not isinstance(value, (dict, list)):
        return str(value).strip()[:100]
    return "sha256:" + hashlib.sha256(body).hexdigest()[:32]


def classify(
    kind: ChannelKind, topic: str | None, payload: Mapping[str, Any], body: bytes
) -> Incoming:
    """Read what the webhook ``topic`` with ``payload`` asks for."""
    order_id = shop_order_id(payload, body)
    topic = (topic or "").strip().lower()
    if kind is ChannelKind.SHOPIFY:
        if topic in ("", "orders/create"):
            return Incoming(Action.CREATE, order_id)
        cancelled = topic == "orders/cancelled" or (
            topic == "orders/updated" and bool(payload.get("cancelled_at"))
        )
        if cancelled:
            reason = str(payload.get("cancel_reason") or "other")
            return Incoming(Action.CANCEL, order_id, reason)
        return Incoming(Action.IGNORE, order_id)
    if topic in ("", "order.created"):
        return Incoming(Action.CREATE, order_id)
    if topic == "order.updated" and str(payload.get("status", "")).lower() == "cancelled":
        return Incoming(Action.CANCEL, order_id, "cancelled")
    return Incoming(Action.IGNORE, order_id)
