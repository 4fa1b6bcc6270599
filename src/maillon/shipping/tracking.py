"""Carrier tracking webhooks (pure): each carrier's event format mapped to one status model.

Carriers push tracking events in their own shapes and codes. A *mapper* turns one webhook
body into :class:`MappedEvent` s in Maillon's :class:`~maillon.shipping.model.TrackingStatus`
model, plus the events it could not map (:class:`Ignored`, e.g. a code the table does not
know yet: the rest of the batch still counts, so a carrier adding a code never blocks its
webhook). Malformed bodies raise :class:`~maillon.core.errors.ValidationError` naming the
field (``events.0.date``).

Two formats, shaped after two French carriers' public documentation (illustrative, not
official):

``colissimo`` (one parcel, its events with six-letter event codes and ISO times)::

    {"parcelNumber": "6A12345678901",
     "events": [{"code": "PCHCFM", "date": "2026-11-02T08:15:00+01:00",
                 "label": "Votre colis est pris en charge", "siteName": "PFC Saint-Priest"}]}

  The event id is ``<parcelNumber>:<code>:<date>`` (Colissimo sends no id of its own), so a
  replay of the same scan is recognised. Codes: :data:`COLISSIMO_CODES`, then by family
  (``LIV...`` delivered, ``MLV...`` out for delivery, ``REN...`` exception...).

``dpd`` (scans of several parcels, two-digit scan codes, local date and time)::

    {"scans": [{"scanId": "7781", "parcelLabelNumber": "DPD0000000001FR", "scanCode": "13",
                "scanDate": "2026-11-03", "scanTime": "11:42:00", "depotCity": "Lyon",
                "scanDescription": "Delivered"}]}

  Times are local Europe/Paris wall-clock times. Codes: :data:`DPD_CODES`.

:func:`mapper_for` returns the mapper of a carrier code, or None.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from maillon.core.errors import FieldError, ValidationError
from maillon.shipping.model import TrackingStatus

__all__ = [
    "COLISSIMO_CODES",
    "DPD_CODES",
    "Ignored",
    "MappedBatch",
    "MappedEvent",
    "Mapper",
    "map_colissimo",
    "map_dpd",
    "mapped_carriers",
    "mapper_for",
]

_PARIS = ZoneInfo("Europe/Paris")
_MAX_EVENTS = 500

S = TrackingStatus
COLISSIMO_CODES: dict[str, TrackingStatus] = {
    "COMCFM": S.LABEL_CREATED,  # label created, parcel announced
    "DEPGUI": S.PICKED_UP,  # dropped at a post office
    "PCHCFM": S.PICKED_UP,  # collected
    "PCHTAR": S.PICKED_UP,  # collected late
    "ET1CFM": S.IN_TRANSIT,
    "ET2CFM": S.IN_TRANSIT,
    "ET3CFM": S.IN_TRANSIT,
    "ET4CFM": S.IN_TRANSIT,
    "AARCFM": S.IN_TRANSIT,  # arrived at the delivery site
    "DCHCFM": S.IN_TRANSIT,  # left the sorting centre
    "MLVARS": S.OUT_FOR_DELIVERY,
    "LIVCFM": S.DELIVERED,
    "LIVGAR": S.DELIVERED,  # to the caretaker
    "LIVVOI": S.DELIVERED,  # to a neighbour
    "LIVRTI": S.DELIVERED,  # collected at the pick-up point
    "RENAVI": S.EXCEPTION,  # recipient absent, notice left
    "RENARV": S.EXCEPTION,  # address incomplete
    "RENDIA": S.EXCEPTION,  # damaged
    "RSTBRT": S.RETURNED,  # back to the sender
}
"""Colissimo-like event codes; unknown codes fall back to :data:`_COLISSIMO_FAMILIES`."""

_COLISSIMO_FAMILIES: tuple[tuple[str, TrackingStatus], ...] = (
    ("LIV", S.DELIVERED),
    ("MLV", S.OUT_FOR_DELIVERY),
    ("PCH", S.PICKED_UP),
    ("ET", S.IN_TRANSIT),
    ("REN", S.EXCEPTION),
    ("RST", S.RETURNED),
)

DPD_CODES: dict[str, TrackingStatus] = {
    "01": S.LABEL_CREATED,  # data received
    "05": S.PICKED_UP,  # collected from the shipper
    "02": S.IN_TRANSIT,  # at the sending depot
    "10": S.IN_TRANSIT,  # at the hub
    "08": S.IN_TRANSIT,  # stored at the delivery depot
    "03": S.OUT_FOR_DELIVERY,
    "13": S.DELIVERED,
    "23": S.DELIVERED,  # delivered to a parcel shop, collected
    "14": S.EXCEPTION,  # not delivered (absent, refused, address)
    "09": S.EXCEPTION,  # damaged, held
    "06": S.RETURNED,
    "17": S.RETURNED,
}
"""DPD-like scan codes."""


@dataclass(frozen=True, slots=True)
class MappedEvent:
    """One carrier event in Maillon's model; ``code`` is the carrier's own code."""

    event_id: str
    tracking_number: str
    status: TrackingStatus
    occurred_at: dt.datetime
    code: str
    location: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True)
class Ignored:
    """An event of the webhook that was not mapped: its position, code and why."""

    index: int
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class MappedBatch:
    """What a webhook body holds: the mapped events and the ignored ones."""

    events: tuple[MappedEvent, ...]
    ignored: tuple[Ignored, ...]


Mapper = Callable[[Any], MappedBatch]


def _fail(field: str, message: str) -> ValidationError:
    return ValidationError(FieldError(field, message))


def _text(item: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str:
    value = item.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(f"{path}.{key}" if path else key, "must be non-empty text")
    if len(value) > 300:
        raise _fail(f"{path}.{key}" if path else key, "must have at most 300 characters")
    return value.strip()


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(field, "must be an object")
    return value


def _items(body: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    value = body.get(key)
    if not isinstance(value, list) or not value:
        raise _fail(key, "must be a non-empty list")
    if len(value) > _MAX_EVENTS:
        raise _fail(key, f"must hold at most {_MAX_EVENTS} events")
    return [_mapping(item, f"{key}.{k}") for k, item in enumerate(value)]


def _colissimo_status(code: str) -> TrackingStatus | None:
    status = COLISSIMO_CODES.get(code)
    if status is None:
        status = next((s for prefix, s in _COLISSIMO_FAMILIES if code.startswith(prefix)), None)
    return status


def map_colissimo(body: Any) -> MappedBatch:
    """Map a Colissimo-like webhook body (see the module docstring). Raises ValidationError."""
    body = _mapping(body, "body")
    number = _text(body, "parcelNumber", "")
    events: list[MappedEvent] = []
    ignored: list[Ignored] = []
    for k, item in enumerate(_items(body, "events")):
        path = f"events.{k}"
        code = _text(item, "code", path).upper()
        raw = _text(item, "date", path)
        try:
            at = dt.datetime.fromisoformat(raw)
        except ValueError:
            raise _fail(
                f"{path}.date", "must be an ISO date-time such as 2026-11-02T08:15:00+01:00"
            ) from None
        if at.tzinfo is None:
            raise _fail(f"{path}.date", "must carry its UTC offset (+01:00)")
        status = _colissimo_status(code)
        if status is None:
            ignored.append(Ignored(k, code, "unknown Colissimo event code"))
            continue
        events.append(
            MappedEvent(
                event_id=f"{number}:{code}:{at.isoformat()}",
                tracking_number=number,
                status=status,
                occurred_at=at.astimezone(dt.UTC),
                code=code,
                location=_text(item, "siteName", path, required=False)[:120],
                description=_text(item, "label", path, required=False)[:300],
            )
        )
    return MappedBatch(tuple(events), tuple(ignored))


def map_dpd(body: Any) -> MappedBatch:
    """Map a DPD-like webhook body (see the module docstring). Raises ValidationError."""
    body = _mapping(body, "body")
    events: list[MappedEvent] = []
    ignored: list[Ignored] = []
    for k, item in enumerate(_items(body, "scans")):
        path = f"scans.{k}"
        scan_id = _text(item, "scanId", path)
        number = _text(item, "parcelLabelNumber", path)
        code = _text(item, "scanCode", path)
        try:
            day = dt.date.fromisoformat(_text(item, "scanDate", path))
        except ValueError:
            raise _fail(f"{path}.scanDate", "must be a date such as 2026-11-03") from None
        try:
            time = dt.time.fromisoformat(_text(item, "scanTime", path))
        except ValueError:
            raise _fail(f"{path}.scanTime", "must be a time such as 11:42:00") from None
        status = DPD_CODES.get(code)
        if status is None:
            ignored.append(Ignored(k, code, "unknown DPD scan code"))
            continue
        local = dt.datetime.combine(day, time.replace(tzinfo=None), tzinfo=_PARIS)
        events.append(
            MappedEvent(
                event_id=scan_id,
                tracking_number=number,
                status=status,
                occurred_at=local.astimezone(dt.UTC),
                code=code,
                location=_text(item, "depotCity", path, required=False)[:120],
                description=_text(item, "scanDescription", path, required=False)[:300],
            )
        )
    return MappedBatch(tuple(events), tuple(ignored))


_MAPPERS: dict[str, Mapper] = {"colissimo": map_colissimo, "dpd": map_dpd}


def mapper_for(carrier: str) -> Mapper | None:
    """Return the webhook mapper of ``carrier`` (a carrier code), or None if it has none."""
    return _MAPPERS.get(carrier)


def mapped_carriers() -> tuple[str, ...]:
    """Return the carrier codes with a webhook mapper."""
    return tuple(sorted(_MAPPERS))
