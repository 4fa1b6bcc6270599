"""The demo's carriers in sandbox mode: the carrier sandbox (:mod:`maillon.demo.carrier_sandbox`)
is started on 127.0.0.1, each carrier it speaks for gets a sandbox account pointing at it
(dummy credentials, :func:`maillon.shipping.service.accounts.set_account`), and the demo's
shipments go through the real connectors. The other carriers stay on their rate cards (the
console's carriers page shows each one's mode).

While the demo replays, :meth:`DemoCarriers.gateway` builds the connectors with one shared
HTTP client (a new ``httpx.Client`` costs about 0.1 s: its TLS context), and tells the sandbox
the demo's moment of shipping, so a parcel's tracking moves from the day it was shipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from maillon.core import clock
from maillon.demo.carrier_sandbox import SandboxState, start_sandbox
from maillon.shipping import connectors
from maillon.shipping import service as shipping
from maillon.shipping.carriers import CarrierAccount, CarrierGateway, LocalCarrierGateway
from maillon.shipping.connectors.chronopost import ChronopostGateway
from maillon.shipping.connectors.colissimo import ColissimoGateway
from maillon.shipping.connectors.mondial_relay import MondialRelayGateway
from maillon.shipping.connectors.transport import CarrierHttp, settings_of
from maillon.shipping.service import accounts
from maillon.shipping.tables import Carrier

__all__ = ["SANDBOX_ACCOUNTS", "DemoCarriers", "register_accounts", "start_demo_carriers"]

SANDBOX_ACCOUNTS: dict[str, tuple[str, dict[str, str]]] = {
    # carrier code → (connector, dummy credentials a sandbox account needs)
    "colissimo": (
        "colissimo",
        {"contract_number": "800000", "password": "demo-sandbox", "api_key": "demo-okapi"},
    ),
    "chronopost": ("chronopost", {"account_number": "19869502", "password": "255562"}),
    "mondial_relay": (
        "mondial_relay",
        {
            "enseigne": "BDTEST13",
            "private_key": "PrivateK",
            "login": "BDTEST@business-api.mondialrelay.com",
            "password": "demo-sandbox",
        },
    ),
}
"""The demo carriers the sandbox answers for; the others ship on their rate cards."""

OPTIONS = {"timeout": "10", "retries": "1", "backoff": "0.05"}


def register_accounts(*, session: Session, base_url: str, actor: str = "demo") -> list[str]:
    """Give every carrier of :data:`SANDBOX_ACCOUNTS` that exists a sandbox account pointing
    at ``base_url``; return their codes."""
    done = []
    for code, (connector, credentials) in SANDBOX_ACCOUNTS.items():
        if session.scalar(select(Carrier.id).where(Carrier.code == code)) is None:
            continue
        accounts.set_account(
            session=session,
            carrier_code=code,
            connector=connector,
            mode="sandbox",
            credentials=credentials,
            base_url=base_url,
            options=OPTIONS,
            actor=actor,
        )
        done.append(code)
    return done


@dataclass
class DemoCarriers:
    """The running sandbox (its URL, state and server) and the demo's shared HTTP client."""

    url: str
    state: SandboxState
    server: ThreadingHTTPServer
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))

    def connector(self, account: CarrierAccount) -> CarrierGateway:
        """The account's connector, on the shared client."""
        if account.connector == "colissimo":
            return ColissimoGateway(account, client=self.client)
        if account.connector == "chronopost":
            base = account.base_url or self.url
            http = CarrierHttp(account.carrier, base, settings_of(account), client=self.client)
            return ChronopostGateway(account, http=http)
        if account.connector == "mondial_relay":
            return MondialRelayGateway(account, client=self.client, attempts=2, backoff=0.05)
        return connectors.build(account)

    def gateway(self, carrier: Carrier) -> CarrierGateway:
        """What :func:`maillon.shipping.service.gateway_for` answers during the demo: the
        carrier's sandbox connector, else its rate card's own labels."""
        session = object_session(carrier)
        if session is None:
            raise ValueError(f"carrier {carrier.code!r} must be attached to a session")
        account = accounts.active_account(session=session, carrier=carrier)
        if account is None:
            return LocalCarrierGateway(
                code=carrier.code, name=carrier.name, tracking_prefix=carrier.tracking_prefix
            )
        self.state.shipping_at = clock.now()  # the sandbox's thread cannot see the demo clock
        return self.connector(account)

    @contextmanager
    def replaying(self) -> Iterator[None]:
        """Inside the block, :func:`maillon.shipping.service.gateway_for` answers
        :meth:`gateway`; after it, new parcels ship at the sandbox's own clock again."""
        with shipping.use_gateways(self.gateway):
            try:
                yield
            finally:
                self.state.shipping_at = None

    def close(self) -> None:
        """Stop the server and close the client."""
        self.server.shutdown()
        self.server.server_close()
        self.client.close()


def start_demo_carriers() -> DemoCarriers:
    """Start the carrier sandbox on a free port of 127.0.0.1 (its relay networks are set by
    the demo once generated)."""
    url, state, server = start_sandbox()
    return DemoCarriers(url=url, state=state, server=server)
