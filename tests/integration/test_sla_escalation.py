"""The scheduled SLA check: a clock near its target warns the ticket's agent once, a breach is
recorded once, escalated (priority up, the team lead told and given an unheld ticket) and
published as ``ticket.sla_breached``; closed and waiting tickets are left alone. Run by hand
and through the worker's real engine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from huey import MemoryHuey
from sqlalchemy import select

from maillon.care import service as care
from maillon.care.service import escalations
from maillon.care.tables import Ticket
from maillon.core import clock, jobs
from maillon.core.db import Database
from maillon.core.tables import OutboxMessage
from maillon.worker.engine import Engine
from maillon.worker.tasks import HANDLERS, SCHEDULE

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Paris, the desk opens


def _open(db: Database, priority: str, subject: str = "Question") -> int:
    with clock.frozen_at(MONDAY), db.transaction() as s:
        return care.open_ticket(
            session=s,
            email="camille.martin@example.fr",
            subject=subject,
            body="Where is my parcel?",
            priority=priority,
            classify_intent=False,
            language="fr",
        ).id


@pytest.fixture
def desk(db: Database) -> Database:
    """Léa (an agent) and Marc (the team lead), and the policy escalating to Marc."""
    with clock.frozen_at(MONDAY - timedelta(days=1)), db.transaction() as s:
        care.add_agent(session=s, name="Léa", email="lea@example.fr", skills=["delivery"])
        care.add_agent(session=s, name="Marc", email="marc@example.fr")
        care.set_sla_policy(
            session=s,
            document={
                "targets": [
                    {"priority": "urgent", "first_response_hours": 1, "resolution_hours": 8},
                    {"priority": "*", "first_response_hours": 8, "resolution_hours": 27},
                ],
                "escalation": {"lead": "Marc"},
            },
            actor="admin",
        )
    return db


def _check(db: Database, at: datetime) -> list[escalations.SlaNotice]:
    with clock.frozen_at(at), db.transaction() as s:
        return escalations.check_slas(session=s, actor="t")


def _mails(db: Database, topic: str) -> list[tuple[str, str]]:
    """The e-mails of ``topic``: (recipient, subject)."""
    with db.reader() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic == topic, OutboxMessage.channel == "email")
            .order_by(OutboxMessage.id)
        ).all()
        return [(m.recipient, m.subject) for m in rows]


def test_a_breach_is_escalated_once_and_a_warning_told_once(desk: Database) -> None:
    ticket_id = _open(desk, "normal")
    # 16:00 Paris: 7 of 8 business hours used, nobody holds it: the lead is warned
    warned = _check(desk, MONDAY + timedelta(hours=7))
    assert [(n.clock, n.level, n.told) for n in warned] == [
        ("first_response", "warning", ("marc@example.fr",))
    ]
    assert _check(desk, MONDAY + timedelta(hours=7, minutes=5)) == []
    # 17:30 Paris: the target passed at 17:00: normal -> high, given to Marc, told once
    (breach,) = _check(desk, MONDAY + timedelta(hours=8, minutes=30))
    assert (breach.clock, breach.level, breach.priority, breach.escalated) == (
        "first_response",
        "breached",
        "high",
        True,
    )
    assert breach.told == ("marc@example.fr",)
    assert _check(desk, MONDAY + timedelta(hours=8, minutes=35)) == []
    with desk.reader() as s:
        ticket = care.get_ticket(session=s, ticket_id=ticket_id)
        assert ticket.priority == "high" and ticket.assignee is not None
        assert ticket.assignee.name == "Marc"
        assert ticket.first_response_breached_at == MONDAY + timedelta(hours=8, minutes=30)
        assert ticket.resolution_breached_at is None
        kinds = [(e.kind, e.new) for e in ticket.events if e.kind in ("sla", "priority")]
        assert kinds == [
            ("sla", "first_response warning"),
            ("priority", "high"),
            ("sla", "first_response breached"),
        ]
        (event,) = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.topic == "ticket.sla_breached", OutboxMessage.channel == "event"
            )
        ).all()
        assert event.payload["clock"] == "first_response"
        assert event.payload["previous_priority"] == "normal"
        assert event.payload["priority"] == "high" and event.payload["assignee"] == "Marc"
    assert _mails(desk, "ticket.sla_breached") == [
        ("marc@example.fr", f"SLA breached: T{ticket_id} Question")
    ]
    assert _mails(desk, "ticket.sla_warning") == [
        ("marc@example.fr", f"SLA due soon: T{ticket_id} Question")
    ]


def test_the_agent_holding_the_ticket_and_the_lead_are_told_of_a_breach(
    desk: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLON_SHOP_LOCALE", "fr")  # agents are written in the shop's language
    monkeypatch.setenv("MAILLON_PUBLIC_URL", "https://ops.example")
    ticket_id = _open(desk, "urgent")
    with clock.frozen_at(MONDAY + timedelta(minutes=10)), desk.transaction() as s:
        care.assign(session=s, ticket_id=ticket_id, actor="t", agent="Léa")
    (warning,) = _check(desk, MONDAY + timedelta(minutes=50))  # 50 of 60 minutes
    assert warning.told == ("lea@example.fr",)
    (breach,) = _check(desk, MONDAY + timedelta(minutes=70))
    # urgent cannot go higher and Léa holds it: recorded and told, nothing to escalate
    assert (breach.priority, breach.escalated) == ("urgent", False)
    assert breach.told == ("lea@example.fr", "marc@example.fr")
    with desk.reader() as s:
        assert care.get_ticket(session=s, ticket_id=ticket_id).assignee.name == "Léa"  # type: ignore[union-attr]
        mail = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.topic == "ticket.sla_breached", OutboxMessage.channel == "email"
            )
        ).first()
    assert mail is not None
    assert mail.subject == f"Délai SLA dépassé : T{ticket_id} Question"
    assert "délai de première réponse" in mail.body and "10h00" in mail.body  # 09:00 + 1 h
    assert f"https://ops.example/care/{ticket_id}" in mail.body


def test_closed_answered_and_waiting_tickets_are_left_alone(desk: Database) -> None:
    closed = _open(desk, "urgent", "closed")
    answered = _open(desk, "urgent", "answered")
    with clock.frozen_at(MONDAY + timedelta(minutes=20)), desk.transaction() as s:
        care.close_ticket(session=s, ticket_id=closed, actor="t")
        care.reply(session=s, ticket_id=answered, body="On it", actor="agent:lea")
    # the answered ticket waits on the customer: its clocks stand still, nothing is due
    assert _check(desk, MONDAY + timedelta(days=3)) == []
    with desk.reader() as s:
        for ticket_id in (closed, answered):
            ticket = care.get_ticket(session=s, ticket_id=ticket_id)
            assert ticket.priority == "urgent" and ticket.first_response_breached_at is None
    assert _mails(desk, "ticket.sla_breached") == []


def test_a_clock_stopped_late_is_recorded_but_not_escalated(desk: Database) -> None:
    ticket_id = _open(desk, "normal")
    with clock.frozen_at(MONDAY + timedelta(hours=9)), desk.transaction() as s:
        care.add_note(session=s, ticket_id=ticket_id, body="looking", actor="agent:lea")
        # answered an hour past its target: the first-response clock stopped, breached
        s.get(Ticket, ticket_id).first_response_at = clock.now()  # type: ignore[union-attr]
    (breach,) = _check(desk, MONDAY + timedelta(hours=9, minutes=5))
    assert (breach.clock, breach.escalated, breach.priority) == ("first_response", False, "normal")
    with desk.reader() as s:
        assert care.get_ticket(session=s, ticket_id=ticket_id).assignee is None


def test_the_worker_runs_the_check_on_its_schedule(desk: Database) -> None:
    _open(desk, "urgent")
    entry = next(e for e in SCHEDULE if e.name == "care.sla_check")
    assert entry.minutes == 5
    engine = Engine(desk, huey=MemoryHuey("t", utc=True), handlers=HANDLERS, schedule=())
    at = MONDAY + timedelta(hours=2)
    with clock.frozen_at(at):
        first = engine.schedule(entry)
        assert first is not None and engine.schedule(entry) is None  # one job per slot
        engine.run(first)
    with clock.frozen_at(at + timedelta(minutes=5)):
        second = engine.schedule(entry)
        assert second is not None
        engine.run(second)
    with desk.reader() as s:
        done = [jobs.get_job(s, first), jobs.get_job(s, second)]
    assert [(j.status, j.result) for j in done] == [
        ("succeeded", {"breached": 1, "warned": 0}),
        ("succeeded", {"breached": 0, "warned": 0}),
    ]
    assert [r for r, _ in _mails(desk, "ticket.sla_breached")] == ["marc@example.fr"]


def test_the_policy_refuses_a_lead_who_is_not_an_agent(db: Database) -> None:
    from maillon.core.errors import NotFound, ValidationError

    with db.transaction() as s, pytest.raises(NotFound) as missing:
        care.set_sla_policy(
            session=s,
            document={"targets": [{"first_response_hours": 8}], "escalation": {"lead": "Zoé"}},
            actor="admin",
        )
    assert missing.value.field == "escalation.lead"
    with db.transaction() as s, pytest.raises(ValidationError) as bad:
        care.set_sla_policy(
            session=s,
            document={"targets": [{"first_response_hours": 8}], "escalation": {"raise": 1}},
            actor="admin",
        )
    assert "escalation.raise" in str(bad.value)


def test_the_check_by_hand(desk: Database, db_url: str) -> None:
    from typer.testing import CliRunner

    from maillon.cli.main import app

    ticket_id = _open(desk, "normal")
    with clock.frozen_at(MONDAY + timedelta(hours=9)):
        first = CliRunner().invoke(app, ["care", "sla-check", "--db", db_url])
        again = CliRunner().invoke(app, ["care", "sla-check", "--db", db_url])
    assert first.exit_code == 0, first.output
    assert f"ticket T{ticket_id} first_response breached, escalated to high" in first.output
    assert "1 SLA warning(s) and breach(es) recorded" in first.output
    assert again.exit_code == 0 and "0 SLA warning(s)" in again.output
    bad = CliRunner().invoke(app, ["care", "sla-check", "--limit", "0", "--db", db_url])
    assert bad.exit_code == 1 and "limit" in bad.output
