"""Mondial Relay's two documented APIs as pure functions: requests built, answers read.

Mondial Relay has two web services, and Maillon speaks both, each for what only it does:

* **API Connect** ("Dual Carrier Web Service", v2.7.1 of June 2024, the current label API):
  ``POST /api/shipment`` with an XML ``ShipmentCreationRequest`` (``Context`` with login,
  password and customer id; ``OutputOptions``; one ``Shipment``) answering a
  ``ShipmentCreationResponse`` whose ``StatusList`` carries numbered statuses (``Error`` and
  ``Critical Error`` fail the call, ``Warning`` does not). It is the only one that returns a
  **ZPL** label (``ZplCode``, base64) besides the PDF link (``PdfUrl``), and it makes return
  labels (collection ``REL`` at a Point Relais, delivery ``LCC`` to the merchant).
* **WebService Mondial Relay** (SOAP 1.1, ``Web_Services.asmx``), still the only API for the
  relay-point search (``WSI4_PointRelais_Recherche``) and tracking
  (``WSI2_TracingColisDetaille``). Each call is signed by ``Security``: the MD5 (upper-case
  hex) of every parameter's value concatenated in the documented order, followed by the
  brand's private key. Its answers carry a numbered ``STAT`` (0 = done; 80 to 83 are tracking
  states).

Units: weights in grams (at least 10 g, Connect's minimum), lengths in centimetres.
Mondial Relay's fields accept only upper-case ASCII letters, digits and ``_-'., /``:
:func:`mr_text` folds accents and drops the rest.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from maillon.core.errors import FieldError
from maillon.shipping.carriers import CarrierEvent, CarrierRelayPoint
from maillon.shipping.labels import Address
from maillon.shipping.model import TrackingStatus

SOAP_NS = "http://www.mondialrelay.fr/webservice/"
ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/"
CONNECT_NS = "http://www.example.org/Request"  # sic: the namespace Mondial Relay documents
PARIS = ZoneInfo("Europe/Paris")

SEARCH_PARAMS = (
    "Enseigne",
    "Pays",
    "NumPointRelais",
    "Ville",
    "CP",
    "Latitude",
    "Longitude",
    "Taille",
    "Poids",
    "Action",
    "DelaiEnvoi",
    "RayonRecherche",
    "TypeActivite",
    "NACE",
    "NombreResultats",
)
"""``WSI4_PointRelais_Recherche``'s parameters in the order the ``Security`` hash takes them."""

TRACING_PARAMS = ("Enseigne", "Expedition", "Langue")
"""``WSI2_TracingColisDetaille``'s parameters in hash order."""

SERVICE_MODES = {
    "point_relais": "24R",
    "locker": "24R",
    "point_relais_xl": "24L",
    "domicile": "HOM",
    "24R": "24R",
    "24L": "24L",
    "HOM": "HOM",
    "LD1": "LD1",
    "LDS": "LDS",
}
"""Maillon's service codes (the rate card's) and Mondial Relay's own delivery modes."""

RELAY_MODES = frozenset({"24R", "24L"})
"""Delivery modes that need a relay point (``DeliveryMode Location``)."""

POINT_ID = re.compile(r"^\d{6}$")
"""A Mondial Relay point number (``Num``): six digits."""


class MondialRelayError(Exception):
    """An answer that refuses the call: ``code`` is Mondial Relay's number, ``field`` the
    request field it names (None: not the caller's input), ``retryable`` for their outages."""

    def __init__(self, code: str, message: str, *, field: str | None, retryable: bool) -> None:
        super().__init__(f"Mondial Relay {code}: {message}")
        self.code = code
        self.message = message
        self.field = field
        self.retryable = retryable

    def field_error(self) -> FieldError:
        """The error as a FieldError naming our field."""
        return FieldError(self.field or "request", f"Mondial Relay {self.code}: {self.message}")


# ----------------------------------------------------------------------------- text


def mr_text(value: str, limit: int | None = None) -> str:
    """Return ``value`` as Mondial Relay's fields take it: upper-case ASCII, accents folded,
    characters outside ``A-Z 0-9 _-'., /`` dropped, spaces squeezed, cut at ``limit``."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().upper()
    kept = re.sub(r"[^0-9A-Z_\-'., /]", " ", folded)
    text = re.sub(r" +", " ", kept).strip()
    return text[:limit] if limit else text


def national_phone(phone: str | None, country: str) -> str:
    """Return a phone number as Mondial Relay wants it for France (nine digits, no leading 0
    or +33); other countries: the digits. Empty when there is none."""
    digits = re.sub(r"\D", "", phone or "")
    if country == "FR":
        if digits.startswith("33") and len(digits) == 11:
            digits = digits[2:]
        digits = digits.removeprefix("0")
    return digits


# ------------------------------------------------------------------------ security


def security_key(values: Sequence[str], private_key: str) -> str:
    """Return the ``Security`` parameter: upper-case MD5 of ``values`` then the private key."""
    return hashlib.md5(("".join(values) + private_key).encode("utf-8")).hexdigest().upper()


def signed(
    names: Sequence[str], params: Mapping[str, str], private_key: str
) -> list[tuple[str, str]]:
    """Return the call's parameters in order (absent ones empty) with ``Security`` last."""
    ordered = [(n, params.get(n, "")) for n in names]
    return [*ordered, ("Security", security_key([v for _n, v in ordered], private_key))]


def soap_envelope(method: str, params: Sequence[tuple[str, str]]) -> bytes:
    """Return the SOAP 1.1 request of ``method`` with its parameters."""
    ET.register_namespace("soap", ENVELOPE_NS)
    envelope = ET.Element(f"{{{ENVELOPE_NS}}}Envelope")
    body = ET.SubElement(envelope, f"{{{ENVELOPE_NS}}}Body")
    call = ET.SubElement(body, method, xmlns=SOAP_NS)
    for name, value in params:
        ET.SubElement(call, name).text = value
    out: bytes = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return out


def soap_action(method: str) -> str:
    """Return the ``SOAPAction`` header of ``method``."""
    return f"{SOAP_NS}{method}"


# ---------------------------------------------------------------------- STAT codes

SOAP_STAT_FIELDS = {
    "1": "credentials.enseigne",
    "2": "credentials.enseigne",
    "3": "credentials.enseigne",
    "8": "credentials.private_key",
    "9": "city",
    "20": "weight_g",
    "24": "tracking_number",
    "35": "city",
    "36": "postcode",
    "37": "country",
    "67": "lat",
    "68": "lon",
    "69": "credentials.enseigne",
    "70": "relay_point",
    "74": "language",
    "78": "country",
    "79": "country",
    "93": "postcode",
    "94": "tracking_number",
    "95": "credentials.enseigne",
    "96": "credentials.enseigne",
    "97": "credentials.private_key",
}
"""The SOAP ``STAT`` codes that name a field of ours (their documented meaning: 9 unknown
city, 36 invalid postcode, 70 invalid relay point, 94 unknown parcel, 97 invalid security
key, ...). 99 (service error) is an outage; other codes are refusals of the request."""

SOAP_STAT_MESSAGES = {
    "1": "invalid brand (Enseigne)",
    "2": "brand number empty or unknown",
    "8": "invalid password or hash",
    "9": "unknown or ambiguous city",
    "20": "invalid parcel weight",
    "24": "invalid shipment number",
    "35": "invalid city",
    "36": "invalid postcode",
    "37": "invalid country",
    "70": "invalid relay point number",
    "93": "no sorting plan for this address",
    "94": "unknown parcel",
    "97": "invalid security key",
    "98": "generic error (invalid parameters)",
    "99": "generic service error",
}

TRACKING_STATS = frozenset({"80", "81", "82", "83"})


def check_stat(stat: str) -> None:
    """Raise MondialRelayError unless ``stat`` means done (0) or a tracking state (80-83)."""
    if stat == "0" or stat in TRACKING_STATS:
        return
    message = SOAP_STAT_MESSAGES.get(stat, "refused")
    raise MondialRelayError(stat, message, field=SOAP_STAT_FIELDS.get(stat), retryable=stat == "99")


CONNECT_CODE_FIELDS = {
    "10000": "credentials.login",
    "10001": "credentials.password",
    "10002": "credentials.enseigne",
    "10005": "credentials.enseigne",
    "10016": "parcel_count",
    "10017": "parcel_count",
    "10023": "service",
    "10024": "service",
    "10026": "service",
    "10027": "service",
    "10033": "weight_g",
    "10034": "weight_g",
    "10039": "{side}.lines.0",
    "10040": "{side}.lines.0",
    "10042": "{side}.country",
    "10043": "{side}.country",
    "10044": "{side}.postcode",
    "10045": "{side}.postcode",
    "10046": "{side}.city",
    "10047": "{side}.city",
    "10054": "{side}.lines",
    "10055": "sender.postcode",
    "10056": "recipient.postcode",
    "10063": "{side}.lines.0",
    "10065": "parcel_count",
    "10066": "credentials.login",
    "10067": "credentials.enseigne",
    "10070": "parcel_count",
    "10071": "relay_point",
    "10072": "relay_point",
    "10073": "relay_point",
    "10074": "relay_point",
    "10075": "relay_point",
    "10079": "{side}.country",
    "10085": "{side}.phone",
    "10090": "parcel",
}
"""API Connect's status codes that name a field of ours. An address code does not say which
address: ``{side}`` is the customer's (the recipient of a shipment, the sender of a return)."""

CONNECT_OUTAGES = frozenset({"-1", "99999", "10058", "10060", "10068", "10080", "10081"})
"""API Connect's codes that are their failure, not the request's: retried later."""


# -------------------------------------------------------------------------- Connect


@dataclass(frozen=True, kw_only=True)
class ConnectShipment:
    """One API Connect shipment: modes, locations (``FR-123456``), parcel, both addresses."""

    delivery_mode: str
    delivery_location: str
    collection_mode: str
    collection_location: str
    weight_g: int
    parcel_count: int
    order_no: str
    sender: Address
    recipient: Address


def location(country: str, point_id: str) -> str:
    """Return a relay point as API Connect's ``Location`` (``FR-020345``)."""
    return f"{country}-{point_id}"


def _address(parent: ET.Element, tag: str, address: Address) -> None:
    node = ET.SubElement(ET.SubElement(parent, tag), "Address")
    lines = [mr_text(line) for line in address.lines]
    values = [
        ("Title", ""),
        ("Firstname", ""),
        ("Lastname", ""),
        ("Streetname", lines[0]),
        ("HouseNo", ""),
        ("CountryCode", address.country),
        ("PostCode", address.postcode.strip().upper()),
        ("City", mr_text(address.city, 30)),
        ("AddressAdd1", mr_text(address.name, 30)),
        ("AddressAdd2", mr_text(address.company, 30)),
        ("AddressAdd3", mr_text(" ".join(lines[1:]), 30)),
        ("PhoneNo", national_phone(address.phone, address.country)),
        ("MobileNo", ""),
        ("Email", ""),
    ]
    for name, value in values:
        ET.SubElement(node, name).text = value


def connect_request(
    *,
    login: str,
    password: str,
    customer_id: str,
    output_type: str,
    output_format: str,
    shipment: ConnectShipment,
    culture: str = "fr-FR",
) -> bytes:
    """Return the ``ShipmentCreationRequest`` XML of one shipment (``VersionAPI`` 1.0)."""
    root = ET.Element("ShipmentCreationRequest", xmlns=CONNECT_NS)
    context = ET.SubElement(root, "Context")
    for name, value in (
        ("Login", login),
        ("Password", password),
        ("CustomerId", customer_id),
        ("Culture", culture),
        ("VersionAPI", "1.0"),
    ):
        ET.SubElement(context, name).text = value
    options = ET.SubElement(root, "OutputOptions")
    ET.SubElement(options, "OutputFormat").text = output_format
    ET.SubElement(options, "OutputType").text = output_type
    node = ET.SubElement(ET.SubElement(root, "ShipmentsList"), "Shipment")
    ET.SubElement(node, "OrderNo").text = mr_text(shipment.order_no, 15).replace(" ", "")
    ET.SubElement(node, "CustomerNo").text = ""
    ET.SubElement(node, "ParcelCount").text = str(shipment.parcel_count)
    ET.SubElement(
        node, "DeliveryMode", Mode=shipment.delivery_mode, Location=shipment.delivery_location
    )
    ET.SubElement(
        node,
        "CollectionMode",
        Mode=shipment.collection_mode,
        Location=shipment.collection_location,
    )
    parcel = ET.SubElement(ET.SubElement(node, "Parcels"), "Parcel")
    ET.SubElement(parcel, "Content").text = ""
    ET.SubElement(parcel, "Weight", Value=str(shipment.weight_g), Unit="gr")
    ET.SubElement(node, "DeliveryInstruction").text = ""
    _address(node, "Sender", shipment.sender)
    _address(node, "Recipient", shipment.recipient)
    out: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return out


@dataclass(frozen=True)
class ConnectLabel:
    """What API Connect returned: the shipment number and the label's ``Output``."""

    shipment_number: str
    output: str


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(node: ET.Element, name: str) -> ET.Element | None:
    """Return the first descendant named ``name`` whatever its namespace."""
    for child in node.iter():
        if _local(child.tag) == name:
            return child
    return None


def _find_all(node: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in node.iter() if _local(c.tag) == name]


def _text(node: ET.Element | None, name: str) -> str:
    if node is None:
        return ""
    found = _find(node, name)
    return (found.text or "").strip() if found is not None else ""


def parse_xml(body: bytes) -> ET.Element:
    """Return the root of an XML answer. Raises MondialRelayError (retryable) if unreadable."""
    try:
        return ET.fromstring(body)
    except ET.ParseError as exc:
        raise MondialRelayError(
            "xml", f"unreadable answer ({exc})", field=None, retryable=True
        ) from None


def parse_connect(body: bytes, *, side: str) -> ConnectLabel:
    """Read a ``ShipmentCreationResponse``. Raises MondialRelayError for its first error
    (``side``: ``recipient`` or ``sender``, the customer's address for address codes)."""
    root = parse_xml(body)
    for status in _find_all(root, "Status"):
        level = status.get("Level", "")
        if level not in ("Error", "Critical Error"):
            continue  # warnings: "statement ignored", the label is made
        code = status.get("Code", "")
        field = CONNECT_CODE_FIELDS.get(code)
        raise MondialRelayError(
            code,
            status.get("Message", "") or level,
            field=field.format(side=side) if field else None,
            retryable=code in CONNECT_OUTAGES,
        )
    shipment = _find(root, "Shipment")
    number = shipment.get("ShipmentNumber", "") if shipment is not None else ""
    output = _text(shipment, "Output")
    if not number or not output:
        raise MondialRelayError(
            "empty", "no shipment number or label in the answer", field=None, retryable=True
        )
    return ConnectLabel(number, output)


def decode_zpl(output: str) -> bytes:
    """Return the ZPL of a ``ZplCode`` output (base64). Raises MondialRelayError."""
    try:
        return base64.b64decode(output, validate=True)
    except ValueError:
        raise MondialRelayError(
            "zpl", "the ZPL label is not base64", field=None, retryable=True
        ) from None


# ------------------------------------------------------------------------- SOAP


def soap_result(body: bytes, method: str) -> ET.Element:
    """Return ``<method>Result`` of a SOAP answer after checking its ``STAT``.

    Raises MondialRelayError (a SOAP fault or an unreadable answer is retryable).
    """
    root = parse_xml(body)
    fault = _find(root, "Fault")
    if fault is not None:
        raise MondialRelayError(
            "fault", _text(fault, "faultstring") or "SOAP fault", field=None, retryable=True
        )
    result = _find(root, f"{method}Result")
    if result is None:
        raise MondialRelayError(
            "empty", f"no {method}Result in the answer", field=None, retryable=True
        )
    check_stat(_text(result, "STAT"))
    return result


DAYS = (
    ("Mo", "Lundi"),
    ("Tu", "Mardi"),
    ("We", "Mercredi"),
    ("Th", "Jeudi"),
    ("Fr", "Vendredi"),
    ("Sa", "Samedi"),
    ("Su", "Dimanche"),
)


def _day_hours(node: ET.Element | None) -> str:
    """Return a day's ``<string>`` slots (``0900 1230 1400 1900``) as ``09:00-12:30,14:00-19:00``
    (empty: closed)."""
    if node is None:
        return ""
    slots = [(s.text or "").strip() for s in node if _local(s.tag) == "string"]
    spans = []
    for start, end in zip(slots[::2], slots[1::2], strict=False):
        if len(start) != 4 or len(end) != 4 or start == end:
            continue  # "0000" "0000": closed
        close = "24:00" if end == "2359" else f"{end[:2]}:{end[2:]}"
        spans.append(f"{start[:2]}:{start[2:]}-{close}")
    return ",".join(spans)


def opening_hours(point: ET.Element) -> str:
    """Return a point's ``Horaires_*`` in OpenStreetMap syntax, equal days grouped
    (``Mo-Fr 09:00-19:00; Sa 09:00-12:30``)."""
    per_day = [(code, _day_hours(_find(point, f"Horaires_{name}"))) for code, name in DAYS]
    parts: list[str] = []
    i = 0
    while i < len(per_day):
        j = i
        while j + 1 < len(per_day) and per_day[j + 1][1] == per_day[i][1]:
            j += 1
        if per_day[i][1]:
            days = per_day[i][0] if i == j else f"{per_day[i][0]}-{per_day[j][0]}"
            parts.append(f"{days} {per_day[i][1]}")
        i = j + 1
    return "; ".join(parts)


def _coordinate(text: str) -> float | None:
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def parse_points(result: ET.Element, *, carrier: str) -> tuple[CarrierRelayPoint, ...]:
    """Return the ``PointRelais_Details`` of a search result, in the carrier's order."""
    points = []
    for node in _find_all(result, "PointRelais_Details"):
        number = _text(node, "Num")
        if not number:
            continue
        name = " ".join(filter(None, (_text(node, "LgAdr1"), _text(node, "LgAdr2"))))
        line = " ".join(filter(None, (_text(node, "LgAdr3"), _text(node, "LgAdr4"))))
        distance = _text(node, "Distance")
        points.append(
            CarrierRelayPoint(
                carrier=carrier,
                point_id=number,
                name=name,
                line1=line,
                postcode=_text(node, "CP"),
                city=_text(node, "Ville"),
                country=_text(node, "Pays") or "FR",
                lat=_coordinate(_text(node, "Latitude")),
                lon=_coordinate(_text(node, "Longitude")),
                kind="locker" if "LOCKER" in name.upper() else "relay",
                opening_hours=opening_hours(node),
                distance_m=int(distance) if distance.isdigit() else None,
            )
        )
    return tuple(points)


EVENT_WORDS: tuple[tuple[str, TrackingStatus], ...] = (
    ("RETOUR", TrackingStatus.RETURNED),
    ("ANOMALIE", TrackingStatus.EXCEPTION),
    ("INCIDENT", TrackingStatus.EXCEPTION),
    ("LIVRE", TrackingStatus.DELIVERED),
    ("REMIS", TrackingStatus.DELIVERED),
    ("DISPONIBLE", TrackingStatus.OUT_FOR_DELIVERY),
    ("EN LIVRAISON", TrackingStatus.OUT_FOR_DELIVERY),
    ("PRIS EN CHARGE", TrackingStatus.PICKED_UP),
    ("DEPOSE", TrackingStatus.PICKED_UP),
    ("ENREGISTRE", TrackingStatus.LABEL_CREATED),
    ("PREPARE", TrackingStatus.LABEL_CREATED),
)
"""Words of the French event labels (``Langue`` FR, accents folded) and the status each
means, first match wins: the tracing lines carry a label, not a code."""

STAT_STATUS = {
    "80": TrackingStatus.LABEL_CREATED,
    "81": TrackingStatus.IN_TRANSIT,
    "82": TrackingStatus.DELIVERED,
    "83": TrackingStatus.EXCEPTION,
}
"""The parcel's overall state (``STAT`` 80 recorded, 81 in Mondial Relay's hands, 82
delivered, 83 anomaly), which decides the last event when its label says nothing known."""


def event_status(label: str) -> TrackingStatus | None:
    """Return the status an event label means, or None when no known word is in it."""
    text = mr_text(label)
    for word, status in EVENT_WORDS:
        if word in text:
            return status
    return None


_DATE = re.compile(r"^(\d{2})/(\d{2})/(\d{2}|\d{4})$")
_HOUR = re.compile(r"^(\d{2}):(\d{2})$")


def _moment(day: str, hour: str) -> dt.datetime | None:
    """Return a tracing line's ``Date`` (dd/mm/yyyy or dd/mm/yy) and ``Heure`` (hh:mm),
    French local time, as an aware UTC instant (None when unreadable)."""
    date_match, hour_match = _DATE.match(day), _HOUR.match(hour or "00:00")
    if date_match is None or hour_match is None:
        return None
    d, m, y = (int(g) for g in date_match.groups())
    hh, mm = (int(g) for g in hour_match.groups())
    try:
        local = dt.datetime(y if y > 99 else 2000 + y, m, d, hh, mm, tzinfo=PARIS)
    except ValueError:
        return None
    return local.astimezone(dt.UTC)


def parse_tracing(result: ET.Element, tracking_number: str) -> tuple[CarrierEvent, ...]:
    """Return a tracing result's events, oldest first, with stable ids (a replay of the same
    line has the same id)."""
    overall = STAT_STATUS.get(_text(result, "STAT"), TrackingStatus.IN_TRANSIT)
    lines = []
    for node in _find_all(result, "ret_WSI2_sub_TracingColisDetaille"):
        label = _text(node, "Libelle")
        moment = _moment(_text(node, "Date"), _text(node, "Heure"))
        if label and moment is not None:
            lines.append((moment, label, _text(node, "Emplacement")))
    lines.sort(key=lambda t: t[0])
    events = []
    for k, (moment, label, place) in enumerate(lines):
        status = event_status(label)
        if status is None:
            status = overall if k == len(lines) - 1 else TrackingStatus.IN_TRANSIT
        digest = hashlib.sha1(f"{moment.isoformat()}|{label}|{place}".encode()).hexdigest()
        events.append(
            CarrierEvent(
                event_id=f"MR-{tracking_number}-{digest[:12]}",
                tracking_number=tracking_number,
                status=status,
                occurred_at=moment,
                location=place,
                description=label,
            )
        )
    return tuple(events)


def tracing_stat(result: ET.Element) -> str:
    """Return a tracing result's ``STAT``."""
    return _text(result, "STAT")
