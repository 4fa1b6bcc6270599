"""UPS (REST APIs, OAuth client credentials): shipments, voids, tracking, returns and rates.

Through karrio's ``ups`` mapper (request bodies and parsing) and our transport
(:mod:`.transport`): ``POST /security/v1/oauth/token`` first (HTTP Basic ``client_id:
client_secret``, ``grant_type=client_credentials``; the token is kept until it expires), then
``Bearer`` calls to ``/api/shipments/v2409/ship`` (also returns, with a return service),
``/api/shipments/v2409/void/cancel/{id}``, ``/api/track/v1/details/{number}`` and
``/api/rating/v2409/Shop``. Weights go in kilograms.

UPS Access Point search is our own client on UPS's Locator API (karrio's ``ups`` has no
locator): ``POST /api/locations/v3/search/availabilities/64`` (request option 64: Access
Point locations) around the postcode and town, distances in kilometres; a point's id is its
``PublicAccessPointID``, what a shipment to an Access Point names.

Credentials: ``client_id``, ``client_secret``, ``account_number``. Options: ``timeout``,
``retries``, ``backoff`` (:func:`.transport.settings_of`).
"""

from __future__ import annotations

import base64
import json
import time
import uuid
import warnings
from collections.abc import Mapping
from typing import Any

from maillon.core.errors import FieldError, NotFound, ValidationError
from maillon.shipping.carriers import (
    AccountMode,
    BaseGateway,
    Capability,
    CarrierAccount,
    CarrierEvent,
    CarrierQuote,
    CarrierRelayPoint,
    CarrierUnavailable,
    CreatedShipment,
    LabelFormat,
    ShipmentRequest,
)
from maillon.shipping.connectors import karrio_bridge as kb
from maillon.shipping.connectors import register
from maillon.shipping.connectors.transport import CarrierHttp, Reply, refused, settings_of
from maillon.shipping.model import TrackingStatus

with warnings.catch_warnings():  # karrio imports PyPDF2, which warns it is deprecated
    warnings.filterwarnings("ignore", "PyPDF2", DeprecationWarning)
    import karrio.core.models as km
    import karrio.lib as klib
    from karrio.mappers.ups import Mapper, Settings


__all__ = ["ERROR_FIELDS", "EVENT_STATUS", "SERVICES", "UpsGateway"]

SERVICES: Mapping[str, str] = {
    "standard": "ups_standard",
    "express_saver": "ups_worldwide_saver",
    "express": "ups_worldwide_express",
    "expedited": "ups_worldwide_expedited",
}
"""Maillon's UPS service codes to karrio's."""

EVENT_STATUS: Mapping[str, TrackingStatus] = {
    "MP": TrackingStatus.LABEL_CREATED,  # order processed: ready for UPS
    "OR": TrackingStatus.PICKED_UP,  # origin scan
    "XD": TrackingStatus.PICKED_UP,  # picked up
    "AR": TrackingStatus.IN_TRANSIT,  # arrival scan
    "DP": TrackingStatus.IN_TRANSIT,  # departure scan
    "IT": TrackingStatus.IN_TRANSIT,
    "OT": TrackingStatus.OUT_FOR_DELIVERY,  # out for delivery today
    "OF": TrackingStatus.OUT_FOR_DELIVERY,
    "KB": TrackingStatus.DELIVERED,  # delivered
    "FS": TrackingStatus.DELIVERED,  # delivered (front door)
    "ZP": TrackingStatus.DELIVERED,  # delivered to Access Point
    "2Q": TrackingStatus.OUT_FOR_DELIVERY,  # waiting at Access Point for pick-up
    "X": TrackingStatus.EXCEPTION,
    "48": TrackingStatus.EXCEPTION,  # delivery attempted
    "RS": TrackingStatus.RETURNED,  # returned to shipper
}
"""UPS activity status codes (``activity.status.code``) to our statuses."""

ERROR_FIELDS: Mapping[str, str] = {
    "120802": "recipient.postcode",  # the postal code is invalid
    "120206": "recipient.postcode",
    "120100": "recipient.lines",
    "120108": "recipient.country",
    "120207": "recipient.phone",
    "121210": "service",  # the service is not available to this destination
    "111057": "service",
    "120540": "weight_g",  # the weight exceeds the service's limit
    "190102": "tracking_number",  # no void possible for this shipment
}
"""UPS error codes to our fields (the text is read when a code is not here)."""

LOCATOR = "/api/locations/v3/search/availabilities/64"
LOCALES: Mapping[str, str] = {"FR": "fr_FR", "BE": "fr_FR", "DE": "de_DE", "ES": "es_ES"}

LIVE = "https://onlinetools.ups.com"
SANDBOX = "https://wwwcie.ups.com"


class UpsGateway(BaseGateway):
    """The UPS connector (see the module docstring). Raises ValueError for a rate-card-only
    account (nothing to call)."""

    capabilities = frozenset(
        {
            Capability.CREATE,
            Capability.CANCEL,
            Capability.TRACK,
            Capability.RETURN_LABEL,
            Capability.ZPL,
            Capability.RATES,
            Capability.RELAY_SEARCH,
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
            account_number=creds.get("account_number", ""),
            account_country_code=account.options.get("country", "FR"),
            test_mode=account.mode is AccountMode.SANDBOX,
        )
        self.mapper = Mapper(self.settings)
        base = account.base_url or (SANDBOX if self.settings.test_mode else LIVE)
        self.http = http or CarrierHttp(account.carrier, base, settings_of(account))
        self._token: tuple[str, float] | None = None

    @property
    def code(self) -> str:
        """The carrier code."""
        return self.account.carrier

    # ----------------------------------------------------------------- calls

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Register the parcel at UPS; return its tracking number and label."""
        return self._ship(request, is_return=False)

    def create_return(self, request: ShipmentRequest) -> CreatedShipment:
        """Issue a UPS Print Return Label (return service 9) for the customer."""
        return self._ship(request, is_return=True)

    def cancel(self, tracking_number: str) -> None:
        """Void the shipment. Raises NotFound, or ValidationError when UPS refuses."""
        payload = km.ShipmentCancelRequest(shipment_identifier=tracking_number)
        body = self.mapper.create_cancel_shipment_request(payload).serialize()
        number = body.get("shipmentidentificationnumber", tracking_number)
        reply = self._call("DELETE", f"/api/shipments/v2409/void/cancel/{number}")
        if reply.status == 404:
            raise NotFound("parcel", tracking_number, field="tracking_number")
        _, messages = kb.parse(self.mapper.parse_cancel_shipment_response, reply.text, xml=False)
        kb.raise_errors(self.code, messages, ERROR_FIELDS)

    def fetch_events(self, tracking_number: str) -> tuple[CarrierEvent, ...]:
        """Return the parcel's events, oldest first. Raises NotFound."""
        reply = self._call(
            "GET",
            f"/api/track/v1/details/{tracking_number}",
            params={"locale": "en_US", "returnSignature": "true"},
            extra={"transId": uuid.uuid4().hex, "transactionSrc": "maillon"},
        )
        if reply.status == 404:
            raise NotFound("parcel", tracking_number, field="tracking_number")
        details, _ = self._tracking(tracking_number, reply)
        if not details:
            raise NotFound("parcel", tracking_number, field="tracking_number")
        return kb.events(tracking_number, details[0], EVENT_STATUS, zone="UTC")

    def quote(self, request: ShipmentRequest) -> tuple[CarrierQuote, ...]:
        """Return UPS's prices for the parcel (Shop: every service), in cents."""
        payload = km.RateRequest(
            shipper=kb.address(request.sender),
            recipient=kb.address(request.recipient),
            parcels=[kb.parcel(request)],
        )
        serial = self.mapper.create_rate_request(payload)
        reply = self._call(
            "POST",
            "/api/rating/v2409/Shop",
            params={"additionalinfo": "timeintransit"},
            json_body=serial.serialize(),
        )
        rates, messages = kb.parse(
            self.mapper.parse_rate_response, reply.text, xml=False, ctx=serial.ctx
        )
        kb.raise_errors(self.code, messages, ERROR_FIELDS)
        ours = {v: k for k, v in SERVICES.items()}
        return tuple(
            CarrierQuote(
                carrier=self.code,
                service=ours.get(_zoneless(r.service), r.service),
                price_cents=round(float(r.total_charge) * 100),
                currency=r.currency or "EUR",
                transit_days=r.transit_days,
            )
            for r in rates
        )

    def find_relay_points(
        self, *, postcode: str, city: str, country: str, limit: int = 10
    ) -> tuple[CarrierRelayPoint, ...]:
        """Return the UPS Access Points nearest the town, nearest first (Locator API)."""
        body = {
            "LocatorRequest": {
                "Request": {"RequestAction": "Locator", "RequestOption": "64"},
                "OriginAddress": {
                    "AddressKeyFormat": {
                        "PoliticalDivision2": city,
                        "PostcodePrimaryLow": postcode,
                        "CountryCode": country,
                    },
                },
                "Translate": {"Locale": LOCALES.get(country, "en_US")},
                "UnitOfMeasurement": {"Code": "KM"},
                "LocationSearchCriteria": {
                    "MaximumListSize": str(limit),
                    "SearchRadius": self.account.options.get("relay_radius_km", "15"),
                    "AccessPointSearch": {"AccessPointStatus": "01"},  # active points only
                },
            }
        }
        reply = self._call("POST", LOCATOR, json_body=body)
        data = reply.json() or {}
        if not reply.ok:
            errors = (data.get("response") or {}).get("errors") or []
            codes = {**ERROR_FIELDS, "350101": "recipient.postcode", "350104": "recipient.city"}
            raise refused(
                self.code,
                [(str(e.get("code", "")), str(e.get("message", ""))) for e in errors],
                codes,
            )
        results = (data.get("LocatorResponse") or {}).get("SearchResults") or {}
        points = [_access_point(self.code, d) for d in _listed(results.get("DropLocation"))]
        points.sort(key=lambda p: p.distance_m if p.distance_m is not None else 10**9)
        return tuple(points[:limit])

    # ----------------------------------------------------------------- helpers

    def _tracking(self, number: str, reply: Reply) -> tuple[Any, list[Any]]:
        data = reply.json() or {}
        result: tuple[Any, list[Any]] = self.mapper.parse_tracking_response(
            klib.Deserializable([(number, data)], lambda r: r)
        )
        return result

    def _ship(self, request: ShipmentRequest, *, is_return: bool) -> CreatedShipment:
        service = SERVICES.get(request.service)
        if service is None:
            known = ", ".join(sorted(SERVICES))
            raise ValidationError(FieldError("service", f"UPS offers {known}"))
        zpl = self.account.label_format is LabelFormat.ZPL
        options: dict[str, Any] = (
            {"ups_return_service": "ups_print_return_label"} if is_return else {}
        )
        payload = kb.shipment_payload(
            request,
            service=service,
            label_type="ZPL" if zpl else "PDF",
            options=options,
            is_return=is_return,
        )
        build = (
            self.mapper.create_return_shipment_request
            if is_return
            else self.mapper.create_shipment_request
        )
        serial = build(payload)
        body = _without_unknown_dimensions(serial.serialize())
        reply = self._call("POST", "/api/shipments/v2409/ship", json_body=body)
        details, messages = kb.parse(
            self.mapper.parse_shipment_response, reply.text, xml=False, ctx=serial.ctx
        )
        kb.raise_errors(self.code, messages, ERROR_FIELDS, sender=is_return)
        if details is None:
            raise kb.unavailable_on_garbage(self.code, reply.text)
        label = kb.b64(details.docs.label)
        return CreatedShipment(
            carrier=self.code,
            tracking_number=details.tracking_number,
            label_pdf=b"" if zpl else label,
            label_zpl=label if zpl else b"",
            carrier_reference=details.shipment_identifier or "",
        )

    def _bearer(self) -> str:
        if self._token and self._token[1] > time.monotonic():
            return self._token[0]
        pair = f"{self.settings.client_id}:{self.settings.client_secret}".encode()
        reply = self.http.send(
            "POST",
            "/security/v1/oauth/token",
            data={"grant_type": "client_credentials"},
            headers={
                "Authorization": "Basic " + base64.b64encode(pair).decode("ascii"),
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        body = reply.json() or {}
        token = body.get("access_token") if reply.ok else None
        if not token:
            message = body.get("response", {}).get("errors", [{}])[0].get("message", "refused")
            raise ValidationError(FieldError("credentials.client_id", f"UPS: {message}"))
        lifetime = float(body.get("expires_in") or 0)
        self._token = (str(token), time.monotonic() + max(lifetime - 60, 0))
        return str(token)

    def _call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> Reply:
        headers = {
            "Authorization": f"Bearer {self._bearer()}",
            "Content-Type": "application/json",
            **(extra or {}),
        }
        content = None if json_body is None else json.dumps(json_body)
        reply = self.http.send(method, path, content=content, params=params, headers=headers)
        if reply.status == 401:  # the token was revoked early: one new one, once
            self._token = None
            headers["Authorization"] = f"Bearer {self._bearer()}"
            reply = self.http.send(method, path, content=content, params=params, headers=headers)
        if reply.status == 401:
            raise CarrierUnavailable(self.code, "the access token is refused")
        return reply


def _listed(value: Any) -> list[Any]:
    """UPS sends one item as an object and several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _access_point(carrier: str, drop: Mapping[str, Any]) -> CarrierRelayPoint:
    address = drop.get("AddressKeyFormat") or {}
    lines = _listed(address.get("AddressLine"))
    geocode = drop.get("Geocode") or {}
    distance = drop.get("Distance") or {}
    unit = ((distance.get("UnitOfMeasurement") or {}).get("Code") or "KM").upper()
    metres = float(distance.get("Value") or 0) * (1609.344 if unit == "MI" else 1000)
    info = drop.get("AccessPointInformation") or {}
    return CarrierRelayPoint(
        carrier=carrier,
        point_id=str(info.get("PublicAccessPointID") or drop.get("LocationID") or ""),
        name=str(address.get("ConsigneeName") or ""),
        line1=" ".join(str(x) for x in lines),
        postcode=str(address.get("PostcodePrimaryLow") or ""),
        city=str(address.get("PoliticalDivision2") or ""),
        country=str(address.get("CountryCode") or ""),
        lat=float(geocode["Latitude"]) if geocode.get("Latitude") else None,
        lon=float(geocode["Longitude"]) if geocode.get("Longitude") else None,
        kind="locker" if "locker" in str(info.get("AccessPointType", "")).lower() else "relay",
        opening_hours=str(drop.get("StandardHoursOfOperation") or ""),
        distance_m=round(metres) if distance.get("Value") else None,
    )


def _zoneless(service: str) -> str:
    """karrio names a service after the origin's zone (``ups_standard_eu``): drop it."""
    head, _, zone = service.rpartition("_")
    return head if zone in {"eu", "ca", "mx", "pl", "us"} and head else service


def _without_unknown_dimensions(body: Any) -> Any:
    """Drop the packages' ``Dimensions`` karrio fills with ``"None"`` when a parcel has no
    sizes (UPS rejects them; our request carries the weight only)."""
    shipment = body.get("ShipmentRequest", {}).get("Shipment", {})
    for package in shipment.get("Package", []) or []:
        if "None" in (package.get("Dimensions") or {}).values():
            package.pop("Dimensions")
    return body


register(
    "ups",
    "UPS",
    UpsGateway,
    required_credentials=("client_id", "client_secret", "account_number"),
    capabilities=UpsGateway.capabilities,
)
