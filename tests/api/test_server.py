"""A real HTTP server: ``maillon serve`` in its own process, spoken to over TCP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from maillon.core.db import Database
from tests.helpers import order_body, seed_basic


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(db_url: str, tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "maillon.cli.main",
                "serve",
                "--db",
                db_url,
                "--port",
                str(port),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError(log.read_text())
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_served_api_takes_orders(
    server: str, db: Database, auth: dict[str, dict[str, str]]
) -> None:
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
    app = app_from_env()
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
        assert client.get("/api/v1/orders").status_code == 401
    app.state.db.dispose()
