"""Returns whose parcel never came: cancelled once their deadline's day is over (the request
with its whole window, the approval or the label plus ``return_by_days``), through the one
state move, the customer told once; arrived, refused and merchant-fault requests left alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from huey import MemoryHuey
from sqlalchemy import select

from maillon.core import clock, jobs
from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from maillon.returns import service as returns
from maillon.returns.service import expiry
from maillon.returns.tables import ReturnEvent
from maillon.worker.engine import Engine
from maillon.worker.tasks import HANDLERS, SCHEDULE
from tests.helpers.returns import deliver

D = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # delivery day (Monday, 11:00 in Paris)


def _day(n: int) -> datetime:
    return D + timedelta(days=n)


def _rma(db: Database, reason: str = "changed_mind") -> int:
    with clock.frozen_at(D):
        number = deliver(db, [("MUG-01", 1)])
    with clock.frozen_at(_day(1)), db.transaction() as s:
        return returns.request_return(
            session=s, number=number, lines=[("MUG-01", 1, reason)], reason=reason, actor="t"
        ).id


@pytest.fixture
def rmas(seeded: Database) -> dict[str, int]:
    """Four returns asked on day 1 of delivery, then taken to different steps."""
    made = {name: _rma(seeded) for name in ("requested", "approved", "labelled", "received")}
    made["defective"] = _rma(seeded, "defective")
    made["rejected"] = _rma(seeded)
    with clock.frozen_at(_day(1)), seeded.transaction() as s:
        for name in ("labelled", "received"):
            returns.approve(session=s, return_id=made[name], actor="t")
        returns.reject(session=s, return_id=made["rejected"], actor="t", note="worn")
    with clock.frozen_at(_day(20)), seeded.transaction() as s:
        returns.approve(session=s, return_id=made["approved"], actor="t")
    with clock.frozen_at(_day(10)), seeded.transaction() as s:
        returns.record_label(
            session=s,
            return_id=made["labelled"],
            carrier="colissimo",
            tracking_number="8R000000001",
            actor="t",
        )
        returns.receive(session=s, return_id=made["received"], actor="t")
    return made


def _expire(db: Database, day: int) -> list[expiry.ExpiredReturn]:
    with clock.frozen_at(_day(day)), db.transaction() as s:
        return expiry.expire_returns(session=s, actor="t")


def _statuses(db: Database, made: dict[str, int]) -> dict[str, str]:
    with db.reader() as s:
        return {k: returns.get_return(session=s, return_id=v).status for k, v in made.items()}


def test_each_waiting_return_expires_once_after_its_deadline(
    seeded: Database, rmas: dict[str, int]
) -> None:
    # day 31 is the request's last day (window of 30 days from delivery, 30 days to send)
    assert _expire(seeded, 31) == []
    (requested,) = _expire(seeded, 32)
    assert (requested.return_id, requested.was) == (rmas["requested"], "requested")
    assert requested.deadline.isoformat() == "2026-04-02"
    assert _expire(seeded, 32) == []
    # the label (day 10) is valid 30 days, the approval (day 20) gives 30 days
    assert [x.return_id for x in _expire(seeded, 41)] == [rmas["labelled"]]
    assert [x.return_id for x in _expire(seeded, 51)] == [rmas["approved"]]
    assert _expire(seeded, 400) == []  # the defective item's claim keeps its two years
    assert _statuses(seeded, rmas) == {
        "requested": "cancelled",
        "approved": "cancelled",
        "labelled": "cancelled",
        "received": "received",
        "defective": "requested",
        "rejected": "rejected",
    }
    with seeded.reader() as s:
        mails = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic == "return.expired", OutboxMessage.channel == "email")
            .order_by(OutboxMessage.id)
        ).all()
        chain = s.scalars(
            select(ReturnEvent).where(
                ReturnEvent.return_id == rmas["labelled"],
                ReturnEvent.event_type == "return.cancelled",
            )
        ).all()
        labelled = returns.get_return(session=s, return_id=rmas["labelled"])
        assert labelled.closed_at == _day(41)
        assert labelled.note == "expired: the parcel did not arrive by 2026-04-11"
    assert [m.payload["rma"] for m in mails] == [
        f"R{rmas[k]:07d}" for k in ("requested", "labelled", "approved")
    ]
    # the customer orders to Lyon: French; the labelled one is told its label lapsed
    assert mails[0].subject == f"Retour R{rmas['requested']:07d} clos : colis non reçu"
    assert "2 avril 2026" in mails[0].body and "étiquette" not in mails[0].body
    assert "L'étiquette de retour envoyée" in mails[1].body
    assert len(chain) == 1 and '"expired":true' in chain[0].content.replace(" ", "")


def test_no_expiry_when_the_merchant_turns_it_off(seeded: Database) -> None:
    return_id = _rma(seeded)
    with seeded.transaction() as s:
        document = returns.load_settings(session=s)
        from maillon.returns.config import settings_to_dict

        returns.save_settings(
            session=s, document={**settings_to_dict(document), "return_by_days": 0}, actor="t"
        )
    assert _expire(seeded, 365) == []
    with seeded.reader() as s:
        assert returns.get_return(session=s, return_id=return_id).status == "requested"


def test_the_worker_runs_the_expiry_nightly(seeded: Database) -> None:
    _rma(seeded)
    entry = next(e for e in SCHEDULE if e.name == "returns.expire")
    assert (entry.minutes, entry.hour) == (1440, 3)
    engine = Engine(seeded, huey=MemoryHuey("t", utc=True), handlers=HANDLERS, schedule=())
    ids = []
    for day in (0, 1):
        with clock.frozen_at(_day(40) + timedelta(days=day, hours=3)):
            job_id = engine.schedule(entry)
            assert job_id is not None
            engine.run(job_id)
            ids.append(job_id)
    with seeded.reader() as s:
        assert [jobs.get_job(s, i).result for i in ids] == [{"expired": 1}, {"expired": 0}]


def test_the_expiry_by_hand(seeded: Database, db_url: str) -> None:
    from typer.testing import CliRunner

    from maillon.cli.main import app

    return_id = _rma(seeded)
    with clock.frozen_at(_day(40)):
        first = CliRunner().invoke(app, ["returns", "expire", "--db", db_url])
        again = CliRunner().invoke(app, ["returns", "expire", "--db", db_url])
    assert first.exit_code == 0, first.output
    assert f"R{return_id:07d} (requested) expired: parcel due by 2026-04-02" in first.output
    assert "0 return(s) expired" in again.output
