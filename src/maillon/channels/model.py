"""What Maillon says to a shop and hears from it (pure): the ``ShopClient`` interface, the
values it carries, and the errors it raises.

Each platform has one client module (:mod:`maillon.channels.shopify`,
:mod:`maillon.channels.woocommerce`) that implements :class:`ShopClient` with httpx.
A client retries on its own what waiting cures (throttling, 429, 5xx, time-outs); what is
left is either :class:`ShopRefused` (the shop said no: a 4xx or GraphQL ``userErrors``, do
not retry) or :class:`ShopUnavailable` (still failing after the retries: the job retries).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from maillon.core.errors import MaillonError


class ChannelKind(StrEnum):
    """The platforms Maillon talks to."""

    SHOPIFY = "shopify"
    WOOCOMMERCE = "woocommerce"


class InboxKind(StrEnum):
    """What a shop sent that Maillon refused."""

    ORDER = "order"  # an order webhook with a bad field
    CANCELLATION = "cancellation"  # a cancellation of an order that had already shipped


class InboxStatus(StrEnum):
    """Where a refused webhook stands."""

    REFUSED = "refused"  # waiting for someone to fix and reprocess it
    PROCESSED = "processed"  # reprocessed (or sent again by the shop) and accepted
    DISCARDED = "discarded"  # the shop cancelled the order meanwhile: nothing to do


class PushStatus(StrEnum):
    """Where the fulfilment push of one order to its shop stands."""

    DONE = "done"
    REFUSED = "refused"


class ShopError(MaillonError):
    """A shop could not be told something (the API answers 502: the fault is upstream)."""

    status_code = 502
    code = "shop_error"


class ShopRefused(ShopError):
    """The shop answered no (a 4xx, GraphQL ``userErrors``): sending again changes nothing."""


class ShopUnavailable(ShopError):
    """The shop could not be reached or kept failing after the retries: try again later."""


@dataclass(frozen=True)
class Parcel:
    """One tracked parcel of a shipment."""

    number: str
    url: str


@dataclass(frozen=True)
class ShipmentInfo:
    """One shipment of an order as a shop shows it: the carrier and its parcels."""

    carrier: str
    parcels: tuple[Parcel, ...]


@dataclass(frozen=True)
class Fulfillment:
    """Tell the shop that its order ``shop_order_id`` (Maillon's ``order_number``) shipped."""

    shop_order_id: str
    order_number: str
    shipments: tuple[ShipmentInfo, ...]

    def __post_init__(self) -> None:
        if not self.shop_order_id:
            raise ValueError("a fulfilment needs the shop's order id")
        if not self.shipments:
            raise ValueError("a fulfilment needs at least one shipment")


@dataclass(frozen=True)
class FulfillmentResult:
    """What the shop recorded: its fulfilment's id (or note's), or that it was already done."""

    remote_id: str
    already_done: bool = False


@dataclass(frozen=True)
class StockLevel:
    """Units available to sell for ``sku`` at the shop's ``location`` ("" = the shop's one)."""

    sku: str
    quantity: int
    location: str = ""


@dataclass(frozen=True)
class StockPushResult:
    """SKUs set in the shop, and those it does not sell (no product with that SKU)."""

    updated: tuple[str, ...]
    unknown: tuple[str, ...]


class ShopClient(Protocol):
    """One shop's API, as Maillon uses it."""

    def push_fulfillment(self, fulfillment: Fulfillment) -> FulfillmentResult:
        """Mark the order shipped with its tracking; done already is a success."""
        ...

    def push_stock(self, levels: list[StockLevel]) -> StockPushResult:
        """Set each SKU's available quantity in the shop."""
        ...

    def fetch_stock(self, skus: list[str]) -> dict[str, int | None]:
        """Return the shop's available quantity per SKU (None: the shop has no such SKU)."""
        ...

    def close(self) -> None:
        """Let go of the connections."""
        ...


def tracking_url(template: str, number: str) -> str:
    """Return a carrier's tracking page for ``number`` (``{tracking}`` in the template, else
    the number appended; no template, no link)."""
    if not template:
        return ""
    return template.replace("{tracking}", number) if "{tracking}" in template else template + number
