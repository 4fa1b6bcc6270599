"""Tests of maillon.shipping.promise: cut-offs, French holidays, transit, promise accuracy."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.shipping import promise as promise_module
from maillon.shipping.promise import (
    DEFAULT_WAREHOUSE,
    WarehouseCalendar,
    compare_promise,
    french_subdivision,
    holiday_dates,
    is_delivery_day,
    promise_date,
    summarise_promises,
)

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


def test_public_api_is_pinned() -> None:
    assert sorted(promise_module.__all__) == [
        "DEFAULT_WAREHOUSE",
        "PARIS_TZ",
        "Promise",
        "PromiseAccuracy",
        "PromiseOutcome",
        "WarehouseCalendar",
        "compare_promise",
        "french_subdivision",
        "holiday_dates",
        "is_delivery_day",
        "promise_date",
        "summarise_promises",
    ]


# -- known French holidays -------------------------------------------------------------------


def test_bastille_day_monday_delays_shipping_after_a_late_friday_order() -> None:
    # Given an order on Friday 11 July 2025 after the 14:00 cut-off
    p = promise_date(ordered_at=paris(2025, 7, 11, 16, 0), transit_days=1)
    # Then it ships neither on the weekend nor on Monday 14 July, but on Tuesday 15 July
    assert p.missed_cutoff
    assert p.ship_date == dt.date(2025, 7, 15)
    assert p.delivery_date == dt.date(2025, 7, 16)


def test_ascension_thursday_is_skipped_in_transit() -> None:
    # Ascension 2025 is Thursday 29 May: a Wednesday parcel with 1 day of transit lands Friday
    p = promise_date(ordered_at=paris(2025, 5, 28, 9, 30), transit_days=1)
    assert p.ship_date == dt.date(2025, 5, 28)
    assert p.delivery_date == dt.date(2025, 5, 30)


def test_first_of_may_on_a_weekday_closes_the_warehouse() -> None:
    # 1 May 2025 is a Thursday: an order missing Wednesday's cut-off ships Friday 2 May
    p = promise_date(ordered_at=paris(2025, 4, 30, 15, 0), transit_days=2)
    assert p.ship_date == dt.date(2025, 5, 2)
    assert p.delivery_date == dt.date(2025, 5, 6)  # Saturday and Sunday are not delivery days


def test_alsace_good_friday_only_delays_alsace() -> None:
    # Good Friday (18 April 2025) is a holiday in Alsace-Moselle only; Easter Monday everywhere
    ordered = paris(2025, 4, 17, 10, 0)
    to_paris = promise_date(ordered_at=ordered, transit_days=1, destination_postal_code="75011")
    to_strasbourg = promise_date(
        ordered_at=ordered, transit_days=1, destination_postal_code="67000"
    )
    assert to_paris.delivery_date == dt.date(2025, 4, 18)
    assert to_strasbourg.delivery_date == dt.date(2025, 4, 22)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (dt.date(2025, 7, 14), False),  # national day, Monday
        (dt.date(2025, 5, 29), False),  # Ascension Thursday
        (dt.date(2025, 5, 1), False),  # Labour Day, Thursday
        (dt.date(2025, 6, 9), False),  # Whit Monday
        (dt.date(2025, 7, 15), True),
        (dt.date(2025, 7, 13), False),  # Sunday
        (dt.date(2025, 7, 12), False),  # Saturday without Saturday delivery
    ],
)
def test_is_delivery_day_knows_french_holidays(day: dt.date, expected: bool) -> None:
    assert is_delivery_day(day) is expected


def test_holiday_calendar_matches_the_holidays_package_and_is_cached() -> None:
    holiday_dates.cache_clear()
    days = holiday_dates("FR", None, 2026)
    assert days == frozenset(holidays.France(years=2026).keys())
    assert holiday_dates("FR", None, 2026) is days
    assert holiday_dates.cache_info().hits >= 1
    assert holiday_dates("ZZ", None, 2026) == frozenset()  # unknown country: no holidays


def test_french_subdivision_from_postal_code() -> None:
    assert french_subdivision("57000") == "57"
    assert french_subdivision("68100") == "6AE"
    assert french_subdivision("97400") == "974"
    assert french_subdivision("75001") is None


# -- cut-off edges -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ordered_at", "ship"),
    [
        (paris(2025, 3, 12, 13, 59, 59), dt.date(2025, 3, 12)),
        (paris(2025, 3, 12, 14, 0, 0), dt.date(2025, 3, 13)),  # exactly at the cut-off: missed
        # UTC inputs, read in Paris time: winter UTC+1, summer UTC+2
        (dt.datetime(2025, 1, 15, 12, 59, tzinfo=UTC), dt.date(2025, 1, 15)),
        (dt.datetime(2025, 7, 15, 12, 30, tzinfo=UTC), dt.date(2025, 7, 16)),
        # 23:30 UTC on Tuesday is already Wednesday in Paris, before the cut-off
        (dt.datetime(2025, 7, 15, 23, 30, tzinfo=UTC), dt.date(2025, 7, 16)),
        # Saturday and Sunday orders ship Monday
        (paris(2025, 3, 15, 9, 0), dt.date(2025, 3, 17)),
        (paris(2025, 3, 16, 9, 0), dt.date(2025, 3, 17)),
    ],
)
def test_cutoff_edges(ordered_at: dt.datetime, ship: dt.date) -> None:
    assert promise_date(ordered_at=ordered_at, transit_days=2).ship_date == ship


def test_carrier_cutoff_earlier_than_the_warehouse_applies() -> None:
    ordered = paris(2025, 3, 12, 13, 0)
    assert promise_date(ordered_at=ordered, transit_days=0).ship_date == dt.date(2025, 3, 12)
    late = promise_date(ordered_at=ordered, transit_days=0, carrier_cutoff=dt.time(12, 0))
    assert late.cutoff == dt.time(12, 0)
    assert late.ship_date == dt.date(2025, 3, 13)
    assert late.delivery_date == late.ship_date  # same-day courier


def test_saturday_delivery_only_for_carriers_that_deliver_then() -> None:
    friday = paris(2025, 3, 14, 10, 0)
    assert promise_date(ordered_at=friday, transit_days=1).delivery_date == dt.date(2025, 3, 17)
    saturday = promise_date(ordered_at=friday, transit_days=1, saturday_delivery=True)
    assert saturday.delivery_date == dt.date(2025, 3, 15)


def test_saturday_pickup_needs_a_warehouse_open_on_saturday() -> None:
    saturday_order = paris(2025, 3, 15, 9, 0)
    six_days = WarehouseCalendar(working_weekdays=frozenset(range(6)))
    assert promise_date(
        ordered_at=saturday_order, transit_days=1, warehouse=six_days
    ).ship_date == dt.date(2025, 3, 17)
    picked = promise_date(
        ordered_at=saturday_order, transit_days=1, warehouse=six_days, saturday_pickup=True
    )
    assert picked.ship_date == dt.date(2025, 3, 15)


def test_handling_days_and_closed_dates() -> None:
    closed = WarehouseCalendar(closed_dates=frozenset({dt.date(2025, 3, 13)}), handling_days=1)
    p = promise_date(ordered_at=paris(2025, 3, 12, 9, 0), transit_days=1, warehouse=closed)
    assert p.ship_date == dt.date(2025, 3, 14)  # 12th + 1 handling day, skipping the closed 13th
    assert p.delivery_date == dt.date(2025, 3, 17)


def test_destination_holidays_abroad() -> None:
    # 21 July is Belgium's national day (Monday in 2025); France works that day
    p = promise_date(ordered_at=paris(2025, 7, 18, 10, 0), transit_days=1, destination_country="BE")
    assert p.delivery_date == dt.date(2025, 7, 22)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"ordered_at": dt.datetime(2025, 3, 12, 10, 0), "transit_days": 1},  # naive
        {"ordered_at": paris(2025, 3, 12, 10, 0), "transit_days": -1},
        {
            "ordered_at": paris(2025, 3, 12, 10, 0),
            "transit_days": 1,
            "carrier_cutoff": dt.time(12, 0, tzinfo=UTC),
        },
    ],
)
def test_bad_promise_inputs_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"timezone|transit_days|tzinfo"):
        promise_date(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timezone": "Mars/Olympus"},
        {"working_weekdays": frozenset()},
        {"working_weekdays": frozenset({7})},
        {"handling_days": -1},
        {"cutoff": dt.time(14, 0, tzinfo=UTC)},
    ],
)
def test_bad_warehouse_calendars_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"timezone|weekdays|handling|tzinfo"):
        WarehouseCalendar(**kwargs)  # type: ignore[arg-type]


# -- properties --------------------------------------------------------------------------------

order_times = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(
    ordered_at=order_times,
    transit=st.integers(0, 6),
    saturday_delivery=st.booleans(),
    postal=st.sampled_from(["75011", "67000", "57000", "13001", "97400"]),
)
def test_promise_never_falls_on_a_day_without_delivery(
    ordered_at: dt.datetime, transit: int, saturday_delivery: bool, postal: str
) -> None:
    p = promise_date(
        ordered_at=ordered_at,
        transit_days=transit,
        saturday_delivery=saturday_delivery,
        destination_postal_code=postal,
    )
    french = holidays.France(years=range(2024, 2032))
    assert p.ship_date.weekday() < 5
    assert p.ship_date not in french
    assert p.ship_date >= ordered_at.astimezone(PARIS).date()
    assert p.delivery_date >= p.ship_date
    assert p.delivery_date.weekday() != 6
    if not saturday_delivery:
        assert p.delivery_date.weekday() != 5
    if transit:
        subdiv = french_subdivision(postal)
        local = holidays.country_holidays("FR", subdiv=subdiv, years=range(2024, 2032))
        assert p.delivery_date not in local
        assert (p.delivery_date - p.ship_date).days >= transit


@settings(max_examples=300, deadline=None)
@given(
    first=order_times,
    gap=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=10)),
    transit=st.integers(0, 5),
    saturday_delivery=st.booleans(),
    cutoff=st.times(),
)
def test_a_later_order_never_gets_an_earlier_promise(
    first: dt.datetime,
    gap: dt.timedelta,
    transit: int,
    saturday_delivery: bool,
    cutoff: dt.time,
) -> None:
    common = {
        "transit_days": transit,
        "saturday_delivery": saturday_delivery,
        "carrier_cutoff": cutoff,
    }
    early = promise_date(ordered_at=first, **common)  # type: ignore[arg-type]
    late = promise_date(ordered_at=first + gap, **common)  # type: ignore[arg-type]
    assert late.ship_date >= early.ship_date
    assert late.delivery_date >= early.delivery_date


# -- promise accuracy --------------------------------------------------------------------------


def test_compare_promise_on_time_and_late() -> None:
    p = promise_date(ordered_at=paris(2025, 3, 12, 10, 0), transit_days=2)  # promised Fri 14
    assert p.delivery_date == dt.date(2025, 3, 14)
    early = compare_promise(promised=p, delivered_at=dt.date(2025, 3, 13))
    assert early.on_time and early.days_late == 0 and early.days_early == 1
    # delivered Monday 17 at 09:00 Paris (08:00 UTC): 3 calendar days, 2 delivery days late
    late = compare_promise(promised=p, delivered_at=dt.datetime(2025, 3, 17, 8, 0, tzinfo=UTC))
    assert not late.on_time
    assert late.days_late == 3
    assert late.delivery_days_late == 2
    # 23:30 UTC on Friday is Saturday in Paris: late by one day
    midnight = compare_promise(
        promised=dt.date(2025, 3, 14), delivered_at=dt.datetime(2025, 3, 14, 23, 30, tzinfo=UTC)
    )
    assert midnight.delivered == dt.date(2025, 3, 15) and midnight.days_late == 1
    with pytest.raises(ValueError, match="timezone-aware"):
        compare_promise(promised=p, delivered_at=dt.datetime(2025, 3, 14, 10, 0))


def test_summarise_promises() -> None:
    promised = dt.date(2025, 3, 14)
    outcomes = [
        compare_promise(promised=promised, delivered_at=promised),
        compare_promise(promised=promised, delivered_at=dt.date(2025, 3, 13)),
        compare_promise(promised=promised, delivered_at=dt.date(2025, 3, 18)),
        compare_promise(promised=promised, delivered_at=dt.date(2025, 3, 15)),
    ]
    summary = summarise_promises(outcomes)
    assert summary.count == 4 and summary.on_time == 2
    assert summary.on_time_rate == pytest.approx(0.5)
    assert summary.mean_days_late == pytest.approx((4 + 1) / 4)
    assert summary.max_days_late == 4
    assert summarise_promises([]).on_time_rate == 0.0


def test_default_warehouse_is_paris_weekdays() -> None:
    assert DEFAULT_WAREHOUSE.timezone == "Europe/Paris"
    assert DEFAULT_WAREHOUSE.working_weekdays == frozenset(range(5))
