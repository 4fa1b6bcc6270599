"""SLA clocks of tickets in business hours: across a holiday weekend, paused while waiting on
the customer, breach counts in the inbox and the stats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from maillon.care import service as care
from maillon.care.queries import stats as care_stats
from maillon.care.sla import ClockStatus
from maillon.core import clock
from maillon.core.db import Database

# Thursday 24 December 2026, 17:00 in Paris (16:00 UTC); Friday 25 is Christmas, then a weekend.
OPENED = datetime(2026, 12, 24, 16, 0, tzinfo=UTC)


def open_at(db: Database, moment: datetime, priority: str = "normal") -> int:
    with clock.frozen_at(moment), db.transaction() as s:
        return care.open_ticket(
            session=s,
            email="camille.martin@example.fr",
            subject="Question",
            body="A question about my account",
            priority=priority,
            classify_intent=False,
        ).id


def state_at(db: Database, ticket_id: int, moment: datetime) -> care.sla.SlaState:
    with db.reader() as s:
        return care.ticket_sla(care.get_ticket(session=s, ticket_id=ticket_id), moment)


def test_first_response_clock_skips_the_holiday_and_the_weekend(db: Database) -> None:
    ticket_id = open_at(db, OPENED)
    # normal priority: 8 business hours. 1 h on Thursday (17-18), then Monday 28 from 09:00
    # Paris: due Monday 16:00 Paris = 15:00 UTC.
    state = state_at(db, ticket_id, OPENED + timedelta(days=2))  # Saturday
    first = state.first_response
    assert first is not None
    assert first.due_at == datetime(2026, 12, 28, 15, 0, tzinfo=UTC)
    assert first.elapsed == timedelta(hours=1) and first.status is ClockStatus.OK
    monday_noon = datetime(2026, 12, 28, 11, 0, tzinfo=UTC)  # 12:00 Paris: 4 h counted
    assert state_at(db, ticket_id, monday_noon).first_response.elapsed == timedelta(hours=4)  # type: ignore[union-attr]
    late = state_at(db, ticket_id, datetime(2026, 12, 28, 15, 30, tzinfo=UTC))
    assert late.first_response.status is ClockStatus.BREACHED  # type: ignore[union-attr]
    assert late.breaches == 1


def test_clocks_pause_while_waiting_on_the_customer(db: Database) -> None:
    monday = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 Paris
    ticket_id = open_at(db, monday, priority="high")  # 4 h / 18 h
    with clock.frozen_at(monday + timedelta(hours=1)), db.transaction() as s:
        care.reply(session=s, ticket_id=ticket_id, body="Which size?", actor="agent:lea")
    # the customer answers the next day at 10:00 Paris: 24 h later, 9 business hours paused
    with clock.frozen_at(monday + timedelta(hours=25)), db.transaction() as s:
        inbound = care.receive_email(
            session=s,
            sender="camille.martin@example.fr",
            subject=f"Re: Question [T{ticket_id}]",
            text="Size M please.",
        )
        assert inbound.threaded and inbound.ticket.status == "open"
    state = state_at(db, ticket_id, monday + timedelta(hours=27))  # Tuesday 12:00 Paris
    first, resolution = state.first_response, state.resolution
    assert first is not None and resolution is not None
    assert first.status is ClockStatus.MET and first.elapsed == timedelta(hours=1)
    # resolution: Monday 09-10 (1 h) + Tuesday 10-12 (2 h); Monday 10-18 and Tuesday 09-10 paused
    assert resolution.elapsed == timedelta(hours=3)
    assert resolution.paused == timedelta(hours=9)
    assert resolution.status is ClockStatus.OK and not resolution.is_paused
    # while waiting, the clock is paused and the due time does not move closer
    with clock.frozen_at(monday + timedelta(hours=28)), db.transaction() as s:
        care.reply(session=s, ticket_id=ticket_id, body="Sent!", actor="agent:lea")
    waiting = state_at(db, ticket_id, monday + timedelta(hours=80))
    assert waiting.resolution is not None and waiting.resolution.is_paused
    assert waiting.resolution.elapsed == timedelta(hours=4)


def test_breach_and_warning_counts_in_the_inbox(db: Database) -> None:
    monday = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    urgent = open_at(db, monday, priority="urgent")  # 1 h first response
    normal = open_at(db, monday)  # 8 h first response
    answered = open_at(db, monday, priority="urgent")
    with clock.frozen_at(monday + timedelta(minutes=30)), db.transaction() as s:
        care.reply(session=s, ticket_id=answered, body="On it", actor="agent:lea")
    # Monday 15:30 Paris: the urgent one breached, the normal one (6.5 h of 8) in warning
    with clock.frozen_at(monday + timedelta(hours=6, minutes=30)), db.reader() as s:
        breached, total = care.list_tickets(session=s, sla_filter="breached")
        assert total == 1 and breached[0][0].id == urgent
        warned, _ = care.list_tickets(session=s, sla_filter="warning")
        assert [t.id for t, _ in warned] == [normal]
        ok, _ = care.list_tickets(session=s, sla_filter="ok")
        assert [t.id for t, _ in ok] == [answered]
        stats = care_stats.service_stats(session=s)
    # clocks: the urgent ticket's resolution (6.5 h of 8) warns too, next to its breach
    assert stats.sla.breaches == 1 and stats.sla.warnings == 2
    assert stats.sla.first_response[ClockStatus.MET] == 1
    assert stats.overall is not None and stats.overall.breaches == 1
