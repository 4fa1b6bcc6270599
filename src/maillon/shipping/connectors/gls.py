"""GLS (ShipIT Farm REST, Track and Trace, ParcelShop finder): shipments, returns, cancel,
tracking and ParcelShop search.

* create and return: karrio's ``gls`` mapper builds the ShipIT ``ShipmentRequest`` (PascalCase
  ``Shipment``, ``Consignee``, ``Shipper.ContactID``, ``ShipmentUnit`` weights in kilograms),
  sent by our transport to ``/shipit-farm/v1/backend/rs/shipments`` with a ``Bearer`` token
  from ``/oauth2/v2/token`` (HTTP Basic ``client_id:client_secret``). Karrio drops the options
  that matter here, so we add them to its body: a ParcelShop parcel's ``ShopDelivery`` service
  with its ``ParcelShopID``, a return's ``ShopReturn`` service, the ZPL printing options
  (``LabelFormat=ZEBRA``, ``TemplateSet=ZPL_200``; karrio would send ``ZPL``, which ShipIT does
  not know), and the second street line in ``Name3`` (karrio puts it in ``StreetNumber``).
  Karrio also sends ``Product=PARCEL`` whatever the service (it reads the service name as a
  list of letters), so the product is set from :data:`SERVICES`.
  The answer (``CreatedShipment.ParcelData[].TrackID``, ``PrintData[].Data``) is read by us:
  karrio's parser expects ``shipmentId``/``trackingNumbers`` fields ShipIT does not send.
* cancel: ``POST .../rs/shipments/cancel/{TrackID}`` (karrio's proxy knows the path, its mapper
  has no cancel). ``result`` ``CANCELLED`` or ``CANCELLATION_PENDING`` is done, ``SCANNED``
  means GLS has the parcel (Conflict).
* tracking: ``GET /track-and-trace-v1/tracking/simple/trackids/{TrackID}``, read by us so the
  events keep their UTC offset (karrio's parser drops it).
* ParcelShop search: GLS's ParcelShop finder (``wsShopFinder.asmx/GetParcelShopDropPoint``, no
  credentials), our own client; karrio has none.

ShipIT errors come as HTTP 4xx with ``error`` and ``message`` headers (or a JSON ``errors``
list): each names our field (:data:`ERROR_FIELDS`, then the message's words).

Credentials: ``client_id``, ``client_secret``, ``contact_id``. Options: ``timeout``,
``retries``, ``backoff``.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree as ET

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
from maillon.shipping.connectors import karrio_bridge as kb
from maillon.shipping.connectors import register
from maillon.shipping.connectors import soapxml as sx
from maillon.shipping.connectors.transport import CarrierHttp, Reply, refused, settings_of
from maillon.shipping.connectors.wording import status_from_text
from maillon.shipping.model import TrackingStatus

with warnings.catch_warnings():  # karrio imports PyPDF2, which warns it is deprecated
    warnings.filterwarnings("ignore", "PyPDF2", DeprecationWarning)
    from karrio.mappers.gls import Mapper, Settings
    from karrio.providers.gls.units import ShippingService

__all__ = ["ERROR_FIELDS", "EVENT_STATUS", "SERVICES", "GlsGateway"]

log = logging.getLogger(__name__)

SHIPMENTS = "/shipit-farm/v1/backend/rs/shipments"
TRACKING = "/track-and-trace-v1/tracking/simple/trackids/"
TOKEN = "/oauth2/v2/token"
SHOP_FINDER = "https://www.gls.dk/webservices_v4/wsShopFinder.asmx/GetParcelShopDropPoint"
SHOP_FINDER_PATH = "/webservices_v4/wsShopFinder.asmx/GetParcelShopDropPoint"

SERVICES: Mapping[str, str] = {
    "business_parcel": "gls_business_parcel",
    "parcel": "gls_parcel",
    "euro_business_parcel": "gls_euro_business_parcel",
    "express": "gls_express",
    "relais": "gls_parcel",
    "shop_delivery": "gls_parcel",
}
"""Maillon's GLS service codes to karrio's (the ShipIT ``Product``)."""

RELAY_SERVICES = frozenset({"relais", "shop_delivery"})

EVENT_STATUS: Mapping[str, TrackingStatus] = {
    "PREADVICE": TrackingStatus.LABEL_CREATED,
    "PLANNEDPICKUP": TrackingStatus.LABEL_CREATED,
    "INPICKUP": TrackingStatus.PICKED_UP,
    "INTRANSIT": TrackingStatus.IN_TRANSIT,
    "INWAREHOUSE": TrackingStatus.IN_TRANSIT,
    "INDELIVERY": TrackingStatus.OUT_FOR_DELIVERY,
    "DELIVEREDPS": TrackingStatus.OUT_FOR_DELIVERY,  # waiting in the ParcelShop
    "DELIVERED": TrackingStatus.DELIVERED,
    "FINAL": TrackingStatus.DELIVERED,
    "NOTDELIVERED": TrackingStatus.EXCEPTION,
    "NOTPICKEDUP": TrackingStatus.EXCEPTION,
    "RETURNED": TrackingStatus.RETURNED,
}
"""GLS Track and Trace event codes to our statuses (a code not here is read from its
``description``)."""

ERROR_FIELDS: Mapping[str, str] = {
    "E_INVALID_CONSIGNEE_ZIPCODE": "recipient.postcode",
    "E_INVALID_SHIPPER_ZIPCODE": "sender.postcode",
    "E_INVALID_PARCELSHOP_ID": "relay_point",
    "E_WEIGHT_EXCEEDED": "weight_g",
    "E_INVALID_CONTACT_ID": "credentials.contact_id",
    "E_PRODUCT_NOT_ALLOWED": "service",
}
"""ShipIT ``error`` codes to our fields (the message's words when a code is not here)."""

LIVE = "https://api.gls-group.net"
SANDBOX = "https://api-sandbox.gls-group.net"
JSON_TYPE = "application/glsVersion1+json"


class GlsGateway(BaseGateway):
    """The GLS connector (see the module docstring)."""

    capabilities = frozenset(
        {
            Capability.CREATE,
            Capability.CANCEL,
            Capability.TRACK,
            Capability.RELAY_SEARCH,
            Capability.RETURN_LABEL,
            Capability.ZPL,
        }
    )

    def __init__(self, account: CarrierAccount, *, http: CarrierHttp | None = None) -> None:
        if account.mode is AccountMode.RATE_CARD:
            raise ValueError("a rate-card account has no API to call.")
        self.account = account
        creds = account.credentials
        self.settings = Settings(
            client_id=creds.get("client_id", ""),
            client_secret=creds.get("client_secret", ""),
            contact_id=creds.get("contact_id", ""),
            test_mode=account.mode is AccountMode.SANDBOX,
        )
        self.mapper = Mapper(self.settings)
        base = account.base_url or (SANDBOX if self.settings.test_mode else LIVE)
        self.http = http or CarrierHttp(account.carrier, base, settings_of(account))
        self.shop_finder = (
            account.base_url.rstrip("/") + SHOP_FINDER_PATH if account.base_url else SHOP_FINDER
        )
        self._token: tuple[str, float] | None = None

    @property
    def code(self) -> str:
        """The carrier code."""
        return self.account.carrier

    # ----------------------------------------------------------------- calls

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Register the parcel (a ParcelShop parcel needs its shop); return number and label."""
        if request.service in RELAY_SERVICES and not request.relay_point:
            raise ValidationError(FieldError("relay_point", "GLS ShopDelivery needs a ParcelShop"))
        services: list[dict[str, Any]] = []
        if request.relay_point:
            services.append(
                {
                    "ShopDelivery": {
                        "ServiceName": "service_shopdelivery",
                        "ParcelShopID": request.relay_point,
                    }
                }
            )
        return self._ship(request, services, is_return=False)

    def create_return(self, request: ShipmentRequest) -> CreatedShipment:
        """Issue a GLS ShopReturn label: the customer drops the parcel at any ParcelShop."""
        services = [{"ShopReturn": {"ServiceName": "service_shopreturn", "NumberOfLabels": 1}}]
        return self._ship(request, services, is_return=True)

    def cancel(self, tracking_number: str) -> None:
        """Cancel the parcel. Raises NotFound, or Conflict once GLS has scanned it."""
        reply = self._call("POST", f"{SHIPMENTS}/cancel/{tracking_number}")
        if reply.status == 404:
            raise NotFound("parcel", tracking_number, field="tracking_number")
        self._raise_refusal(reply, {**ERROR_FIELDS, "E_INVALID_TRACKID": "tracking_number"})
        result = str((reply.json() or {}).get("result", ""))
        if result == "SCANNED":
            raise Conflict(f"parcel {tracking_number} is already with GLS.")
        if result not in ("CANCELLED", "CANCELLATION_PENDING"):
            raise kb.unavailable_on_garbage(self.code, reply.text)

    def fetch_events(self, tracking_number: str) -> tuple[CarrierEvent, ...]:
        """Return the parcel's events, oldest first. Raises NotFound."""
        reply = self._call("GET", TRACKING + tracking_number, accept="application/json")
        if reply.status == 404:
            raise NotFound("parcel", tracking_number, field="tracking_number")
        self._raise_refusal(reply, ERROR_FIELDS)
        parcels = (reply.json() or {}).get("parcels") or []
        if not parcels or parcels[0].get("errorCode"):
            raise NotFound("parcel", tracking_number, field="tracking_number")
        events = parcels[0].get("events") or []
        found = [e for e in (_event(tracking_number, x) for x in events) if e is not None]
        if events and not found:
            raise CarrierUnavailable(self.code, "no event of the parcel has a readable date")
        return tuple(sorted(found, key=lambda e: e.occurred_at))

    def find_relay_points(
        self, *, postcode: str, city: str, country: str, limit: int = 10
    ) -> tuple[CarrierRelayPoint, ...]:
        """Return the GLS ParcelShops nearest the town, nearest first."""
        params = {
            "street": city,  # the finder geocodes "street, zipcode": the town is our street
            "zipcode": postcode,
            "countryIso3166A2": country,
            "Amount": str(limit),
        }
        reply = self.http.send("GET", self.shop_finder, params=params)
        if not reply.ok:
            raise refused(self.code, [(str(reply.status), reply.text[:200])])
        root = sx.parse(self.code, reply.text)
        points = [_shop(self.code, node) for node in sx.all_named(root, "PakkeshopData")]
        points.sort(key=lambda p: p.distance_m if p.distance_m is not None else 10**9)
        return tuple(points[:limit])

    # ----------------------------------------------------------------- helpers

    def _ship(
        self, request: ShipmentRequest, services: list[dict[str, Any]], *, is_return: bool
    ) -> CreatedShipment:
        product = SERVICES.get(request.service)
        if product is None:
            raise ValidationError(FieldError("service", f"GLS offers {sorted(SERVICES)}"))
        zpl = self.account.label_format is LabelFormat.ZPL
        payload = kb.shipment_payload(request, service=product, label_type="PDF")
        body: dict[str, Any] = self.mapper.create_shipment_request(payload).serialize()
        shipment = body["Shipment"]
        shipment["Product"] = ShippingService[product].value  # karrio always sends PARCEL
        for party in (shipment["Consignee"], shipment["Shipper"]):
            _second_line_in_name3(party["Address"])
        if services:
            shipment["Service"] = services
        if zpl:
            body["PrintingOptions"]["ReturnLabels"] = {
                "TemplateSet": "ZPL_200",
                "LabelFormat": "ZEBRA",
            }
        reply = self._call("POST", SHIPMENTS, json_body=body)
        self._raise_refusal(reply, ERROR_FIELDS, sender=is_return)
        created = (reply.json() or {}).get("CreatedShipment") or {}
        parcels = created.get("ParcelData") or []
        prints = created.get("PrintData") or []
        if not parcels or not prints:
            raise kb.unavailable_on_garbage(self.code, reply.text)
        label = kb.b64(prints[0].get("Data"))
        return CreatedShipment(
            carrier=self.code,
            tracking_number=str(parcels[0].get("TrackID", "")),
            label_pdf=b"" if zpl else label,
            label_zpl=label if zpl else b"",
            carrier_reference=str(parcels[0].get("ParcelNumber", "")),
        )

    def _raise_refusal(
        self, reply: Reply, codes: Mapping[str, str], *, sender: bool = False
    ) -> None:
        if reply.ok:
            return
        messages: list[tuple[str, str]] = []
        if reply.headers.get("error") or reply.headers.get("message"):
            messages.append((reply.headers.get("error", ""), reply.headers.get("message", "")))
        for error in (reply.json() or {}).get("errors") or []:
            messages.append((str(error.get("code") or ""), str(error.get("message") or "")))
        if not messages:
            raise CarrierUnavailable(self.code, f"refused with {reply.status} and no reason")
        raise refused(self.code, messages, codes, sender=sender)

    def _bearer(self) -> str:
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        pair = f"{self.settings.client_id}:{self.settings.client_secret}".encode()
        reply = self.http.send(
            "POST",
            TOKEN,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")},
        )
        body = reply.json() or {}
        token = body.get("access_token") if reply.ok else None
        if not token:
            reason = body.get("error_description") or body.get("error") or "refused"
            raise ValidationError(FieldError("credentials.client_id", f"GLS: {reason}"))
        lifetime = float(body.get("expires_in") or 0)
        self._token = (str(token), time.monotonic() + max(lifetime - 60, 0))
        return str(token)

    def _call(
        self, method: str, path: str, *, json_body: Any = None, accept: str = JSON_TYPE
    ) -> Reply:
        headers = {"Authorization": f"Bearer {self._bearer()}", "Accept": accept}
        if json_body is not None:
            headers["Content-Type"] = JSON_TYPE
        content = None if json_body is None else json.dumps(json_body)
        reply = self.http.send(method, path, content=content, headers=headers)
        if reply.status == 401:  # the token was revoked early: one new one, once
            self._token = None
            headers["Authorization"] = f"Bearer {self._bearer()}"
            reply = self.http.send(method, path, content=content, headers=headers)
        if reply.status == 401:
            raise CarrierUnavailable(self.code, "the access token is refused")
        return reply


def _second_line_in_name3(address: dict[str, Any]) -> None:
    """Move karrio's ``StreetNumber`` (our second street line) to ``Name3``, the ShipIT field
    for an address complement; a house number stays in ``Street``."""
    extra = address.pop("StreetNumber", None)
    if extra:
        address["Name3"] = extra


def _event(number: str, event: Mapping[str, Any]) -> CarrierEvent | None:
    """The event; None (logged) when its time cannot be read: one bad event must not hide the
    others of the parcel."""
    code = str(event.get("code") or "")
    description = str(event.get("description") or "")
    try:
        at = _moment(str(event.get("eventDateTime") or ""))
    except ValueError as exc:
        log.warning("gls: event %r of %s skipped: %s", code, number, exc)
        return None
    where = ", ".join(
        str(x) for x in (event.get("city"), event.get("postalCode"), event.get("country")) if x
    )
    status = EVENT_STATUS.get(code) or status_from_text(description)
    return CarrierEvent(
        event_id=f"{number}:{code}:{at.isoformat()}",
        tracking_number=number,
        status=status or TrackingStatus.IN_TRANSIT,
        occurred_at=at,
        location=where,
        description=description,
    )


def _moment(value: str) -> datetime:
    """GLS times carry their offset (``2026-03-03T11:42:00+0100``)."""
    moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    return moment.astimezone(UTC)


def _float(value: str) -> float | None:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return None


def _shop(carrier: str, node: ET.Element) -> CarrierRelayPoint:
    hours = []
    for day in sx.all_named(node, "Weekday"):
        opening = sx.first(day, "openAt")
        hours.append(
            f"{sx.text(day, 'day')[:3].lower()} {sx.text(opening, 'From')}-{sx.text(opening, 'To')}"
        )
    distance = sx.text(node, "DistanceMetersAsTheCrowFlies")
    line = " ".join(x for x in (sx.text(node, "Streetname"), sx.text(node, "Streetname2")) if x)
    return CarrierRelayPoint(
        carrier=carrier,
        point_id=sx.text(node, "Number"),
        name=sx.text(node, "CompanyName"),
        line1=line,
        postcode=sx.text(node, "ZipCode"),
        city=sx.text(node, "CityName"),
        country=sx.text(node, "CountryCodeISO3166A2"),
        lat=_float(sx.text(node, "Latitude")),
        lon=_float(sx.text(node, "Longitude")),
        opening_hours="; ".join(hours),
        distance_m=int(distance) if distance.isdigit() else None,
    )


register(
    "gls",
    "GLS",
    GlsGateway,
    required_credentials=("client_id", "client_secret", "contact_id"),
    capabilities=GlsGateway.capabilities,
)
