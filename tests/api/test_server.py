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


def _probe_app(threads: int) -> tuple[object, dict[str, int]]:
    """An app whose sync route records how many of its requests run at once."""
    import threading
    import time

    from fastapi import FastAPI

    from maillon.app import limit_request_threads

    app = FastAPI()
    limit_request_threads(app, threads)
    seen = {"now": 0, "max": 0}
    lock = threading.Lock()

    @app.get("/slow")
    def slow() -> dict[str, int]:
        with lock:
            seen["now"] += 1
            seen["max"] = max(seen["max"], seen["now"])
        time.sleep(0.05)
        with lock:
            seen["now"] -= 1
        return {}

    @app.get("/tokens")
    async def tokens() -> dict[str, float]:
        import anyio.to_thread

        return {"tokens": anyio.to_thread.current_default_thread_limiter().total_tokens}

    return app, seen


@pytest.mark.parametrize("threads", [1, 3])
def test_a_serving_process_runs_at_most_its_request_threads_at_once(threads: int) -> None:
    import asyncio

    app, seen = _probe_app(threads)

    async def run() -> float:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with (
            app.router.lifespan_context(app),  # type: ignore[attr-defined]
            httpx.AsyncClient(transport=transport, base_url="http://maillon") as client,
        ):
            replies = await asyncio.gather(*(client.get("/slow") for _ in range(8)))
            assert all(r.status_code == 200 for r in replies)
            tokens = (await client.get("/tokens")).json()["tokens"]
        return float(tokens)

    assert asyncio.run(run()) == threads
    assert 1 <= seen["max"] <= threads  # 8 requests, never more than the limit at once
    if threads == 1:
        assert seen["max"] == 1


def test_request_threads_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from maillon.app import DEFAULT_REQUEST_THREADS, REQUEST_THREADS_ENV, request_threads_from_env

    monkeypatch.delenv(REQUEST_THREADS_ENV, raising=False)
    assert request_threads_from_env() == DEFAULT_REQUEST_THREADS
    monkeypatch.setenv(REQUEST_THREADS_ENV, "8")
    assert request_threads_from_env() == 8
    for bad in ("0", "-2", "65", "many", "2.5"):
        monkeypatch.setenv(REQUEST_THREADS_ENV, bad)
        with pytest.raises(ValueError, match=REQUEST_THREADS_ENV):
            request_threads_from_env()


def test_serve_refuses_a_bad_thread_count_naming_it(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from maillon.cli.main import app as cli

    monkeypatch.setenv("MAILLON_REQUEST_THREADS", "0")
    result = CliRunner().invoke(cli, ["serve", "--db", db_url])
    assert result.exit_code == 1
    assert "MAILLON_REQUEST_THREADS" in result.output


@pytest.mark.parametrize("command", ["serve", "worker"])
def test_a_public_url_links_cannot_start_with_is_refused_at_start(
    db_url: str, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    from typer.testing import CliRunner

    from maillon.cli.main import app as cli

    monkeypatch.setenv("MAILLON_PUBLIC_URL", "shop.example.fr")  # no scheme: no link works
    result = CliRunner().invoke(cli, [command, "--db", db_url])
    assert result.exit_code == 2, result.output
    assert "MAILLON_PUBLIC_URL" in result.output and "absolute" in result.output
