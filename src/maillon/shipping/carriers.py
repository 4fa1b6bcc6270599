"""Carrier gateways: the one interface Maillon uses to talk to a carrier.

A :class:`CarrierGateway` creates a shipment for one parcel (returning the tracking number
and the label PDF), cancels it, and fetches its tracking events. Two implementations:

:class:`FakeCarrierGateway`
    In memory, for tests and the demo: tracking numbers ``<prefix><11 digits>FR`` counted
    from 1, a ``label_created`` event per shipment, :meth:`FakeCarrierGateway.push_event`
    to play the carrier's scans, ``fail_with`` to simulate an outage.
:class:`LocalCarrierGateway`
    The real gateway for carriers that accept self-printed GS1 labels: it renders our own
    label (:func:`maillon.shipping.labels.render_label`) with a tracking number from the
    merchant's allocated range (by default the carrier prefix followed by the SSCC). It
    keeps no state: cancelling voids nothing remotely (an unscanned label is void) and
    events arrive through webhooks or files, so :meth:`~LocalCarrierGateway.fetch_events`
    returns none.

Real carriers are *connectors* (:mod:`maillon.shipping.connectors`): one class per carrier API
built from a :class:`CarrierAccount` (credentials, sandbox or live, label format). Every
gateway says what it can do in ``capabilities`` (:class:`Capability`); a call it cannot answer
raises :class:`Unsupported`. Besides a shipment, a gateway may find relay points near an
address (:meth:`~CarrierGateway.find_relay_points`), issue a prepaid return label
(:meth:`~CarrierGateway.create_return`) and quote prices (:meth:`~CarrierGateway.quote`).

Errors come from :mod:`maillon.core.errors`: ``NotFound`` for an unknown tracking number,
``Conflict`` when a parcel already picked up is cancelled (and :class:`Unsupported`),
``ValidationError`` for bad requests (raised by :class:`ShipmentRequest` and the label data,
and by a connector when the carrier refuses a field, e.g. an address it cannot deliver, naming
that field). :class:`CarrierUnavailable` means the carrier could not answer now (time-out,
5xx, rate limit): nothing was registered, try again later (a job retries it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol, runtime_checkable

from maillon.core.errors import Conflict, NotFound
from maillon.shipping.labels import Address, LabelData, render_label
from maillon.shipping.model import PROGRESS, TrackingStatus
from maillon.shipping.zpl import render_zpl

__all__ = [
    "ALL_CAPABILITIES",
    "AccountMode",
    "BaseGateway",
    "Capability",
    "CarrierAccount",
    "CarrierEvent",
    "CarrierGateway",
    "CarrierQuote",
    "CarrierRelayPoint",
    "CarrierUnavailable",
    "CreatedShipment",
    "FakeCarrierGateway",
    "LabelFormat",
    "LocalCarrierGateway",
    "ShipmentRequest",
    "Unsupported",
]


class LabelFormat(StrEnum):
    """The document a label comes as: a PDF for office printers, ZPL for Zebra thermal ones."""

    PDF = "pdf"
    ZPL = "zpl"


class Capability(StrEnum):
    """What a carrier gateway can do (the per-carrier table of the README)."""

    CREATE = "create"
    CANCEL = "cancel"
    TRACK = "track"
    RELAY_SEARCH = "relay_search"
    RETURN_LABEL = "return_label"
    ZPL = "zpl"
    RATES = "rates"


ALL_CAPABILITIES = frozenset(Capability)


class AccountMode(StrEnum):
    """How Maillon uses a carrier account: its test API, its live API, or no API at all
    (rate cards and self-printed GS1 labels)."""

    SANDBOX = "sandbox"
    LIVE = "live"
    RATE_CARD = "rate_card"


class CarrierUnavailable(Exception):
    """The carrier did not answer usefully now (time-out, 5xx, 429): nothing was registered.

    ``retry_after`` is the wait in seconds the carrier asked for, if any.
    """

    def __init__(self, carrier: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(f"carrier {carrier} is unavailable: {message}")
        self.carrier = carrier
        self.retry_after = retry_after


class Unsupported(Conflict):
    """The carrier's API does not offer this (e.g. relay points at an express carrier)."""

    def __init__(self, carrier: str, capability: Capability) -> None:
        super().__init__(f"carrier {carrier} does not offer {capability.value.replace('_', ' ')}")
        self.carrier = carrier
        self.capability = capability


@dataclass(frozen=True, kw_only=True)
class CarrierAccount:
    """One merchant account at a carrier, as a connector needs it (decrypted).

    ``carrier`` is Maillon's carrier code, ``connector`` the API it speaks (``colissimo``,
    ``mondial_relay``, ...). ``credentials`` hold what the carrier issued (login, password,
    API key, account number: each connector names the keys it requires). ``base_url``
    replaces the carrier's sandbox or production address (a proxy, or a local server in
    tests). ``options`` are connector settings that are not secret (e.g. a contract code).
    Raises ValueError for an empty carrier or connector code.
    """

    carrier: str
    connector: str
    mode: AccountMode = AccountMode.SANDBOX
    credentials: Mapping[str, str] = field(default_factory=dict)
    base_url: str | None = None
    label_format: LabelFormat = LabelFormat.PDF
    options: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.carrier.strip() or not self.connector.strip():
            raise ValueError("a carrier account needs a carrier and a connector code.")
        object.__setattr__(self, "mode", AccountMode(self.mode))
        object.__setattr__(self, "label_format", LabelFormat(self.label_format))
        object.__setattr__(self, "credentials", MappingProxyType(dict(self.credentials)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    def __repr__(self) -> str:  # never print the secrets
        return (
            f"CarrierAccount(carrier={self.carrier!r}, connector={self.connector!r}, "
            f"mode={self.mode.value!r}, credentials=<{len(self.credentials)} hidden>)"
        )


@dataclass(frozen=True, kw_only=True)
class ShipmentRequest:
    """One parcel to hand to a carrier: the label data but the carrier and tracking number.

    Fields mean what they mean in :class:`~maillon.shipping.labels.LabelData`; they are
    validated when the label is built (:meth:`label`). ``service`` is the service's code on
    the carrier's rate card (``chrono13``: what connectors map to the carrier's product);
    ``service_name`` the words printed on our own label (the code when empty).
    """

    sscc: str
    service: str
    sender: Address
    recipient: Address
    weight_g: int
    ship_date: date
    parcel_number: int = 1
    parcel_count: int = 1
    order_reference: str = ""
    relay_point: str | None = None
    routing_code: str | None = None
    print_phone: bool = False
    service_name: str = ""

    def label(self, *, carrier: str, tracking_number: str) -> LabelData:
        """Return the label data of this parcel. Raises ValidationError for invalid fields."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        fields["service"] = fields.pop("service_name") or self.service
        return LabelData(carrier=carrier, tracking_number=tracking_number, **fields)


@dataclass(frozen=True)
class CreatedShipment:
    """What a carrier returns for a new shipment: its tracking number and the label, as a
    PDF, as ZPL, or both (an empty ``bytes`` is a format the carrier did not send).
    ``carrier_reference`` is the carrier's own id of the shipment when it differs from the
    tracking number (needed to cancel at some carriers)."""

    carrier: str
    tracking_number: str
    label_pdf: bytes
    label_zpl: bytes = b""
    carrier_reference: str = ""


@dataclass(frozen=True, kw_only=True)
class CarrierRelayPoint:
    """A relay point or parcel locker as a carrier's search returns it.

    ``point_id`` is the carrier's id (what the label needs); ``kind`` is ``relay`` or
    ``locker``; ``distance_m`` from the searched address when the carrier gives it.
    """

    carrier: str
    point_id: str
    name: str
    line1: str
    postcode: str
    city: str
    country: str
    lat: float | None = None
    lon: float | None = None
    kind: str = "relay"
    opening_hours: str = ""
    distance_m: int | None = None


@dataclass(frozen=True, kw_only=True)
class CarrierQuote:
    """A price the carrier's API quoted for one service (cents, tax excluded)."""

    carrier: str
    service: str
    price_cents: int
    currency: str = "EUR"
    transit_days: int | None = None


@dataclass(frozen=True, kw_only=True)
class CarrierEvent:
    """A tracking event as a carrier reports it, mapped to our status model.

    ``event_id`` is unique per carrier (replays carry the same id); ``occurred_at`` must be
    timezone-aware. Raises ValueError for an empty event id or a naive time.
    """

    event_id: str
    tracking_number: str
    status: TrackingStatus
    occurred_at: datetime
    location: str = ""
    description: str = ""

    def __post_init__(self) -> None:
        if not self.event_id.strip():
            raise ValueError("carrier event_id cannot be empty.")
        if self.occurred_at.tzinfo is None:
            raise ValueError("carrier event occurred_at must be timezone-aware.")


@runtime_checkable
class CarrierGateway(Protocol):
    """What Maillon needs from a carrier. ``code`` is the carrier's code in Maillon;
    ``capabilities`` what this gateway can do (the other calls raise :class:`Unsupported`)."""

    @property
    def code(self) -> str:
        """The carrier code (``colissimo``, ``dhl``, ...)."""
        ...

    @property
    def capabilities(self) -> frozenset[Capability]:
        """What this gateway can do."""
        ...

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Register one parcel; return its tracking number and label. Raises ValidationError."""
        ...

    def cancel(self, tracking_number: str) -> None:
        """Cancel a parcel not yet picked up (idempotent). Raises NotFound or Conflict."""
        ...

    def fetch_events(self, tracking_number: str) -> tuple[CarrierEvent, ...]:
        """Return the parcel's events, oldest first. Raises NotFound."""
        ...

    def find_relay_points(
        self, *, postcode: str, city: str, country: str, limit: int = 10
    ) -> tuple[CarrierRelayPoint, ...]:
        """Return the carrier's relay points nearest the address, nearest first."""
        ...

    def create_return(self, request: ShipmentRequest) -> CreatedShipment:
        """Issue a prepaid return label: ``request.sender`` is the customer sending back,
        ``request.recipient`` the warehouse. Raises ValidationError."""
        ...

    def quote(self, request: ShipmentRequest) -> tuple[CarrierQuote, ...]:
        """Return the carrier's prices for the parcel, one per service it offers."""
        ...


class BaseGateway:
    """Defaults for what a gateway cannot do: each such call raises :class:`Unsupported`.
    Subclasses set ``capabilities`` and override what they offer."""

    capabilities: frozenset[Capability] = frozenset()

    @property
    def code(self) -> str:
        """The carrier code."""
        raise NotImplementedError

    def find_relay_points(
        self, *, postcode: str, city: str, country: str, limit: int = 10
    ) -> tuple[CarrierRelayPoint, ...]:
        """Raise Unsupported unless overridden."""
        raise Unsupported(self.code, Capability.RELAY_SEARCH)

    def create_return(self, request: ShipmentRequest) -> CreatedShipment:
        """Raise Unsupported unless overridden."""
        raise Unsupported(self.code, Capability.RETURN_LABEL)

    def quote(self, request: ShipmentRequest) -> tuple[CarrierQuote, ...]:
        """Raise Unsupported unless overridden."""
        raise Unsupported(self.code, Capability.RATES)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _FakeParcel:
    request: ShipmentRequest
    events: list[CarrierEvent]
    cancelled: bool = False


class FakeCarrierGateway(BaseGateway):
    """An in-memory carrier for tests: deterministic tracking numbers, scripted events.

    Tracking numbers are ``f"{tracking_prefix}{n:011d}FR"`` for n = 1, 2, ... in creation
    order. ``now`` gives the time of the ``label_created`` events (default: the real UTC
    time). Set ``fail_with`` to an exception to make every call raise it (a carrier outage).
    ``render=False`` skips drawing the label (``label_pdf`` and ``label_zpl`` are then
    empty). Return labels (:meth:`create_return`) are numbered in the same sequence;
    ``offers_returns=False`` makes it a carrier without them (:class:`Unsupported`).
    """

    def __init__(
        self,
        *,
        code: str = "fake",
        name: str = "Fake Carrier",
        tracking_prefix: str = "FK",
        now: Callable[[], datetime] = _utc_now,
        render: bool = True,
        offers_returns: bool = True,
    ) -> None:
        self._code = code
        self.name = name
        self.tracking_prefix = tracking_prefix
        self._now = now
        self._render = render
        self._parcels: dict[str, _FakeParcel] = {}
        self.returns: list[ShipmentRequest] = []
        self.fail_with: Exception | None = None
        offered = {Capability.CREATE, Capability.CANCEL, Capability.TRACK, Capability.ZPL}
        if offers_returns:
            offered.add(Capability.RETURN_LABEL)
        self.capabilities = frozenset(offered)

    @property
    def code(self) -> str:
        """The carrier code."""
        return self._code

    @property
    def requests(self) -> tuple[ShipmentRequest, ...]:
        """Return every request received, in order (cancelled ones included)."""
        return tuple(p.request for p in self._parcels.values())

    def is_cancelled(self, tracking_number: str) -> bool:
        """Return True if the parcel was cancelled. Raises NotFound."""
        return self._parcel(tracking_number).cancelled

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Return a new tracking number and label. Raises ValidationError for bad fields."""
        self._maybe_fail()
        number = f"{self.tracking_prefix}{len(self._parcels) + 1:011d}FR"
        created = self._created(request, number)
        event = CarrierEvent(
            event_id=f"{number}-1",
            tracking_number=number,
            status=TrackingStatus.LABEL_CREATED,
            occurred_at=self._now(),
        )
        self._parcels[number] = _FakeParcel(request=request, events=[event])
        return created

    def create_return(self, request: ShipmentRequest) -> CreatedShipment:
        """Return a prepaid return label (sender: the customer). Raises Unsupported when the
        carrier offers none, ValidationError for bad fields."""
        if Capability.RETURN_LABEL not in self.capabilities:
            raise Unsupported(self.code, Capability.RETURN_LABEL)
        self._maybe_fail()
        number = f"{self.tracking_prefix}{len(self._parcels) + 1:011d}FR"
        created = self._created(request, number)
        self._parcels[number] = _FakeParcel(request=request, events=[])
        self.returns.append(request)
        return created

    def _created(self, request: ShipmentRequest, number: str) -> CreatedShipment:
        label = request.label(carrier=self.name, tracking_number=number)
        pdf = render_label(label) if self._render else b""
        zpl = render_zpl(label) if self._render else b""
        return CreatedShipment(
            carrier=self.code, tracking_number=number, label_pdf=pdf, label_zpl=zpl
        )

    def cancel(self, tracking_number: str) -> None:
        """Cancel the parcel (again: no-op). Raises NotFound, or Conflict once picked up."""
        self._maybe_fail()
        parcel = self._parcel(tracking_number)
        reached = max((PROGRESS[e.status] for e in parcel.events), default=0)
        if reached >= PROGRESS[TrackingStatus.PICKED_UP]:
            raise Conflict(f"parcel {tracking_number} is already with the carrier.")
        parcel.cancelled = True

    def fetch_events(self, tracking_number: str) -> tuple[CarrierEvent, ...]:
        """Return the parcel's events in the order they were recorded. Raises NotFound."""
        self._maybe_fail()
        return tuple(self._parcel(tracking_number).events)

    def push_event(
        self,
        tracking_number: str,
        status: TrackingStatus,
        *,
        occurred_at: datetime,
        location: str = "",
        description: str = "",
    ) -> CarrierEvent:
        """Record a carrier scan and return it. Raises NotFound, or Conflict if cancelled."""
        parcel = self._parcel(tracking_number)
        if parcel.cancelled:
            raise Conflict(f"parcel {tracking_number} was cancelled.")
        event = CarrierEvent(
            event_id=f"{tracking_number}-{len(parcel.events) + 1}",
            tracking_number=tracking_number,
            status=status,
            occurred_at=occurred_at,
            location=location,
            description=description,
        )
        parcel.events.append(event)
        return event

    def _parcel(self, tracking_number: str) -> _FakeParcel:
        try:
            return self._parcels[tracking_number]
        except KeyError:
            raise NotFound("parcel", tracking_number, field="tracking_number") from None

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with


class LocalCarrierGateway(BaseGateway):
    """The gateway of a carrier that takes our own GS1 labels.

    ``tracking_number`` turns a request into its tracking number (the range the carrier
    allocated to the merchant); by default ``tracking_prefix + sscc``. Labels come as PDF and
    ZPL; a return label (:meth:`create_return`) is our own label too, from the customer to
    the warehouse, numbered in the same range. Raises ValueError for an empty code or name.
    """

    capabilities = frozenset(
        {Capability.CREATE, Capability.CANCEL, Capability.ZPL, Capability.RETURN_LABEL}
    )

    def __init__(
        self,
        *,
        code: str,
        name: str,
        tracking_prefix: str = "",
        tracking_number: Callable[[ShipmentRequest], str] | None = None,
    ) -> None:
        if not code or not name.strip():
            raise ValueError("a carrier gateway needs a code and a name.")
        self._code = code
        self.name = name
        self.tracking_prefix = tracking_prefix
        self._tracking_number = tracking_number

    @property
    def code(self) -> str:
        """The carrier code."""
        return self._code

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        """Return the tracking number and our rendered label. Raises ValidationError."""
        if self._tracking_number is not None:
            number = self._tracking_number(request)
        else:
            number = f"{self.tracking_prefix}{request.sscc}"
        label = request.label(carrier=self.name, tracking_number=number)
        return CreatedShipment(
            carrier=self.code,
            tracking_number=number,
            label_pdf=render_label(label),
            label_zpl=render_zpl(label),
        )

    def create_return(self, request: ShipmentRequest) -> CreatedShipment:
        """Return a prepaid return label: our own GS1 label from ``request.sender`` (the
        customer) to ``request.recipient`` (the warehouse), a tracking number from the range.
        Raises ValidationError."""
        return self.create_shipment(request)

    def cancel(self, tracking_number: str) -> None:
        """Do nothing: a self-printed label the carrier never scanned is simply void."""

    def fetch_events(self, tracking_number: str) -> tuple[CarrierEvent, ...]:
        """Return no event: this carrier reports through webhooks or files, not polling."""
        return ()
