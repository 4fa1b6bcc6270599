"""What the SLA check owes a ticket (pure): which clock warnings and breaches are new, the
priority a breach escalates to, and who is told.

A clock is *warned* once when it passes the policy's warning threshold and *breached* once
when it passes its target (the service records both, so a second run finds nothing new). A
clock that breached while nobody looked is recorded as breached without a warning first. A
breach of a clock that has stopped (the first answer or the resolution came late) is recorded
but not escalated: there is nothing left to hurry. A clock paused while the ticket waits on
the customer is not warned about (nobody can hurry it).
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from maillon.care.model import PRIORITIES
from maillon.care.sla import ClockState, ClockStatus, SlaState

__all__ = ["Clock", "Level", "Person", "SlaAlert", "new_alerts", "raised_priority", "recipients"]


class Clock(StrEnum):
    """The two SLA clocks of a ticket."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"


class Level(StrEnum):
    """How far a clock has gone."""

    WARNING = "warning"  # past the warning threshold, still within its target
    BREACHED = "breached"  # past its target


@dataclass(frozen=True, slots=True)
class SlaAlert:
    """A clock's warning or breach not recorded yet.

    Attributes:
        clock: which clock.
        level: warning or breached.
        due_at: when the clock reaches (or reached) its target, UTC.
        running: whether the clock still runs (a stopped clock breached late is only recorded).
    """

    clock: Clock
    level: Level
    due_at: datetime
    running: bool


def _clock_of(state: SlaState, clock: Clock) -> ClockState | None:
    return state.first_response if clock is Clock.FIRST_RESPONSE else state.resolution


def new_alerts(
    state: SlaState, *, warned: Set[Clock] = frozenset(), breached: Set[Clock] = frozenset()
) -> list[SlaAlert]:
    """Return the warnings and breaches of ``state`` not recorded yet (``warned`` and
    ``breached`` are the clocks already recorded at each level), first response first."""
    found: list[SlaAlert] = []
    for clock in Clock:
        current = _clock_of(state, clock)
        if current is None or clock in breached:
            continue
        running = current.stopped_at is None
        if current.status is ClockStatus.BREACHED:
            found.append(SlaAlert(clock, Level.BREACHED, current.due_at, running))
        elif (
            current.status is ClockStatus.WARNING and clock not in warned and not current.is_paused
        ):
            found.append(SlaAlert(clock, Level.WARNING, current.due_at, running))
    return found


def raised_priority(priority: str) -> str:
    """Return the priority one step above ``priority`` (``urgent`` stays ``urgent``; an
    unknown priority is left as it is)."""
    if priority not in PRIORITIES:
        return priority
    return PRIORITIES[min(PRIORITIES.index(priority) + 1, len(PRIORITIES) - 1)]


@dataclass(frozen=True, slots=True)
class Person:
    """An agent who may be told: their name and e-mail address (``""``: none)."""

    name: str
    email: str


def recipients(
    *,
    level: Level,
    assignee: Person | None,
    lead: Person | None,
    skilled: Iterable[Person] = (),
) -> list[Person]:
    """Return who is told of an alert, each once, in order: a warning goes to the ticket's
    agent (else the lead); a breach to the agent and the lead, or, when neither has an e-mail
    address, to the ``skilled`` agents (those who handle the ticket's category). People
    without an address are left out."""
    chosen = [assignee] if level is Level.WARNING else [assignee, lead]
    if level is Level.WARNING and (assignee is None or not assignee.email):
        chosen = [lead]
    out: list[Person] = []
    seen: set[str] = set()
    for person in chosen:
        if person is not None and person.email and person.email not in seen:
            seen.add(person.email)
            out.append(person)
    if not out and level is Level.BREACHED:
        for person in skilled:
            if person.email and person.email not in seen:
                seen.add(person.email)
                out.append(person)
    return out
