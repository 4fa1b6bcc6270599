"""Tests of the storefront funnel (maillon.acquisition.funnel)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.acquisition import funnel
from maillon.acquisition.calibration import build_calibration, write_calibration
from maillon.acquisition.funnel import (
    Event,
    EventType,
    Session,
    analyze,
    breakdown,
    compute_funnel,
    funnel_stages,
    generate_events,
    load_calibration,
    sessionize,
)

PV, PRV, ATC, CHK, PUR = (
    EventType.PAGE_VIEW,
    EventType.PRODUCT_VIEW,
    EventType.ADD_TO_CART,
    EventType.CHECKOUT_STEP,
    EventType.PURCHASE,
)
SHOPPERS_CSV = Path("/work/shared/datasets/online_shoppers_sessions/purchase_intention.csv")


def e(sid: str, anon: str, kind: EventType, t: float, **kw: object) -> Event:
    return Event(sid, anon, kind, t, **kw)  # type: ignore[arg-type]


def tiny_events() -> list[Event]:
    """Four sessions: a bounce, a browser, an abandoned cart (45.0) and a buyer (2 steps)."""
    return [
        e("s1", "a1", PV, 0, device="mobile", channel="ads", page="/"),
        e("s2", "a2", PV, 10, device="desktop", channel="seo", page="/p/1"),
        e("s2", "a2", PRV, 20, device="desktop", channel="seo", page="/p/1"),
        e("s3", "a3", PV, 5, device="mobile", channel="seo", page="/"),
        e("s3", "a3", PRV, 50, device="mobile", channel="seo"),
        e("s3", "a3", ATC, 60, device="mobile", channel="seo", cart_value=45.0),
        e("s3", "a3", CHK, 70, device="mobile", channel="seo", cart_value=45.0, step=1),
        e("s4", "a4", PUR, 400, device="desktop", channel="ads", cart_value=99.0),
        e("s4", "a4", PV, 100, device="desktop", channel="ads", page="/p/2"),
        e("s4", "a4", PRV, 110, device="desktop", channel="ads"),
        e("s4", "a4", ATC, 120, device="desktop", channel="ads", cart_value=99.0),
        e("s4", "a4", CHK, 200, device="desktop", channel="ads", cart_value=99.0, step=1),
        e("s4", "a4", CHK, 300, device="desktop", channel="ads", cart_value=99.0, step=2),
    ]


def test_tiny_funnel_counts_and_rates() -> None:
    report = compute_funnel(tiny_events(), checkout_steps=2).overall
    assert [s.name for s in report.steps] == list(funnel_stages(2))
    assert [s.sessions for s in report.steps] == [4, 3, 2, 2, 1, 1]
    assert report.step("add_to_cart").conversion == pytest.approx(2 / 3)
    assert report.step("add_to_cart").abandonment == pytest.approx(1 / 3)
    assert report.step("checkout_2").from_start == pytest.approx(1 / 4)
    assert report.conversion_rate == pytest.approx(0.25)
    assert report.purchases == 1
    assert report.cart_sessions == 2
    assert report.abandoned_carts == 1
    assert report.cart_abandonment_rate == pytest.approx(0.5)
    assert report.abandoned_cart_value == pytest.approx(45.0)
    with pytest.raises(KeyError):
        report.step("nope")


def test_sessions_keep_first_event_attributes() -> None:
    sessions = {s.session_id: s for s in sessionize(tiny_events(), checkout_steps=2)}
    s4 = sessions["s4"]
    assert (s4.start, s4.end, s4.n_events) == (100, 400, 6)
    assert s4.landing_page == "/p/2"
    assert s4.purchased and s4.depth == len(funnel_stages(2)) - 1
    assert sessions["s1"].depth == 0 and sessions["s1"].duration == 0


def test_breakdowns() -> None:
    analysis = compute_funnel(tiny_events(), checkout_steps=2)
    assert set(analysis.by_device) == {"mobile", "desktop"}
    assert analysis.by_device["desktop"].conversion_rate == pytest.approx(0.5)
    assert analysis.by_device["mobile"].abandoned_cart_value == pytest.approx(45.0)
    assert analysis.by_channel["ads"].sessions == 2
    assert set(analysis.by_landing_page) == {"/", "/p/1", "/p/2"}
    sessions = sessionize(tiny_events(), checkout_steps=2)
    assert breakdown(sessions, "channel", checkout_steps=2) == analysis.by_channel
    with pytest.raises(ValueError, match="break down"):
        breakdown(sessions, "colour")
    assert analysis.n_events == 13


def test_idle_gap_splits_a_session_and_missing_id_uses_anonymous_id() -> None:
    events = [
        e("s1", "a1", PV, 0),
        e("s1", "a1", PRV, 100),
        e("s1", "a1", PV, 100 + 3600),  # an hour later: new session
        e("", "a9", PV, 0),
        e("", "a9", PV, 1000),
        e("", "a9", PV, 5000),
    ]
    ids = sorted(s.session_id for s in sessionize(events, timeout=1800))
    assert ids == ["a9~0", "a9~1", "s1", "s1~1"]
    assert len(sessionize(events, timeout=10_000)) == 2


def test_event_and_argument_validation() -> None:
    with pytest.raises(ValueError, match="step"):
        e("s", "a", CHK, 0)
    with pytest.raises(ValueError, match="step"):
        e("s", "a", PV, 0, step=2)
    with pytest.raises(ValueError, match="anonymous_id"):
        e("s", "", PV, 0)
    with pytest.raises(ValueError, match="cart_value"):
        e("s", "a", ATC, 0, cart_value=-1.0)
    with pytest.raises(ValueError, match="timestamp"):
        e("s", "a", PV, float("nan"))
    assert e("s", "a", "purchase", 0).type is PUR  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exceeds"):
        sessionize([e("s", "a", CHK, 0, step=4)], checkout_steps=3)
    with pytest.raises(ValueError, match="timeout"):
        sessionize([], timeout=0)
    with pytest.raises(ValueError, match="checkout_steps"):
        funnel_stages(-1)


def test_empty_input() -> None:
    report = compute_funnel([]).overall
    assert report.sessions == 0
    assert report.conversion_rate == 0.0
    assert all(0.0 <= s.conversion <= 1.0 for s in report.steps)


_kinds = st.sampled_from([PV, PRV, ATC, CHK, PUR])


@st.composite
def event_lists(draw: st.DrawFn) -> list[Event]:
    n = draw(st.integers(0, 60))
    out = []
    for _ in range(n):
        kind = draw(_kinds)
        out.append(
            Event(
                draw(st.sampled_from(["", "s1", "s2", "s3"])),
                draw(st.sampled_from(["a1", "a2", "a3"])),
                kind,
                draw(st.floats(0, 20_000, allow_nan=False)),
                device=draw(st.sampled_from(["mobile", "desktop"])),
                cart_value=draw(st.floats(0, 500, allow_nan=False)),
                step=draw(st.integers(1, 3)) if kind is CHK else 0,
            )
        )
    return out


@settings(max_examples=120, deadline=None)
@given(events=event_lists())
def test_funnel_invariants(events: list[Event]) -> None:
    analysis = compute_funnel(events, checkout_steps=3, timeout=1800)
    for report in (analysis.overall, *analysis.by_device.values()):
        counts = [s.sessions for s in report.steps]
        assert counts == sorted(counts, reverse=True)  # never increases step to step
        assert all(0.0 <= s.conversion <= 1.0 for s in report.steps)
        assert all(abs(s.conversion + s.abandonment - 1.0) < 1e-12 for s in report.steps[1:])
        assert 0.0 <= report.conversion_rate <= 1.0
        assert 0.0 <= report.cart_abandonment_rate <= 1.0
        assert report.purchases == report.steps[-1].sessions
    overall = analysis.overall
    assert sum(r.sessions for r in analysis.by_device.values()) == overall.sessions
    sessions = sessionize(events)
    assert sum(s.n_events for s in sessions) == len(events)
    assert overall.sessions == len(sessions)
    assert analyze(sessions) == overall


def test_shipped_calibration_is_loadable_and_matches_the_data_set() -> None:
    cal = load_calibration()
    assert cal["n_sessions"] == 12330
    assert cal["conversion_rate"] == pytest.approx(0.155, abs=0.001)
    assert cal["cart_rate"] * cal["purchase_given_cart"] == pytest.approx(
        cal["conversion_rate"], abs=1e-4
    )
    for table in ("channels", "devices", "visitor_types", "landing_pages"):
        assert sum(v["share"] for v in cal[table].values()) == pytest.approx(1.0, abs=1e-3)
    q = cal["product_views_quantiles"]["cart"]
    assert q == sorted(q)


@pytest.mark.skipif(not SHOPPERS_CSV.exists(), reason="shared data set not mounted")
def test_write_calibration_reproduces_the_shipped_file(tmp_path: Path) -> None:
    out = write_calibration(SHOPPERS_CSV, tmp_path / "cal.json")
    assert json.loads(out.read_text()) == load_calibration()


def test_build_calibration_rejects_wrong_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="lacks columns"):
        build_calibration(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("a,b\n")
    with pytest.raises(ValueError, match="no rows"):
        build_calibration(empty)


def test_generator_is_deterministic_and_calibrated() -> None:
    a = generate_events(3000, seed=5)
    assert a == generate_events(3000, seed=5)
    assert a != generate_events(3000, seed=6)
    assert [x.timestamp for x in a] == sorted(x.timestamp for x in a)
    report = compute_funnel(a).overall
    assert report.sessions == 3000
    assert report.conversion_rate == pytest.approx(0.155, abs=0.025)
    assert 0.15 < report.step("add_to_cart").from_start < 0.35
    assert report.abandoned_cart_value > 0


def test_generator_respects_checkout_steps_and_validates() -> None:
    events = generate_events(300, seed=1, checkout_steps=1)
    assert max(ev.step for ev in events) <= 1
    sessions = sessionize(events, checkout_steps=1)
    assert all(isinstance(s, Session) for s in sessions)
    with pytest.raises(ValueError, match="n_sessions"):
        generate_events(-1, seed=0)
    assert generate_events(0, seed=0) == []


def test_public_api() -> None:
    assert set(funnel.__all__) >= {"compute_funnel", "generate_events", "sessionize"}
    assert all(hasattr(funnel, name) for name in funnel.__all__)
