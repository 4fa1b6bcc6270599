"""Storefront events: batch ingestion (good events stored, bad ones named, replays
harmless) and the funnel computed by the database from hand-made sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from maillon.acquisition import funnel as pure
from maillon.acquisition.tables import StorefrontEvent
from maillon.core.db import Database
from tests.helpers.database import row_counts

Auth = dict[str, dict[str, str]]
T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)

# session: (device, channel, [(type, page, value_cents, step)])
SESSIONS: dict[str, tuple[str, str, list[tuple[str, str, int, int]]]] = {
    "s1": (
        "mobile",
        "organic",
        [
            ("page_view", "/home", 0, 0),
            ("product_view", "/p/mug", 0, 0),
            ("add_to_cart", "/cart", 2500, 0),
            ("checkout_step", "/checkout/1", 2500, 1),
            ("checkout_step", "/checkout/2", 2500, 2),
            ("checkout_step", "/checkout/3", 2500, 3),
            ("purchase", "/done", 2500, 0),
        ],
    ),
    "s2": (
        "mobile",
        "paid_search",
        [
            ("page_view", "/p/lamp", 0, 0),
            ("product_view", "/p/lamp", 0, 0),
            ("add_to_cart", "/cart", 4000, 0),
        ],
    ),
    "s3": ("desktop", "organic", [("page_view", "/home", 0, 0)]),
    "s4": (
        "desktop",
        "organic",
        [
            ("page_view", "/home", 0, 0),
            ("product_view", "/p/book", 0, 0),
            ("add_to_cart", "/cart", 1000, 0),
            ("checkout_step", "/checkout/1", 1000, 1),
        ],
    ),
    "s5": (
        "desktop",
        "email",
        [("page_view", "/promo", 0, 0), ("product_view", "/p/mug", 0, 0)],
    ),
}


def hand_made_events() -> list[dict[str, Any]]:
    events = []
    for k, (sid, (device, channel, steps)) in enumerate(SESSIONS.items()):
        for j, (kind, page, value, step) in enumerate(steps):
            event: dict[str, Any] = {
                "event_id": f"{sid}-{j}",
                "type": kind,
                "session_id": sid,
                "anonymous_id": f"anon-{sid}",
                "occurred_at": (T0 + timedelta(hours=k, minutes=j)).isoformat(),
                "device": device,
                "channel": channel,
                "page": page,
            }
            if value:
                event["value_cents"] = value
            if step:
                event["step"] = step
            events.append(event)
    return events


def stored(db: Database) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.count()).select_from(StorefrontEvent)) or 0)


def post(client: TestClient, auth: Auth, events: Any) -> Any:
    return client.post("/api/v1/events", json={"events": events}, headers=auth["operator"])


def test_batch_stores_good_events_and_names_bad_ones(
    client: TestClient, db: Database, auth: Auth
) -> None:
    good = hand_made_events()[:4]
    bad = [
        {**good[0], "event_id": "b1", "type": "teleport"},
        {**good[0], "event_id": "b2", "session_id": ""},
        {**good[0], "event_id": "b3", "occurred_at": "2025-03-01T10:00:00"},
        {**good[0], "event_id": "b4", "step": 2},
        {**good[0], "event_id": "b5", "colour": "red", "value_cents": -5},
        "not an event",
    ]
    r = post(
        client,
        auth,
        [good[0], bad[0], good[1], bad[1], bad[2], good[2], bad[3], bad[4], good[3], bad[5]],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["received"], body["stored"], body["duplicates"], body["rejected"]) == (10, 4, 0, 6)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {
        "events.1.type",
        "events.3.session_id",
        "events.4.occurred_at",
        "events.6.step",
        "events.7.colour",
        "events.7.value_cents",
        "events.9",
    }
    assert stored(db) == 4
    with db.reader() as s:
        row = s.scalar(select(StorefrontEvent).where(StorefrontEvent.event_id == "s1-2"))
        assert row is not None and row.value_cents == 2500 and row.type == "add_to_cart"
        assert row.occurred_at == T0 + timedelta(minutes=2)


def test_replaying_a_batch_stores_nothing_new(client: TestClient, db: Database, auth: Auth) -> None:
    events = hand_made_events()
    first = post(client, auth, events).json()
    assert first["stored"] == len(events) and first["errors"] == []
    before = row_counts(db)
    again = post(client, auth, events).json()
    assert (again["stored"], again["duplicates"]) == (0, len(events))
    assert row_counts(db) == before
    twice = post(client, auth, [{**events[0], "event_id": "new-1"}] * 2).json()
    assert (twice["stored"], twice["duplicates"]) == (1, 1)


def test_funnel_figures_from_hand_made_sessions(
    client: TestClient, db: Database, auth: Auth
) -> None:
    post(client, auth, hand_made_events())
    late = {
        **hand_made_events()[0],
        "event_id": "late",
        "session_id": "s9",
        "occurred_at": (T0 + timedelta(days=3)).isoformat(),
    }
    post(client, auth, [late])
    params = {"from": T0.isoformat(), "to": (T0 + timedelta(days=1)).isoformat()}
    r = client.get("/api/v1/acquisition/funnel", params=params, headers=auth["agent"])
    assert r.status_code == 200, r.text
    overall = r.json()["overall"]
    steps = {s["name"]: s["sessions"] for s in overall["steps"]}
    assert steps == {
        "visit": 5,
        "product_view": 4,
        "add_to_cart": 3,
        "checkout_1": 2,
        "checkout_2": 1,
        "checkout_3": 1,
        "purchase": 1,
    }
    assert overall["purchases"] == 1 and overall["conversion_rate"] == pytest.approx(0.2)
    assert (overall["cart_sessions"], overall["abandoned_carts"]) == (3, 2)
    assert overall["abandoned_cart_value_cents"] == 5000  # s2's 40.00 and s4's 10.00
    cart = next(s for s in overall["steps"] if s["name"] == "add_to_cart")
    assert cart["conversion"] == pytest.approx(0.75) and cart["abandonment"] == pytest.approx(0.25)

    # the same events through the pure funnel give the same figures
    events = [
        pure.Event(
            e["session_id"],
            e["anonymous_id"],
            pure.EventType(e["type"]),
            datetime.fromisoformat(e["occurred_at"]).timestamp(),
            e["device"],
            e["channel"],
            e["page"],
            e.get("value_cents", 0) / 100,
            e.get("step", 0),
        )
        for e in hand_made_events()
    ]
    reference = pure.compute_funnel(events)
    assert [s.sessions for s in reference.overall.steps] == list(steps.values())
    assert reference.overall.abandoned_cart_value * 100 == pytest.approx(5000)

    by_device = client.get(
        "/api/v1/acquisition/funnel", params={**params, "by": "device"}, headers=auth["agent"]
    ).json()
    groups = {g["key"]: g for g in by_device["groups"]}
    assert groups["desktop"]["sessions"] == 3 and groups["desktop"]["purchases"] == 0
    assert groups["desktop"]["abandoned_cart_value_cents"] == 1000
    assert groups["mobile"]["purchases"] == 1 and groups["mobile"]["conversion_rate"] == 0.5
    landing = client.get(
        "/api/v1/acquisition/funnel", params={**params, "by": "landing_page"}, headers=auth["agent"]
    ).json()
    assert {g["key"]: g["sessions"] for g in landing["groups"]} == {
        "/home": 3,
        "/p/lamp": 1,
        "/promo": 1,
    }
    channel = client.get(
        "/api/v1/acquisition/funnel", params={**params, "by": "channel"}, headers=auth["agent"]
    ).json()
    assert {g["key"]: g["sessions"] for g in channel["groups"]} == {
        "organic": 3,
        "paid_search": 1,
        "email": 1,
    }


BAD: list[tuple[str, str, Any, str]] = [
    ("post", "/api/v1/events", {"events": []}, "events"),
    ("post", "/api/v1/events", {"events": "many"}, "events"),
    ("post", "/api/v1/events", {"events": [{}] * 1001}, "events"),
    ("post", "/api/v1/events", {"events": [], "source": "x"}, "source"),
    ("post", "/api/v1/events", [], ""),
    ("get", "/api/v1/acquisition/funnel?by=colour", None, "by"),
    (
        "get",
        "/api/v1/acquisition/funnel?from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z",
        None,
        "from",
    ),
    ("get", "/api/v1/acquisition/funnel?from=yesterday", None, "from"),
    ("get", "/api/v1/acquisition/funnel?checkout_steps=11", None, "checkout_steps"),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), BAD)
def test_bad_input_names_the_field_and_writes_nothing(
    client: TestClient, db: Database, auth: Auth, method: str, path: str, body: Any, field: str
) -> None:
    before = row_counts(db)
    kwargs: dict[str, Any] = {"headers": auth["operator"]}
    if body is not None:
        kwargs["json"] = body
    r = client.request(method.upper(), path, **kwargs)
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert field in {error["field"]} | {e["field"] for e in error["errors"]}, error
    assert row_counts(db) == before


def test_only_the_storefront_key_posts_events(client: TestClient, db: Database, auth: Auth) -> None:
    r = client.post("/api/v1/events", json={"events": hand_made_events()}, headers=auth["picker"])
    assert r.status_code == 403
    assert client.post("/api/v1/events", json={"events": hand_made_events()}).status_code == 401
    assert stored(db) == 0
