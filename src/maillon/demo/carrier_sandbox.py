"""The demo's carrier sandbox: one small stateful server on 127.0.0.1 that answers the calls
Maillon's carrier connectors make to Colissimo, Chronopost and Mondial Relay, so the demo ships
through the real connectors (:mod:`maillon.shipping.connectors`) in sandbox mode.

Each carrier keeps its documented paths and body shapes (the ones the contract tests' fixtures
under ``tests/data/carriers/`` hold), so the connectors read them unchanged:

* Colissimo: SLS ``generateLabel`` (MTOM multipart: ``jsonInfos`` + ``label``), La Poste Suivi
  v2 (JSON), points retrait (JSON).
* Chronopost: SOAP ``shippingMultiParcelV5``, ``cancelSkybill``, ``trackSkybillV2``,
  ``recherchePointChronopost``.
* Mondial Relay: API Connect ``/api/shipment`` (XML, label by URL or ZPL), SOAP
  ``WSI2_TracingColisDetaille`` and ``WSI4_PointRelais_Recherche``.

A shipment gets a fresh number in the carrier's format and a label made for it (our GS1 label
renderer, PDF or ZPL as asked). Its tracking moves with time: created on its ship date, picked
up two hours later, then in transit, out for delivery and delivered; a tracking call returns
the steps already past. Relay searches answer the demo's generated relay networks nearest
the postcode. Every call is recorded (:attr:`SandboxState.calls`); the home page lists them.
"""

from __future__ import annotations

import base64
import html
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from maillon.core.errors import MaillonError
from maillon.core.geo import locate_fr
from maillon.core.identifiers import make_sscc
from maillon.delivery.relay import RelayIndex, RelayPoint
from maillon.shipping.labels import Address, LabelData, render_label
from maillon.shipping.zpl import render_zpl

__all__ = ["SandboxParcel", "SandboxState", "start_sandbox"]

COLISSIMO_LABEL = "/sls-ws/SlsServiceWSRest/2.0/generateLabel"
COLISSIMO_RELAY = "/pointretrait-ws-cxf/rest/v2/pointretrait/findRDVPointRetraitAcheminement"
COLISSIMO_TRACK = "/suivi/v2/idships/"
CHRONO_SHIPPING = "/shipping-cxf/ShippingServiceWS"
CHRONO_TRACKING = "/tracking-cxf/TrackingServiceWS"
CHRONO_RELAY = "/recherchebt-ws-cxf/PointRelaisServiceWS"
CHRONO_QUICKCOST = "/quickcost-cxf/QuickcostServiceWS"
MR_CONNECT = "/api/shipment"
MR_SOAP = "/Web_Services.asmx"
MR_STICKER = "/ww2/PDF/StickerMaker2.aspx"

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
MR_NS = "http://www.mondialrelay.fr/webservice/"
PARIS = ZoneInfo("Europe/Paris")  # Mondial Relay's tracing gives French local time
BOUNDARY = "uuid:5e0c2d1a-7d3b-4c55-9a51-3f0ad3c2a9e1"

STEPS: tuple[tuple[timedelta, str], ...] = (
    (timedelta(0), "created"),
    (timedelta(hours=2), "picked_up"),
    (timedelta(hours=9), "in_transit"),
    (timedelta(hours=22), "out_for_delivery"),
    (timedelta(hours=27), "delivered"),
)
"""A sandbox parcel's journey: each step after its ship moment (14:00 UTC of its ship day)."""

WORDING: dict[str, dict[str, tuple[str, str]]] = {
    # carrier → step → (the carrier's code, its French label)
    "colissimo": {
        "created": ("DR1", "Votre colis est annoncé : il est en cours de préparation"),
        "picked_up": ("PC1", "Votre colis a été pris en charge par La Poste"),
        "in_transit": ("ET1", "Votre colis est en transit sur nos plateformes logistiques"),
        "out_for_delivery": ("MD2", "Votre colis est en cours de livraison"),
        "delivered": ("DI1", "Votre colis est livré"),
    },
    "chronopost": {
        "created": ("DC", "Envoi en preparation chez l'expediteur"),
        "picked_up": ("PC", "Pris en charge"),
        "in_transit": ("TS", "En cours d'acheminement"),
        "out_for_delivery": ("TA", "En cours de livraison"),
        "delivered": ("D", "Livraison effectuee"),
    },
    "mondial_relay": {
        "created": ("80", "COLIS ENREGISTRÉ"),
        "picked_up": ("81", "PRIS EN CHARGE PAR MONDIAL RELAY"),
        "in_transit": ("81", "EN COURS D'ACHEMINEMENT"),
        "out_for_delivery": ("81", "EN COURS DE LIVRAISON"),
        "delivered": ("82", "COLIS LIVRÉ AU DESTINATAIRE"),
    },
}
TITLES = {"colissimo": "Colissimo", "chronopost": "Chronopost", "mondial_relay": "Mondial Relay"}
DAYS_FR = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")


@dataclass
class SandboxParcel:
    """A shipment the sandbox registered: its number, label and when it was shipped."""

    carrier: str
    number: str
    shipped_at: datetime
    label: bytes
    zpl: bool
    returning: bool = False
    relay_point: str = ""
    cancelled: bool = False

    def steps(self, now: datetime) -> list[tuple[datetime, str]]:
        """The journey's steps already past at ``now`` (a cancelled parcel stays created)."""
        past = [(self.shipped_at + after, step) for after, step in STEPS]
        past = [(at, step) for at, step in past if at <= now] or past[:1]
        return past[:1] if self.cancelled else past


@dataclass
class SandboxState:
    """What the sandbox holds: its parcels by number, the relay networks it searches, and a
    record of every call (carrier, operation, number or postcode). ``shipping_at``, when
    set, is the moment new parcels are shipped (the demo's clock); ``now`` moves tracking."""

    points: RelayIndex | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    base_url: str = ""
    shipping_at: datetime | None = None
    parcels: dict[str, SandboxParcel] = field(default_factory=dict)
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    serial: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- numbers, labels, tracking ---

    def _next(self) -> int:
        self.serial += 1
        return self.serial

    def new_number(self, carrier: str, *, returning: bool = False) -> str:
        """A fresh number in the carrier's format (Colissimo ``6A`` + 11 digits, ``8R`` for a
        return; Chronopost ``XR`` + 9 digits + ``FR``; Mondial Relay 8 digits)."""
        n = self._next()
        if carrier == "colissimo":
            return f"{'8R' if returning else '6A'}{40_000_000_000 + n * 7919:011d}"
        if carrier == "chronopost":
            return f"XR{300_000_000 + n * 7919:09d}FR"
        return f"{97_000_000 + n * 79:08d}"

    def register(
        self,
        carrier: str,
        *,
        service: str,
        sender: Address,
        recipient: Address,
        weight_g: int,
        ship_day: date | None,
        zpl: bool,
        returning: bool = False,
        relay_point: str = "",
    ) -> SandboxParcel:
        """Register a shipment: a new number, its label, its ship moment."""
        number = self.new_number(carrier, returning=returning)
        at = self.shipping_at  # the caller's moment of shipping, when it told it
        day = ship_day or (at.date() if at is not None else self.now().date())
        data = LabelData(
            sscc=make_sscc(0, "3760000", 100_000 + self.serial),
            tracking_number=number,
            carrier=TITLES.get(carrier, carrier),
            service=(service or "standard")[:40],
            sender=sender,
            recipient=recipient,
            weight_g=max(weight_g, 1),
            ship_date=day,
            relay_point=relay_point or None,
        )
        label = render_zpl(data) if zpl else render_label(data)
        parcel = SandboxParcel(
            carrier=carrier,
            number=number,
            shipped_at=at if at is not None else datetime.combine(day, time(14, 0), UTC),
            label=label,
            zpl=zpl,
            returning=returning,
            relay_point=relay_point,
        )
        self.parcels[number] = parcel
        return parcel

    def near(self, network: str, postcode: str, city: str, limit: int) -> list[_Near]:
        """The network's points nearest the postcode (none for an unknown postcode)."""
        commune = locate_fr(postcode.strip(), city or None)
        if self.points is None or commune is None or commune.lat is None or commune.lon is None:
            return []
        found = self.points.nearest(
            commune.lat, commune.lon, limit=limit, max_km=30.0, networks=[network]
        )
        return [_Near(n.point, round(n.distance_km * 1000)) for n in found]

    # --- dispatch ---

    def answer(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes]:
        """The status, content type and body the carrier answers to ``method path``."""
        with self.lock:
            if path == COLISSIMO_LABEL:
                return _colissimo_label(self, body)
            if path == COLISSIMO_RELAY:
                return _colissimo_relay(self, body)
            if path.startswith(COLISSIMO_TRACK) and method == "GET":
                return _colissimo_track(self, path.removeprefix(COLISSIMO_TRACK))
            if path in (CHRONO_SHIPPING, CHRONO_TRACKING, CHRONO_RELAY, CHRONO_QUICKCOST):
                return _chronopost(self, path, body)
            if path == MR_CONNECT:
                return _mr_connect(self, body)
            if path == MR_SOAP:
                return _mr_soap(self, body)
            if path == MR_STICKER and method == "GET":
                number = parse_qs(query).get("expedition", [""])[0]
                parcel = self.parcels.get(number)
                if parcel is not None and not parcel.zpl:
                    self.calls.append(("mondial_relay", "label", number))
                    return 200, "application/pdf", parcel.label
        return 404, "text/plain", b"not found"

    def home(self) -> str:
        """A page of what the sandbox registered (newest first), in French and English."""
        with self.lock:
            parcels = sorted(self.parcels.values(), key=lambda p: p.number)[-300:]
            counts: dict[str, int] = {}
            for carrier, _op, _what in self.calls:
                counts[carrier] = counts.get(carrier, 0) + 1
            now = self.now()
        rows = "".join(
            f"<tr><td>{html.escape(TITLES.get(p.carrier, p.carrier))}</td>"
            f"<td>{html.escape(p.number)}</td><td>{html.escape(p.relay_point)}</td>"
            f"<td>{html.escape(p.steps(now)[-1][1])}</td></tr>"
            for p in parcels
        )
        summary = " · ".join(f"{TITLES.get(c, c)}: {n}" for c, n in sorted(counts.items()))
        return (
            "<!doctype html><html lang='fr'><meta charset='utf-8'>"
            "<title>Transporteurs de démonstration / Carrier sandbox</title>"
            "<h1>Transporteurs de démonstration (bac à sable) / Carrier sandbox</h1>"
            f"<p>Appels reçus / Calls received — {html.escape(summary)}</p>"
            "<table><tr><th>Transporteur / Carrier</th><th>Numéro / Number</th>"
            "<th>Point relais / Relay point</th><th>Étape / Step</th></tr>"
            f"{rows}</table></html>"
        )


@dataclass(frozen=True)
class _Near:
    point: RelayPoint
    distance_m: int


# ------------------------------------------------------------------ helpers


def _address(name: str, line: str, postcode: str, city: str, country: str) -> Address:
    """An address for the label (placeholders where the request left a field empty)."""
    return Address(
        name=(name or "Destinataire").strip()[:70],
        lines=((line or "-").strip()[:70],),
        postcode=postcode.strip()[:12],
        city=(city or "-").strip()[:70],
        country=(country or "FR").strip().upper()[:2] if len(country.strip()) == 2 else "FR",
    )


def _safe_address(*parts: str) -> Address:
    try:
        return _address(*parts)
    except MaillonError:
        return _address("Destinataire", "-", "", "-", "FR")


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _grams(kilograms: str) -> int:
    try:
        return round(float(kilograms.replace(",", ".")) * 1000)
    except ValueError:
        return 1000


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _fields(root: ET.Element) -> dict[str, str]:
    """Every leaf element's text by local name (the first of each name)."""
    out: dict[str, str] = {}
    for node in root.iter():
        if len(node) == 0:
            out.setdefault(_local(node.tag), (node.text or "").strip())
    return out


def _soap(inner: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>{inner}</soap:Body></soap:Envelope>'
    ).encode()


def _response(operation: str, namespace: str, inner: str) -> bytes:
    return _soap(
        f"<ns1:{operation}Response {namespace}><return>{inner}</return></ns1:{operation}Response>"
    )


def _hours_fr(opening: str) -> str:
    """A point's ``Mo-Sa 09:00-19:00`` style hours as one day's ``09:00-12:00 14:00-19:00``."""
    found = re.findall(r"\d{2}:\d{2}-\d{2}:\d{2}", opening)
    return " ".join(found[:2]) or "09:00-19:00"


# ------------------------------------------------------------------ Colissimo


def _colissimo_label(state: SandboxState, body: bytes) -> tuple[int, str, bytes]:
    try:
        request = json.loads(body or b"{}")
        letter = request["letter"]
    except (ValueError, KeyError, TypeError):
        return 400, "application/json", b'{"messages":[{"id":"30000","type":"ERROR"}]}'
    service = letter.get("service") or {}
    product = str(service.get("productCode", ""))
    returning = product in ("CORE", "CORI")

    def side(key: str) -> Address:
        a = (letter.get(key) or {}).get("address") or {}
        name = " ".join(x for x in (a.get("firstName"), a.get("lastName")) if x)
        return _safe_address(
            name or a.get("companyName", ""),
            a.get("line2", ""),
            a.get("zipCode", ""),
            a.get("city", ""),
            a.get("countryCode", "FR"),
        )

    parcel_info = letter.get("parcel") or {}
    printing = str((request.get("outputFormat") or {}).get("outputPrintingType", ""))
    parcel = state.register(
        "colissimo",
        service=f"Colissimo {product}",
        sender=side("sender"),
        recipient=side("addressee"),
        weight_g=_grams(str(parcel_info.get("weight", "1"))),
        ship_day=_day(str(service.get("depositDate", ""))),
        zpl=printing.startswith("ZPL"),
        returning=returning,
        relay_point=str(parcel_info.get("pickupLocationId", "")),
    )
    state.calls.append(("colissimo", "return" if returning else "label", parcel.number))
    infos = {
        "messages": [
            {"id": "0", "type": "INFOS", "messageContent": "La requête a été traitée avec succès"}
        ],
        "labelXmlV2Reponse": None,
        "labelV2Response": {"parcelNumber": parcel.number, "parcelNumberPartner": None},
    }
    head = f"--{BOUNDARY}\r\nContent-Type: "
    content = b"".join(
        (
            f"{head}application/json;charset=UTF-8\r\nContent-Transfer-Encoding: binary\r\n"
            "Content-ID: <jsonInfos>\r\n\r\n".encode(),
            json.dumps(infos, ensure_ascii=False).encode(),
            f"\r\n{head}application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n"
            "Content-ID: <label>\r\n\r\n".encode(),
            parcel.label,
            f"\r\n--{BOUNDARY}--\r\n".encode(),
        )
    )
    kind = f'multipart/mixed; boundary="{BOUNDARY}"; type="application/json"'
    return 200, kind, content


def _colissimo_relay(state: SandboxState, body: bytes) -> tuple[int, str, bytes]:
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        request = {}
    postcode = str(request.get("zipCode", ""))
    state.calls.append(("colissimo", "relay_search", postcode))
    near = state.near("colissimo", postcode, str(request.get("city", "")), 10)
    if not near:
        answer = {"errorCode": 120, "errorMessage": "Code postal invalide", "qualiteReponse": 0}
        return 200, "application/json", json.dumps(answer).encode()
    points = []
    for n in near:
        p = n.point
        point: dict[str, Any] = {
            "identifiant": p.id,
            "nom": p.name.upper(),
            "adresse1": p.address.upper(),
            "adresse2": "",
            "adresse3": "",
            "codePostal": p.postcode,
            "localite": p.city.upper(),
            "codePays": p.country,
            "coordGeolocalisationLatitude": f"{p.lat:.4f}",
            "coordGeolocalisationLongitude": f"{p.lon:.4f}",
            "distanceEnMetre": n.distance_m,
            "typeDePoint": "PCS" if p.kind == "locker" else "A2P",
            "poidsMaxi": 30000,
            "congesTotal": False,
        }
        for day in DAYS_FR:
            point["horairesOuverture" + day] = _hours_fr(p.opening_hours)
        points.append(point)
    answer = {
        "errorCode": 0,
        "errorMessage": "Code retour OK",
        "qualiteReponse": 2,
        "wsRequestId": "",
        "listePointRetraitAcheminement": points,
    }
    return 200, "application/json", json.dumps(answer, ensure_ascii=False).encode()


def _colissimo_track(state: SandboxState, number: str) -> tuple[int, str, bytes]:
    state.calls.append(("colissimo", "track", number))
    parcel = state.parcels.get(number)
    if parcel is None or parcel.carrier != "colissimo":
        missing = {"lang": "fr_FR", "idShip": number, "returnCode": 104,
                   "returnMessage": "Numéro de suivi introuvable"}  # fmt: skip
        return 404, "application/json", json.dumps(missing, ensure_ascii=False).encode()
    steps = parcel.steps(state.now())
    events = [
        {"date": at.isoformat(), "label": WORDING["colissimo"][s][1],
         "code": WORDING["colissimo"][s][0]}
        for at, s in reversed(steps)
    ]  # fmt: skip
    body = {
        "lang": "fr_FR",
        "scope": "open",
        "returnCode": 200,
        "shipment": {
            "idShip": number,
            "product": "Colissimo",
            "isFinal": steps[-1][1] == "delivered",
            "entryDate": steps[0][0].isoformat(),
            "event": events,
            "contextData": {"originCountry": "FR", "arrivalCountry": "FR"},
        },
    }
    return 200, "application/json", json.dumps(body, ensure_ascii=False).encode()


# ------------------------------------------------------------------ Chronopost


def _chrono_quickcost(fields: dict[str, str]) -> bytes:
    """Quickcost prices, tax excluded, growing with the weight (kg): Chrono 13, 18, Relais."""
    try:
        kg = max(float(fields.get("weight", "1") or "1"), 0.1)
    except ValueError:
        kg = 1.0
    products = "".join(
        f"<productList><amount>{ht:.2f}</amount><amountTTC>{ht * 1.2:.2f}</amountTTC>"
        f"<amountTVA>{ht * 0.2:.2f}</amountTVA><productCode>{code}</productCode></productList>"
        for code, ht in (
            (code, base + per_kg * kg)
            for code, base, per_kg in (("1", 12.5, 1.8), ("16", 10.4, 1.7), ("86", 5.9, 1.0))
        )
    )
    return _soap(
        '<ns1:calculateProductsResponse xmlns:ns1="http://cxf.quickcost.soap.chronopost.fr/">'
        f"<return><errorCode>0</errorCode><errorMessage></errorMessage>{products}"
        "<zone>1</zone></return></ns1:calculateProductsResponse>"
    )


def _chronopost(state: SandboxState, path: str, body: bytes) -> tuple[int, str, bytes]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        fault = "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Unreadable XML"
        return 500, "text/xml", _soap(fault + "</faultstring></soap:Fault>")
    fields = _fields(root)
    xml = "text/xml; charset=utf-8"
    if path == CHRONO_SHIPPING:
        return 200, xml, _chrono_ship(state, fields)
    if path == CHRONO_RELAY:
        return 200, xml, _chrono_relay(state, fields)
    if path == CHRONO_QUICKCOST:
        return 200, xml, _chrono_quickcost(fields)
    number = fields.get("skybillNumber", "")
    parcel = state.parcels.get(number)
    ns = 'xmlns:ns1="http://cxf.tracking.soap.chronopost.fr/"'
    if any(_local(n.tag) == "cancelSkybill" for n in root.iter()):
        state.calls.append(("chronopost", "cancel", number))
        code = "0" if parcel is not None else "2"
        if parcel is not None:
            parcel.cancelled = True
        inner = (
            f"<errorCode>{code}</errorCode><errorMessage></errorMessage><statusCode>0</statusCode>"
        )
        return 200, xml, _response("cancelSkybill", ns, inner)
    state.calls.append(("chronopost", "track", number))
    events = ""
    if parcel is not None and parcel.carrier == "chronopost":
        for at, step in reversed(parcel.steps(state.now())):
            code, label = WORDING["chronopost"][step]
            events += (
                f"<events><code>{code}</code><eventDate>{at.isoformat()}</eventDate>"
                f"<eventLabel>{escape(label)}</eventLabel><highPriority>false</highPriority>"
                "<officeLabel>Agence</officeLabel><zipCode></zipCode></events>"
            )
    inner = (
        f"<errorCode>0</errorCode><listEventInfoComp>{events}"
        f"<skybillNumber>{escape(number)}</skybillNumber></listEventInfoComp>"
    )
    return 200, xml, _response("trackSkybillV2", ns, inner)


def _chrono_ship(state: SandboxState, f: dict[str, str]) -> bytes:
    product = f.get("productCode", "01")
    returning = product in ("4T", "4U")
    relay = f.get("recipientRef", "") if product == "86" else ""
    parcel = state.register(
        "chronopost",
        service={"01": "Chrono 13", "16": "Chrono 18", "86": "Chrono Relais"}.get(
            product, f"Chronopost {product}"
        ),
        sender=_safe_address(
            f.get("shipperName", ""), f.get("shipperAdress1", ""), f.get("shipperZipCode", ""),
            f.get("shipperCity", ""), f.get("shipperCountry", "FR"),
        ),
        recipient=_safe_address(
            f.get("recipientName", ""), f.get("recipientAdress1", ""),
            f.get("recipientZipCode", ""), f.get("recipientCity", ""),
            f.get("recipientCountry", "FR"),
        ),
        weight_g=_grams(f.get("weight", "1")),
        ship_day=_day(f.get("shipDate", "")),
        zpl=f.get("mode", "PDF") != "PDF",
        returning=returning,
        relay_point=relay,
    )  # fmt: skip
    state.calls.append(("chronopost", "return" if returning else "label", parcel.number))
    n = parcel.number
    label = base64.b64encode(parcel.label).decode()
    value = (
        "<codeDepot>69</codeDepot><codeService>136</codeService>"
        f"<destinationDepot>{escape(f.get('recipientZipCode', '')[:2])}</destinationDepot>"
        f"<geoPostCodeBarre>%00{escape(f.get('recipientZipCode', ''))}{n}</geoPostCodeBarre>"
        f"<geoPostNumeroColis>{n}</geoPostNumeroColis><groupingPriorityLabel>13H"
        f"</groupingPriorityLabel><pdfEtiquette>{label}</pdfEtiquette><serviceMark></serviceMark>"
        f"<serviceName>CHRONO</serviceName><signaletiqueProduit>C13</signaletiqueProduit>"
        f"<skybillNumber>{n}</skybillNumber>"
    )
    return _soap(
        '<ns1:shippingMultiParcelV5Response xmlns:ns1="http://cxf.shipping.soap.chronopost.fr/">'
        "<return><errorCode>0</errorCode><errorMessage></errorMessage>"
        f"<resultMultiParcelValue>{value}</resultMultiParcelValue>"
        f"<reservationNumber>RSV{state.serial:06d}</reservationNumber></return>"
        "</ns1:shippingMultiParcelV5Response>"
    )


def _chrono_relay(state: SandboxState, f: dict[str, str]) -> bytes:
    postcode = f.get("zipCode", "")
    state.calls.append(("chronopost", "relay_search", postcode))
    limit = int(f.get("maxPointChronopost", "10") or 10)
    near = state.near("chronopost", postcode, f.get("city", ""), limit)
    points = "".join(
        "<listePointRelais><accesPersonneMobiliteReduite>true</accesPersonneMobiliteReduite>"
        f"<actif>true</actif><adresse1>{escape(n.point.address.upper())}</adresse1><adresse2>"
        f"</adresse2><codePays>{n.point.country}</codePays><codePostal>{n.point.postcode}"
        f"</codePostal><coordGeolocalisationLatitude>{n.point.lat:.4f}"
        f"</coordGeolocalisationLatitude><coordGeolocalisationLongitude>{n.point.lon:.4f}"
        f"</coordGeolocalisationLongitude><distanceEnMetre>{n.distance_m}</distanceEnMetre>"
        f"<identifiant>{escape(n.point.id)}</identifiant><listeHoraireOuverture>"
        f"<horairesAsString>{_hours_fr(n.point.opening_hours)}</horairesAsString><jour>1</jour>"
        f"</listeHoraireOuverture><localite>{escape(n.point.city.upper())}</localite>"
        f"<nom>{escape(n.point.name.upper())}</nom>"
        f"<typeDePoint>{'A' if n.point.kind == 'locker' else 'P'}</typeDePoint></listePointRelais>"
        for n in near
    )
    code, message = ("0", "") if near else ("3", "Code postal invalide")
    return _soap(
        '<ns1:recherchePointChronopostResponse xmlns:ns1="http://cxf.rechercheBt.soap.'
        f'chronopost.fr/"><return><errorCode>{code}</errorCode><errorMessage>{message}'
        f"</errorMessage>{points}</return></ns1:recherchePointChronopostResponse>"
    )


# ------------------------------------------------------------------ Mondial Relay


def _mr_address(node: ET.Element | None) -> Address:
    values = _fields(node) if node is not None else {}
    return _safe_address(
        values.get("AddressAdd1", ""),
        values.get("Streetname", ""),
        values.get("PostCode", ""),
        values.get("City", ""),
        values.get("CountryCode", "FR"),
    )


def _mr_connect(state: SandboxState, body: bytes) -> tuple[int, str, bytes]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return 400, "application/xml", b"<ShipmentCreationResponse/>"
    nodes = {_local(n.tag): n for n in root.iter()}
    delivery = nodes.get("DeliveryMode")
    mode = delivery.get("Mode", "") if delivery is not None else ""
    location = delivery.get("Location", "") if delivery is not None else ""
    weight = nodes.get("Weight")
    fields = _fields(root)
    zpl = fields.get("OutputType") == "ZplCode"
    returning = mode == "LCC"
    parcel = state.register(
        "mondial_relay",
        service={"24R": "Point Relais", "24L": "Point Relais XL", "HOM": "Domicile"}.get(
            mode, f"Mondial Relay {mode}"
        ),
        sender=_mr_address(nodes.get("Sender")),
        recipient=_mr_address(nodes.get("Recipient")),
        weight_g=int(weight.get("Value", "1000")) if weight is not None else 1000,
        ship_day=None,
        zpl=zpl,
        returning=returning,
        relay_point=location.partition("-")[2],
    )
    state.calls.append(("mondial_relay", "return" if returning else "shipment", parcel.number))
    n = parcel.number
    if zpl:
        output = base64.b64encode(parcel.label).decode()
    else:
        crc = uuid.uuid4().hex[:10].upper()
        ens = fields.get("CustomerId", "")
        output = escape(
            f"{state.base_url}{MR_STICKER}?ens={ens}11&expedition={n}&lg=FR&format=10x15&crc={crc}"
        )
    answer = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<ShipmentCreationResponse xmlns="http://www.example.org/Response"><OutputOptions>'
        f"<OutputFormat>{escape(fields.get('OutputFormat', ''))}</OutputFormat>"
        f"<OutputType>{escape(fields.get('OutputType', ''))}</OutputType></OutputOptions>"
        f'<StatusList /><ShipmentsList><Shipment ShipmentNumber="{n}"><LabelList><Label>'
        f'<RawContent><Barcodes CarrierCode="MR"><Barcode Type="code128" DisplayedValue="{n}" '
        f'Value="00{n}" /></Barcodes></RawContent><Output>{output}</Output></Label></LabelList>'
        "</Shipment></ShipmentsList></ShipmentCreationResponse>"
    )
    return 200, "application/xml; charset=utf-8", answer.encode()


def _mr_soap(state: SandboxState, body: bytes) -> tuple[int, str, bytes]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        fault = "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Bad XML"
        return 500, "text/xml", _soap(fault + "</faultstring></soap:Fault>")
    fields = _fields(root)
    method = next(
        (_local(n.tag) for n in root.iter() if _local(n.tag).startswith("WSI")), "unknown"
    )
    if method == "WSI2_TracingColisDetaille":
        result = _mr_tracing(state, fields.get("Expedition", ""))
    elif method == "WSI4_PointRelais_Recherche":
        result = _mr_search(state, fields)
    else:
        result = "<STAT>98</STAT>"
    inner = (
        f'<{method}Response xmlns="{MR_NS}"><{method}Result>{result}</{method}Result>'
        f"</{method}Response>"
    )
    return 200, "text/xml; charset=utf-8", _soap(inner)


def _mr_tracing(state: SandboxState, number: str) -> str:
    state.calls.append(("mondial_relay", "track", number))
    parcel = state.parcels.get(number)
    if parcel is None or parcel.carrier != "mondial_relay":
        return "<STAT>24</STAT>"
    steps = parcel.steps(state.now())
    stat = WORDING["mondial_relay"][steps[-1][1]][0]
    lines = "".join(
        "<ret_WSI2_sub_TracingColisDetaille>"
        f"<Libelle>{escape(WORDING['mondial_relay'][step][1])}</Libelle>"
        f"<Date>{at.astimezone(PARIS):%d/%m/%Y}</Date><Heure>{at.astimezone(PARIS):%H:%M}</Heure>"
        f"<Emplacement>FR</Emplacement><Relais_Num>{parcel.relay_point}</Relais_Num>"
        "<Relais_Pays /></ret_WSI2_sub_TracingColisDetaille>"
        for at, step in steps
    )
    return f"<STAT>{stat}</STAT><Tracing>{lines}</Tracing>"


def _mr_day(opening: str) -> str:
    slots = re.findall(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", opening)[:1] or [
        ("09", "00", "19", "00")
    ]
    a, b, c, d = slots[0]
    return (
        f"<string>{a}{b}</string><string>{c}{d}</string><string>0000</string><string>0000</string>"
    )


def _mr_search(state: SandboxState, f: dict[str, str]) -> str:
    postcode = f.get("CP", "")
    state.calls.append(("mondial_relay", "relay_search", postcode))
    limit = int(f.get("NombreResultats", "10") or 10)
    near = state.near("mondial_relay", postcode, f.get("Ville", ""), limit)
    if not near:
        return "<STAT>36</STAT>"
    days = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
    points = ""
    for n in near:
        p = n.point
        name = p.name.upper() if p.kind != "locker" or "LOCKER" in p.name.upper() else (
            f"LOCKER {p.name.upper()}"
        )  # fmt: skip
        hours = "".join(f"<Horaires_{d}>{_mr_day(p.opening_hours)}</Horaires_{d}>" for d in days)
        points += (
            f"<PointRelais_Details><STAT>0</STAT><Num>{escape(p.id)}</Num>"
            f"<LgAdr1>{escape(name)}</LgAdr1><LgAdr2 /><LgAdr3>{escape(p.address.upper())}"
            f"</LgAdr3><LgAdr4 /><CP>{p.postcode}</CP><Ville>{escape(p.city.upper())}</Ville>"
            f"<Pays>{p.country}</Pays><Latitude>{p.lat:.7f}</Latitude>"
            f"<Longitude>{p.lon:.7f}</Longitude>{hours}<Distance>{n.distance_m}</Distance>"
            "</PointRelais_Details>"
        )
    return f"<STAT>0</STAT><PointsRelais>{points}</PointsRelais>"


# ------------------------------------------------------------------ the server


def _handler(state: SandboxState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: the demo's client reuses its connection
        disable_nagle_algorithm = True  # headers and body sent apart would wait 40 ms (ACK)
        wbufsize = 1 << 16  # one write per answer (flushed by the server after each)

        def _reply(self, status: int, content_type: str, data: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _serve(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            if method == "GET" and url.path in ("", "/"):
                self._reply(200, "text/html; charset=utf-8", state.home().encode())
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            self._reply(*state.answer(method, url.path, url.query, headers, body))

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def start_sandbox(
    points: RelayIndex | None = None, *, now: Callable[[], datetime] | None = None
) -> tuple[str, SandboxState, ThreadingHTTPServer]:
    """Serve the carrier sandbox on a free port of 127.0.0.1 (in a daemon thread); return its
    URL, its state and the server (``shutdown()`` stops it). ``points`` are the relay networks
    it searches; ``now`` its clock (the tracking of a parcel moves with it)."""
    state = SandboxState(points=points)
    if now is not None:
        state.now = now
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, name="demo-carriers", daemon=True).start()
    return state.base_url, state, server
