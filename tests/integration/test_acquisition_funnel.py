"""The SQL funnel agrees with the pure one on calibrated sessions (the demo's generator)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from maillon.acquisition import service
from maillon.acquisition.funnel import compute_funnel, generate_events
from maillon.core.db import Database

START = datetime(2025, 6, 1, tzinfo=UTC)


def test_sql_funnel_matches_the_pure_funnel_on_generated_sessions(db: Database) -> None:
    with db.transaction() as s:
        n = service.store_generated_sessions(session=s, n_sessions=300, seed=5, start=START, days=7)
    events = generate_events(300, seed=5, start=START.timestamp(), days=7)
    assert n == len(events)
    with db.transaction() as s:  # the same seed again stores nothing
        assert (
            service.store_generated_sessions(session=s, n_sessions=300, seed=5, start=START, days=7)
            == 0
        )
    reference = compute_funnel(events, timeout=1e9)
    with db.reader() as s:
        result = service.funnel(
            session=s, start=START, end=datetime(2025, 6, 9, tzinfo=UTC), by="channel"
        )
    got = result.overall
    assert [st.sessions for st in got.steps] == [st.sessions for st in reference.overall.steps]
    assert got.purchases == reference.overall.purchases > 0
    assert got.abandoned_cart_value == pytest.approx(
        reference.overall.abandoned_cart_value * 100, abs=300
    )
    by_channel = {g.key: g.report.sessions for g in result.groups}
    assert by_channel == {k: r.sessions for k, r in reference.by_channel.items()}
