"""A GET only reads: the console's pages and the API's reads leave the database as they found
it (the KPI figures are refreshed by the worker's job or a POST, never by showing them)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.routing import BaseRoute

from maillon.analytics import service as analytics
from maillon.analytics.tables import AnalyticsState
from maillon.core.db import Base, Database
from maillon.orders import service as orders
from tests.helpers import order_draft
from tests.helpers.console import sign_in
from tests.helpers.database import api_key


def snapshot(db: Database) -> dict[str, Any]:
    """Every table's row count and the analytics refresh state."""
    with db.reader() as s:
        counts = {
            t.name: s.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }
        state = sorted((r.key, r.at, r.last_id, r.seen) for r in s.scalars(select(AnalyticsState)))
    return {"counts": counts, "analytics_state": state}


@contextmanager
def no_transaction(db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Within the block, opening a transaction on ``db`` is recorded (and refused)."""
    opened: list[str] = []

    @contextmanager
    def refuse() -> Iterator[Session]:
        opened.append("transaction")
        raise AssertionError("a GET opened a write transaction")
        yield  # pragma: no cover

    with monkeypatch.context() as m:
        m.setattr(db, "transaction", refuse)
        yield opened


def test_kpi_pages_leave_the_database_unchanged(
    client: TestClient, seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders.place_order(seeded, order_draft([("MUG-01", 1)]), actor="t", allocate=True)
    with seeded.transaction() as s:
        analytics.refresh_order_facts(session=s)
    orders.place_order(seeded, order_draft([("BOOK-07", 1)]), actor="t")  # not in the facts yet
    sign_in(client, seeded)
    key = api_key(seeded, "operator")
    before = snapshot(seeded)
    assert before["counts"]["order_facts"] == 1 and before["analytics_state"]
    with no_transaction(seeded, monkeypatch) as opened:
        for path in ("/dashboard", "/kpi", "/kpi.csv", "/kpi?by=warehouse&days=7"):
            assert client.get(path).status_code == 200, path
        for path in ("/api/v1/kpi", "/api/v1/kpi/table", "/api/v1/kpi/table?format=csv"):
            r = client.get(path, headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 200, (path, r.text)
    assert opened == []
    assert snapshot(seeded) == before  # the second order still waits for the refresh


def get_paths(routes: Iterable[BaseRoute]) -> Iterator[str]:
    """The paths of the GET routes among ``routes``, inside the routers included (which
    recent FastAPI keeps as one route per included router; none adds a prefix here)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from get_paths(included.routes)
        elif isinstance(route, APIRoute) and "GET" in (route.methods or ()):
            yield route.path


def test_no_get_route_opens_a_transaction(
    client: TestClient, seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    orders.place_order(seeded, order_draft([("MUG-01", 1)]), actor="t", allocate=True)
    sign_in(client, seeded, role="admin")
    headers = {"Authorization": f"Bearer {api_key(seeded, 'admin')}"}
    paths = sorted(p for p in get_paths(client.app.routes) if "{" not in p)  # type: ignore[attr-defined]
    assert {"/dashboard", "/kpi", "/orders", "/api/v1/kpi/table", "/api/v1/orders"} <= set(paths)
    before = snapshot(seeded)
    answered = {}
    with no_transaction(seeded, monkeypatch) as opened:
        for path in paths:
            answered[path] = client.get(path, headers=headers).status_code
    assert opened == []
    assert [p for p, status in answered.items() if status >= 500] == []
    assert answered["/dashboard"] == answered["/api/v1/orders"] == 200
    assert snapshot(seeded) == before
