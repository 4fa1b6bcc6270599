"""Mondial Relay: our own client of its documented APIs (karrio has no Mondial Relay package).

Which API for which call (see :mod:`~maillon.shipping.connectors.mondial_relay_xml`):

=================  ==========================================================================
create shipment    API Connect ``POST /api/shipment``: delivery ``24R`` (Point Relais, lockers
                   included: a locker is a point number like any other), ``24L`` (XL) or
                   ``HOM`` (home); collection ``CCC`` (picked up at the merchant) unless the
                   account's ``collection_mode`` option says otherwise. Label: ``PdfUrl``
                   (fetched) or, for a ZPL account, ``ZplCode`` (``Generic_ZPL_10x15_200dpi``).
return label       API Connect: collection ``REL`` (the customer drops the parcel at a Point
                   Relais: ``request.relay_point`` if chosen), delivery ``LCC`` (to the
                   merchant: ``request.recipient``).
relay search       SOAP ``WSI4_PointRelais_Recherche`` by postcode (Connect has no search).
tracking           SOAP ``WSI2_TracingColisDetaille`` (French labels mapped to our statuses).
cancel             Neither API cancels: Mondial Relay bills a parcel once its network scans
                   it, so an unscanned label is void. :meth:`cancel` asks the tracking: only
                   recorded (``STAT`` 80) → nothing to do; scanned → Conflict.
rates              Not offered by either API (rate card).
=================  ==========================================================================

Credentials: ``enseigne`` (brand code, also Connect's ``CustomerId``) and ``private_key``
(SOAP signature), ``login`` and ``password`` (API Connect). ``base_url`` replaces both hosts
(a local server in tests: ``{base_url}/api/shipment`` and ``{base_url}/Web_Services.asmx``).

Errors: numbered refusals become ValidationError naming our field (``postcode``,
``relay_point``, ``recipient.postcode``, ``credentials.private_key``...); time-outs, 5xx and
their own failures are retried ``attempts`` times with a doubling wait, then
CarrierUnavailable; a 429 is CarrierUnavailable at once with its ``Retry-After``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from maillon.core.errors import Conflict, FieldError, NotFound, ValidationError
from maillon.shipping.carriers import (
    AccountMode,
    BaseGateway,
    Capability,
    CarrierAccount,
    CarrierEvent,
    CarrierRelayPoint,
    CarrierUnavailable,
    CreatedShipment,
    LabelFormat,
    ShipmentRequest,
)
from maillon.shipping.connectors import mondial_relay_xml as mr
from maillon.shipping.connectors import register
from maillon.shipping.connectors.transport import settings_of, shared_client

NAME = "mondial_relay"
SOAP_URL = "https://api.mondialrelay.com/Web_Services.asmx"
CONNECT_URLS = {
    AccountMode.SANDBOX: "https://connect-api-sandbox.mondialrelay.com/api/shipment",
    AccountMode.LIVE: "https://connect-api.mondialrelay.com/api/shipment",
}
REQUIRED = ("enseigne", "private_key", "login", "password")
CAPABILITIES = frozenset(
    {
        Capability.CREATE,
        Capability.CANCEL,
        Capability.TRACK,
        Capability.RELAY_SEARCH,
        Capability.RETURN_LABEL,
        Capability.ZPL,
    }
)
ZPL_FORMAT = "Generic_ZPL_10x15_200dpi"
MAX_RESULTS = 30  # WSI4's NombreResultats maximum


class MondialRelayGateway(BaseGateway):
    """The Mondial Relay connector of one account.

    ``client`` is the HTTP client (default: the process's shared one); ``attempts`` tries per
    call on time-outs and 5xx, waiting ``backoff`` seconds doubling between them through
    ``sleep``; ``timeout`` per request in seconds. Raises ValueError for ``attempts`` < 1.
    """

    capabilities = CAPABILITIES

    def __init__(
        self,
        account: CarrierAccount,
        *,
        client: httpx.Client | None = None,
        attempts: int = 3,
        backoff: float = 0.5,
        timeout: float = 15.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError(f"attempts {attempts} < 1 not understood.")
        self.account = account
        self._client = client or shared_client()
        self._attempts = attempts
        self._backoff = backoff
        self._timeout = timeout
        self._sleep = sleep
        base = (account.base_url or "").rstrip("/")
        self.soap_url = f"{base}/Web_Services.asmx" if base else SOAP_URL
        self.connect_url = (
            f"{base}/api/shipment"
            if base
            else CONNECT_URLS.get(account.mode, CONNECT_URLS[AccountMode.SANDBOX])
        )

    @property
    def code(self) -> str:
        """The carrier code."""
        return self.account.carrier

    def _credential(self, key: str) -> str:
        return self.account.credentials.get(key, "")

    # ------------------------------------------------------------------ transport

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send, retrying time-outs and 5xx; return the first other answer.

        Raises CarrierUnavailable after ``attempts`` failures or on a 429.
        """
        failures = 0
        while True:
            try:
                response = self._client.request(method, url, timeout=self._timeout, **kwargs)
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__} on {url}"
            else:
                if response.status_code == 429:
                    wait = response.headers.get("Retry-After", "")
                    raise CarrierUnavailable(
                        self.code,
                        "rate limited (429)",
                        retry_after=float(wait) if wait.replace(".", "", 1).isdigit() else None,
                    )
                if response.status_code < 500:
                    return response
                problem = f"HTTP {response.status_code} on {url}"
            failures += 1
            if failures >= self._attempts:
                raise CarrierUnavailable(self.code, f"{problem} after {failures} tries")
            self._sleep(self._backoff * 2 ** (failures - 1))

    def _call(self, attempt: Callable[[], Any]) -> Any:
        """Run ``attempt`` (one request and its reading), retrying the carrier's own failures
        (SOAP faults, unreadable answers, their outage codes); a refusal becomes a
        ValidationError naming our field, or NotFound for an unknown parcel."""
        failures = 0
        while True:
            try:
                return attempt()
            except mr.MondialRelayError as exc:
                if not exc.retryable:
                    if exc.field == "tracking_number":
                        raise NotFound("parcel", exc.message, field="tracking_number") from None
                    raise ValidationError(exc.field_error()) from None
                failures += 1
                if failures >= self._attempts:
                    raise CarrierUnavailable(self.code, f"{exc} after {failures} tries") from None
                self._sleep(self._backoff * 2 ** (failures - 1))

    def _soap(self, method: str, names: tuple[str, ...], params: dict[str, str]) -> Any:
        body = mr.soap_envelope(method, mr.signed(names, params, self._credential("private_key")))

        def attempt() -> Any:
            response = self._send(
                "POST",
                self.soap_url,
                content=body,
                headers={
                    "Content-Type": "text/xml; charset=utf-8",
                    "SOAPAction": f'"{mr.soap_action(method)}"',
                },
            )
            return mr.soap_result(response.content, method)

        return self._call(attempt)

    # ------------------------------------------------------------------ shipments

    def _create(self, shipment: mr.ConnectShipment, *, side: str) -> CreatedShipment:
        zpl = self.account.label_format is LabelFormat.ZPL
        body = mr.connect_request(
            login=self._credential("login"),
            password=self._credential("password"),
            customer_id=self._credential("enseigne"),
            output_type="ZplCode" if zpl else "PdfUrl",
            output_format=ZPL_FORMAT if zpl else self.account.options.get("pdf_format", "10x15"),
            shipment=shipment,
            culture=self.account.options.get("culture", "fr-FR"),
        )

        def attempt() -> mr.ConnectLabel:
            response = self._send(
                "POST",
                self.connect_url,
                content=body,
                headers={"Accept": "application/xml", "Content-Type": "text/xml"},
            )
            if response.status_code in (401, 403):
                raise mr.MondialRelayError(
                    str(response.status_code),
                    "login or password refused",
                    field="credentials.login",
                    retryable=False,
                )
            return mr.parse_connect(response.content, side=side)

        label: mr.ConnectLabel = self._call(attempt)
        if zpl:
            zpl_bytes = self._call(lambda: mr.decode_zpl(label.output))
            return CreatedShipment(self.code, label.shipment_number, b"", zpl_bytes)
        return CreatedShipment(self.code, label.shipment_number, self._pdf(label.output))

    def _pdf(self, url: str) -> bytes:
        def attempt() -> bytes:
            response = self._send("GET", url)
            if response.status_code != 200 or not response.content.startswith(b"%PDF"):
                raise mr.MondialRelayError(
                    "pdf", f"no PDF at {url} (HTTP {response.status_code})", field=None,
                    retryable=True,
                )  # fmt: skip
            return response.content

        result: bytes = self._call(attempt)
        return result

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Register the parcel at Mondial Relay; return its shipment number and label.

        Raises ValidationError naming ``service``, ``relay_point`` or the refused field,
        CarrierUnavailable.
        """
        request.label(carrier="Mondial Relay", tracking_number="0")  # our own field checks
        mode = mr.SERVICE_MODES.get(request.service)
        if mode is None:
            known = ", ".join(sorted(mr.SERVICE_MODES))
            raise ValidationError(
                FieldError("service", f"{request.service!r} is not a Mondial Relay service "
                              f"(known: {known})")
            )  # fmt: skip
        if mode in mr.RELAY_MODES:
            self._check_point(request.relay_point)
            where = mr.location(request.recipient.country, request.relay_point or "")
        elif request.relay_point:
            raise ValidationError(
                FieldError("relay_point", f"a {mode} delivery goes home: no relay point")
            )
        else:
            where = ""
        collection = self.account.options.get("collection_mode", "CCC")
        shipment = mr.ConnectShipment(
            delivery_mode=mode,
            delivery_location=where,
            collection_mode=collection,
            collection_location=self.account.options.get("collection_location", ""),
            weight_g=max(request.weight_g, 10),
            parcel_count=request.parcel_count,
            order_no=request.order_reference,
            sender=request.sender,
            recipient=request.recipient,
        )
        return self._create(shipment, side="recipient")

    def create_return(self, request: ShipmentRequest) -> CreatedShipment:
        """Issue a return label: the customer (``request.sender``) drops the parcel at a
        Point Relais (``request.relay_point`` when chosen), delivered to the merchant.

        Raises ValidationError naming the refused field, CarrierUnavailable.
        """
        request.label(carrier="Mondial Relay", tracking_number="0")
        if request.relay_point:
            self._check_point(request.relay_point)
        shipment = mr.ConnectShipment(
            delivery_mode="LCC",
            delivery_location="",
            collection_mode="REL",
            collection_location=(
                mr.location(request.sender.country, request.relay_point)
                if request.relay_point
                else ""
            ),
            weight_g=max(request.weight_g, 10),
            parcel_count=1,
            order_no=request.order_reference,
            sender=request.sender,
            recipient=request.recipient,
        )
        return self._create(shipment, side="sender")

    @staticmethod
    def _check_point(point_id: str | None) -> None:
        if not point_id:
            raise ValidationError(
                FieldError("relay_point", "a relay delivery needs the chosen relay point")
            )
        if not mr.POINT_ID.match(point_id):
            raise ValidationError(
                FieldError("relay_point", f"{point_id!r} is not a Mondial Relay point (six digits)")
            )

    # ------------------------------------------------------------------ tracking

    def fetch_events(self, tracking_number: str) -> tuple[CarrierEvent, ...]:
        """Return the parcel's events, oldest first. Raises NotFound, CarrierUnavailable."""
        result = self._tracing(tracking_number)
        return mr.parse_tracing(result, tracking_number)

    def _tracing(self, tracking_number: str) -> Any:
        params = {
            "Enseigne": self._credential("enseigne"),
            "Expedition": tracking_number,
            "Langue": "FR",
        }
        return self._soap("WSI2_TracingColisDetaille", mr.TRACING_PARAMS, params)

    def cancel(self, tracking_number: str) -> None:
        """Nothing to undo while Mondial Relay has not scanned the parcel (an unscanned label
        is never billed). Raises NotFound, Conflict once scanned, CarrierUnavailable."""
        result = self._tracing(tracking_number)
        if mr.tracing_stat(result) != "80":
            raise Conflict(
                f"parcel {tracking_number} is already in Mondial Relay's network: "
                "it cannot be cancelled"
            )

    # ------------------------------------------------------------------ relay points

    def find_relay_points(
        self, *, postcode: str, city: str, country: str, limit: int = 10
    ) -> tuple[CarrierRelayPoint, ...]:
        """Return up to ``limit`` (at most 30) Points Relais and lockers near the postcode,
        nearest first. Raises ValidationError naming ``postcode``/``country``,
        CarrierUnavailable."""
        params = {
            "Enseigne": self._credential("enseigne"),
            "Pays": country.upper(),
            "CP": postcode.strip(),
            "Action": self.account.options.get("search_action", "24R"),
            "RayonRecherche": self.account.options.get("search_radius_km", "20"),
            "NombreResultats": str(max(1, min(limit, MAX_RESULTS))),
        }
        result = self._soap("WSI4_PointRelais_Recherche", mr.SEARCH_PARAMS, params)
        return mr.parse_points(result, carrier=self.code)[:limit]


def build(account: CarrierAccount) -> MondialRelayGateway:
    """Return the connector of ``account``, with its ``timeout``, ``retries`` and ``backoff``
    options as the other connectors read them. Raises ValidationError for unreadable ones."""
    settings = settings_of(account)
    return MondialRelayGateway(
        account,
        attempts=settings.retries + 1,
        backoff=settings.backoff,
        timeout=settings.timeout,
    )


register(
    NAME,
    "Mondial Relay",
    build,
    required_credentials=REQUIRED,
    capabilities=CAPABILITIES,
)
