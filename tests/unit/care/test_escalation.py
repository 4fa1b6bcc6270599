"""What the SLA check owes a ticket: new warnings and breaches, the raised priority, who is
told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from maillon.care import sla
from maillon.care.escalation import (
    Clock,
    Level,
    Person,
    new_alerts,
    raised_priority,
    recipients,
)

CAL = sla.BusinessCalendar()
POLICY = sla.SlaPolicy()
MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 Paris


def state(after: timedelta, **kw: object) -> sla.SlaState:
    return sla.sla_state(
        policy=POLICY,
        calendar=CAL,
        opened_at=MONDAY,
        now=MONDAY + after,
        **kw,  # type: ignore[arg-type]
    )


def test_a_running_clock_warns_then_breaches_once_each() -> None:
    # normal: 8 h first response (warning from 6.4 h), 27 h resolution
    assert new_alerts(state(timedelta(hours=6))) == []
    (warning,) = new_alerts(state(timedelta(hours=7)))
    assert (warning.clock, warning.level, warning.running) == (
        Clock.FIRST_RESPONSE,
        Level.WARNING,
        True,
    )
    assert warning.due_at == MONDAY + timedelta(hours=8)
    assert new_alerts(state(timedelta(hours=7)), warned={Clock.FIRST_RESPONSE}) == []
    late = state(timedelta(hours=9))
    (breach,) = new_alerts(late, warned={Clock.FIRST_RESPONSE})
    assert breach.level is Level.BREACHED
    assert new_alerts(late, breached={Clock.FIRST_RESPONSE}) == []


def test_a_late_stopped_clock_is_a_breach_not_to_escalate_and_a_paused_one_warns_nobody() -> None:
    answered = state(timedelta(hours=10), first_response_at=MONDAY + timedelta(hours=9))
    (breach,) = new_alerts(answered)
    assert (breach.clock, breach.level, breach.running) == (
        Clock.FIRST_RESPONSE,
        Level.BREACHED,
        False,
    )
    # waiting on the customer since 7 h (warning zone): the clock stands still, no warning
    paused = state(
        timedelta(hours=7, minutes=30),
        events=[(MONDAY + timedelta(hours=7), "waiting_on_customer")],
    )
    assert paused.first_response is not None and paused.first_response.is_paused
    assert new_alerts(paused) == []


@pytest.mark.parametrize(
    ("before", "after"),
    [("low", "normal"), ("normal", "high"), ("high", "urgent"), ("urgent", "urgent"), ("x", "x")],
)
def test_priority_goes_one_step_up(before: str, after: str) -> None:
    assert raised_priority(before) == after


LEA = Person("Léa", "lea@example.fr")
MARC = Person("Marc", "marc@example.fr")
NOBODY = Person("Nora", "")
SKILLED = [Person("Sam", "sam@example.fr"), NOBODY]


def test_who_is_told() -> None:
    assert recipients(level=Level.WARNING, assignee=LEA, lead=MARC) == [LEA]
    assert recipients(level=Level.WARNING, assignee=NOBODY, lead=MARC) == [MARC]
    assert recipients(level=Level.WARNING, assignee=None, lead=None, skilled=SKILLED) == []
    assert recipients(level=Level.BREACHED, assignee=LEA, lead=MARC) == [LEA, MARC]
    assert recipients(level=Level.BREACHED, assignee=MARC, lead=MARC) == [MARC]
    assert recipients(level=Level.BREACHED, assignee=None, lead=None, skilled=SKILLED) == [
        SKILLED[0]
    ]
