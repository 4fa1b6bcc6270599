"""Prepaid return labels end to end: the customer asks in the portal, the carrier the order
shipped with issues the label, the tracking number is kept on the return, the PDF downloads
from the portal and the e-mail (FR/EN); a carrier without return labels is said in the portal
(never a 500), an unavailable one is retried by the job ``returns.issue_label``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from maillon.core import clock
from maillon.core.db import Database
from maillon.core.mail import Brand, render
from maillon.core.tables import Job, OutboxMessage
from maillon.returns import service as returns
from maillon.returns.config import settings_to_dict
from maillon.returns.tables import ReturnLabel, ReturnRequest
from maillon.shipping import service as shipping
from maillon.shipping.carriers import CarrierUnavailable, FakeCarrierGateway, ShipmentRequest
from maillon.shipping.tables import Carrier
from tests.helpers.jobs import run_queued
from tests.helpers.returns import EMAIL, deliver
from tests.helpers.zpl import labels

Auth = dict[str, dict[str, str]]


def submit(client: TestClient, number: str, reason: str, *, want_label: bool = True) -> str:
    """The portal's last step: one mug back for ``reason``; return the page."""
    data = {
        "order": number,
        "contact": EMAIL,
        "sku": "MUG-01",
        "qty_MUG-01": "1",
        "reason_MUG-01": reason,
    }
    if want_label:
        data["want_label"] = "1"
    r = client.post("/returns/submit", data=data)
    assert r.status_code == 200, r.text
    return r.text


def only_return(db: Database) -> tuple[ReturnRequest, ReturnLabel | None]:
    with db.reader() as s:
        request = s.scalars(select(ReturnRequest)).one()
        kept = s.get(ReturnLabel, request.id)
        s.expunge_all()
    return request, kept


def test_the_customer_prints_the_label_the_carrier_issued(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    number = deliver(seeded, [("MUG-01", 2)])
    # given a defective mug (the merchant pays the way back), when the customer asks
    page = submit(client, number, "defective")
    request, kept = only_return(seeded)
    # then the order's carrier issued the label, kept with the return
    assert kept is not None and request.status == "label_issued"
    assert (request.label_carrier, request.label_tracking) == ("colissimo", kept.tracking_number)
    assert kept.tracking_number.endswith(kept.sscc) and kept.sscc.startswith("1")  # a return
    assert kept.zpl_content and labels(kept.zpl_content.decode("utf-8"))
    # the page links the PDF, which downloads without a key
    link = re.search(r'id="label-link" class="button" href="([^"]+)"', page)
    assert link and link.group(1) == f"/returns/label/{kept.token}"
    pdf = client.get(link.group(1))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == kept.content and pdf.content.startswith(b"%PDF")
    assert client.get("/returns/label/" + "x" * 43).status_code == 404
    # the e-mail (French customer) carries the same link
    with seeded.reader() as s:
        mail = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.topic == "return.approved", OutboxMessage.channel == "email"
            )
        ).one()
    assert f"/returns/label/{kept.token}" in (mail.body or "")
    assert "Télécharger l'étiquette" in (mail.body or "") and kept.tracking_number in mail.body
    # the agent downloads it too
    r = client.get(f"/api/v1/returns/{request.id}/label.pdf", headers=auth["agent"])
    assert r.status_code == 200 and r.content == kept.content
    # and asking again gives the same label, not a second one
    r = client.post(
        "/api/v1/portal/returns/label",
        json={"order": number, "contact": EMAIL, "rma": request.number},
    )
    assert r.status_code == 200 and r.json()["label_url"] == f"/returns/label/{kept.token}"
    with seeded.reader() as s:
        assert s.scalar(select(func.count()).select_from(ReturnLabel)) == 1


def test_the_english_email_links_the_label() -> None:
    text = render(
        "return.label",
        "en",
        {"rma": "R0000001", "carrier": "dpd", "tracking_number": "X1", "token": "t" * 43},
        brand=Brand(public_url="https://shop.example"),
    ).text
    assert "Download the label: https://shop.example/returns/label/" + "t" * 43 in text


def test_a_customer_paid_return_gets_its_label_on_asking(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    number = deliver(seeded, [("MUG-01", 1)])
    page = submit(client, number, "changed_mind", want_label=False)
    request, kept = only_return(seeded)
    assert kept is None and request.status == "approved" and request.label_status == "pending"
    assert "Get my prepaid return label" in page
    r = client.post(
        "/returns/label", data={"order": number, "contact": EMAIL, "rma": request.number}
    )
    assert r.status_code == 200 and 'id="label-link"' in r.text
    request, kept = only_return(seeded)
    assert kept is not None and request.label_tracking == kept.tracking_number
    # the wrong contact learns nothing
    r = client.post(
        "/returns/label", data={"order": number, "contact": "x@example.com", "rma": request.number}
    )
    assert r.status_code == 404


@pytest.fixture
def carrier() -> Iterator[dict[str, FakeCarrierGateway]]:
    gateways: dict[str, FakeCarrierGateway] = {}

    def factory(c: Carrier) -> FakeCarrierGateway:
        return gateways.setdefault(
            c.code, FakeCarrierGateway(code=c.code, tracking_prefix="6A", now=clock.now)
        )

    with shipping.use_gateways(factory):
        yield gateways


def test_a_carrier_without_return_labels_is_said_not_a_500(
    client: TestClient, seeded: Database, auth: Auth, carrier: dict[str, FakeCarrierGateway]
) -> None:
    carrier["colissimo"] = FakeCarrierGateway(code="colissimo", offers_returns=False)
    number = deliver(seeded, [("MUG-01", 1)])
    page = submit(client, number, "defective")
    assert 'id="label-problem"' in page and "does not offer return label" in page
    request, kept = only_return(seeded)
    assert kept is None and request.status == "approved" and request.label_status == "pending"
    french = client.post(
        "/returns/label",
        data={"order": number, "contact": EMAIL, "rma": request.number},
        headers={"Accept-Language": "fr"},
    )
    assert french.status_code == 409 and "ne peut pas être émise en ligne" in french.text
    # the agent is told too, and can still record a label bought elsewhere
    r = client.post(f"/api/v1/returns/{request.id}/label", json={}, headers=auth["agent"])
    assert r.status_code == 409 and "does not offer return label" in r.json()["error"]["message"]
    r = client.post(
        f"/api/v1/returns/{request.id}/label",
        json={"carrier": "laposte", "tracking_number": "8R000001"},
        headers=auth["agent"],
    )
    assert r.status_code == 200 and r.json()["label"]["tracking_number"] == "8R000001"


def test_an_unavailable_carrier_is_retried_by_a_job(
    client: TestClient, seeded: Database, auth: Auth, carrier: dict[str, FakeCarrierGateway]
) -> None:
    number = deliver(seeded, [("MUG-01", 1)])
    gateway = carrier["colissimo"]
    gateway.fail_with = CarrierUnavailable("colissimo", "HTTP 503")
    page = submit(client, number, "defective")
    assert "we will e-mail it to you" in page and 'id="label-link"' not in page
    request, kept = only_return(seeded)
    assert kept is None and request.label_status == "pending"
    # the agent gets "try again later", never a 500
    r = client.post(f"/api/v1/returns/{request.id}/label", json={}, headers=auth["agent"])
    assert r.status_code == 409 and "try again" in r.json()["error"]["message"]
    # while the carrier is down the job fails and stays for a retry
    (job_id,) = run_queued(seeded, "returns.issue_label")
    with seeded.reader() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.status == "queued" and "503" in (job.error or "")
    with seeded.transaction() as s:
        s.execute(Job.__table__.update().where(Job.id == job_id).values(run_after=clock.now()))
    # once it answers, the job issues the label and tells the customer, once
    gateway.fail_with = None
    run_queued(seeded, "returns.issue_label")
    request, kept = only_return(seeded)
    assert kept is not None and request.status == "label_issued"
    assert request.label_tracking == kept.tracking_number
    assert [r.sender.name for r in gateway.returns] == ["Camille Martin"]
    assert isinstance(gateway.returns[0], ShipmentRequest)
    with seeded.transaction() as s:  # a second run of the same job changes nothing
        s.execute(Job.__table__.update().where(Job.id == job_id).values(status="queued"))
    run_queued(seeded, "returns.issue_label")
    with seeded.reader() as s:
        told = s.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.topic == "return.label", OutboxMessage.channel == "email")
        )
        assert told == 1 and s.scalar(select(func.count()).select_from(ReturnLabel)) == 1
    assert len(gateway.returns) == 1


def test_the_merchants_return_carrier_is_used_when_set(
    client: TestClient, seeded: Database
) -> None:
    number = deliver(seeded, [("MUG-01", 1)])
    with seeded.transaction() as s:
        shipping.create_carrier(
            session=s, code="relais", name="Relais Retour", tracking_prefix="RR"
        )
        document = settings_to_dict(returns.load_settings(session=s))
        returns.save_settings(
            session=s, document={**document, "return_carrier": "relais"}, actor="t"
        )
    submit(client, number, "defective")
    request, kept = only_return(seeded)
    assert kept is not None and kept.carrier == "relais" and request.label_carrier == "relais"
    assert kept.tracking_number.startswith("RR")
