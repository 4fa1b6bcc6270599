"""The review queue over HTTP: orders with reasons and features, analyst decisions
(reject cancels and releases stock), chargebacks, settings and the active model."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from maillon.core.db import Database
from maillon.fraud.rules import DEFAULT_RULES
from maillon.inventory.tables import StockLevel
from tests.helpers import order_body
from tests.helpers.database import row_counts

Auth = dict[str, dict[str, str]]
SHARED = {"device_id": "dev-ring", "ip": "203.0.113.9"}


def post_order(client: TestClient, auth: Auth, email: str, **kw: Any) -> dict[str, Any]:
    body = order_body(customer={"email": email, "name": "Buyer"}, signals=SHARED, **kw)
    r = client.post("/api/v1/orders?allocate=true", json=body, headers=auth["operator"])
    assert r.status_code == 201, r.text
    return r.json()


def suspicious(client: TestClient, auth: Auth) -> str:
    for i in range(5):
        post_order(client, auth, f"ring{i % 3}@example.fr")
    return str(post_order(client, auth, "drop@yopmail.com")["number"])


def reserved(db: Database) -> int:
    with db.reader() as s:
        return int(s.scalar(select(func.sum(StockLevel.reserved))) or 0)


def test_queue_shows_reasons_and_features(client: TestClient, seeded: Database, auth: Auth) -> None:
    number = suspicious(client, auth)
    r = client.get("/api/v1/fraud/reviews", headers=auth["agent"])
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["order"] == number and item["decision"] == "review"
    assert item["review_status"] == "open" and 0.3 <= item["score"] < 0.8
    assert "disposable e-mail domain" in item["reasons"]
    assert item["features"]["device_accounts"] == 3.0
    assert item["signals"]["device_id"] == "dev-ring"
    assert client.get("/api/v1/fraud/reviews", headers=auth["picker"]).status_code == 403
    every = client.get("/api/v1/fraud/reviews?status=all", headers=auth["operator"]).json()
    assert every["total"] == 6
    accepted = client.get(
        "/api/v1/fraud/reviews?status=all&decision=accept", headers=auth["operator"]
    ).json()
    assert accepted["total"] == 5 and all(i["review_status"] is None for i in accepted["items"])


def test_analyst_reject_cancels_the_order_and_releases_its_stock(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    number = suspicious(client, auth)
    held = reserved(seeded)
    r = client.post(
        f"/api/v1/fraud/reviews/{number}",
        json={"decision": "reject", "note": "ring on one device"},
        headers=auth["agent"],
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["review_status"] == "rejected" and body["order_status"] == "cancelled"
    assert body["reviews"][0]["decision"] == "reject"
    assert body["reviews"][0]["note"] == "ring on one device"
    assert reserved(seeded) == held - 1  # the order's unit is free again
    order = client.get(f"/api/v1/orders/{number}", headers=auth["operator"]).json()
    assert order["status"] == "cancelled"
    assert any("fraud" in e["note"] for e in order["timeline"])
    again = client.post(
        f"/api/v1/fraud/reviews/{number}", json={"decision": "approve"}, headers=auth["agent"]
    )
    assert again.status_code == 409
    assert client.get("/api/v1/fraud/reviews", headers=auth["agent"]).json()["total"] == 0


def test_analyst_approve_keeps_the_order(client: TestClient, seeded: Database, auth: Auth) -> None:
    number = suspicious(client, auth)
    r = client.post(
        f"/api/v1/fraud/reviews/{number}", json={"decision": "approve"}, headers=auth["operator"]
    )
    assert r.status_code == 200
    assert r.json()["review_status"] == "approved" and r.json()["order_status"] == "allocated"
    one = client.get(f"/api/v1/fraud/assessments/{number}", headers=auth["agent"]).json()
    assert one["reviews"][0]["decision"] == "approve"


def test_chargebacks_are_recorded_once(client: TestClient, seeded: Database, auth: Auth) -> None:
    order = post_order(client, auth, "someone@example.fr")
    body = {"order": order["number"], "amount_cents": order["total_cents"], "reason": "10.4"}
    r = client.post("/api/v1/fraud/chargebacks", json=body, headers=auth["operator"])
    assert r.status_code == 201, r.text
    assert r.json()["amount_cents"] == order["total_cents"] and r.json()["currency"] == "EUR"
    replay = client.post("/api/v1/fraud/chargebacks", json=body, headers=auth["operator"])
    assert replay.status_code == 200


def test_settings_are_read_and_replaced_by_an_admin(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    r = client.get("/api/v1/fraud/settings", headers=auth["agent"])
    assert r.status_code == 200
    assert r.json()["revision"] == 0 and r.json()["auto_reject"] is False
    assert r.json()["config"]["review_at"] == DEFAULT_RULES.review_at
    config = {**r.json()["config"], "review_at": 0.2}
    assert (
        client.put("/api/v1/fraud/settings", json=config, headers=auth["operator"]).status_code
        == 403
    )
    r = client.put("/api/v1/fraud/settings", json=config, headers=auth["admin"])
    assert r.status_code == 200 and r.json()["revision"] == 1
    assert r.json()["config"]["review_at"] == 0.2
    assert r.json()["config"]["costs"] == {
        "missed_fraud": 100.0,
        "review": 5.0,
        "refused_good": 30.0,
    }
    costs = {"missed_fraud": 250.0, "review": 3.0, "refused_good": 45.0}
    r = client.put("/api/v1/fraud/settings", json={**config, "costs": costs}, headers=auth["admin"])
    assert r.status_code == 200 and r.json()["config"]["costs"] == costs
    again = client.get("/api/v1/fraud/settings", headers=auth["agent"]).json()
    assert again["revision"] == 2 and again["config"]["costs"] == costs
    model = client.get("/api/v1/fraud/model", headers=auth["agent"]).json()
    assert model == {"mode": "rules", "model": None, "card_markdown": None}
    assert client.get("/api/v1/fraud/models", headers=auth["agent"]).json() == []


def _rule(**change: Any) -> dict[str, Any]:
    return {**DEFAULT_RULES.rules[0].to_dict(), **change}


BAD: list[tuple[str, str, str, Any, int, str]] = [
    ("agent", "post", "/api/v1/fraud/reviews/{n}", {"decision": "maybe"}, 422, "decision"),
    (
        "agent",
        "post",
        "/api/v1/fraud/reviews/{n}",
        {"decision": "approve", "note": "x" * 501},
        422,
        "note",
    ),
    ("agent", "post", "/api/v1/fraud/reviews/{n}", {"decision": "approve", "why": "x"}, 422, "why"),
    ("agent", "post", "/api/v1/fraud/reviews/M9999999", {"decision": "reject"}, 404, "number"),
    ("agent", "get", "/api/v1/fraud/reviews?status=pending", None, 422, "status"),
    ("agent", "get", "/api/v1/fraud/reviews?decision=maybe", None, 422, "decision"),
    ("agent", "get", "/api/v1/fraud/reviews?limit=0", None, 422, "limit"),
    ("agent", "get", "/api/v1/fraud/assessments/nope", None, 404, "number"),
    (
        "operator",
        "post",
        "/api/v1/fraud/chargebacks",
        {"order": "{n}", "amount_cents": 0},
        422,
        "amount_cents",
    ),
    (
        "operator",
        "post",
        "/api/v1/fraud/chargebacks",
        {"order": "{n}", "amount_cents": 999999},
        422,
        "amount_cents",
    ),
    (
        "operator",
        "post",
        "/api/v1/fraud/chargebacks",
        {"order": "M9999999", "amount_cents": 10},
        404,
        "order",
    ),
    (
        "operator",
        "post",
        "/api/v1/fraud/chargebacks",
        {"order": "{n}", "amount_cents": 10, "occurred_at": "2999-01-01T00:00:00Z"},
        422,
        "occurred_at",
    ),
    (
        "admin",
        "put",
        "/api/v1/fraud/settings",
        {"rules": [_rule(feature="shoe_size")]},
        422,
        "rules.0",
    ),
    ("admin", "put", "/api/v1/fraud/settings", {"rules": [_rule(weight=3)]}, 422, "rules.0"),
    (
        "admin",
        "put",
        "/api/v1/fraud/settings",
        {"rules": [_rule()], "review_at": "high"},
        422,
        "review_at",
    ),
    ("admin", "put", "/api/v1/fraud/settings", {"rules": [_rule()], "colour": 1}, 422, "colour"),
    ("admin", "put", "/api/v1/fraud/settings", {"rules": []}, 422, "rules"),
    (
        "admin",
        "put",
        "/api/v1/fraud/settings",
        {"rules": [_rule()], "costs": {"missed_fraud": 100, "review": -1}},
        422,
        "costs.review",
    ),
    (
        "admin",
        "put",
        "/api/v1/fraud/settings",
        {"rules": [_rule()], "costs": {"chargeback": 1}},
        422,
        "costs.chargeback",
    ),
    (
        "admin",
        "put",
        "/api/v1/fraud/settings",
        {"rules": [_rule()], "model_review_at": 0.4, "model_reject_at": 0.4},
        422,
        "model_review_at",
    ),
    (
        "admin",
        "put",
        "/api/v1/fraud/settings",
        {"rules": [_rule()], "model_review_at": 0.5},
        422,
        "model_review_at",
    ),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "code", "field"), BAD)
def test_bad_input_names_the_field_and_writes_nothing(
    client: TestClient,
    seeded: Database,
    auth: Auth,
    role: str,
    method: str,
    path: str,
    body: Any,
    code: int,
    field: str,
) -> None:
    number = suspicious(client, auth)
    path = path.replace("{n}", number)
    if isinstance(body, dict) and body.get("order") == "{n}":
        body = {**body, "order": number}
    before = row_counts(seeded)
    kwargs: dict[str, Any] = {"headers": auth[role]}
    if body is not None:
        kwargs["json"] = body
    r = client.request(method.upper(), path, **kwargs)
    assert r.status_code == code, r.text
    error = r.json()["error"]
    fields = {error.get("field")} | {e["field"] for e in error.get("errors", [])}
    assert field in fields, error
    assert row_counts(seeded) == before


def test_an_order_in_review_is_kept_off_the_floor_until_approved(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    from maillon.core.errors import Conflict
    from maillon.warehouse import service as warehouse
    from maillon.warehouse.service import release

    number = suspicious(client, auth)
    with seeded.transaction() as s:
        wave = release.create_wave(session=s, warehouse_code="PAR1", actor="lead", max_orders=50)
        assert wave.orders == 5  # the five accepted orders, not the one in review
    with pytest.raises(Conflict, match="on hold \\(fraud review\\)"), seeded.transaction() as s:
        warehouse.create_pick_lists(session=s, number=number, actor="lead")
    r = client.get(f"/api/v1/orders/{number}", headers=auth["operator"])
    assert r.json()["status"] == "allocated"  # its stock stays reserved meanwhile
    r = client.post(
        f"/api/v1/fraud/reviews/{number}",
        json={"decision": "approve", "note": "known buyer"},
        headers=auth["agent"],
    )
    assert r.status_code == 200, r.text
    with seeded.transaction() as s:
        lists = warehouse.create_pick_lists(session=s, number=number, actor="lead")
    assert lists
