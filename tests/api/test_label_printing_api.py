"""Batch printing at the edges: ``POST /api/v1/shipping/print`` (content types, 4xx for too
many or unknown shipments), ``maillon shipping print`` and the console's button (FR/EN)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from pypdf import PdfReader
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core import clock
from maillon.core.db import Database
from maillon.shipping import service as shipping
from tests.helpers import packed_order
from tests.helpers.console import sign_in
from tests.helpers.zpl import labels

Auth = dict[str, dict[str, str]]
NOON = datetime(2026, 11, 2, 11, tzinfo=UTC)
runner = CliRunner()


def shipped(db: Database, count: int) -> list[tuple[str, int, int]]:
    """Ship ``count`` orders with Colissimo; return (order, shipment id, parcels) of each."""
    out = []
    for _ in range(count):
        number = packed_order(db)
        with db.transaction() as s:
            (x,) = shipping.ship_order(
                session=s, number=number, carrier_code="colissimo", actor="o"
            )
            out.append((number, x.id, len(x.parcels)))
    return out


def test_the_api_answers_a_pdf_or_a_zpl_stream(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    with clock.frozen_at(NOON):
        ships = shipped(seeded, 2)
        parcels = sum(n for *_, n in ships)
        r = client.post(
            "/api/v1/shipping/print",
            json={"today": True, "format": "zpl"},
            headers=auth["operator"],
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/zpl"
        assert len(labels(r.content.decode("utf-8"))) == parcels
        assert r.headers["x-maillon-shipments"] == f"{ships[0][1]},{ships[1][1]}"
        r = client.post(
            "/api/v1/shipping/print",
            json={"orders": [ships[0][0]], "shipment_ids": [ships[1][1]], "with_slips": True},
            headers=auth["picker"],
        )
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/pdf"
        assert "attachment" in r.headers["content-disposition"]
        assert len(PdfReader(io.BytesIO(r.content)).pages) == parcels + 2
        # bad selections: a clear 4xx naming the field
        for body, status, field in (
            ({"shipment_ids": [ships[0][1], 424242]}, 404, "shipment_ids"),
            ({"shipment_ids": list(range(1, 202))}, 422, "shipment_ids"),
            ({"orders": ["M0000001"], "format": "png"}, 422, "format"),
            ({}, 422, "selection"),
            ({"today": True}, 409, ""),  # everything of today is printed
        ):
            r = client.post("/api/v1/shipping/print", json=body, headers=auth["operator"])
            assert r.status_code == status, (body, r.text)
            assert field in r.text
        r = client.post("/api/v1/shipping/print", json={"today": True}, headers=auth["agent"])
        assert r.status_code == 403


def test_the_cli_writes_the_batch(db_url: str, seeded: Database, tmp_path: Path) -> None:
    with clock.frozen_at(NOON):
        (number, _id, parcels), _other = shipped(seeded, 2)
        out = tmp_path / "labels.zpl"
        r = runner.invoke(app, ["shipping", "print", "--today", "--out", str(out), "--db", db_url])
        assert r.exit_code == 0, r.output
        assert "2 shipment(s)" in r.output and "(zpl)" in r.output
        assert out.read_bytes().count(b"^XA") == len(labels(out.read_text())) >= 2
        pdf = tmp_path / "again.pdf"
        args = ["shipping", "print", "--order", number, "--with-slips", "--out", str(pdf)]
        r = runner.invoke(app, [*args, "--format", "pdf", "--db", db_url])
        assert r.exit_code == 0, r.output
        assert len(PdfReader(io.BytesIO(pdf.read_bytes())).pages) == parcels + 1
        r = runner.invoke(app, ["shipping", "print", "--today", "--out", str(out), "--db", db_url])
        assert r.exit_code == 1 and "nothing left to print" in r.output
        r = runner.invoke(
            app, ["shipping", "print", "--order", "M9999999", "--out", str(out), "--db", db_url]
        )
        assert r.exit_code == 1 and "M9999999" in r.output
        r = runner.invoke(
            app, ["shipping", "print", "--order", number, "--out", str(tmp_path / "x" / "y.pdf"),
                  "--db", db_url],
        )  # fmt: skip
        assert r.exit_code == 1 and "out: cannot write" in r.output


def test_the_console_button_prints_the_ticked_shipments(
    client: TestClient, seeded: Database
) -> None:
    with clock.frozen_at(NOON):
        ((_number, shipment_id, parcels),) = shipped(seeded, 1)
        csrf = sign_in(client, seeded, "operator")
        page = client.get("/shipping")
        assert 'id="print-button"' in page.text and f'value="{shipment_id}"' in page.text
        r = client.post(
            "/shipping/print",
            data={"csrf": csrf, "which": "selected", "shipment_ids": [str(shipment_id)],
                  "format": "zpl"},
        )  # fmt: skip
        assert r.status_code == 200 and r.headers["content-type"] == "application/zpl"
        assert len(labels(r.text)) == parcels
        r = client.post(
            "/shipping/print", data={"csrf": csrf, "which": "today"}, follow_redirects=True
        )
        assert r.status_code == 200 and "nothing left to print" in r.text
        french = client.get("/shipping", headers={"Accept-Language": "fr"})
        assert "Imprimer les étiquettes par lot" in french.text
