"""DPD France (EPrint and Webtrace SOAP, mypudo): shipments, returns, tracking, Pickup search.

Our own client: karrio's ``dpd`` package speaks DPD's DELIS API (Belgium, Netherlands,
Germany), which DPD France does not offer. Three DPD France services:

* **EPrint** (``eprintwebservice.asmx``, SOAP, ``UserCredentials`` header with ``userid`` and
  ``password``): ``CreateShipmentWithLabels`` registers a parcel and returns its label (label
  type ``PDF`` or ``ZPL``), ``CreateReverseInverseShipmentWithLabels`` a prepaid return label
  valid ``expire_offset`` days (at least 7). A DPD Pickup parcel carries its relay in
  ``services/parcelshop/shopaddress/shopid``. Weights go in kilograms, dates as ``JJ.MM.AAAA``.
* **Webtrace** (``Webtrace_Service.asmx``, same credentials): ``GetShipmentTrace`` returns a
  parcel's scans (``ScanDate``, ``ScanTime`` in French time, ``StatusNumber``,
  ``StatusDescription``, ``CenterName``), mapped by :data:`EVENT_STATUS` then by wording.
* **mypudo** (``mypudo.asmx/GetPudoList``, HTTP GET with the ``carrier`` and ``key`` DPD gives
  for Pickup search): the DPD Pickup points near an address, nearest first.

EPrint has no call to cancel a shipment: a DPD France label that was never scanned is not
charged and is simply void. :meth:`DpdFranceGateway.cancel` therefore calls nothing at DPD; it
reads the parcel's trace and refuses (Conflict) once DPD has scanned it. ``Capability.CANCEL``
is not claimed.

Credentials: ``login``, ``password``, ``customer_number``, ``center_number`` (and ``pudo_key``
for relay search). Options: ``country_code`` (DPD's numeric code, ``250`` France),
``pudo_carrier`` (``EXA``), ``return_days`` (``14``), ``timeout``, ``retries``, ``backoff``.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from datetime import UTC, date, datetime
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

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
from maillon.shipping.connectors import register
from maillon.shipping.connectors import soapxml as sx
from maillon.shipping.connectors.transport import CarrierHttp, Reply, field_of, settings_of
from maillon.shipping.connectors.wording import status_from_text
from maillon.shipping.labels import Address
from maillon.shipping.model import PROGRESS, TrackingStatus

__all__ = ["EVENT_STATUS", "MESSAGE_FIELDS", "SERVICES", "DpdFranceGateway"]

log = logging.getLogger(__name__)

EPRINT_NS = "http://www.cargonet.software"
WEBTRACE_NS = "http://www.cargonet.software/"  # Webtrace's namespace ends with a slash

LIVE = {
    "eprint": "https://e-station.cargonet.software/dpd-eprintwebservice/eprintwebservice.asmx",
    "webtrace": "https://webtrace.dpd.fr/trace-service/Webtrace_Service.asmx",
    "pudo": "https://mypudo.pickup-services.com/mypudo/mypudo.asmx/GetPudoList",
}
SANDBOX = {
    "eprint": "https://e-station-testenv.cargonet.software/eprintwebservice/eprintwebservice.asmx",
    "webtrace": "https://e-station-testenv.cargonet.software/trace-service/Webtrace_Service.asmx",
    "pudo": LIVE["pudo"],  # mypudo has one server
}
"""DPD France's servers; with ``account.base_url`` the same paths are called on that host."""

SERVICES: Mapping[str, str] = {
    "classic": "classic",
    "predict": "predict",
    "relais": "pickup",
    "pickup": "pickup",
}
"""Maillon's DPD France service codes to the EPrint product they ask for: Classic (no
notice), Predict (the recipient chooses the day by SMS/e-mail), DPD Pickup (relay)."""

RELAY_SERVICES = frozenset({"relais", "pickup"})

EVENT_STATUS: Mapping[str, TrackingStatus] = {
    "1": TrackingStatus.LABEL_CREATED,  # données reçues, colis attendu
    "10": TrackingStatus.PICKED_UP,  # pris en charge par DPD
    "14": TrackingStatus.IN_TRANSIT,  # en cours d'acheminement
    "23": TrackingStatus.IN_TRANSIT,  # arrivé à l'agence de livraison
    "17": TrackingStatus.OUT_FOR_DELIVERY,  # en cours de livraison
    "26": TrackingStatus.OUT_FOR_DELIVERY,  # disponible en relais Pickup
    "13": TrackingStatus.DELIVERED,  # livré
    "40": TrackingStatus.DELIVERED,  # retiré en relais Pickup
    "3": TrackingStatus.EXCEPTION,  # destinataire absent, avisé
    "7": TrackingStatus.RETURNED,  # retourné à l'expéditeur
}
"""Webtrace ``StatusNumber`` values to our statuses. A number not here is read from its
``StatusDescription`` (:func:`~maillon.shipping.connectors.wording.status_from_text`)."""

MESSAGE_FIELDS: tuple[tuple[str, str], ...] = (
    ("weight", "weight_g"),  # "The maximum weight allowed for a Pickup ... is 20 kg"
    ("shopid", "relay_point"),  # "Parcelshop Error: Shopid not found"
    ("parcelshop", "relay_point"),
    ("countryprefix-zipcode-city", "recipient.postcode"),
    ("sms", "recipient.phone"),  # Predict needs a mobile number
    ("email", "recipient.phone"),
    ("permission denied", "credentials.login"),
    ("invalid customer", "credentials.customer_number"),
    ("centernumber", "credentials.center_number"),
)
"""EPrint's error messages (SOAP faults) to our fields, checked before the generic words."""

PARIS = ZoneInfo("Europe/Paris")
DAYS = {"1": "lun", "2": "mar", "3": "mer", "4": "jeu", "5": "ven", "6": "sam", "7": "dim"}


def _field(message: str) -> str:
    lowered = message.lower()
    for words, name in MESSAGE_FIELDS:
        if words in lowered:
            return name
    return field_of(message)


class DpdFranceGateway(BaseGateway):
    """The DPD France connector (see the module docstring)."""

    capabilities = frozenset(
        {
            Capability.CREATE,
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
        servers = SANDBOX if account.mode is AccountMode.SANDBOX else LIVE
        if account.base_url:
            base = account.base_url.rstrip("/")
            self.urls = {k: base + "/" + v.split("/", 3)[3] for k, v in servers.items()}
        else:
            self.urls = dict(servers)
        self.http = http or CarrierHttp(account.carrier, self.urls["eprint"], settings_of(account))

    @property
    def code(self) -> str:
        """The carrier code."""
        return self.account.carrier

    # ----------------------------------------------------------------- shipments

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Register the parcel (a Pickup parcel needs its relay); return number and label."""
        service = SERVICES.get(request.service)
        if service is None:
            raise ValidationError(FieldError("service", f"DPD France offers {sorted(SERVICES)}"))
        if request.service in RELAY_SERVICES and not request.relay_point:
            raise ValidationError(FieldError("relay_point", "DPD Pickup needs a relay point"))
        fields: dict[str, object] = {
            "receiveraddress": _address(request.recipient),
            "receiverinfo": _info(request.recipient),
            "shipperaddress": _address(request.sender),
            "services": self._services(request, service),
            "labelType": {"type": self._label_type()},
            **self._customer(),
            "shippingdate": _day(request.ship_date),
            "weight": _kilograms(request.weight_g),
            "referencenumber": request.order_reference or request.sscc,
            "reference2": request.sscc,
        }
        return self._labelled("CreateShipmentWithLabels", fields)

    def create_return(self, request: ShipmentRequest) -> CreatedShipment:
        """Issue a prepaid DPD return label (reverse inverse shipment) for the customer."""
        days = int(self.account.options.get("return_days", "14"))
        fields: dict[str, object] = {
            "receiveraddress": _address(request.recipient),
            "shipperaddress": _address(request.sender),
            **self._customer(),
            "shippingdate": _day(request.ship_date),
            "weight": _kilograms(request.weight_g),
            "expire_offset": str(max(days, 7)),
            "referencenumber": request.order_reference or request.sscc,
            "labelType": {"type": self._label_type()},
        }
        return self._labelled("CreateReverseInverseShipmentWithLabels", fields)

    def cancel(self, tracking_number: str) -> None:
        """Void an unscanned label: DPD France has no cancel call and charges only parcels
        it scans. Raises NotFound (unknown parcel) or Conflict (already with DPD)."""
        events = self.fetch_events(tracking_number)
        reached = max((PROGRESS[e.status] for e in events), default=0)
        if reached >= PROGRESS[TrackingStatus.PICKED_UP]:
            raise Conflict(f"parcel {tracking_number} is already with DPD France.")

    # ----------------------------------------------------------------- tracking

    def fetch_events(self, tracking_number: str) -> tuple[CarrierEvent, ...]:
        """Return the parcel's scans, oldest first. Raises NotFound."""
        customer = {
            "centernumber": self.account.credentials.get("center_number", ""),
            "number": self.account.credentials.get("customer_number", ""),
            "countrycode": self.account.options.get("country_code", "250"),
        }
        body = sx.element(
            "request",
            {
                "Customer": customer,
                "Language": "F",
                "ShipmentNumber": tracking_number,
                "GetImages": "false",
            },
            "car:",
        )
        root = self._soap("webtrace", WEBTRACE_NS, "GetShipmentTrace", body)
        trace = sx.first(root, "ShipmentTrace")
        if trace is None or sx.text(trace, "LastError"):
            raise NotFound("parcel", tracking_number, field="tracking_number")
        scans = sx.all_named(trace, "clsTrace")
        found = [e for e in (_event(tracking_number, node) for node in scans) if e is not None]
        if scans and not found:
            raise CarrierUnavailable(self.code, "no scan of the trace has a readable date")
        return tuple(sorted(found, key=lambda e: e.occurred_at))

    # ----------------------------------------------------------------- relay points

    def find_relay_points(
        self, *, postcode: str, city: str, country: str, limit: int = 10
    ) -> tuple[CarrierRelayPoint, ...]:
        """Return the active DPD Pickup points nearest the address, nearest first."""
        key = self.account.credentials.get("pudo_key", "")
        if not key:
            raise ValidationError(
                FieldError("credentials.pudo_key", "DPD gives a mypudo key for Pickup search")
            )
        params = {
            "carrier": self.account.options.get("pudo_carrier", "EXA"),
            "key": key,
            "address": "",
            "zipCode": postcode,
            "city": city,
            "countrycode": country,
            "requestID": f"maillon-{postcode}",
            "date_from": datetime.now(PARIS).strftime("%d/%m/%Y"),
            "max_pudo_number": str(limit),
            "max_distance_search": "",
            "weight": "",
            "category": "",
            "holiday_tolerant": "1",
        }
        reply = self.http.send("GET", self.urls["pudo"], params=params)
        root = sx.parse(self.code, reply.text)
        error = sx.text(root, "ERROR")
        if error:
            name = "credentials.pudo_key" if "key" in error.lower() else field_of(error)
            raise ValidationError(FieldError(name, f"{self.code}: {error}"))
        points = [
            _pudo(self.code, item, country)
            for item in sx.all_named(root, "PUDO_ITEM")
            if item.get("active", "true") == "true"
        ]
        points.sort(key=lambda p: p.distance_m if p.distance_m is not None else 10**9)
        return tuple(points[:limit])

    # ----------------------------------------------------------------- helpers

    def _label_type(self) -> str:
        return "ZPL" if self.account.label_format is LabelFormat.ZPL else "PDF"

    def _customer(self) -> dict[str, object]:
        creds = self.account.credentials
        return {
            "customer_countrycode": self.account.options.get("country_code", "250"),
            "customer_centernumber": creds.get("center_number", ""),
            "customer_number": creds.get("customer_number", ""),
        }

    def _services(self, request: ShipmentRequest, service: str) -> dict[str, object]:
        if service == "classic":
            return {}
        if not request.recipient.phone:  # Predict and Pickup tell the recipient by SMS
            raise ValidationError(FieldError("recipient.phone", "DPD sends the recipient an SMS"))
        if service == "predict":
            return {"contact": {"sms": request.recipient.phone, "type": "Predict"}}
        return {
            "contact": {"sms": request.recipient.phone, "type": "AutomaticSMS"},
            "parcelshop": {"shopaddress": {"shopid": request.relay_point}},
        }

    def _labelled(self, operation: str, fields: dict[str, object]) -> CreatedShipment:
        root = self._soap("eprint", EPRINT_NS, operation, sx.element("request", fields, "car:"))
        shipment = sx.first(root, "Shipment") or sx.first(root, "shipment")
        number = sx.text(shipment, "parcelnumber")
        labels = {
            sx.text(node, "type"): sx.text(node, "label") for node in sx.all_named(root, "Label")
        }
        document = labels.get("EPRINT") or labels.get("BIC3") or ""
        if not number or not document:
            raise CarrierUnavailable(self.code, "EPrint answered without a parcel or a label")
        raw = base64.b64decode(document)
        zpl = self.account.label_format is LabelFormat.ZPL
        return CreatedShipment(
            carrier=self.code,
            tracking_number=number,
            label_pdf=b"" if zpl else raw,
            label_zpl=raw if zpl else b"",
            carrier_reference=sx.text(shipment, "barcode"),
        )

    def _soap(self, service: str, namespace: str, operation: str, body: str) -> ET.Element:
        creds = self.account.credentials
        header = sx.element(
            "UserCredentials",
            {"userid": creds.get("login", ""), "password": creds.get("password", "")},
            "car:",
        )
        envelope = (
            '<?xml version="1.0" encoding="utf-8"?>'
            '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" '
            f'xmlns:car="{namespace}"><soap:Header>{header}</soap:Header><soap:Body>'
            f"<car:{operation}>{body}</car:{operation}></soap:Body></soap:Envelope>"
        )
        reply = self.http.send(
            "POST",
            self.urls[service],
            content=envelope.encode("utf-8"),
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": f'"{namespace.rstrip("/")}/{operation}"',
            },
            soap=True,
        )
        return self._root(reply, sender=operation.startswith("CreateReverse"))

    def _root(self, reply: Reply, *, sender: bool) -> ET.Element:
        root = sx.parse(self.code, reply.text)
        message = sx.fault(root)
        if message is not None:
            name = _field(message)
            if sender and name.startswith("recipient."):
                name = "sender." + name.removeprefix("recipient.")
            raise ValidationError(FieldError(name, f"{self.code}: {message}"))
        return root


def _address(value: Address) -> dict[str, object]:
    return {
        "name": value.company or value.name,
        "countryPrefix": value.country,
        "zipCode": value.postcode,
        "city": value.city,
        "street": value.lines[0],
        "phoneNumber": value.phone or "",
    }


def _info(value: Address) -> dict[str, object]:
    rest = " ".join(value.lines[1:])
    return {"contact": value.name if value.company else None, "vinfo1": rest or None}


def _day(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def _kilograms(grams: int) -> str:
    return f"{grams / 1000:.2f}"


def _moment(day: str, clock: str) -> datetime:
    day = day.split("T")[0]
    for pattern in ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(f"{day} {clock[:5] or '00:00'}", f"{pattern} %H:%M")  # noqa: DTZ007
        except ValueError:
            continue
        return parsed.replace(tzinfo=PARIS).astimezone(UTC)
    raise ValueError(f"unreadable DPD scan date {day!r}")


def _event(number: str, node: ET.Element) -> CarrierEvent | None:
    """The scan as an event; None (logged) when its date cannot be read: one bad scan must not
    hide the others of the parcel."""
    code = sx.text(node, "StatusNumber")
    description = sx.text(node, "StatusDescription")
    try:
        at = _moment(sx.text(node, "ScanDate"), sx.text(node, "ScanTime"))
    except ValueError as exc:
        log.warning("dpd_fr: scan %r of %s skipped: %s", code, number, exc)
        return None
    status = EVENT_STATUS.get(code) or status_from_text(description)
    return CarrierEvent(
        event_id=f"{number}:{code}:{at.isoformat()}",
        tracking_number=number,
        status=status or TrackingStatus.IN_TRANSIT,
        occurred_at=at,
        location=sx.text(node, "CenterName"),
        description=description,
    )


def _float(value: str) -> float | None:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return None


def _pudo(carrier: str, item: ET.Element, country: str) -> CarrierRelayPoint:
    hours = [
        f"{DAYS.get(sx.text(h, 'DAY_ID'), sx.text(h, 'DAY_ID'))} "
        f"{sx.text(h, 'START_TM')}-{sx.text(h, 'END_TM')}"
        for h in sx.all_named(item, "OPENING_HOURS_ITEM")
    ]
    lines = (sx.text(item, f"ADDRESS{i}") for i in (1, 2, 3))
    distance = sx.text(item, "DISTANCE")
    return CarrierRelayPoint(
        carrier=carrier,
        point_id=sx.text(item, "PUDO_ID"),
        name=sx.text(item, "NAME"),
        line1=" ".join(x for x in lines if x),
        postcode=sx.text(item, "ZIPCODE"),
        city=sx.text(item, "CITY"),
        country=sx.text(item, "COUNTRY") or country,
        lat=_float(sx.text(item, "LATITUDE")),
        lon=_float(sx.text(item, "LONGITUDE")),
        opening_hours="; ".join(hours),
        distance_m=int(distance) if distance.isdigit() else None,
    )


register(
    "dpd_fr",
    "DPD France",
    DpdFranceGateway,
    required_credentials=("login", "password", "customer_number", "center_number"),
    capabilities=DpdFranceGateway.capabilities,
)
