"""Business-hours clocks: opening hours, French holidays, DST, pauses, SLA states."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from maillon.care import sla
from maillon.care.sla import (
    BusinessCalendar,
    ClockStatus,
    SlaPolicy,
    SlaTarget,
    add_business_time,
    business_time_between,
    opening_hours,
    sla_state,
    tally,
)

PARIS = ZoneInfo("Europe/Paris")
H = timedelta(hours=1)
CAL = BusinessCalendar()
SAT_CAL = BusinessCalendar(hours=opening_hours(saturday=(time(9), time(13))))
LUNCH_CAL = BusinessCalendar(
    hours={d: ((time(9), time(12, 30)), (time(14), time(18))) for d in range(5)}
)
ALWAYS = BusinessCalendar(hours={d: ((time(0), time(0)),) for d in range(7)}, country=None)
hyp = settings(max_examples=60, deadline=None)


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


def reference_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Minute-by-minute oracle (slow): count minutes whose local wall time is open."""
    total = 0
    moment = start
    while moment < end:
        local = moment.astimezone(PARIS)
        hours = calendar.hours.get(local.weekday(), ())
        wall = local.time().replace(tzinfo=None)
        if not calendar.is_holiday(local.date()) and any(
            a <= wall and (wall < b or b == time(0)) for a, b in hours
        ):
            total += 1
        moment += timedelta(minutes=1)
    return timedelta(minutes=total)


# --- calendar arithmetic ---------------------------------------------------------------------


def test_friday_evening_ticket_with_four_hours_is_due_monday_12_30() -> None:
    # given a ticket opened Friday 7 March 2025 at 17:30 in Paris (Mon-Fri 09:00-18:00)
    opened = paris(2025, 3, 7, 17, 30).astimezone(UTC)
    # when four business hours are added
    due = add_business_time(CAL, opened, 4 * H)
    # then half an hour counts on Friday and 3.5 hours on Monday morning
    assert due.astimezone(PARIS) == paris(2025, 3, 10, 12, 30)
    assert due.tzinfo is UTC


def test_saturday_hours_bring_the_due_time_to_saturday() -> None:
    opened = paris(2025, 3, 7, 17, 30)
    due = add_business_time(SAT_CAL, opened, 4 * H)
    assert due == paris(2025, 3, 8, 12, 30)
    assert due.tzinfo is PARIS  # the result keeps the start's zone


@pytest.mark.parametrize(
    ("start", "expected", "holiday"),
    [
        (paris(2025, 7, 11, 17), paris(2025, 7, 15, 10), "14 July"),
        (paris(2025, 4, 30, 17), paris(2025, 5, 2, 10), "1 May"),
        (paris(2025, 5, 7, 17), paris(2025, 5, 9, 10), "8 May"),
        (paris(2025, 5, 28, 17), paris(2025, 5, 30, 10), "Ascension"),
        (paris(2025, 6, 6, 17), paris(2025, 6, 10, 10), "Whit Monday"),
        (paris(2025, 4, 18, 17), paris(2025, 4, 22, 10), "Easter Monday"),
        (paris(2025, 12, 24, 17), paris(2025, 12, 26, 10), "Christmas"),
    ],
)
def test_french_public_holidays_are_skipped(
    start: datetime, expected: datetime, holiday: str
) -> None:
    assert add_business_time(CAL, start, 2 * H) == expected, holiday


def test_alsace_moselle_adds_good_friday_and_saint_stephen() -> None:
    alsace = BusinessCalendar(alsace_moselle=True)
    assert alsace.is_holiday(date(2025, 4, 18)) and alsace.is_holiday(date(2025, 12, 26))
    assert not CAL.is_holiday(date(2025, 4, 18)) and not CAL.is_holiday(date(2025, 12, 26))
    thursday = paris(2025, 4, 17, 17)
    assert add_business_time(CAL, thursday, 2 * H) == paris(2025, 4, 18, 10)
    assert add_business_time(alsace, thursday, 2 * H) == paris(2025, 4, 22, 10)


def test_extra_closed_days_and_no_country() -> None:
    closed = BusinessCalendar(closed_days=frozenset({date(2025, 3, 10)}))
    assert add_business_time(closed, paris(2025, 3, 7, 17), 2 * H) == paris(2025, 3, 11, 10)
    none = BusinessCalendar(country=None)
    assert add_business_time(none, paris(2025, 7, 11, 17), 2 * H) == paris(2025, 7, 14, 10)


@pytest.mark.parametrize(
    ("friday", "monday_utc_hour"),
    [((2025, 3, 28), 8), ((2025, 10, 24), 9)],  # last weekend of March / October
)
def test_dst_weekend(friday: tuple[int, int, int], monday_utc_hour: int) -> None:
    start = paris(*friday, 17)
    due = add_business_time(CAL, start.astimezone(UTC), 2 * H)
    # 10:00 local on Monday: CEST (UTC+2) after March, CET (UTC+1) after October
    assert due.astimezone(PARIS).time() == time(10)
    assert due.hour == monday_utc_hour
    assert business_time_between(CAL, start, due) == 2 * H


@pytest.mark.parametrize(("day", "hours"), [(30, 23), (29, 24)])
def test_dst_day_counts_real_hours_on_a_round_the_clock_calendar(day: int, hours: int) -> None:
    start = paris(2025, 3, day)
    end = paris(2025, 3, day + 1)
    assert business_time_between(ALWAYS, start, end) == hours * H
    assert business_time_between(ALWAYS, paris(2025, 10, 26), paris(2025, 10, 27)) == 25 * H


def test_lunch_break_is_not_counted() -> None:
    start = paris(2025, 3, 10, 12)
    assert add_business_time(LUNCH_CAL, start, H) == paris(2025, 3, 10, 14, 30)
    day = business_time_between(LUNCH_CAL, paris(2025, 3, 10), paris(2025, 3, 11))
    assert day == timedelta(hours=7, minutes=30)


def test_closing_time_is_returned_not_next_opening() -> None:
    assert add_business_time(CAL, paris(2025, 3, 10, 17), H) == paris(2025, 3, 10, 18)
    assert add_business_time(CAL, paris(2025, 3, 10, 20), timedelta(0)) == paris(2025, 3, 10, 20)


def test_between_is_antisymmetric_and_crosses_years() -> None:
    a, b = paris(2024, 12, 31, 10), paris(2025, 1, 2, 10)
    # 31 Dec 10-18 (8 h), 1 Jan holiday, 2 Jan 9-10 (1 h)
    assert business_time_between(CAL, a, b) == 9 * H
    assert business_time_between(CAL, b, a) == -9 * H


def test_open_intervals_of_a_day() -> None:
    assert CAL.open_intervals(date(2025, 7, 14)) == ()
    ((start, end),) = CAL.open_intervals(date(2025, 7, 15))
    assert start == datetime(2025, 7, 15, 7, tzinfo=UTC) and end - start == 9 * H


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_time(CAL, datetime(2025, 3, 10, 9), H),
        lambda: business_time_between(CAL, datetime(2025, 3, 10, 9), paris(2025, 3, 11)),
        lambda: add_business_time(CAL, paris(2025, 3, 10), -H),
    ],
)
def test_naive_datetimes_and_negative_durations_are_rejected(call: object) -> None:
    with pytest.raises(ValueError, match=r"naive|< 0"):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"hours": {0: ((time(9), time(12)), (time(11), time(14)))}}, "overlap"),
        ({"hours": {0: ((time(12), time(9)),)}}, "empty"),
        ({"hours": {7: ((time(9), time(12)),)}}, "weekday"),
        ({"hours": {}}, "never open"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"country": "FR", "subdivision": "nowhere"}, "holidays"),
        ({"country": "DE", "alsace_moselle": True}, "alsace"),
    ],
)
def test_calendar_validation(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        BusinessCalendar(**kwargs)  # type: ignore[arg-type]


def test_calendar_closed_for_years_raises() -> None:
    saturdays_only = BusinessCalendar(
        hours={5: ((time(9), time(10)),)},
        country=None,
        closed_days=frozenset(
            day
            for day in (date(2030, 1, 1) + timedelta(days=i) for i in range(366 * 7))
            if day.weekday() == 5
        ),
    )
    with pytest.raises(ValueError, match="no open time"):
        add_business_time(saturdays_only, paris(2030, 1, 1), 10 * H)


# --- properties -------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(0, 120 * 3600).map(lambda s: timedelta(seconds=s))
calendars = st.sampled_from(
    [CAL, SAT_CAL, LUNCH_CAL, ALWAYS, BusinessCalendar(alsace_moselle=True)]
)


@hyp
@given(calendars, instants, durations)
def test_add_then_between_round_trips(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = add_business_time(calendar, start, duration)
    assert due >= start
    assert business_time_between(calendar, start, due) == duration
    # earliest: a microsecond earlier is not enough
    if duration:
        earlier = due - timedelta(microseconds=1)
        assert business_time_between(calendar, start, earlier) < duration


@hyp
@given(calendars, instants, instants, durations)
def test_add_is_monotonic_in_start(
    calendar: BusinessCalendar, a: datetime, b: datetime, duration: timedelta
) -> None:
    early, late = min(a, b), max(a, b)
    assert add_business_time(calendar, early, duration) <= add_business_time(
        calendar, late, duration
    )


@hyp
@given(calendars, instants, instants, instants)
def test_between_is_additive_and_bounded(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted((a, b, c))
    ab = business_time_between(calendar, a, b)
    assert timedelta(0) <= ab <= b - a
    assert ab + business_time_between(calendar, b, c) == business_time_between(calendar, a, c)


minutes = st.datetimes(
    min_value=datetime(2025, 3, 26), max_value=datetime(2025, 4, 24), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from([CAL, SAT_CAL, LUNCH_CAL, ALWAYS, BusinessCalendar(alsace_moselle=True)]),
    minutes,
    st.integers(0, 4 * 24 * 60),
)
@example(ALWAYS, datetime(2025, 3, 29, 11, tzinfo=UTC), 2 * 24 * 60)
@example(SAT_CAL, datetime(2025, 3, 28, 11, tzinfo=UTC), 4 * 24 * 60)
def test_between_matches_a_minute_by_minute_count(
    calendar: BusinessCalendar, start: datetime, span: int
) -> None:
    # spans the March DST change, Good Friday and Easter Monday 2025
    end = start + timedelta(minutes=span)
    assert business_time_between(calendar, start, end) == reference_between(calendar, start, end)


# --- SLA clocks -------------------------------------------------------------------------------

POLICY = SlaPolicy(
    targets={
        ("*", "*"): SlaTarget(4 * H, 18 * H),
        ("urgent", "*"): SlaTarget(H, 9 * H),
        ("urgent", "claim"): SlaTarget(H, None),
        ("*", "claim"): SlaTarget(None, 27 * H),
    }
)


def test_target_fallbacks() -> None:
    assert POLICY.target_for("urgent", "claim") == SlaTarget(H, None)
    assert POLICY.target_for("urgent", "other") == SlaTarget(H, 9 * H)
    assert POLICY.target_for("low", "claim") == SlaTarget(None, 27 * H)
    assert POLICY.target_for("low", "other") == SlaTarget(4 * H, 18 * H)


def test_pause_while_waiting_on_customer_is_subtracted() -> None:
    # given a ticket opened Monday 10 March 2025 09:00, answered at 10:00, waiting on the
    # customer from Monday 11:00 to Tuesday 15:00
    opened = paris(2025, 3, 10, 9)
    events = [
        (paris(2025, 3, 11, 15).astimezone(UTC), "open"),  # unordered on purpose
        (paris(2025, 3, 10, 11).astimezone(UTC), "waiting_on_customer"),
    ]
    state = sla_state(
        policy=POLICY,
        calendar=CAL,
        opened_at=opened,
        events=events,
        first_response_at=paris(2025, 3, 10, 10),
        now=paris(2025, 3, 11, 17),
    )
    # then first response: met after one hour
    first = state.first_response
    assert first is not None and first.status is ClockStatus.MET and first.elapsed == H
    # and resolution: 2 h before the pause + 2 h after; 7 h + 6 h paused
    res = state.resolution
    assert res is not None
    assert res.elapsed == 4 * H
    assert res.paused == 13 * H
    assert res.remaining == 14 * H
    assert res.status is ClockStatus.OK and not res.is_paused
    # due: 14 more business hours from Tuesday 17:00 -> Thursday 13:00
    assert res.due_at == paris(2025, 3, 13, 13).astimezone(UTC)
    assert state.next_due_at == res.due_at


def test_clock_paused_now_projects_due_from_now() -> None:
    state = sla_state(
        policy=POLICY,
        calendar=CAL,
        opened_at=paris(2025, 3, 10, 9),
        events=[(paris(2025, 3, 10, 12), "waiting_on_customer")],
        now=paris(2025, 3, 11, 12),
    )
    res = state.resolution
    assert res is not None and res.is_paused
    assert res.elapsed == 3 * H and res.paused == 9 * H
    assert res.due_at == add_business_time(CAL, paris(2025, 3, 11, 12), 15 * H)


@pytest.mark.parametrize(
    ("now", "status"),
    [
        (paris(2025, 3, 10, 11), ClockStatus.OK),  # 2 h of 4
        (paris(2025, 3, 10, 12, 12), ClockStatus.WARNING),  # 3.2 h = 80 %
        (paris(2025, 3, 10, 13), ClockStatus.WARNING),  # exactly due
        (paris(2025, 3, 10, 13, 1), ClockStatus.BREACHED),
    ],
)
def test_running_clock_states(now: datetime, status: ClockStatus) -> None:
    state = sla_state(policy=POLICY, calendar=CAL, opened_at=paris(2025, 3, 10, 9), now=now)
    assert state.first_response is not None
    assert state.first_response.status is status
    assert state.breaches == (status is ClockStatus.BREACHED)
    assert state.warning == (status is ClockStatus.WARNING)


def test_breach_time_and_late_stop() -> None:
    opened = paris(2025, 3, 10, 9)
    state = sla_state(
        policy=POLICY,
        calendar=CAL,
        opened_at=opened,
        events=[(paris(2025, 3, 10, 10), "waiting_on_customer"), (paris(2025, 3, 10, 11), "open")],
        first_response_at=paris(2025, 3, 11, 10),
        now=paris(2025, 3, 12, 10),
    )
    first = state.first_response
    assert first is not None
    # 1 h paused, so the 4 h target breached at 14:00, and the reply came late
    assert first.due_at == paris(2025, 3, 10, 14).astimezone(UTC)
    assert first.status is ClockStatus.BREACHED
    assert first.elapsed == 9 * H and first.overdue == 5 * H
    assert state.next_due_at == state.resolution.due_at  # type: ignore[union-attr]


def test_untracked_clock_and_stop_in_the_future() -> None:
    state = sla_state(
        policy=POLICY,
        calendar=CAL,
        opened_at=paris(2025, 3, 10, 9),
        first_response_at=paris(2025, 3, 10, 15),
        now=paris(2025, 3, 10, 12),
        priority="urgent",
        category="claim",
    )
    assert state.resolution is None
    first = state.first_response
    assert first is not None and first.status is ClockStatus.BREACHED  # the stop is ignored
    assert first.stopped_at is None


def test_sla_state_validation() -> None:
    with pytest.raises(ValueError, match="naive"):
        sla_state(
            policy=POLICY, calendar=CAL, opened_at=datetime(2025, 3, 10), now=paris(2025, 3, 11)
        )
    with pytest.raises(ValueError, match="before opened_at"):
        sla_state(
            policy=POLICY,
            calendar=CAL,
            opened_at=paris(2025, 3, 10, 9),
            resolved_at=paris(2025, 3, 9, 9),
            now=paris(2025, 3, 11),
        )
    with pytest.raises(ValueError, match="naive"):
        sla_state(
            policy=POLICY,
            calendar=CAL,
            opened_at=paris(2025, 3, 10, 9),
            events=[(datetime(2025, 3, 10, 10), "waiting_on_customer")],
            now=paris(2025, 3, 11),
        )
    with pytest.raises(ValueError, match="fallback"):
        SlaPolicy(targets={("high", "*"): SlaTarget(H, H)})
    with pytest.raises(ValueError, match="warning_ratio"):
        SlaPolicy(warning_ratio=1.5)
    with pytest.raises(ValueError, match="> 0"):
        SlaTarget(timedelta(0), H)


def test_tally_counts_states() -> None:
    opened = paris(2025, 3, 10, 9)
    states = [
        sla_state(policy=POLICY, calendar=CAL, opened_at=opened, now=paris(2025, 3, 10, 10)),
        sla_state(policy=POLICY, calendar=CAL, opened_at=opened, now=paris(2025, 3, 12, 12)),
        sla_state(
            policy=POLICY,
            calendar=CAL,
            opened_at=opened,
            first_response_at=paris(2025, 3, 10, 9, 30),
            resolved_at=paris(2025, 3, 10, 16),
            now=paris(2025, 3, 12, 10),
        ),
    ]
    counts = tally(states)
    assert counts.tickets == 3
    assert counts.first_response[ClockStatus.OK] == 1
    assert counts.first_response[ClockStatus.BREACHED] == 1
    assert counts.first_response[ClockStatus.MET] == 1
    assert counts.resolution[ClockStatus.BREACHED] == 1
    assert counts.breaches == 2
    assert counts.warnings == 0


@hyp
@given(
    instants,
    st.lists(
        st.tuples(instants, st.sampled_from(["open", "waiting_on_customer", "pending"])),
        max_size=6,
    ),
    durations,
)
def test_elapsed_plus_paused_is_business_time_since_opening(
    opened: datetime, events: list[tuple[datetime, str]], later: timedelta
) -> None:
    now = opened + later * 3
    state = sla_state(policy=POLICY, calendar=CAL, opened_at=opened, events=events, now=now)
    res = state.resolution
    assert res is not None
    assert res.elapsed + res.paused == business_time_between(CAL, opened, now)
    assert res.remaining - res.overdue == res.target - res.elapsed
    if res.status is not ClockStatus.BREACHED:
        assert res.due_at >= min(now, add_business_time(CAL, opened, res.target))


def test_public_api() -> None:
    assert set(sla.__all__) == {
        "DEFAULT_PAUSE_STATUSES",
        "DEFAULT_TARGETS",
        "Escalation",
        "BusinessCalendar",
        "ClockState",
        "ClockStatus",
        "SlaPolicy",
        "SlaState",
        "SlaTally",
        "SlaTarget",
        "add_business_time",
        "business_time_between",
        "opening_hours",
        "sla_state",
        "tally",
    }
