"""Tests of order fraud features (maillon.fraud.features)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.fraud.features import (
    FEATURE_NAMES,
    ActivityCounters,
    CustomerHistory,
    GeoPoint,
    Order,
    compute_features,
    count_activity,
    disposable_domains,
    haversine_km,
    is_disposable_email,
)

T0 = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
PARIS = GeoPoint(48.8566, 2.3522)
LYON = GeoPoint(45.7640, 4.8357)


def order(**kw: object) -> Order:
    base: dict[str, object] = {
        "order_id": "o-1",
        "email": "alice@example.com",
        "amount": 80.0,
        "created_at": T0,
        "customer_id": "c-1",
        "card_fingerprint": "card-A",
        "ip": "10.0.0.1",
        "device_id": "dev-1",
    }
    base.update(kw)
    return Order(**base)  # type: ignore[arg-type]


def test_feature_names_match_fields_and_vector() -> None:
    f = compute_features(order())
    assert tuple(f.as_dict()) == FEATURE_NAMES
    arr = f.as_array()
    assert arr.shape == (1, len(FEATURE_NAMES))
    assert arr.dtype == np.float64
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)


def test_haversine_paris_lyon_is_about_392_km() -> None:
    km = haversine_km(PARIS.lat, PARIS.lon, LYON.lat, LYON.lon)
    assert km == pytest.approx(392, abs=3)
    assert haversine_km(1.0, 2.0, 1.0, 2.0) == 0.0


def test_billing_shipping_distance_and_unknown_is_nan() -> None:
    f = compute_features(order(billing=PARIS, shipping=LYON))
    assert f.billing_shipping_km == pytest.approx(392, abs=3)
    assert math.isnan(compute_features(order(billing=PARIS)).billing_shipping_km)


def test_account_age_and_amount_vs_history() -> None:
    history = CustomerHistory.from_amounts(T0 - timedelta(days=10), [40.0, 50.0, 60.0])
    f = compute_features(order(amount=150.0), history)
    assert f.account_age_days == pytest.approx(10.0)
    assert f.prior_orders == 3
    # mean 50, population std sqrt(200 / 3) = 8.165 -> z = 100 / 8.165
    assert f.amount_zscore == pytest.approx(100 / (200 / 3) ** 0.5)
    assert f.amount_ratio_mean == pytest.approx(3.0)
    assert f.amount_ratio_max == pytest.approx(2.5)
    assert f.is_guest == 0.0


def test_two_earlier_orders_give_ratios_but_no_spread() -> None:
    history = CustomerHistory.from_amounts(T0 - timedelta(days=10), [40.0, 60.0])
    f = compute_features(order(amount=150.0), history)
    assert math.isnan(f.amount_zscore)  # one or two amounts say nothing of a spread
    assert f.amount_ratio_mean == pytest.approx(3.0)
    assert f.amount_ratio_max == pytest.approx(2.5)


def test_constant_history_does_not_give_infinite_zscore() -> None:
    history = CustomerHistory.from_amounts(T0 - timedelta(days=1), [50.0, 50.0, 50.0])
    f = compute_features(order(amount=55.0), history)
    assert math.isfinite(f.amount_zscore)
    assert f.amount_zscore == pytest.approx(2.0)  # std floored at 5 % of 50


def test_guest_has_nan_account_features() -> None:
    f = compute_features(order(customer_id=None))
    assert f.is_guest == 1.0
    assert math.isnan(f.account_age_days)
    assert math.isnan(f.amount_zscore)


def test_account_created_after_order_is_rejected() -> None:
    with pytest.raises(ValueError, match="after"):
        compute_features(order(), CustomerHistory(T0 + timedelta(hours=1)))


@pytest.mark.parametrize(
    ("created_at", "offset", "hour", "risky"),
    [
        (datetime(2026, 3, 10, 1, 30, tzinfo=UTC), None, 1, 1.0),
        (datetime(2026, 3, 10, 1, 30, tzinfo=UTC), 9 * 60, 10, 0.0),  # Tokyo morning
        (datetime(2026, 3, 10, 22, 0, tzinfo=UTC), 5 * 60, 3, 1.0),  # next day 03:00
        (datetime(2026, 3, 10, 12, 0, tzinfo=timezone(timedelta(hours=2))), None, 12, 0.0),
        (datetime(2026, 3, 10, 12, 0, tzinfo=timezone(timedelta(hours=2))), -8 * 60, 2, 1.0),
    ],
)
def test_risky_hours_use_local_time(
    created_at: datetime, offset: int | None, hour: int, risky: float
) -> None:
    f = compute_features(order(created_at=created_at, utc_offset_minutes=offset))
    assert f.local_hour == hour
    assert f.is_risky_hour == risky


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("bob@mailinator.com", True),
        ("BOB@Yopmail.COM", True),
        ("bob@sub.guerrillamail.com", True),
        ("bob@gmail.com", False),
        ("bob@notmailinator.com", False),
        ("no-at-sign", False),
    ],
)
def test_disposable_email(email: str, expected: bool) -> None:
    assert is_disposable_email(email) is expected
    assert compute_features(order(email=email)).email_disposable == float(expected)


def test_shipped_domain_list_is_loaded_and_clean() -> None:
    domains = disposable_domains()
    assert len(domains) >= 40
    assert all(d == d.strip().lower() and "." in d and not d.startswith("#") for d in domains)


def test_count_activity_windows_and_cross_accounts() -> None:
    me = order(order_id="now", shipping_address_key="1 rue x")
    recent = [
        order(order_id="a", created_at=T0 - timedelta(minutes=10)),  # same everything
        order(order_id="b", created_at=T0 - timedelta(hours=5), customer_id="c-2", email="x@y.z"),
        order(order_id="c", created_at=T0 - timedelta(days=3), ip="10.9.9.9"),
        order(order_id="d", created_at=T0 - timedelta(days=30)),  # outside every window
        order(order_id="e", created_at=T0 + timedelta(minutes=5)),  # later: no velocity
        order(
            order_id="f",
            created_at=T0 - timedelta(days=60),
            customer_id="c-3",
            card_fingerprint="card-Z",
            device_id="dev-9",
            shipping_address_key="1 rue x",
        ),
        me,  # itself: ignored
    ]
    act = count_activity(me, recent)
    assert act.customer == (1, 1, 2)
    assert act.card == (1, 2, 3)
    assert act.email == (1, 1, 2)
    assert act.ip == (1, 2, 2)
    assert act.card_accounts == 1  # c-2
    assert act.device_accounts == 1  # c-2 (c-3 uses another device)
    assert act.address_accounts == 1  # c-3
    f = compute_features(me, None, act)
    assert (f.card_orders_1h, f.card_orders_24h, f.card_orders_7d) == (1.0, 2.0, 3.0)
    assert f.card_accounts == 1.0


@pytest.mark.parametrize(
    "kw",
    [
        {"card": (1, 2)},
        {"ip": (3, 2, 5)},
        {"device": (-1, 0, 0)},
        {"address_accounts": -1},
    ],
)
def test_activity_counters_validate(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"counts|accounts|window"):
        ActivityCounters(**kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"amount": -1.0}, "amount"),
        ({"amount": math.nan}, "amount"),
        ({"n_items": 0}, "n_items"),
        ({"created_at": datetime(2026, 1, 1)}, "timezone-aware"),
        ({"utc_offset_minutes": 20 * 60}, "utc_offset"),
    ],
)
def test_order_validates(kw: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        order(**kw)


def test_geopoint_validates() -> None:
    with pytest.raises(ValueError, match="latitude"):
        GeoPoint(91.0, 0.0)
    with pytest.raises(ValueError, match="longitude"):
        GeoPoint(0.0, 181.0)


@settings(max_examples=60, deadline=None)
@given(
    deltas=st.lists(st.integers(min_value=1, max_value=10 * 24 * 60), max_size=30),
)
def test_velocity_counts_never_decrease_with_window(deltas: list[int]) -> None:
    me = order(order_id="now")
    recent = [
        order(order_id=f"r{i}", created_at=T0 - timedelta(minutes=m)) for i, m in enumerate(deltas)
    ]
    act = count_activity(me, recent)
    for key in ("customer", "email", "card", "ip", "device"):
        counts = getattr(act, key)
        assert list(counts) == sorted(counts)
        assert counts[2] == sum(1 for m in deltas if m <= 7 * 24 * 60)
