"""Channel request and response models (never a secret in an answer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from maillon.core.http import StrictModel


class ChannelCreate(StrictModel):
    """A shop: the secret its webhooks are signed with and, to answer it, its credentials
    (Shopify: an Admin API access token as ``api_secret`` and the ``stock_location``;
    WooCommerce: consumer key and secret)."""

    code: str = Field(min_length=1, max_length=40)
    kind: str
    webhook_secret: str = Field(min_length=1, max_length=200)
    shop_url: str = Field(default="", max_length=300)
    api_key: str = Field(default="", max_length=200)
    api_secret: str = Field(default="", max_length=300)
    stock_location: str = Field(default="", max_length=100)


class ChannelRead(BaseModel):
    """A registered shop (never its secrets)."""

    code: str
    kind: str
    webhook_url: str
    shop_url: str = ""
    stock_location: str = ""
    connected: bool = False


class FieldErrorRead(BaseModel):
    """One refused field."""

    field: str
    message: str


class WebhookAnswer(BaseModel):
    """What became of a webhook that did not place an order: refused (kept in the inbox),
    cancelled, cancel_refused (kept too), ignored or ping."""

    outcome: str
    order_number: str | None = None
    inbox_id: int | None = None
    errors: list[FieldErrorRead] = []


class InboxRead(BaseModel):
    """A refused webhook: the shop, the shop's order id, why, and what became of it."""

    id: int
    channel: str
    kind: str
    shop_order_id: str
    status: str
    errors: list[FieldErrorRead]
    received: int
    received_at: datetime
    updated_at: datetime
    updated_by: str
    order_number: str | None


class InboxDetail(InboxRead):
    """A refused webhook with its body (``payload``: the body read as JSON, if it is)."""

    body: str
    payload: Any = None


class InboxEdit(StrictModel):
    """The fixed body of a refused webhook."""

    payload: dict[str, Any]


class DriftRead(BaseModel):
    """One SKU: our available units, the shop's (null: not sold there), theirs minus ours."""

    sku: str
    ours: int
    theirs: int | None
    difference: int | None
