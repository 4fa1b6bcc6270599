"""The scheduled tracking pull: carriers that can track are asked for their parcels' events,
recorded once each through the one ingestion; a carrier down does not stop the others; a
run asks a bounded number of parcels, longest unasked first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from maillon.core import jobs
from maillon.core.db import Database
from maillon.core.jobs import JobStatus
from maillon.core.tables import Job
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus
from maillon.shipping import service as shipping
from maillon.shipping.carriers import CarrierGateway, CarrierUnavailable, FakeCarrierGateway
from maillon.shipping.connectors.colissimo import SLS_PATH, TRACK_PATH
from maillon.shipping.model import TrackingStatus
from maillon.shipping.service import accounts
from maillon.shipping.service.tracking_pull import pull_tracking
from maillon.shipping.tables import Carrier, TrackingEvent
from maillon.worker.tasks import HANDLERS, SCHEDULE
from tests.helpers import packed_order
from tests.helpers.carriers import running_carrier
from tests.helpers.jobs import run_queued

SCAN = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def fakes(seeded: Database) -> Iterator[dict[str, FakeCarrierGateway]]:
    """colissimo and dhl answer through in-memory carriers that can track."""
    with seeded.transaction() as s:
        shipping.create_carrier(session=s, code="dhl", name="DHL", tracking_prefix="DH")
    gateways = {
        code: FakeCarrierGateway(code=code, tracking_prefix=prefix, render=False)
        for code, prefix in (("colissimo", "6A"), ("dhl", "DH"))
    }

    def factory(carrier: Carrier) -> CarrierGateway:
        return gateways[carrier.code]

    with shipping.use_gateways(factory):
        yield gateways


def ship(db: Database, carrier: str, email: str) -> str:
    number = packed_order(db, email=email)
    with db.transaction() as s:
        [shipment] = shipping.ship_order(session=s, number=number, carrier_code=carrier, actor="t")
        tracking = shipment.parcels[0].tracking_number
    assert tracking is not None
    return tracking


def events(db: Database) -> int:
    with db.reader() as s:
        return s.scalar(select(func.count()).select_from(TrackingEvent)) or 0


def test_pulled_events_are_recorded_once_and_replays_change_nothing(
    seeded: Database, fakes: dict[str, FakeCarrierGateway]
) -> None:
    first = ship(seeded, "colissimo", "a@example.fr")
    fakes["colissimo"].push_event(first, TrackingStatus.PICKED_UP, occurred_at=SCAN)
    result = pull_tracking(seeded)
    assert (result.parcels, result.created, result.replayed) == (1, 2, 0)
    again = pull_tracking(seeded)
    assert (again.created, again.replayed) == (0, 2)
    assert events(seeded) == 2


def test_one_carrier_down_does_not_stop_the_others(
    seeded: Database, fakes: dict[str, FakeCarrierGateway]
) -> None:
    ship(seeded, "colissimo", "a@example.fr")
    ship(seeded, "colissimo", "b@example.fr")
    dhl = ship(seeded, "dhl", "c@example.fr")
    fakes["colissimo"].fail_with = CarrierUnavailable("colissimo", "HTTP 503")
    fakes["dhl"].push_event(dhl, TrackingStatus.IN_TRANSIT, occurred_at=SCAN)
    result = pull_tracking(seeded)
    assert result.failed == {"colissimo": "carrier colissimo is unavailable: HTTP 503"}
    assert (result.parcels, result.created) == (2, 2)  # colissimo asked once, then left
    assert events(seeded) == 2


def test_a_run_asks_a_bounded_batch_longest_unasked_first(
    seeded: Database, fakes: dict[str, FakeCarrierGateway]
) -> None:
    numbers = [ship(seeded, "colissimo", f"{k}@example.fr") for k in range(3)]
    asked: list[str] = []
    real = fakes["colissimo"].fetch_events

    def spy(number: str) -> tuple:
        asked.append(number)
        return real(number)

    fakes["colissimo"].fetch_events = spy  # type: ignore[method-assign]
    assert pull_tracking(seeded, limit=2).parcels == 2
    assert pull_tracking(seeded, limit=2).parcels == 2
    assert asked[:2] == numbers[:2] and asked[2] == numbers[2]  # the third waited its turn
    assert asked[3] == numbers[0]


def test_rate_card_carriers_are_not_asked(seeded: Database) -> None:
    ship(seeded, "colissimo", "a@example.fr")  # no account: our own label, nothing to ask
    result = pull_tracking(seeded)
    assert result.parcels == 0 and result.failed == {}


def test_the_job_is_scheduled_and_pulls_colissimo_to_delivered(seeded: Database) -> None:
    assert "shipping.pull_tracking" in HANDLERS
    assert "shipping.pull_tracking" in {s.name for s in SCHEDULE}
    multipart = 'multipart/mixed; boundary="uuid:6b62b2c5-0d1c-4c2b-9e2e-7d2c0a4f5e11"'
    with running_carrier() as server:
        with seeded.transaction() as s:
            accounts.set_account(
                session=s,
                carrier_code="colissimo",
                connector="colissimo",
                mode="sandbox",
                credentials={"contract_number": "1", "password": "p", "api_key": "k"},
                base_url=server.url,
                options={"backoff": "0", "timeout": "2", "retries": "0"},
                actor="t",
            )
        server.answer(
            "POST", SLS_PATH, fixture="colissimo/label_pdf.multipart", content_type=multipart
        )
        server.answer("GET", TRACK_PATH + "6A23456789012", fixture="colissimo/tracking.json")
        number = packed_order(seeded)
        with seeded.transaction() as s:
            shipping.ship_order(session=s, number=number, carrier_code="colissimo", actor="t")
            jobs.submit(s, "shipping.pull_tracking", {})
        [job_id] = run_queued(seeded, "shipping.pull_tracking")
    with seeded.reader() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.status == JobStatus.SUCCEEDED, job and job.error
        order = orders.get_order(session=s, number=number)
        assert order.status == OrderStatus.DELIVERED
    assert events(seeded) == 5
