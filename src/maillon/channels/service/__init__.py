"""Channel use cases: shops registered with the credentials Maillon answers them with, and
the one place a shop's client is made (:func:`client_for`, replaceable in tests with
:func:`use_clients`).

Incoming webhooks (orders, cancellations, the refused-order inbox) are
:mod:`maillon.channels.service.incoming`; fulfilment and stock pushes and the drift report
are :mod:`maillon.channels.service.outgoing`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.channels.model import ChannelKind, ShopClient
from maillon.channels.shopify import ShopifyClient
from maillon.channels.throttle import RetryPolicy, Sleep
from maillon.channels.woocommerce import WooCommerceClient
from maillon.core.errors import ErrorCollector, NotFound
from maillon.orders import service as orders
from maillon.orders.tables import SalesChannel

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class ShopAccess:
    """What a client needs to reach one shop (secrets never shown in a repr or a log)."""

    code: str
    kind: ChannelKind
    shop_url: str
    api_key: str = field(repr=False)
    api_secret: str = field(repr=False)
    stock_location: str = ""


def access_of(channel: SalesChannel) -> ShopAccess | None:
    """The shop's access, or None when the channel only receives webhooks."""
    if not channel.shop_url or not channel.api_secret:
        return None
    return ShopAccess(
        code=channel.code,
        kind=ChannelKind(channel.kind),
        shop_url=channel.shop_url,
        api_key=channel.api_key,
        api_secret=channel.api_secret,
        stock_location=channel.stock_location,
    )


def real_client(
    access: ShopAccess, *, policy: RetryPolicy | None = None, sleep: Sleep = time.sleep
) -> ShopClient:
    """The httpx client of the shop's platform."""
    if access.kind is ChannelKind.SHOPIFY:
        return ShopifyClient(
            access.shop_url,
            access.api_secret,
            location_id=access.stock_location,
            policy=policy,
            sleep=sleep,
        )
    return WooCommerceClient(
        access.shop_url, access.api_key, access.api_secret, policy=policy, sleep=sleep
    )


ClientFactory = Callable[[ShopAccess], ShopClient]
_factory: list[ClientFactory] = [real_client]


def use_clients(factory: ClientFactory | None) -> None:
    """Make shop clients with ``factory`` from now on (None: the real ones)."""
    _factory[:] = [factory or real_client]


def client_for(access: ShopAccess) -> ShopClient:
    """A client for the shop ``access`` reaches."""
    return _factory[0](access)


def shopify_location(value: str) -> str:
    """A Shopify location as a GraphQL id (a bare number is a location's REST id)."""
    value = value.strip()
    return f"gid://shopify/Location/{value}" if value.isdigit() else value


def _check_credentials(
    errors: ErrorCollector, kind: str, shop_url: str, api_key: str, api_secret: str, location: str
) -> None:
    if not (shop_url or api_key or api_secret or location):
        return  # a channel that only receives orders
    parts = urlsplit(shop_url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        errors.add("shop_url", "the shop's address, e.g. https://my-shop.myshopify.com")
    elif parts.scheme == "http" and parts.hostname not in LOOPBACK:
        errors.add("shop_url", "must be https:// (credentials never travel in clear)")
    if not api_secret:
        errors.add(
            "api_secret",
            "the Admin API access token" if kind == ChannelKind.SHOPIFY else "the consumer secret",
        )
    if kind == ChannelKind.WOOCOMMERCE and not api_key:
        errors.add("api_key", "the WooCommerce consumer key (ck_...)")
    if location and not location.startswith("gid://shopify/Location/"):
        errors.add("stock_location", "a Shopify location id (a number or gid://shopify/Location/…)")


def register_channel(
    *,
    session: Session,
    code: str,
    kind: str,
    webhook_secret: str,
    shop_url: str = "",
    api_key: str = "",
    api_secret: str = "",
    stock_location: str = "",
) -> SalesChannel:
    """Register a shop: the secret its webhooks are signed with and, to answer it
    (fulfilments, stock), its URL and credentials. Raises ValidationError, DuplicateError."""
    location = shopify_location(stock_location) if kind == ChannelKind.SHOPIFY else ""
    errors = ErrorCollector()
    _check_credentials(errors, kind, shop_url.strip(), api_key, api_secret, location)
    errors.raise_if_any()
    channel = orders.create_channel(
        session=session, code=code, kind=kind, webhook_secret=webhook_secret
    )
    channel.shop_url = shop_url.strip().rstrip("/")
    channel.api_key = api_key
    channel.api_secret = api_secret
    channel.stock_location = location
    return channel


def get_channel(*, session: Session, code: str) -> SalesChannel:
    """Return the channel ``code``. Raises NotFound."""
    return orders.get_channel(session=session, code=code)


def list_channels(*, session: Session) -> Sequence[SalesChannel]:
    """Every registered shop, by code."""
    return session.scalars(select(SalesChannel).order_by(SalesChannel.code)).all()


def connected_access(*, session: Session, code: str) -> ShopAccess:
    """The access of a channel Maillon can talk to. Raises NotFound (unknown channel, or
    one registered without credentials)."""
    access = access_of(get_channel(session=session, code=code))
    if access is None:
        raise NotFound("connected channel", code, field="channel")
    return access
