"""Chronopost (SOAP web services): shipments, cancel, tracking and Chrono Relais search.

* create and cancel go through karrio's ``chronopost`` mapper (``shippingMultiParcelV5`` to
  ``/shipping-cxf/ShippingServiceWS``, ``cancelSkybill`` to ``/tracking-cxf/TrackingServiceWS``),
  sent by our transport. Two fixes to karrio's body: the operation element is put in the
  service's namespace (karrio writes ``soapenv:shippingMultiParcelV5``), and a Chrono Relais
  parcel carries its relay id in ``recipientRef``. ZPL accounts ask ``mode=Z2D`` (ZPL 203 dpi).
* return labels: ``shippingMultiParcelV5`` with Chronopost's return product (``4T`` Chrono 13
  return, ``4U`` Chrono 18 return; :data:`RETURN_PRODUCTS`): the customer is the shipper, the
  warehouse the recipient, and the label is always a PDF (the customer prints it at home).
* rates: karrio's ``chronopost`` quickcost mapper (``calculateProducts`` on
  ``/quickcost-cxf/QuickcostServiceWS``), sent by our transport; prices tax excluded
  (``amountTTC`` less ``amountTVA``). Karrio writes ``soapenv:calculateProducts``: fixed too.
* tracking (``trackSkybillV2``) and relay search (``recherchePointChronopost`` on
  ``/recherchebt-ws-cxf/PointRelaisServiceWS``) are our own client on Chronopost's documented
  SOAP: karrio's tracking parser reads ``eventDate`` with a broken format (every event time is
  lost) and karrio has no relay search.

Credentials: ``account_number``, ``password``. Options: ``timeout``, ``retries``, ``backoff``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

from maillon.core.errors import FieldError, NotFound, ValidationError
from maillon.shipping.carriers import (
    AccountMode,
    BaseGateway,
    Capability,
    CarrierAccount,
    CarrierEvent,
    CarrierQuote,
    CarrierRelayPoint,
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
    from karrio.mappers.chronopost import Mapper, Settings
    from karrio.providers.chronopost.units import ShippingService


__all__ = ["ERROR_FIELDS", "EVENT_STATUS", "SERVICES", "ChronopostGateway"]

SERVER = "https://ws.chronopost.fr"
SHIPPING = "/shipping-cxf/ShippingServiceWS"
TRACKING = "/tracking-cxf/TrackingServiceWS"
RELAY = "/recherchebt-ws-cxf/PointRelaisServiceWS"
QUICKCOST = "/quickcost-cxf/QuickcostServiceWS"

SERVICES: Mapping[str, str] = {
    "chrono13": "chronopost_13",
    "chrono13_samedi": "chronopost_13",
    "chrono18": "chronopost_18",
    "chrono_relais": "chronopost_relais",
    "classic_europe": "chronopost_classic_international",
    "express_europe": "chronopost_express_international",
}
"""Maillon's Chronopost service codes (rate card) to karrio's."""

RELAY_SERVICES = frozenset({"chrono_relais"})

RETURN_PRODUCTS: Mapping[str, str] = {
    "chrono13": "4T",
    "chrono13_samedi": "4T",
    "chrono_relais": "4T",
    "chrono18": "4U",
}
"""The Chronopost return product of each outbound service (Chrono 13 return by default)."""

QUOTE_SERVICES: Mapping[str, str] = {
    "1": "chrono13",
    "16": "chrono18",
    "86": "chrono_relais",
    "44": "classic_europe",
    "17": "express_europe",
}
"""Quickcost ``productCode`` values (leading zeros dropped) to Maillon's services."""

EVENT_STATUS: Mapping[str, TrackingStatus] = {
    "DC": TrackingStatus.LABEL_CREATED,  # envoi en préparation chez l'expéditeur
    "PC": TrackingStatus.PICKED_UP,  # pris en charge
    "SC": TrackingStatus.PICKED_UP,  # pris en charge en agence
    "TS": TrackingStatus.IN_TRANSIT,  # en cours d'acheminement
    "TO": TrackingStatus.IN_TRANSIT,
    "ST": TrackingStatus.IN_TRANSIT,
    "TA": TrackingStatus.OUT_FOR_DELIVERY,  # en cours de livraison
    "MD": TrackingStatus.OUT_FOR_DELIVERY,  # mis à disposition en relais
    "D": TrackingStatus.DELIVERED,  # livré
    "D1": TrackingStatus.DELIVERED,  # livré en relais
    "AR": TrackingStatus.EXCEPTION,  # avisé: destinataire absent
    "NA": TrackingStatus.EXCEPTION,  # adresse incomplète
    "B": TrackingStatus.RETURNED,  # retourné à l'expéditeur
    "RE": TrackingStatus.RETURNED,
}
"""Chronopost event codes (``events/code``) to our statuses."""

ERROR_FIELDS: Mapping[str, str] = {
    "3": "recipient.postcode",  # code postal ou ville du destinataire invalide
    "6": "service",  # produit non autorisé pour ce compte
    "7": "weight_g",
    "26": "relay_point",  # point relais inconnu ou fermé
    "1": "credentials.account_number",  # identifiants incorrects
}
"""Chronopost ``errorCode`` values to our fields."""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(node: ET.Element, name: str) -> list[ET.Element]:
    return [n for n in node.iter() if _local(n.tag) == name]


def _text(node: ET.Element, name: str) -> str:
    found = next((n for n in node if _local(n.tag) == name), None)
    return (found.text or "").strip() if found is not None else ""


class ChronopostGateway(BaseGateway):
    """The Chronopost connector (see the module docstring)."""

    capabilities = frozenset(
        {
            Capability.CREATE,
            Capability.CANCEL,
            Capability.TRACK,
            Capability.RELAY_SEARCH,
            Capability.RETURN_LABEL,
            Capability.ZPL,
            Capability.RATES,
        }
    )

    def __init__(self, account: CarrierAccount, *, http: CarrierHttp | None = None) -> None:
        if account.mode is AccountMode.RATE_CARD:
            raise ValueError("a rate-card account has no API to call.")
        self.account = account
        self.settings = Settings(
            account_number=account.credentials.get("account_number", ""),
            password=account.credentials.get("password", ""),
            language="fr_FR",
            test_mode=account.mode is AccountMode.SANDBOX,
        )
        self.mapper = Mapper(self.settings)
        base = account.base_url or SERVER
        self.http = http or CarrierHttp(account.carrier, base, settings_of(account))

    @property
    def code(self) -> str:
        """The carrier code."""
        return self.account.carrier

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Register the parcel (a relay parcel needs its point); return number and label."""
        service = SERVICES.get(request.service)
        if service is None:
            raise ValidationError(FieldError("service", f"Chronopost offers {sorted(SERVICES)}"))
        if request.service in RELAY_SERVICES and not request.relay_point:
            raise ValidationError(FieldError("relay_point", "Chrono Relais needs a relay point"))
        zpl = self.account.label_format is LabelFormat.ZPL
        payload = kb.shipment_payload(request, service=service, label_type="PDF")
        body = str(self.mapper.create_shipment_request(payload).serialize())
        body = body.replace("soapenv:shippingMultiParcelV5", "cxf:shippingMultiParcelV5")
        if zpl:
            body = body.replace("<mode>PDF</mode>", "<mode>Z2D</mode>")
        if request.relay_point:
            ref = f"<recipientRef>{escape(request.relay_point)}</recipientRef>"
            body = body.replace("<refValue>", f"<refValue>{ref}", 1)
        reply = self._soap(SHIPPING, body)
        details, messages = kb.parse(self.mapper.parse_shipment_response, reply.text, xml=True)
        kb.raise_errors(self.code, messages, ERROR_FIELDS)
        if details is None:
            raise kb.unavailable_on_garbage(self.code, reply.text)
        label = kb.b64(details.docs.label)
        return CreatedShipment(
            carrier=self.code,
            tracking_number=details.tracking_number,
            label_pdf=b"" if zpl else label,
            label_zpl=label if zpl else b"",
        )

    def create_return(self, request: ShipmentRequest) -> CreatedShipment:
        """Issue a prepaid Chronopost return label (PDF) from the customer to the warehouse."""
        product = RETURN_PRODUCTS.get(request.service, "4T")
        payload = kb.shipment_payload(request, service="chronopost_13", label_type="PDF")
        body = str(self.mapper.create_shipment_request(payload).serialize())
        body = body.replace("soapenv:shippingMultiParcelV5", "cxf:shippingMultiParcelV5")
        body = body.replace(
            "<productCode>01</productCode>", f"<productCode>{product}</productCode>"
        )
        reply = self._soap(SHIPPING, body)
        details, messages = kb.parse(self.mapper.parse_shipment_response, reply.text, xml=True)
        kb.raise_errors(self.code, messages, ERROR_FIELDS, sender=True)
        if details is None:
            raise kb.unavailable_on_garbage(self.code, reply.text)
        return CreatedShipment(
            carrier=self.code,
            tracking_number=details.tracking_number,
            label_pdf=kb.b64(details.docs.label),
        )

    def quote(self, request: ShipmentRequest) -> tuple[CarrierQuote, ...]:
        """Return Chronopost's prices (quickcost) for the parcel, tax excluded, in cents."""
        payload = km.RateRequest(
            shipper=kb.address(request.sender),
            recipient=kb.address(request.recipient),
            parcels=[kb.parcel(request)],
        )
        body = str(self.mapper.create_rate_request(payload).serialize())
        body = body.replace("soapenv:calculateProducts", "cxf:calculateProducts")
        reply = self._soap(QUICKCOST, body)
        self._root(reply)  # a SOAP fault names its field
        rates, messages = kb.parse(self.mapper.parse_rate_response, reply.text, xml=True)
        kb.raise_errors(self.code, messages, ERROR_FIELDS)
        quotes = []
        for rate in rates:
            code = _product_code(str(rate.service))
            tax = sum(float(c.amount) for c in rate.extra_charges or [] if c.name == "TVA")
            quotes.append(
                CarrierQuote(
                    carrier=self.code,
                    service=QUOTE_SERVICES.get(code, code),
                    price_cents=round((float(rate.total_charge) - tax) * 100),
                    currency=rate.currency or "EUR",
                )
            )
        return tuple(quotes)

    def cancel(self, tracking_number: str) -> None:
        """Cancel the skybill. Raises NotFound (unknown) or ValidationError (refused)."""
        serial = self.mapper.create_cancel_shipment_request(
            km.ShipmentCancelRequest(shipment_identifier=tracking_number)
        )
        body = str(serial.serialize()).replace("soapenv:cancelSkybill", "cxf:cancelSkybill")
        reply = self._soap(TRACKING, body)
        root = self._root(reply)
        code = next((_text(r, "errorCode") for r in _children(root, "return")), "0")
        if code in ("", "0"):
            return
        if code == "2":  # numéro inconnu
            raise NotFound("parcel", tracking_number, field="tracking_number")
        message = next((_text(r, "errorMessage") for r in _children(root, "return")), "")
        raise refused(self.code, [(code, message)], {**ERROR_FIELDS, "3": "tracking_number"})

    def fetch_events(self, tracking_number: str) -> tuple[CarrierEvent, ...]:
        """Return the skybill's events, oldest first. Raises NotFound."""
        body = _envelope(
            "http://cxf.tracking.soap.chronopost.fr/",
            "trackSkybillV2",
            {"language": "fr_FR", "skybillNumber": tracking_number},
        )
        root = self._root(self._soap(TRACKING, body))
        found = []
        for event in _children(root, "events"):
            code = _text(event, "code")
            at = datetime.fromisoformat(_text(event, "eventDate")).astimezone(UTC)
            found.append(
                CarrierEvent(
                    event_id=f"{tracking_number}:{code}:{at.isoformat()}",
                    tracking_number=tracking_number,
                    status=EVENT_STATUS.get(code, TrackingStatus.IN_TRANSIT),
                    occurred_at=at,
                    location=_text(event, "officeLabel"),
                    description=_text(event, "eventLabel"),
                )
            )
        if not found:
            raise NotFound("parcel", tracking_number, field="tracking_number")
        return tuple(sorted(found, key=lambda e: e.occurred_at))

    def find_relay_points(
        self, *, postcode: str, city: str, country: str, limit: int = 10
    ) -> tuple[CarrierRelayPoint, ...]:
        """Return the Chrono Relais points nearest the address, nearest first."""
        body = _envelope(
            "http://cxf.rechercheBt.soap.chronopost.fr/",
            "recherchePointChronopost",
            {
                "accountNumber": self.settings.account_number,
                "password": self.settings.password,
                "address": "",
                "zipCode": postcode,
                "city": city,
                "countryCode": country,
                "type": "P",
                "productCode": "86",
                "service": "T",
                "weight": "0",
                "shippingDate": datetime.now(UTC).strftime("%d/%m/%Y"),
                "maxPointChronopost": str(limit),
                "maxDistanceSearch": "15",
                "holidayTolerant": "1",
            },
        )
        root = self._root(self._soap(RELAY, body))
        for result in _children(root, "return"):
            code = _text(result, "errorCode")
            if code not in ("", "0"):
                raise refused(self.code, [(code, _text(result, "errorMessage"))], ERROR_FIELDS)
        points = [_relay(self.code, node) for node in _children(root, "listePointRelais")]
        points.sort(key=lambda p: p.distance_m if p.distance_m is not None else 10**9)
        return tuple(points[:limit])

    def _soap(self, path: str, body: str) -> Reply:
        return self.http.send(
            "POST",
            path,
            content=body.encode("utf-8"),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ""},
            soap=True,
        )

    def _root(self, reply: Reply) -> ET.Element:
        try:
            root = ET.fromstring(reply.text)
        except ET.ParseError:
            raise kb.unavailable_on_garbage(self.code, reply.text) from None
        fault = next(iter(_children(root, "faultstring")), None)
        if fault is not None:
            raise refused(self.code, [("fault", fault.text or "")], ERROR_FIELDS)
        return root


def _product_code(service: str) -> str:
    """Quickcost's product code of karrio's service name (karrio names the codes it knows)."""
    try:
        code = str(ShippingService[service].value)
    except KeyError:
        code = service
    return code.lstrip("0") or "0"


def _envelope(namespace: str, operation: str, fields: Mapping[str, str]) -> str:
    inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in fields.items())
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:cxf="{namespace}"><soapenv:Header/><soapenv:Body>'
        f"<cxf:{operation}>{inner}</cxf:{operation}></soapenv:Body></soapenv:Envelope>"
    )


def _float(value: str) -> float | None:
    try:
        return float(value.replace(",", "."))
    except ValueError:
        return None


def _relay(carrier: str, node: ET.Element) -> CarrierRelayPoint:
    hours = [
        f"{_text(h, 'jour')}: {_text(h, 'horairesAsString')}"
        for h in _children(node, "listeHoraireOuverture")
    ]
    distance = _text(node, "distanceEnMetre")
    line = " ".join(x for x in (_text(node, "adresse1"), _text(node, "adresse2")) if x)
    return CarrierRelayPoint(
        carrier=carrier,
        point_id=_text(node, "identifiant"),
        name=_text(node, "nom"),
        line1=line,
        postcode=_text(node, "codePostal"),
        city=_text(node, "localite"),
        country=_text(node, "codePays") or "FR",
        lat=_float(_text(node, "coordGeolocalisationLatitude")),
        lon=_float(_text(node, "coordGeolocalisationLongitude")),
        kind="locker" if _text(node, "typeDePoint") == "A" else "relay",
        opening_hours="; ".join(hours),
        distance_m=int(distance) if distance.isdigit() else None,
    )


register(
    "chronopost",
    "Chronopost",
    ChronopostGateway,
    required_credentials=("account_number", "password"),
    capabilities=ChronopostGateway.capabilities,
)
