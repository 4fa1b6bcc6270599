"""Printing labels (and packing slips) in batch: one PDF, or one ZPL stream for a Zebra.

A :class:`Selection` names the shipments: by id, by order number, or "shipped on a day (and
by one carrier: its manifest) and not yet printed". :func:`check_selection` (reads only)
resolves it; :func:`print_batch` builds the document and records, in its transaction, that
each shipment was printed (``label_prints``), so the next "not yet printed" batch leaves them
out.

Each parcel's label is the document the carrier returned (``shipping_labels``). In PDF, a
carrier's PDF is used as is, and our own GS1 label is drawn for a parcel without one. In ZPL,
the carrier's ZPL is used; a parcel whose carrier sent only a PDF is refused (naming the
shipments) unless the label is our own (a self-printed GS1 label, which we draw again in
ZPL). With ``with_slips`` each shipment's packing slip follows its labels.

Errors: ValidationError (``format``, an empty selection, more than :data:`MAX_BATCH`
shipments), NotFound (``shipment_ids``, ``orders``, ``carrier``), Conflict (a shipment not
shipped yet, carrier labels that exist only as PDF, nothing left to print).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import Conflict, FieldError, NotFound, ValidationError
from maillon.orders.model import order_number, parse_order_number
from maillon.shipping import service as shipping
from maillon.shipping.batch import MAX_BATCH, PrintFormat, join_zpl, merge_pdfs
from maillon.shipping.carriers import LocalCarrierGateway
from maillon.shipping.labels import render_label
from maillon.shipping.service import documents
from maillon.shipping.service.history import local_day_bounds
from maillon.shipping.slips import render_slip_zpl, render_slips_pdf
from maillon.shipping.tables import Carrier, LabelPrint, Parcel, Shipment, ShippingLabel
from maillon.shipping.zpl import ZPL_MEDIA_TYPE, render_zpl

__all__ = [
    "MAX_BATCH",
    "PrintBatch",
    "Selection",
    "check_selection",
    "local_today",
    "print_batch",
]

PDF = "application/pdf"


@dataclass(frozen=True, kw_only=True)
class Selection:
    """The shipments of a batch: ``shipment_ids`` and ``orders`` (numbers) as given, or,
    with ``day``, those shipped that local day (by ``carrier`` only, when given) and not yet
    printed (the oldest :data:`MAX_BATCH` first; ask again for the next ones)."""

    shipment_ids: tuple[int, ...] = ()
    orders: tuple[str, ...] = ()
    day: dt.date | None = None
    carrier: str | None = None


@dataclass(frozen=True)
class PrintBatch:
    """A printed batch: the document, its media type and file name, what it holds."""

    content: bytes
    media_type: str
    filename: str
    shipment_ids: tuple[int, ...]
    labels: int
    slips: int


def local_today() -> dt.date:
    """Return today in Europe/Paris (the day "shipped today" means)."""
    return shipping.local_date(clock.now())


def _by_ids(session: Session, ids: Sequence[int]) -> list[Shipment]:
    found = {x.id: x for x in session.scalars(select(Shipment).where(Shipment.id.in_(ids))).all()}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound("shipment", ", ".join(map(str, missing)), field="shipment_ids")
    return [found[i] for i in ids]


def _by_orders(session: Session, numbers: Sequence[str]) -> list[Shipment]:
    ids = {n: parse_order_number(n) for n in numbers}
    shipments: list[Shipment] = []
    missing = []
    for number, order_id in ids.items():
        rows = (
            session.scalars(
                select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)
            ).all()
            if order_id is not None
            else []
        )
        if not rows:
            missing.append(number)
        shipments += rows
    if missing:
        raise NotFound("order", ", ".join(missing), field="orders")
    return shipments


def _not_printed(session: Session, day: dt.date, carrier_code: str | None) -> list[Shipment]:
    start, end = local_day_bounds(day, day)
    query = select(Shipment).where(
        Shipment.shipped_at >= start,
        Shipment.shipped_at < end,
        ~exists().where(LabelPrint.shipment_id == Shipment.id),
    )
    if carrier_code is not None:
        carrier = session.scalar(select(Carrier).where(Carrier.code == carrier_code))
        if carrier is None:
            raise NotFound("carrier", carrier_code, field="carrier")
        query = query.where(Shipment.carrier_id == carrier.id)
    shipments = session.scalars(query.order_by(Shipment.shipped_at, Shipment.id).limit(MAX_BATCH))
    return list(shipments.all())


def check_selection(*, session: Session, selection: Selection) -> list[Shipment]:
    """Return the shipments of ``selection``, in the order given (by shipping time for a
    day), each once. Reads only.

    Raises ValidationError (nothing or too much selected), NotFound (``shipment_ids``,
    ``orders``, ``carrier``), Conflict (not shipped yet; nothing left to print).
    """
    explicit = len(selection.shipment_ids) + len(selection.orders)
    if not explicit and selection.day is None:
        raise ValidationError(
            FieldError("selection", "give shipment ids, order numbers or a day (--today)")
        )
    if explicit and selection.day is not None:
        raise ValidationError(FieldError("day", "choose shipments or a day, not both"))
    if any(not 1 <= i < 2**31 for i in selection.shipment_ids):
        raise ValidationError(FieldError("shipment_ids", "shipment ids are positive numbers"))
    if explicit > MAX_BATCH:
        raise ValidationError(
            FieldError("selection", f"at most {MAX_BATCH} shipments or orders per batch")
        )
    if selection.day is not None:
        shipments = _not_printed(session, selection.day, selection.carrier)
        if not shipments:
            raise Conflict(f"nothing left to print: every shipment of {selection.day} is printed")
    else:
        if selection.carrier is not None:
            raise ValidationError(FieldError("carrier", "a carrier selects with a day only"))
        shipments = _by_ids(session, selection.shipment_ids)
        shipments += _by_orders(session, selection.orders)
    unique = list({x.id: x for x in shipments}.values())
    if len(unique) > MAX_BATCH:
        raise ValidationError(
            FieldError("selection", f"{len(unique)} shipments: at most {MAX_BATCH} per batch")
        )
    waiting = [x for x in unique if x.carrier is None or x.shipped_at is None]
    if waiting:
        names = ", ".join(f"{x.id} (order {order_number(x.order_id)})" for x in waiting)
        raise Conflict(f"shipments not shipped yet, so without labels: {names}")
    return unique


def _own_label(shipment: Shipment) -> bool:
    """Whether the shipment's carrier takes our self-printed GS1 labels."""
    assert shipment.carrier is not None
    return isinstance(shipping.gateway_for(shipment.carrier), LocalCarrierGateway)


def _documents(
    session: Session, shipments: Sequence[Shipment], fmt: PrintFormat
) -> tuple[list[tuple[Shipment, list[bytes]]], list[Shipment]]:
    """Return each shipment's label documents in ``fmt``, and the shipments refused."""
    out: list[tuple[Shipment, list[bytes]]] = []
    refused: list[Shipment] = []
    for shipment in shipments:
        docs: list[bytes] = []
        for parcel in shipment.parcels:
            doc = _parcel_document(session, shipment, parcel, fmt)
            if doc is None:
                refused.append(shipment)
                break
            docs.append(doc)
        else:
            out.append((shipment, docs))
    return out, refused


def _parcel_document(
    session: Session, shipment: Shipment, parcel: Parcel, fmt: PrintFormat
) -> bytes | None:
    """Return the parcel's label in ``fmt``, or None when only the carrier could draw it."""
    stored = session.get(ShippingLabel, parcel.id)
    if fmt is PrintFormat.ZPL:
        if stored is not None and stored.zpl_content:
            return stored.zpl_content
        if stored is not None and stored.media_type == ZPL_MEDIA_TYPE:
            return stored.content
    elif stored is not None and stored.media_type == PDF:
        return stored.content
    if stored is not None and not _own_label(shipment):
        return None
    data = documents.label_data(session=session, shipment=shipment, parcel=parcel)
    return render_zpl(data) if fmt is PrintFormat.ZPL else render_label(data)


def _refusal(refused: Sequence[Shipment], fmt: PrintFormat) -> Conflict:
    names = ", ".join(f"{x.id} (order {order_number(x.order_id)})" for x in refused)
    other = PrintFormat.PDF if fmt is PrintFormat.ZPL else PrintFormat.ZPL
    return Conflict(
        f"the carrier labels of shipments {names} exist only as {other.value.upper()}: "
        f"print them as {other.value}, or leave them out of this {fmt.value} batch"
    )


def print_batch(
    *,
    session: Session,
    selection: Selection,
    fmt: str = "pdf",
    with_slips: bool = False,
    actor: str,
) -> PrintBatch:
    """Return the labels (and packing slips) of the selected shipments as one document and
    record that they were printed. See the module for the rules and errors."""
    try:
        format_ = PrintFormat(fmt)
    except ValueError:
        raise ValidationError(FieldError("format", "must be pdf or zpl")) from None
    shipments = check_selection(session=session, selection=selection)
    labelled, refused = _documents(session, shipments, format_)
    if refused:
        raise _refusal(refused, format_)
    parts: list[bytes] = []
    slips = 0
    for shipment, docs in labelled:
        parts += docs
        if with_slips:
            slip = documents.slip_data(session=session, shipment=shipment)
            slips += len(slip.pages())
            if format_ is PrintFormat.PDF:
                parts.append(render_slips_pdf([slip]))
            else:
                parts.append(render_slip_zpl(slip))
    content = merge_pdfs(parts) if format_ is PrintFormat.PDF else join_zpl(parts)
    now = clock.now()
    for shipment in shipments:
        session.add(
            LabelPrint(
                shipment_id=shipment.id,
                format=format_.value,
                with_slips=with_slips,
                printed_by=actor[:120],
                printed_at=now,
            )
        )
    session.flush()
    ids = tuple(x.id for x in shipments)
    name = f"labels-{now:%Y%m%d-%H%M%S}.{format_.value}"
    return PrintBatch(
        content, format_.media_type, name, ids, sum(len(d) for _, d in labelled), slips
    )
