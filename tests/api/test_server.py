"""A real HTTP server: ``maillon serve`` in its own process, spoken to over TCP."""

from __future__ import annotations

import gc

import httpx2 as httpx
import pytest

from maillon.core.db import Database
from tests.helpers import order_body, seed_basic


def test_served_api_takes_orders(
    live_server: str, db: Database, auth: dict[str, dict[str, str]]
) -> None:
    server = live_server
    seed_basic(db)
    assert httpx.get(f"{server}/api/v1/orders").status_code == 401
    r = httpx.post(
        f"{server}/api/v1/orders", json=order_body(external_id="HTTP-1"), headers=auth["operator"]
    )
    assert r.status_code == 201
    bad = httpx.post(
        f"{server}/api/v1/orders", json=order_body([("MUG-01", -1)]), headers=auth["operator"]
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "lines.0.quantity"
    docs = httpx.get(f"{server}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    spec = httpx.get(f"{server}/openapi.json").json()
    assert "/api/v1/orders" in spec["paths"]


def test_app_factory_reads_the_database_from_the_environment(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from maillon.app import app_from_env

    monkeypatch.setenv("MAILLON_DATABASE_URL", db_url)
    threshold = gc.get_threshold()
    try:
        app = app_from_env()  # a serving process's factory: it tunes the collector
        assert gc.get_freeze_count() > 0
        with TestClient(app) as client:
            assert client.get("/api/health").status_code == 200
            assert client.get("/api/v1/orders").status_code == 401
        app.state.db.dispose()
    finally:  # the rest of the suite runs with the collector as it was
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_serving_moves_the_built_app_out_of_the_collectors_sight() -> None:
    from maillon.app import tune_gc_for_serving

    threshold = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)  # CPython's default
        tune_gc_for_serving()
        assert gc.get_freeze_count() > 1000  # modules, metadata, caches
        assert gc.get_threshold()[0] > 700  # young passes less often
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
