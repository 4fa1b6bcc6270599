"""API keys and roles."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.tables import ApiKey


def test_health_needs_no_key(client: TestClient) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/orders",
        "/api/v1/products",
        "/api/v1/inventory",
        "/api/v1/tickets",
        "/api/v1/kpi",
        "/api/v1/keys",
    ],
)
def test_every_route_needs_a_key(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 401
    assert "Bearer" in r.json()["error"]["message"]
    r = client.get(path, headers={"Authorization": "Bearer mk_wrong"})
    assert r.status_code == 401


@pytest.mark.parametrize(
    ("role", "method", "path", "allowed"),
    [
        ("picker", "get", "/api/v1/orders", False),
        ("agent", "get", "/api/v1/orders", True),
        ("agent", "post", "/api/v1/products", False),
        ("picker", "get", "/api/v1/pick-lists", True),
        ("agent", "get", "/api/v1/pick-lists", False),
        ("operator", "get", "/api/v1/keys", False),
        ("admin", "get", "/api/v1/keys", True),
        ("picker", "get", "/api/v1/tickets", False),
    ],
)
def test_roles(
    client: TestClient,
    auth: dict[str, dict[str, str]],
    role: str,
    method: str,
    path: str,
    allowed: bool,
) -> None:
    r = getattr(client, method)(
        path, headers=auth[role], **({"json": {}} if method == "post" else {})
    )
    if allowed:
        assert r.status_code in (200, 422)
    else:
        assert r.status_code == 403
        assert role in r.json()["error"]["message"]


def test_keys_are_stored_hashed(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    r = client.post("/api/v1/keys", json={"role": "agent", "name": "desk"}, headers=auth["admin"])
    assert r.status_code == 201
    raw = r.json()["key"]
    with db.reader() as s:
        hashes = s.scalars(select(ApiKey.key_hash)).all()
    assert raw not in hashes and all(len(h) == 64 for h in hashes)
    assert (
        client.get("/api/v1/orders", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    )
    bad = client.post("/api/v1/keys", json={"role": "boss"}, headers=auth["admin"])
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "role"


def test_revoked_key_stops_at_once_though_cached(
    client: TestClient, auth: dict[str, dict[str, str]], db: Database
) -> None:
    r = client.post(
        "/api/v1/keys", json={"role": "operator", "name": "till"}, headers=auth["admin"]
    )
    key_id, raw = r.json()["id"], r.json()["key"]
    till = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/orders", headers=till).status_code == 200  # now in the cache
    r = client.delete(f"/api/v1/keys/{key_id}", headers=auth["admin"])
    assert r.status_code == 200 and r.json()["revoked"] is True
    assert client.get("/api/v1/orders", headers=till).status_code == 401
    listed = {
        k["id"]: k["revoked"] for k in client.get("/api/v1/keys", headers=auth["admin"]).json()
    }
    assert listed[key_id] is True
    # revoking twice is harmless; an unknown key is a 404 naming the field; only admins revoke
    assert client.delete(f"/api/v1/keys/{key_id}", headers=auth["admin"]).status_code == 200
    missing = client.delete("/api/v1/keys/999999", headers=auth["admin"])
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "key_id"
    assert client.delete(f"/api/v1/keys/{key_id}", headers=auth["operator"]).status_code == 403
    assert client.delete("/api/v1/keys/abc", headers=auth["admin"]).status_code == 422


def test_key_cache_skips_the_lookup_and_expires(db: Database) -> None:
    from maillon.core import clock
    from maillon.core.auth import KeyCache, authenticate, create_key, hash_key

    with db.transaction() as s:
        row, raw = create_key(session=s, role="agent", name="desk")
    cache = KeyCache(ttl=60)
    with db.reader() as s:
        first = authenticate(session=s, raw_key=raw, cache=cache)
    assert cache.get(hash_key(raw)) == first
    # a key revoked by another process is still served from the cache until it expires ...
    with db.transaction() as s:
        stored = s.get(ApiKey, row.id)
        assert stored is not None
        stored.revoked_at = clock.now()
    with db.reader() as s:
        assert authenticate(session=s, raw_key=raw, cache=cache) == first
    # ... and refused once the entry is gone
    expired = KeyCache(ttl=0)
    with db.reader() as s, pytest.raises(Exception, match="revoked"):
        authenticate(session=s, raw_key=raw, cache=expired)
