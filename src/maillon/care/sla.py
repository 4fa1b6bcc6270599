"""SLA clocks of after-sales tickets, counted in business hours (pure).

A :class:`BusinessCalendar` says when the service desk is open: opening hours per weekday in
local time (Mon-Fri 09:00-18:00 by default; Saturday morning, a lunch break or round-the-clock
days are configurable), a time zone (``Europe/Paris``), the public holidays of a country from
the ``holidays`` package (France by default, optionally with the two extra days of
Alsace-Moselle: Good Friday and 26 December) and any extra closed days.

:func:`business_time_between` returns how much open time lies between two instants and
:func:`add_business_time` the earliest instant at which a given amount of open time has
elapsed; one undoes the other. Business time is *real* elapsed time inside the opening hours:
a day whose opening hours span a daylight-saving change counts 23 or 25 hours.

An :class:`SlaPolicy` holds the first-response and resolution targets per (priority, category),
with ``"*"`` wildcards as fallbacks, and a warning threshold (80 % of the target by default).
:func:`sla_state` computes both clocks of one ticket: due time, elapsed business time, business
time spent paused (while the ticket waits on the customer), what remains, and the state
``ok`` / ``warning`` / ``breached`` / ``met``. :func:`tally` counts states over many tickets.

Speed: the ticket inbox computes a state per row, so nothing here steps minute by minute. For
each calendar and year, the open intervals of every day (as UTC microseconds) and their running
total are computed once and cached; a span of business time is then a difference of two running
totals, and adding business time is a bisection in them. Holiday sets are cached per
(country, subdivision, year).

Every instant passed in must be timezone-aware (UTC or any zone); naive datetimes raise
``ValueError``. Pure: stdlib (``zoneinfo``, ``bisect``) and ``holidays``.
"""

from __future__ import annotations

import bisect
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "DEFAULT_PAUSE_STATUSES",
    "DEFAULT_TARGETS",
    "BusinessCalendar",
    "ClockState",
    "ClockStatus",
    "Escalation",
    "SlaPolicy",
    "SlaState",
    "SlaTally",
    "SlaTarget",
    "add_business_time",
    "business_time_between",
    "opening_hours",
    "sla_state",
    "tally",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_MIDNIGHT = time(0)
_MAX_EMPTY_YEARS = 5

Interval = tuple[time, time]
"""Opening hours ``(opens, closes)`` in local time; ``closes == time(0)`` means midnight."""


def opening_hours(
    *,
    weekdays: Interval | None = (time(9), time(18)),
    saturday: Interval | None = None,
    sunday: Interval | None = None,
) -> dict[int, tuple[Interval, ...]]:
    """Return opening hours per weekday (0 = Monday): ``weekdays`` Monday to Friday, then
    ``saturday`` and ``sunday`` (``None``: closed), for :class:`BusinessCalendar`."""
    out: dict[int, tuple[Interval, ...]] = {}
    for day in range(7):
        hours = weekdays if day < 5 else saturday if day == 5 else sunday
        if hours is not None:
            out[day] = (hours,)
    return out


@functools.lru_cache(maxsize=256)
def _holiday_dates(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of ``country`` (and ``subdivision``) in ``year``, cached."""
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def _micros(moment: time) -> int:
    """Microseconds since local midnight of a wall-clock time."""
    return ((moment.hour * 60 + moment.minute) * 60 + moment.second) * 1_000_000 + (
        moment.microsecond
    )


def _to_us(moment: datetime, name: str) -> int:
    """Microseconds since the epoch of an aware datetime. Raises ValueError if naive."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} = {moment!r} is naive; pass a timezone-aware datetime.")
    return (moment - _EPOCH) // _US


@dataclass(frozen=True, slots=True)
class _Year:
    """One calendar year: open intervals per local day (UTC µs) and their running totals."""

    first: date
    starts: tuple[int, ...]  # local midnight of each day (UTC µs); len(days) + 1 items
    days: tuple[tuple[tuple[int, int], ...], ...]
    cumulative: tuple[int, ...]  # cumulative[i] = open µs before day i; len(days) + 1 items

    @property
    def total(self) -> int:
        return self.cumulative[-1]

    def before(self, us: int) -> int:
        """Open µs of the year before instant ``us`` (which falls within the year)."""
        index = bisect.bisect_right(self.starts, us) - 1
        done = self.cumulative[index]
        for start, end in self.days[index]:
            if us <= start:
                break
            done += min(us, end) - start
        return done


@dataclass(frozen=True)
class BusinessCalendar:
    """When the service desk is open.

    Attributes:
        hours: per weekday (0 = Monday ... 6 = Sunday) the open intervals ``(opens, closes)``
            in local time, increasing and not overlapping; ``closes == time(0)`` means
            midnight. Missing weekdays are closed. Default Monday-Friday 09:00-18:00
            (see :func:`opening_hours`).
        timezone: IANA zone of the opening hours and holidays (``Europe/Paris``).
        country: ISO code of the public holidays (``holidays`` package); ``None``: none.
        subdivision: the ``holidays`` subdivision code, if any.
        alsace_moselle: add the extra public holidays of Alsace-Moselle (Good Friday,
            26 December) to the French ones; same as ``subdivision="57"``.
        closed_days: further local dates when the desk is closed (company closure...).

    Raises:
        ValueError: for an unknown time zone, country or subdivision, a weekday outside 0-6,
            an empty or overlapping interval, or a calendar never open.
    """

    hours: Mapping[int, Sequence[Interval]] = field(default_factory=opening_hours, hash=False)
    timezone: str = "Europe/Paris"
    country: str | None = "FR"
    subdivision: str | None = None
    alsace_moselle: bool = False
    closed_days: frozenset[date] = frozenset()
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _week: tuple[tuple[Interval, ...], ...] = field(
        init=False, repr=False, compare=False, hash=False
    )
    _years: dict[int, _Year] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"timezone = {self.timezone!r} is not a known IANA zone.") from exc
        object.__setattr__(self, "_zone", zone)
        week: list[tuple[Interval, ...]] = [() for _ in range(7)]
        for day, intervals in self.hours.items():
            if day not in range(7):
                raise ValueError(f"hours: weekday {day!r} not understood (0 = Monday ... 6).")
            week[day] = tuple(intervals)
            previous_end = -1
            for opens, closes in week[day]:
                if opens.tzinfo is not None or closes.tzinfo is not None:
                    raise ValueError("hours: give local times without tzinfo.")
                start = _micros(opens)
                end = 86_400_000_000 if closes == _MIDNIGHT else _micros(closes)
                if not start < end:
                    raise ValueError(f"hours[{day}]: {opens}-{closes} is empty.")
                if start < previous_end:
                    raise ValueError(f"hours[{day}]: intervals overlap or are not increasing.")
                previous_end = end
        if not any(week):
            raise ValueError("hours: the calendar is never open.")
        object.__setattr__(self, "hours", {d: week[d] for d in range(7) if week[d]})
        object.__setattr__(self, "_week", tuple(week))
        if self.alsace_moselle and self.subdivision is None:
            object.__setattr__(self, "subdivision", "57")
        if self.alsace_moselle and self.country != "FR":
            raise ValueError("alsace_moselle only applies to country 'FR'.")
        if self.country is not None:
            try:
                _holiday_dates(self.country, self.subdivision, 2024)
            except NotImplementedError as exc:
                raise ValueError(
                    f"country = {self.country!r}, subdivision = {self.subdivision!r} "
                    "not known to the holidays package."
                ) from exc

    def is_holiday(self, day: date) -> bool:
        """Return whether local date ``day`` is a public holiday or an extra closed day."""
        if day in self.closed_days:
            return True
        return self.country is not None and day in _holiday_dates(
            self.country, self.subdivision, day.year
        )

    def open_intervals(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """Return the open intervals of local date ``day`` as aware UTC datetimes."""
        year = self._year(day.year)
        return tuple(
            (_EPOCH + start * _US, _EPOCH + end * _US)
            for start, end in year.days[(day - year.first).days]
        )

    def local_date(self, moment: datetime) -> date:
        """Return the local date of aware ``moment``. Raises ValueError if naive."""
        _to_us(moment, "moment")
        return moment.astimezone(self._zone).date()

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        first = date(year, 1, 1)
        n_days = (date(year + 1, 1, 1) - first).days if year < 9999 else 365
        days: list[tuple[tuple[int, int], ...]] = []
        cumulative = [0]
        zone = self._zone
        starts = [
            (datetime.combine(first + timedelta(days=i), _MIDNIGHT, tzinfo=zone) - _EPOCH) // _US
            for i in range(n_days + 1)
        ]
        for offset in range(n_days):
            day = first + timedelta(days=offset)
            intervals: list[tuple[int, int]] = []
            if not self.is_holiday(day):
                floor = -(2**62)
                for opens, closes in self._week[day.weekday()]:
                    start = (datetime.combine(day, opens, tzinfo=zone) - _EPOCH) // _US
                    end_day = day + timedelta(days=1) if closes == _MIDNIGHT else day
                    end = (datetime.combine(end_day, closes, tzinfo=zone) - _EPOCH) // _US
                    # Local times skipped or repeated by a DST change: keep intervals ordered.
                    start = max(start, floor)
                    end = max(end, start)
                    floor = end
                    if end > start:
                        intervals.append((start, end))
            days.append(tuple(intervals))
            cumulative.append(cumulative[-1] + sum(e - s for s, e in intervals))
        table = _Year(first, tuple(starts), tuple(days), tuple(cumulative))
        self._years[year] = table
        return table

    def _locate(self, us: int) -> tuple[int, int]:
        """(local year, open µs of that year before instant ``us``)."""
        year = (_EPOCH + us * _US).year  # the UTC year: the local one or a neighbour
        table = self._year(year)
        if us < table.starts[0]:
            year -= 1
        elif us >= table.starts[-1]:
            year += 1
        return year, self._year(year).before(us)

    def _between(self, start: int, end: int) -> int:
        """Open µs between two instants (µs since the epoch), negative if reversed."""
        if end < start:
            return -self._between(end, start)
        year_a, done_a = self._locate(start)
        year_b, done_b = self._locate(end)
        total = done_b - done_a
        for year in range(year_a, year_b):
            total += self._year(year).total
        return total

    def _add(self, start: int, duration: int) -> int:
        """Earliest instant (µs) with ``duration`` open µs since ``start`` (``duration >= 0``)."""
        if duration == 0:
            return start
        year, done = self._locate(start)
        need = done + duration
        empty = 0
        table = self._year(year)
        while need > table.total:
            need -= table.total
            empty = empty + 1 if table.total == 0 else 0
            if empty >= _MAX_EMPTY_YEARS:
                raise ValueError("the calendar has no open time for years; check closed_days.")
            year += 1
            table = self._year(year)
        index = bisect.bisect_left(table.cumulative, need) - 1
        left = need - table.cumulative[index]
        for begin, end in table.days[index]:
            if left <= end - begin:
                return begin + left
            left -= end - begin
        raise AssertionError(
            "unreachable: running totals and intervals disagree"
        )  # pragma: no cover


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Return the open time of ``calendar`` between ``start`` and ``end``.

    Negative when ``end`` is before ``start`` (``between(a, b) == -between(b, a)``).
    Raises ValueError if either datetime is naive.
    """
    return calendar._between(_to_us(start, "start"), _to_us(end, "end")) * _US


def add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """Return the earliest instant at which ``duration`` of open time has passed since ``start``.

    The result is in ``start``'s time zone; ``duration == 0`` returns ``start`` itself, and a
    duration ending exactly at closing time returns the closing time. It satisfies
    ``business_time_between(calendar, start, result) == duration``.

    Raises:
        ValueError: if ``start`` is naive, ``duration`` is negative, or the calendar stays
            closed for years on end (every day a closed day).
    """
    if duration < timedelta(0):
        raise ValueError(f"duration = {duration!r} < 0 not understood.")
    us = _to_us(start, "start")
    if duration == timedelta(0):
        return start
    return (_EPOCH + calendar._add(us, duration // _US) * _US).astimezone(start.tzinfo)


# --- SLA policies and clocks -----------------------------------------------------------------

DEFAULT_PAUSE_STATUSES: frozenset[str] = frozenset({"waiting_on_customer"})
"""Ticket statuses during which the SLA clocks stand still."""


@dataclass(frozen=True, slots=True)
class SlaTarget:
    """Business-time targets of one kind of ticket; ``None``: that clock is not tracked.

    Raises:
        ValueError: if a target is not positive.
    """

    first_response: timedelta | None
    resolution: timedelta | None

    def __post_init__(self) -> None:
        for name in ("first_response", "resolution"):
            value = getattr(self, name)
            if value is not None and value <= timedelta(0):
                raise ValueError(f"{name} = {value!r} must be > 0.")


DEFAULT_TARGETS: Mapping[tuple[str, str], SlaTarget] = {
    ("urgent", "*"): SlaTarget(timedelta(hours=1), timedelta(hours=8)),
    ("high", "*"): SlaTarget(timedelta(hours=4), timedelta(hours=18)),
    ("normal", "*"): SlaTarget(timedelta(hours=8), timedelta(hours=27)),
    ("low", "*"): SlaTarget(timedelta(hours=18), timedelta(hours=45)),
    ("*", "*"): SlaTarget(timedelta(hours=8), timedelta(hours=27)),
}
"""Business-hour targets by priority (with 9 open hours a day: 1 h / 1 day for urgent,
4 h / 2 days for high, 1 day / 3 days for normal, 2 days / 5 days for low)."""


@dataclass(frozen=True, slots=True)
class Escalation:
    """What the SLA check does about a ticket (see :mod:`maillon.care.escalation`).

    Attributes:
        raise_priority: a clock that breaches raises the ticket's priority one step (up to
            ``urgent``, whose targets are the tightest).
        lead: the name of the agent breaches are escalated to (the team lead): told of every
            breach, and given the ticket when nobody holds it. ``None``: nobody.
        warn_assignee: tell the ticket's agent when a clock passes the warning threshold.
    """

    raise_priority: bool = True
    lead: str | None = None
    warn_assignee: bool = True


@dataclass(frozen=True)
class SlaPolicy:
    """First-response and resolution targets by (priority, category).

    Attributes:
        targets: ``(priority, category) -> SlaTarget``; ``"*"`` matches any value. A ticket
            takes the first of ``(p, c)``, ``(p, "*")``, ``("*", c)``, ``("*", "*")`` present.
        warning_ratio: share of a target after which a running clock is in ``warning``.
        pause_statuses: ticket statuses during which both clocks stand still.
        escalation: what happens when a clock nears or passes its target.

    Raises:
        ValueError: if ``warning_ratio`` is not in (0, 1] or ``targets`` has no fallback
            ``("*", "*")``.
    """

    targets: Mapping[tuple[str, str], SlaTarget] = field(
        default_factory=lambda: dict(DEFAULT_TARGETS), hash=False
    )
    warning_ratio: float = 0.8
    pause_statuses: frozenset[str] = DEFAULT_PAUSE_STATUSES
    escalation: Escalation = Escalation()

    def __post_init__(self) -> None:
        if not 0 < self.warning_ratio <= 1:
            raise ValueError(f"warning_ratio = {self.warning_ratio!r} must be in (0, 1].")
        if ("*", "*") not in self.targets:
            raise ValueError('targets needs a ("*", "*") fallback.')
        for key, target in self.targets.items():
            if not isinstance(target, SlaTarget):
                raise ValueError(f"targets[{key!r}] must be an SlaTarget.")
        object.__setattr__(self, "targets", dict(self.targets))

    def target_for(self, priority: str, category: str) -> SlaTarget:
        """Return the target of a ticket of ``priority`` and ``category`` (with fallbacks)."""
        for key in ((priority, category), (priority, "*"), ("*", category), ("*", "*")):
            found = self.targets.get(key)
            if found is not None:
                return found
        raise AssertionError("unreachable: the ('*', '*') fallback is checked")  # pragma: no cover


class ClockStatus(StrEnum):
    """Where one SLA clock stands."""

    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"
    MET = "met"


@dataclass(frozen=True, slots=True)
class ClockState:
    """One SLA clock (first response or resolution) of one ticket.

    Attributes:
        target: the business-time target.
        due_at: when the target is (or was) reached. For a clock that breached, the instant
            it breached; for a running clock, the projection assuming no further pause (if
            paused now, as if the pause ended now); for a met clock, the projection from the
            moment it stopped. In UTC.
        elapsed: business time counted, pauses excluded.
        paused: business time spent paused (not counted).
        remaining: ``target - elapsed``, at least zero.
        overdue: ``elapsed - target``, at least zero.
        status: ok / warning / breached / met (a clock stopped late stays ``breached``).
        stopped_at: when the clock stopped (first response or resolution), or ``None``.
        is_paused: whether the clock is running and paused right now.
    """

    target: timedelta
    due_at: datetime
    elapsed: timedelta
    paused: timedelta
    remaining: timedelta
    overdue: timedelta
    status: ClockStatus
    stopped_at: datetime | None
    is_paused: bool

    @property
    def fraction(self) -> float:
        """Return the share of the target used (1.0 at the due time)."""
        return self.elapsed / self.target


@dataclass(frozen=True, slots=True)
class SlaState:
    """Both clocks of one ticket; a clock is ``None`` when its target is not tracked."""

    priority: str
    category: str
    first_response: ClockState | None
    resolution: ClockState | None

    @property
    def clocks(self) -> tuple[ClockState, ...]:
        """Return the tracked clocks."""
        return tuple(c for c in (self.first_response, self.resolution) if c is not None)

    @property
    def breaches(self) -> int:
        """Return how many clocks breached (0, 1 or 2)."""
        return sum(c.status is ClockStatus.BREACHED for c in self.clocks)

    @property
    def warning(self) -> bool:
        """Return whether a running clock is past the warning threshold but not breached."""
        return any(c.status is ClockStatus.WARNING for c in self.clocks)

    @property
    def next_due_at(self) -> datetime | None:
        """Return the earliest due time of the clocks still running (ok or warning)."""
        running = [
            c.due_at for c in self.clocks if c.status in (ClockStatus.OK, ClockStatus.WARNING)
        ]
        return min(running) if running else None


def _pause_intervals(
    events: Iterable[tuple[datetime, str]], pause_statuses: frozenset[str], opened: int
) -> list[tuple[int, int | None]]:
    """Paused spans (µs; ``None``: still paused) from status changes, sorted by time."""
    changes = sorted(
        (_to_us(at, f"events[{i}].at"), i, status) for i, (at, status) in enumerate(events)
    )
    spans: list[tuple[int, int | None]] = []
    began: int | None = None
    for at, _, status in changes:
        paused = status in pause_statuses
        if paused and began is None:
            began = max(at, opened)
        elif not paused and began is not None:
            if at > began:
                spans.append((began, at))
            began = None
    if began is not None:
        spans.append((began, None))
    return spans


def _clock(
    *,
    calendar: BusinessCalendar,
    target: timedelta,
    ratio: float,
    opened: int,
    pauses: list[tuple[int, int | None]],
    stopped_at: datetime | None,
    stop: int | None,
    now: int,
) -> ClockState:
    """One clock; instants in µs since the epoch, ``stop`` that of ``stopped_at``."""
    end = now if stop is None else stop
    goal = target // _US
    elapsed = paused = 0
    due: int | None = None
    cursor = opened
    is_paused = False

    def count(a: int, b: int) -> None:
        nonlocal elapsed, due
        span = calendar._between(a, b)
        if due is None and elapsed + span >= goal:
            due = calendar._add(a, goal - elapsed)
        elapsed += span

    for p_start, p_end in pauses:
        if p_start >= end:
            break
        p_stop = end if p_end is None else min(p_end, end)
        if p_start > cursor:
            count(cursor, p_start)
        if p_stop > max(p_start, cursor):
            paused += calendar._between(max(p_start, cursor), p_stop)
        cursor = max(cursor, p_stop)
        if stop is None and (p_end is None or p_end > end):
            is_paused = True
    if end > cursor:
        count(cursor, end)
    remaining = max(goal - elapsed, 0)
    if due is None:  # not reached yet: project from the horizon
        due = calendar._add(end, remaining)
    if stop is not None:
        status = ClockStatus.MET if elapsed <= goal else ClockStatus.BREACHED
    elif elapsed > goal:
        status = ClockStatus.BREACHED
    elif elapsed >= goal * ratio:
        status = ClockStatus.WARNING
    else:
        status = ClockStatus.OK
    return ClockState(
        target=target,
        due_at=_EPOCH + due * _US,
        elapsed=elapsed * _US,
        paused=paused * _US,
        remaining=remaining * _US,
        overdue=max(elapsed - goal, 0) * _US,
        status=status,
        stopped_at=stopped_at,
        is_paused=is_paused,
    )


def sla_state(
    *,
    policy: SlaPolicy,
    calendar: BusinessCalendar,
    opened_at: datetime,
    now: datetime,
    events: Sequence[tuple[datetime, str]] = (),
    first_response_at: datetime | None = None,
    resolved_at: datetime | None = None,
    priority: str = "normal",
    category: str = "other",
) -> SlaState:
    """Return both SLA clocks of a ticket at ``now``.

    ``events`` are the ticket's status changes ``(at, status)`` in any order; while the status
    is one of ``policy.pause_statuses`` both clocks stand still. The status before the first
    event is taken as not paused. The first-response clock stops at ``first_response_at``, the
    resolution clock at ``resolved_at``; a stop after ``now`` is ignored (not yet happened).

    Raises:
        ValueError: if a datetime is naive, or ``first_response_at`` / ``resolved_at`` is
            before ``opened_at``.
    """
    start = _to_us(opened_at, "opened_at")
    moment = max(_to_us(now, "now"), start)
    stops: list[tuple[datetime | None, int | None]] = []
    for name, value in (("first_response_at", first_response_at), ("resolved_at", resolved_at)):
        at = None if value is None else _to_us(value, name)
        if value is None or at is None or at > moment:
            stops.append((None, None))  # not stopped (yet)
            continue
        if at < start:
            raise ValueError(f"{name} = {value.isoformat()} is before opened_at.")
        stops.append((value, at))
    pauses = _pause_intervals(events, policy.pause_statuses, start)
    target = policy.target_for(priority, category)
    clocks: list[ClockState | None] = []
    for goal, (stopped_at, stop) in zip(
        (target.first_response, target.resolution), stops, strict=True
    ):
        if goal is None:
            clocks.append(None)
            continue
        clocks.append(
            _clock(
                calendar=calendar,
                target=goal,
                ratio=policy.warning_ratio,
                opened=start,
                pauses=pauses,
                stopped_at=stopped_at,
                stop=stop,
                now=moment,
            )
        )
    return SlaState(priority, category, clocks[0], clocks[1])


@dataclass(frozen=True, slots=True)
class SlaTally:
    """Counts of clock states over many tickets, per clock: ``{status: count}``."""

    first_response: Mapping[ClockStatus, int]
    resolution: Mapping[ClockStatus, int]
    tickets: int

    @property
    def breaches(self) -> int:
        """Return the number of breached clocks (both kinds)."""
        return self.first_response[ClockStatus.BREACHED] + self.resolution[ClockStatus.BREACHED]

    @property
    def warnings(self) -> int:
        """Return the number of clocks in warning (both kinds)."""
        return self.first_response[ClockStatus.WARNING] + self.resolution[ClockStatus.WARNING]


def tally(states: Iterable[SlaState]) -> SlaTally:
    """Return how many clocks of ``states`` are ok, in warning, breached and met."""
    first = dict.fromkeys(ClockStatus, 0)
    resolution = dict.fromkeys(ClockStatus, 0)
    tickets = 0
    for state in states:
        tickets += 1
        if state.first_response is not None:
            first[state.first_response.status] += 1
        if state.resolution is not None:
            resolution[state.resolution.status] += 1
    return SlaTally(first, resolution, tickets)
