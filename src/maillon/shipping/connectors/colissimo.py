"""Colissimo (La Poste): labels through SLS, tracking through La Poste's Suivi API, relay
points through the points-retrait web service. Our own client on the documented APIs (httpx).

Calls, each on its documented endpoint (``account.base_url`` replaces the host part, so a
local server answers in tests):

``create_shipment``
    SLS ``POST /sls-ws/SlsServiceWSRest/2.0/generateLabel`` (contract number + password in
    the JSON body). The answer is MTOM multipart: a ``jsonInfos`` part (the parcel number, or
    the ``messages`` of type ERROR) and a ``label`` part (PDF, or ZPL when the account's
    label format is ZPL: ``outputPrintingType`` ``ZPL_10x15_203dpi``).
``create_return``
    The same call with a return product (``CORE`` in France, ``CORI`` from abroad): the
    customer is the sender, the warehouse the addressee.
``cancel``
    Colissimo has no call to void a label: a label never scanned is not charged and simply
    expires. ``cancel`` therefore does nothing (and the connector does not claim the
    ``cancel`` capability).
``fetch_events``
    La Poste Suivi v2 ``GET /suivi/v2/idships/{number}?lang=fr_FR`` with the ``X-Okapi-Key``
    header (credential ``api_key``, optional: without it the connector cannot track). Events
    are mapped to :class:`TrackingStatus` by their code; Colissimo gives them no id, so the
    id is ``<number>:<code>:<date>`` (the same on every replay).
``find_relay_points``
    ``POST /pointretrait-ws-cxf/rest/v2/pointretrait/findRDVPointRetraitAcheminement``.

Errors: an ERROR message of SLS naming an address or weight field is a ValidationError
naming our field (``recipient.postcode``, ...); wrong credentials a ValidationError on
``credentials.password``; a time-out, 5xx or 429 is retried (``options["retries"]``, 2 by
default) then :class:`CarrierUnavailable` (429: with the ``Retry-After`` asked for).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

import httpx

from maillon.core.errors import FieldError, NotFound, ValidationError
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
    Unsupported,
)
from maillon.shipping.connectors import register
from maillon.shipping.connectors.transport import shared_client
from maillon.shipping.labels import Address
from maillon.shipping.model import TrackingStatus

__all__ = ["EVENT_STATUS", "ColissimoGateway", "event_status", "parse_multipart"]

HOSTS = {
    # Colissimo has one SLS host: a "sandbox" account uses it with a test contract
    AccountMode.SANDBOX: ("https://ws.colissimo.fr", "https://api.laposte.fr"),
    AccountMode.LIVE: ("https://ws.colissimo.fr", "https://api.laposte.fr"),
}
SLS_PATH = "/sls-ws/SlsServiceWSRest/2.0/generateLabel"
RELAY_PATH = "/pointretrait-ws-cxf/rest/v2/pointretrait/findRDVPointRetraitAcheminement"
TRACK_PATH = "/suivi/v2/idships/"

EVENT_STATUS: dict[str, TrackingStatus] = {
    "DR1": TrackingStatus.LABEL_CREATED,  # déclaratif réceptionné
    "PC1": TrackingStatus.PICKED_UP,  # pris en charge
    "PC2": TrackingStatus.PICKED_UP,  # pris en charge dans le pays d'expédition
    "ET1": TrackingStatus.IN_TRANSIT,  # en cours de traitement
    "ET2": TrackingStatus.IN_TRANSIT,
    "ET3": TrackingStatus.IN_TRANSIT,
    "ET4": TrackingStatus.IN_TRANSIT,
    "EP1": TrackingStatus.IN_TRANSIT,  # en attente de présentation
    "DO1": TrackingStatus.IN_TRANSIT,  # entrée en douane
    "DO2": TrackingStatus.IN_TRANSIT,  # sortie de douane
    "DO3": TrackingStatus.EXCEPTION,  # retenu en douane
    "PB2": TrackingStatus.IN_TRANSIT,  # problème résolu
    "MD2": TrackingStatus.OUT_FOR_DELIVERY,  # mis en distribution
    "AG1": TrackingStatus.OUT_FOR_DELIVERY,  # en attente d'être retiré au guichet
    "PB1": TrackingStatus.EXCEPTION,  # problème en cours
    "ND1": TrackingStatus.EXCEPTION,  # non distribuable
    "RE1": TrackingStatus.RETURNED,  # retourné à l'expéditeur
    "DI1": TrackingStatus.DELIVERED,  # distribué
    "DI2": TrackingStatus.DELIVERED,  # distribué à l'expéditeur
}
"""La Poste Suivi v2 event codes and our status (an unknown code is in transit)."""

LOCKER_TYPES = frozenset({"PCS", "CIT"})  # Pickup Station lockers
FRANCE = frozenset({"FR", "MC", "AD"})
ADDRESS_WORDS = (
    ("code postal", "postcode"),
    ("zipcode", "postcode"),
    ("commune", "city"),
    ("ville", "city"),
    ("city", "city"),
    ("pays", "country"),
    ("country", "country"),
    ("téléphone", "phone"),
    ("portable", "phone"),
    ("nom", "name"),
    ("adresse", "lines.0"),
    ("address", "lines.0"),
)


def event_status(code: str) -> TrackingStatus:
    """Return our status of a La Poste event code (in transit when unknown)."""
    return EVENT_STATUS.get(code.strip().upper(), TrackingStatus.IN_TRANSIT)


def parse_multipart(content_type: str, body: bytes) -> dict[str, bytes]:
    """Return the parts of an MTOM/multipart answer by Content-ID (without ``<>``).

    A plain JSON body (no multipart) is returned as ``{"jsonInfos": body}``.
    """
    if "multipart" not in content_type.lower():
        return {"jsonInfos": body}
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    parts: dict[str, bytes] = {}
    for k, part in enumerate(message.iter_parts()):
        cid = str(part.get("Content-ID", f"part{k}")).strip().strip("<>")
        payload = part.get_payload(decode=True)
        parts[cid] = payload if isinstance(payload, bytes) else b""
    return parts


def _field_of(message: str, side: str) -> str:
    lower = message.lower()
    if "poids" in lower or "weight" in lower:
        return "weight_g"
    if "mot de passe" in lower or "identifiant" in lower or "password" in lower:
        return "credentials.password"
    if "produit" in lower or "productcode" in lower:
        return "service"
    if "point de retrait" in lower or "pickuplocation" in lower:
        return "relay_point"
    for word, name in ADDRESS_WORDS:
        if word in lower:
            return f"{side}.{name}"
    return side


def _address(address: Address) -> dict[str, Any]:
    lines = [*address.lines, "", "", ""]
    first, _, last = address.name.partition(" ")
    body: dict[str, Any] = {
        "companyName": address.company,
        "lastName": last or first,
        "firstName": first if last else "",
        "line2": lines[0],
        "line3": lines[1],
        "countryCode": address.country,
        "city": address.city,
        "zipCode": address.postcode,
    }
    if address.phone:
        body["mobileNumber"] = address.phone
    return body


class ColissimoGateway(BaseGateway):
    """The Colissimo connector of one account. ``client`` replaces the HTTP client (tests);
    ``sleep`` the pause between retries (``options["backoff"]`` seconds, doubled each time).
    Raises ValueError for an option that is not a number."""

    def __init__(
        self,
        account: CarrierAccount,
        *,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.account = account
        opts = account.options
        self.timeout = float(opts.get("timeout", "10"))
        self.retries = int(opts.get("retries", "2"))
        self.backoff = float(opts.get("backoff", "0.5"))
        sls, laposte = HOSTS.get(account.mode, HOSTS[AccountMode.SANDBOX])
        base = (account.base_url or "").rstrip("/")
        self.sls_url = base or sls
        self.tracking_url = base or laposte
        self._client = client
        self._sleep = sleep
        caps = {Capability.CREATE, Capability.RELAY_SEARCH, Capability.RETURN_LABEL}
        caps.add(Capability.ZPL)
        if account.credentials.get("api_key"):
            caps.add(Capability.TRACK)
        self.capabilities = frozenset(caps)

    @property
    def code(self) -> str:
        """The carrier code."""
        return self.account.carrier

    # --- the HTTP exchange, retried on what may pass ---

    def _request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        client = self._client or shared_client()
        return client.request(method, url, timeout=self.timeout, **kw)

    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        wait = self.backoff
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._request(method, url, **kw)
            except httpx.TimeoutException:
                if last:
                    raise CarrierUnavailable(self.code, "time-out") from None
            except httpx.TransportError as exc:
                if last:
                    raise CarrierUnavailable(self.code, f"no connection ({exc})") from None
            else:
                if response.status_code == 429:
                    after = response.headers.get("Retry-After", "")
                    retry = float(after) if after.replace(".", "", 1).isdigit() else None
                    raise CarrierUnavailable(self.code, "rate limited (429)", retry_after=retry)
                if response.status_code < 500:
                    return response
                if last:
                    raise CarrierUnavailable(self.code, f"HTTP {response.status_code}")
            self._sleep(wait)
            wait *= 2
        raise AssertionError("unreachable")

    # --- labels (SLS generateLabel) ---

    def _printing_type(self) -> str:
        if self.account.label_format is LabelFormat.ZPL:
            return "ZPL_10x15_203dpi"
        return "PDF_10x15_300dpi"

    def _product(self, request: ShipmentRequest, *, returning: bool) -> str:
        opts = self.account.options
        if returning:
            home = request.sender.country in FRANCE
            return opts.get("return_product_code", "CORE" if home else "CORI")
        if request.relay_point:
            return opts.get("relay_product_code", "A2P")
        name = (request.service_name or request.service).lower()
        signed = "avec signature" in name or "with signature" in name
        if signed or request.service == "domicile_signature":
            return "DOS"
        return opts.get("product_code", "DOM")

    def label_request(self, request: ShipmentRequest, *, returning: bool = False) -> dict[str, Any]:
        """Return the generateLabel body of ``request`` (documented field names)."""
        creds = self.account.credentials
        parcel: dict[str, Any] = {"weight": round(request.weight_g / 1000, 3)}
        if request.relay_point:
            parcel["pickupLocationId"] = request.relay_point
        service: dict[str, Any] = {
            "productCode": self._product(request, returning=returning),
            "depositDate": request.ship_date.isoformat(),
            "orderNumber": request.order_reference,
            "commercialName": request.sender.company or request.sender.name,
        }
        return {
            "contractNumber": creds.get("contract_number", ""),
            "password": creds.get("password", ""),
            "outputFormat": {"x": 0, "y": 0, "outputPrintingType": self._printing_type()},
            "letter": {
                "service": service,
                "parcel": parcel,
                "sender": {
                    "senderParcelRef": request.order_reference or request.sscc,
                    "address": _address(request.sender),
                },
                "addressee": {
                    "addresseeParcelRef": request.sscc,
                    "address": _address(request.recipient),
                },
            },
        }

    def _label(self, request: ShipmentRequest, *, returning: bool) -> CreatedShipment:
        # who is refused: the customer is the addressee of a shipment, the sender of a return
        side = "sender" if returning else "recipient"
        body = self.label_request(request, returning=returning)
        response = self._send(
            "POST",
            self.sls_url + SLS_PATH,
            content=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json;charset=UTF-8"},
        )
        parts = parse_multipart(response.headers.get("content-type", ""), response.content)
        try:
            infos = json.loads(parts.get("jsonInfos", b"{}") or b"{}")
        except ValueError:
            raise CarrierUnavailable(self.code, "unreadable answer") from None
        errors = [m for m in infos.get("messages", []) if m.get("type") == "ERROR"]
        if errors or response.status_code >= 400:
            raise ValidationError(
                [
                    FieldError(
                        _field_of(str(m.get("messageContent", "")), side),
                        f"Colissimo {m.get('id', '')}: {m.get('messageContent', '')}",
                    )
                    for m in errors
                ]
                or [FieldError("", f"Colissimo refused the label (HTTP {response.status_code})")]
            )
        number = str((infos.get("labelV2Response") or {}).get("parcelNumber") or "")
        if not number:
            raise CarrierUnavailable(self.code, "no parcel number in the answer")
        label = parts.get("label", b"")
        zpl = self.account.label_format is LabelFormat.ZPL
        return CreatedShipment(
            carrier=self.code,
            tracking_number=number,
            label_pdf=b"" if zpl else label,
            label_zpl=label if zpl else b"",
        )

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Return Colissimo's parcel number and label. Raises ValidationError (a field
        Colissimo refused), CarrierUnavailable."""
        return self._label(request, returning=False)

    def create_return(self, request: ShipmentRequest) -> CreatedShipment:
        """Return a prepaid return label (the customer is ``request.sender``)."""
        return self._label(request, returning=True)

    def cancel(self, tracking_number: str) -> None:
        """Do nothing: Colissimo has no void call; a label never scanned is not charged."""

    # --- tracking (La Poste Suivi v2) ---

    def fetch_events(self, tracking_number: str) -> tuple[CarrierEvent, ...]:
        """Return the parcel's events, oldest first. Raises NotFound, Unsupported (no API
        key), ValidationError (key refused), CarrierUnavailable."""
        key = self.account.credentials.get("api_key")
        if not key:
            raise Unsupported(self.code, Capability.TRACK)
        response = self._send(
            "GET",
            f"{self.tracking_url}{TRACK_PATH}{tracking_number}",
            params={"lang": "fr_FR"},
            headers={"Accept": "application/json", "X-Okapi-Key": key},
        )
        if response.status_code in (401, 403):
            raise ValidationError(FieldError("credentials.api_key", "refused by La Poste"))
        if response.status_code == 404:
            raise NotFound("parcel", tracking_number, field="tracking_number")
        body = response.json()
        if response.status_code >= 400 or not str(body.get("returnCode", "")).startswith("20"):
            raise ValidationError(
                FieldError("tracking_number", str(body.get("returnMessage", "refused")))
            )
        events = []
        for item in (body.get("shipment") or {}).get("event") or []:
            code = str(item.get("code", ""))
            at = datetime.fromisoformat(str(item["date"]))
            events.append(
                CarrierEvent(
                    event_id=f"{tracking_number}:{code}:{item['date']}",
                    tracking_number=tracking_number,
                    status=event_status(code),
                    occurred_at=at,
                    description=str(item.get("label", "")),
                )
            )
        return tuple(sorted(events, key=lambda e: e.occurred_at))

    # --- relay points ---

    def find_relay_points(
        self, *, postcode: str, city: str, country: str, limit: int = 10
    ) -> tuple[CarrierRelayPoint, ...]:
        """Return Colissimo's pick-up points nearest the address (lockers included)."""
        creds = self.account.credentials
        body = {
            "accountNumber": creds.get("contract_number", ""),
            "password": creds.get("password", ""),
            "address": "",
            "zipCode": postcode,
            "city": city,
            "countryCode": country,
            "weight": "1000",
            "shippingDate": datetime.now(UTC).strftime("%d/%m/%Y"),
            "filterRelay": "1",
            "lang": "FR",
            "optionInter": "0" if country in FRANCE else "1",
        }
        response = self._send("POST", self.sls_url + RELAY_PATH, json=body)
        answer = response.json() if response.content else {}
        code = int(answer.get("errorCode", 0 if response.status_code < 400 else -1))
        if code != 0:
            message = str(answer.get("errorMessage", f"HTTP {response.status_code}"))
            name = "credentials.password" if code == 101 else _field_of(message, "address")
            raise ValidationError(FieldError(name, f"Colissimo {code}: {message}"))
        points = [self._point(p) for p in answer.get("listePointRetraitAcheminement") or []]
        points.sort(key=lambda p: p.distance_m if p.distance_m is not None else 10**9)
        return tuple(points[:limit])

    def _point(self, p: dict[str, Any]) -> CarrierRelayPoint:
        def number(key: str) -> float | None:
            value = str(p.get(key, "")).replace(",", ".")
            try:
                return float(value)
            except ValueError:
                return None

        days = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
        hours = "; ".join(f"{d[:2]} {p.get('horairesOuverture' + d, '')}" for d in days)
        distance = p.get("distanceEnMetre")
        return CarrierRelayPoint(
            carrier=self.code,
            point_id=str(p["identifiant"]),
            name=str(p.get("nom", "")),
            line1=str(p.get("adresse1", "")),
            postcode=str(p.get("codePostal", "")),
            city=str(p.get("localite", "")),
            country=str(p.get("codePays", "")),
            lat=number("coordGeolocalisationLatitude"),
            lon=number("coordGeolocalisationLongitude"),
            kind="locker" if p.get("typeDePoint") in LOCKER_TYPES else "relay",
            opening_hours=hours,
            distance_m=int(distance) if distance not in (None, "") else None,
        )


register(
    "colissimo",
    "Colissimo (SLS, La Poste Suivi, points retrait)",
    ColissimoGateway,
    required_credentials=("contract_number", "password"),
    capabilities=frozenset(
        {
            Capability.CREATE,
            Capability.TRACK,
            Capability.RELAY_SEARCH,
            Capability.RETURN_LABEL,
            Capability.ZPL,
        }
    ),
)
