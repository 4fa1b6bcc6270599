"""Labels and packing slips printed in batch (maillon.shipping.service.printing): one PDF
(page count checked with pypdf) or one ZPL stream (read back by tests/helpers/zpl.py), the
prints recorded so "shipped today, not yet printed" leaves them out, carrier labels that
exist only as PDF refused by name in a ZPL batch."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.errors import Conflict, NotFound, ValidationError
from maillon.shipping import service as shipping
from maillon.shipping.batch import MAX_BATCH
from maillon.shipping.carriers import CreatedShipment, FakeCarrierGateway, ShipmentRequest
from maillon.shipping.service import printing
from maillon.shipping.tables import Carrier, LabelPrint, Shipment, ShippingLabel
from tests.helpers import packed_order
from tests.helpers.zpl import code128_data, fields, labels

NOON = datetime(2026, 11, 2, 11, tzinfo=UTC)


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def ship(db: Database, lines: list[tuple[str, int]] | None = None) -> tuple[str, Shipment]:
    number = packed_order(db, lines)
    with db.transaction() as s:
        (shipment,) = shipping.ship_order(
            session=s, number=number, carrier_code="colissimo", actor="o"
        )
        s.expunge(shipment)
    return number, shipment


def print_batch(db: Database, **kw: object) -> printing.PrintBatch:
    selection = printing.Selection(
        **{k: v for k, v in kw.items() if k in ("shipment_ids", "orders", "day", "carrier")}  # type: ignore[arg-type]
    )
    with db.transaction() as s:
        return printing.print_batch(
            session=s,
            selection=selection,
            fmt=str(kw.get("fmt", "pdf")),
            with_slips=bool(kw.get("with_slips", False)),
            actor="packer",
        )


@pytest.fixture
def noon() -> Iterator[None]:
    with clock.frozen_at(NOON):
        yield


@pytest.mark.usefixtures("noon")
def test_a_day_of_labels_prints_once_as_zpl_and_again_as_pdf(seeded: Database) -> None:
    first, a = ship(seeded, [("MUG-01", 1)])
    second, b = ship(seeded, [("MUG-01", 2), ("BOOK-07", 1)])
    parcels = len(a.parcels) + len(b.parcels)
    with seeded.reader() as s:  # the gateway's ZPL is kept next to the PDF
        kept = s.scalars(select(ShippingLabel)).all()
        assert len(kept) == parcels and all(k.zpl_content for k in kept)

    # given two orders shipped today, when the packer prints today's labels as ZPL
    batch = print_batch(seeded, day=printing.local_today(), fmt="zpl")
    assert batch.media_type == "application/zpl" and set(batch.shipment_ids) == {a.id, b.id}
    stream = labels(batch.content.decode("utf-8"))
    # then one ^XA..^XZ per parcel, each with ^CI28 and its SSCC as GS1-128
    assert len(stream) == parcels == batch.labels
    ssccs = {p.sscc for x in (a, b) for p in x.parcels}
    printed = set()
    for lab in stream:
        assert lab.has("^CI", "28")
        barcodes = [f for f in fields(lab) if f.kind == "^BC"]
        assert len(barcodes) == 2
        printed.add(code128_data(barcodes[1].data).removeprefix("<FNC1>00"))
    assert printed == ssccs

    # and they are recorded: "today, not yet printed" has nothing left
    with seeded.reader() as s:
        assert s.scalar(select(func.count()).select_from(LabelPrint)) == 2
    with pytest.raises(Conflict, match="nothing left to print"):
        print_batch(seeded, day=printing.local_today(), fmt="zpl")

    # a reprint by order number, as PDF with packing slips interleaved
    again = print_batch(seeded, orders=(first, second), with_slips=True)
    assert again.media_type == "application/pdf" and again.slips == 2
    assert pages(again.content) == parcels + 2
    text = PdfReader(io.BytesIO(again.content)).pages[len(a.parcels)].extract_text()
    assert "PACKING SLIP" in text and first in text and "MUG-01" in text

    # on a thermal printer, the slip is a 4 x 6 in label of its own after the parcel's labels
    roll = print_batch(seeded, shipment_ids=(a.id,), fmt="zpl", with_slips=True)
    slip = labels(roll.content.decode("utf-8"))[-1]
    slip_text = [f.data for f in fields(slip)]
    assert len(labels(roll.content.decode("utf-8"))) == len(a.parcels) + 1
    assert "PACKING SLIP / BON DE LIVRAISON" in slip_text and slip.has("^CI", "28")
    assert f"Order / Commande {first}" in slip_text
    assert any(t.startswith("1 x MUG-01") for t in slip_text)

    # a third order shipped later is the only one "not yet printed"
    _third, c = ship(seeded)
    only = print_batch(seeded, day=printing.local_today(), carrier="colissimo", fmt="zpl")
    assert only.shipment_ids == (c.id,)


class PdfOnly(FakeCarrierGateway):
    """A carrier whose API sends the label as a PDF only."""

    def create_shipment(self, request: ShipmentRequest) -> CreatedShipment:
        created = super().create_shipment(request)
        return CreatedShipment(created.carrier, created.tracking_number, created.label_pdf)


@pytest.mark.usefixtures("noon")
def test_a_carrier_pdf_is_refused_in_zpl_by_name_but_prints_as_pdf(seeded: Database) -> None:
    _own, ours = ship(seeded)
    gateway = PdfOnly(code="colissimo", tracking_prefix="6A", now=clock.now)

    def factory(carrier: Carrier) -> FakeCarrierGateway:
        return gateway

    with shipping.use_gateways(factory):
        number, theirs = ship(seeded)
        with pytest.raises(Conflict) as refused:
            print_batch(seeded, shipment_ids=(ours.id, theirs.id), fmt="zpl")
        assert f"{theirs.id} (order {number})" in refused.value.message
        assert (
            "exist only as PDF" in refused.value.message
            and str(ours.id)
            not in (refused.value.message.split("shipments ")[1].split(" exist")[0])
        )
        with seeded.reader() as s:  # nothing recorded for a refused batch
            assert s.scalar(select(func.count()).select_from(LabelPrint)) == 0
        batch = print_batch(seeded, shipment_ids=(theirs.id,), fmt="pdf")
        assert pages(batch.content) == len(theirs.parcels)
    # our own label with only a PDF kept (an older label) is drawn again in ZPL
    with seeded.transaction() as s:
        for parcel in ours.parcels:
            row = s.get(ShippingLabel, parcel.id)
            assert row is not None
            row.zpl_content = None
    batch = print_batch(seeded, shipment_ids=(ours.id,), fmt="zpl")
    assert len(labels(batch.content.decode("utf-8"))) == len(ours.parcels)


@pytest.mark.usefixtures("noon")
def test_bad_selections_are_refused_naming_the_field(seeded: Database) -> None:
    _number, shipment = ship(seeded)
    cases: list[tuple[dict[str, object], type[Exception], str]] = [
        ({"shipment_ids": (shipment.id, 999_999)}, NotFound, "shipment_ids"),
        ({"orders": ("M9999999",)}, NotFound, "orders"),
        ({"orders": ("not-a-number",)}, NotFound, "orders"),
        ({"shipment_ids": (2**40,)}, ValidationError, "shipment_ids"),
        ({"shipment_ids": tuple(range(1, MAX_BATCH + 2))}, ValidationError, "selection"),
        ({}, ValidationError, "selection"),
        ({"shipment_ids": (shipment.id,), "fmt": "png"}, ValidationError, "format"),
        ({"day": printing.local_today(), "carrier": "nope"}, NotFound, "carrier"),
        (
            {"shipment_ids": (shipment.id,), "day": printing.local_today()},
            ValidationError,
            "day",
        ),
    ]
    for kw, error, field in cases:
        with pytest.raises(error) as raised:
            print_batch(seeded, **kw)
        body = raised.value.to_dict()  # type: ignore[attr-defined]
        assert field in str(body), (kw, body)
    packed = packed_order(seeded)
    with pytest.raises(Conflict, match="not shipped yet"):
        print_batch(seeded, orders=(packed,))
