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

Errors come from :mod:`maillon.core.errors`: ``NotFound`` for an unknown tracking number,
``Conflict`` when a parcel already picked up is cancelled, ``ValidationError`` for bad
requests (raised by :class:`ShipmentRequest` and the label data).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Protocol, runtime_checkable

from maillon.core.errors import Conflict, NotFound
from maillon.shipping.labels import Address, LabelData, render_label
from maillon.shipping.model import PROGRESS, TrackingStatus

__all__ = [
    "CarrierEvent",
    "CarrierGateway",
    "CreatedShipment",
    "FakeCarrierGateway",
    "LocalCarrierGateway",
    "ShipmentRequest",
]


@dataclass(frozen=True, kw_only=True)
class ShipmentRequest:
    """One parcel to hand to a carrier: the label data but the carrier and tracking number.

    Fields mean what they mean in :class:`~maillon.shipping.labels.LabelData`; they are
    validated when the label is built (:meth:`label`).
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

    def label(self, *, carrier: str, tracking_number: str) -> LabelData:
        """Return the label data of this parcel. Raises ValidationError for invalid fields."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return LabelData(carrier=carrier, tracking_number=tracking_number, **fields)


@dataclass(frozen=True)
class CreatedShipment:
    """What a carrier returns for a new shipment: its tracking number and the label PDF."""

    carrier: str
    tracking_number: str
    label_pdf: bytes


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
    """What Maillon needs from a carrier. ``code`` is the carrier's code in Maillon."""

    @property
    def code(self) -> str:
        """The carrier code (``colissimo``, ``dhl``, ...)."""
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


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class _FakeParcel:
    request: ShipmentRequest
    events: list[CarrierEvent]
    cancelled: bool = False


class FakeCarrierGateway:
    """An in-memory carrier for tests: deterministic tracking numbers, scripted events.

    Tracking numbers are ``f"{tracking_prefix}{n:011d}FR"`` for n = 1, 2, ... in creation
    order. ``now`` gives the time of the ``label_created`` events (default: the real UTC
    time). Set ``fail_with`` to an exception to make every call raise it (a carrier outage).
    ``render=False`` skips drawing the label PDF (``label_pdf`` is then empty).
    """

    def __init__(
        self,
        *,
        code: str = "fake",
        name: str = "Fake Carrier",
        tracking_prefix: str = "FK",
        now: Callable[[], datetime] = _utc_now,
        render: bool = True,
    ) -> None:
        self._code = code
        self.name = name
        self.tracking_prefix = tracking_prefix
        self._now = now
        self._render = render
        self._parcels: dict[str, _FakeParcel] = {}
        self.fail_with: Exception | None = None

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
        label = request.label(carrier=self.name, tracking_number=number)
        pdf = render_label(label) if self._render else b""
        event = CarrierEvent(
            event_id=f"{number}-1",
            tracking_number=number,
            status=TrackingStatus.LABEL_CREATED,
            occurred_at=self._now(),
        )
        self._parcels[number] = _FakeParcel(request=request, events=[event])
        return CreatedShipment(carrier=self.code, tracking_number=number, label_pdf=pdf)

    def cancel(self, tracking_number: str) -> None:
        """Cancel the parcel (again: no-op). Raises NotFound, or Conflict once picked up."""
        self._maybe_fail()
        parcel = self._parcel(tracking_number)
        reached = max(PROGRESS[e.status] for e in parcel.events)
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


class LocalCarrierGateway:
    """The gateway of a carrier that takes our own GS1 labels.

    ``tracking_number`` turns a request into its tracking number (the range the carrier
    allocated to the merchant); by default ``tracking_prefix + sscc``. Raises ValueError
    for an empty code or name.
    """

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
        pdf = render_label(request.label(carrier=self.name, tracking_number=number))
        return CreatedShipment(carrier=self.code, tracking_number=number, label_pdf=pdf)

    def cancel(self, tracking_number: str) -> None:
        """Do nothing: a self-printed label the carrier never scanned is simply void."""

    def fetch_events(self, tracking_number: str) -> tuple[CarrierEvent, ...]:
        """Return no event: this carrier reports through webhooks or files, not polling."""
        return ()
