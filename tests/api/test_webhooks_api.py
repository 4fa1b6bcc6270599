"""The webhook endpoints' API and commands: admins only, https checked, the secret shown once,
a ping signed like any delivery, the delivery log."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from tests.helpers.webhooks import deliveries, expected_signature, receiver

Auth = dict[str, dict[str, str]]
URL = "/api/v1/webhook-endpoints"
runner = CliRunner()


def test_only_admins_manage_endpoints(client: TestClient, auth: Auth) -> None:
    body = {"url": "https://erp.example.com/in", "topics": ["order.*"]}
    for role in ("operator", "picker", "agent"):
        assert client.post(URL, json=body, headers=auth[role]).status_code == 403
        assert client.get(URL, headers=auth[role]).status_code == 403
    assert client.get(URL).status_code == 401


def test_an_endpoint_needs_https_and_known_topics(client: TestClient, auth: Auth) -> None:
    admin = auth["admin"]
    for url in ("http://erp.example.com/in", "ftp://erp.example.com", "erp.example.com/in"):
        r = client.post(URL, json={"url": url, "topics": ["order.*"]}, headers=admin)
        assert r.status_code == 422 and r.json()["error"]["field"] == "url", url
    r = client.post(URL, json={"url": "https://a.example.com", "topics": ["orders"]}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["field"] == "topics"
    assert "'orders'" in r.json()["error"]["message"]
    r = client.post(URL, json={"url": "https://a.example.com", "topics": []}, headers=admin)
    assert r.status_code == 422 and r.json()["error"]["field"] == "topics"
    r = client.post(URL, json={"url": "https://a.example.com", "topic": ["*"]}, headers=admin)
    assert r.status_code == 422
    r = client.post(URL, json={"url": "http://localhost:8080/in", "topics": ["*"]}, headers=admin)
    assert r.status_code == 201


def test_the_secret_is_shown_at_creation_and_rotation_only(client: TestClient, auth: Auth) -> None:
    admin = auth["admin"]
    body = {"url": "https://erp.example.com/in", "topics": ["order.*", "tracking"]}
    created = client.post(URL, json=body, headers=admin)
    assert created.status_code == 201
    endpoint = created.json()
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > 40
    assert endpoint["topics"] == ["order.*", "tracking.*"] and endpoint["active"] is True
    listed = client.get(URL, headers=admin).json()
    assert [e["id"] for e in listed] == [endpoint["id"]] and "secret" not in listed[0]
    one = client.get(f"{URL}/{endpoint['id']}", headers=admin).json()
    assert "secret" not in one
    rotated = client.patch(f"{URL}/{endpoint['id']}", json={"rotate_secret": True}, headers=admin)
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in ("", endpoint["secret"])
    changed = client.patch(
        f"{URL}/{endpoint['id']}", json={"topics": ["ticket.created"]}, headers=admin
    )
    assert changed.json()["topics"] == ["ticket.created"] and "secret" not in changed.json()
    assert client.get(f"{URL}/999", headers=admin).status_code == 404


def test_disable_enable_and_delete(client: TestClient, auth: Auth) -> None:
    admin = auth["admin"]
    body = {"url": "https://erp.example.com/in", "topics": ["*"]}
    endpoint_id = client.post(URL, json=body, headers=admin).json()["id"]
    off = client.patch(f"{URL}/{endpoint_id}", json={"active": False}, headers=admin).json()
    assert off["active"] is False and off["disabled_reason"] == "disabled by an admin"
    on = client.patch(f"{URL}/{endpoint_id}", json={"active": True}, headers=admin).json()
    assert on["active"] is True and on["disabled_reason"] is None and on["failures"] == 0
    assert client.delete(f"{URL}/{endpoint_id}", headers=admin).status_code == 204
    assert client.get(f"{URL}/{endpoint_id}", headers=admin).status_code == 404
    assert client.delete(f"{URL}/{endpoint_id}", headers=admin).status_code == 404


def test_a_ping_is_signed_sent_now_and_logged(client: TestClient, auth: Auth, db: Database) -> None:
    admin = auth["admin"]
    with receiver([200, 500]) as hook:
        created = client.post(URL, json={"url": hook.url, "topics": ["order.*"]}, headers=admin)
        endpoint_id, secret = created.json()["id"], created.json()["secret"]
        ok = client.post(f"{URL}/{endpoint_id}/ping", headers=admin)
        failed = client.post(f"{URL}/{endpoint_id}/ping", headers=admin)
    assert ok.status_code == 200 and ok.json()["status"] == "delivered"
    assert ok.json()["response_status"] == 200 and ok.json()["latency_ms"] >= 0
    assert failed.json()["status"] == "failed" and failed.json()["response_status"] == 500
    first = hook.requests[0]
    assert first.headers["X-Maillon-Topic"] == "webhook.ping"
    assert first.headers["X-Maillon-Webhook-Id"] == str(ok.json()["id"])
    stamp = first.headers["X-Maillon-Triggered-At"]
    assert first.headers["X-Maillon-Hmac-Sha256"] == expected_signature(secret, stamp, first.body)
    assert json.loads(first.body)["data"]["endpoint_id"] == endpoint_id
    endpoint = client.get(f"{URL}/{endpoint_id}", headers=admin).json()
    assert endpoint["failures"] == 0 and endpoint["active"]  # a ping never counts
    log = client.get(f"{URL}/{endpoint_id}/deliveries", headers=admin).json()
    assert log["total"] == 2 and [d["status"] for d in log["items"]] == ["failed", "delivered"]
    only = client.get(f"{URL}/{endpoint_id}/deliveries?status=failed", headers=admin).json()
    assert [d["id"] for d in only["items"]] == [failed.json()["id"]]
    bad = client.get(f"{URL}/{endpoint_id}/deliveries?status=lost", headers=admin)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "status"
    assert len(deliveries(db)) == 2


def test_topics_are_listed(client: TestClient, auth: Auth) -> None:
    r = client.get(f"{URL}/topics", headers=auth["admin"]).json()
    assert "order.shipped" in r["topics"] and "tracking.*" in r["families"]


def test_webhook_commands(db_url: str, db: Database) -> None:
    with receiver() as hook:
        created = runner.invoke(
            app, ["webhooks", "create", hook.url, "--topic", "order.*", "--db", db_url]
        )
        assert created.exit_code == 0, created.output
        secret = created.output.strip().splitlines()[-1]
        assert secret.startswith("whsec_")
        pinged = runner.invoke(app, ["webhooks", "ping", "1", "--db", db_url])
    assert pinged.exit_code == 0 and "ping delivered: HTTP 200" in pinged.output
    listed = runner.invoke(app, ["webhooks", "list", "--db", db_url])
    assert hook.url in listed.output and "active" in listed.output
    log = runner.invoke(app, ["webhooks", "deliveries", "1", "--db", db_url])
    assert "webhook.ping" in log.output and "delivered" in log.output
    off = runner.invoke(app, ["webhooks", "update", "1", "--disable", "--db", db_url])
    assert off.exit_code == 0 and "disabled (disabled by an admin)" in off.output
    bad = runner.invoke(app, ["webhooks", "create", "http://example.com/in", "--db", db_url])
    assert bad.exit_code == 1 and "url: must use https" in bad.output
    gone = runner.invoke(app, ["webhooks", "delete", "1", "--db", db_url])
    assert gone.exit_code == 0 and deliveries(db) == []
