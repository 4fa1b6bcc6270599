"""Sessions are summed up as their events arrive: in any order, in several batches, replayed,
the summary equals one rebuilt from all the events at once."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from maillon.acquisition import service
from maillon.acquisition.funnel import generate_events
from maillon.acquisition.tables import StorefrontSession
from maillon.core.db import Database

START = datetime(2025, 6, 1, tzinfo=UTC)


def raw_events(n_sessions: int, seed: int) -> list[dict[str, Any]]:
    """Generated sessions as the storefront tag would post them."""
    return [
        {
            "event_id": f"e{seed}-{i}",
            "type": e.type.value,
            "session_id": f"s{seed}-{e.session_id}",
            "anonymous_id": f"a{seed}-{e.anonymous_id}",
            "occurred_at": datetime.fromtimestamp(e.timestamp, tz=UTC).isoformat(),
            "device": e.device,
            "channel": e.channel,
            "page": e.page,
            "step": e.step,
            "value_cents": round(e.cart_value * 100),
        }
        for i, e in enumerate(generate_events(n_sessions, seed=seed, start=START.timestamp()))
    ]


def summaries(db: Database) -> list[tuple[Any, ...]]:
    with db.reader() as s:
        rows = s.scalars(select(StorefrontSession).order_by(StorefrontSession.session_id))
        return [
            (
                r.session_id,
                r.first_at,
                r.last_at,
                r.device,
                r.channel,
                r.landing_page,
                r.product_view,
                r.cart,
                r.max_step,
                r.purchased,
                r.cart_cents,
                r.events,
            )
            for r in rows
        ]


def test_shuffled_batches_and_replays_give_the_rebuilt_summary(db: Database) -> None:
    events = raw_events(60, seed=3)
    shuffled = events[:]
    random.Random(1).shuffle(shuffled)  # late events: a session's first event comes last
    batches = [shuffled[i : i + 37] for i in range(0, len(shuffled), 37)]
    for batch in batches + batches[:3]:  # the first three batches are replayed
        with db.transaction() as s:
            service.ingest_events(session=s, events=batch)
    incremental = summaries(db)
    assert len(incremental) == len({e["session_id"] for e in events})
    assert sum(r[-1] for r in incremental) == len(events)  # no event counted twice
    assert any(r[9] for r in incremental) and any(r[8] for r in incremental)
    with db.transaction() as s:
        assert service.rebuild_sessions(session=s) == len(incremental)
    assert summaries(db) == incremental


def test_the_first_event_names_the_sessions_device_and_landing_page(db: Database) -> None:
    def event(i: int, minute: int, page: str, device: str, kind: str = "page_view") -> Any:
        return {
            "event_id": f"x{i}",
            "type": kind,
            "session_id": "visit",
            "anonymous_id": "anon",
            "occurred_at": START.replace(minute=minute).isoformat(),
            "device": device,
            "channel": "email",
            "page": page,
            "value_cents": 1800 if kind == "add_to_cart" else 0,
        }

    with db.transaction() as s:
        service.ingest_events(session=s, events=[event(2, 9, "/cart", "tablet", "add_to_cart")])
    with db.transaction() as s:  # an earlier event arrives later
        service.ingest_events(session=s, events=[event(1, 5, "/promo", "mobile")])
    ((row),) = summaries(db)
    assert row[3:6] == ("mobile", "email", "/promo")
    assert row[1] == START.replace(minute=5) and row[2] == START.replace(minute=9)
    assert (row[7], row[10], row[11]) == (1, 1800, 2)
