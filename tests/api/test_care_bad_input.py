"""Bad input to the after-sales routes: a 4xx naming the field, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from maillon.core.db import Database
from tests.helpers.database import row_counts

H = dict[str, dict[str, str]]
GOOD = {"email": "camille.martin@example.fr", "subject": "Hi", "body": "A question"}


@pytest.fixture
def ticket_id(client: TestClient, db: Database, auth: H) -> int:
    r = client.post("/api/v1/tickets", json=GOOD, headers=auth["agent"])
    assert r.status_code == 201
    return int(r.json()["id"])


CASES: list[tuple[str, str, Any, int, str]] = [
    ("post", "/api/v1/tickets", {**GOOD, "email": "nope"}, 422, "email"),
    ("post", "/api/v1/tickets", {**GOOD, "subject": ""}, 422, "subject"),
    ("post", "/api/v1/tickets", {**GOOD, "body": "   "}, 422, "body"),
    ("post", "/api/v1/tickets", {**GOOD, "priority": "asap"}, 422, "priority"),
    ("post", "/api/v1/tickets", {**GOOD, "category": "Bad Cat"}, 422, "category"),
    ("post", "/api/v1/tickets", {**GOOD, "channel": "fax"}, 422, "channel"),
    ("post", "/api/v1/tickets", {**GOOD, "order": "M9999999"}, 404, "order"),
    ("post", "/api/v1/tickets", {**GOOD, "shipment_id": 99}, 404, "shipment_id"),
    ("post", "/api/v1/tickets", {**GOOD, "return_id": 0}, 422, "return_id"),
    ("post", "/api/v1/tickets", {**GOOD, "assignee": "x"}, 422, "assignee"),
    ("get", "/api/v1/tickets?sla=late", None, 422, "sla"),
    ("get", "/api/v1/tickets?priority=asap", None, 422, "priority"),
    ("get", "/api/v1/tickets?assignee=nobody", None, 404, "assignee"),
    ("get", "/api/v1/tickets?order=M9999999", None, 404, "order"),
    ("get", "/api/v1/tickets/0", None, 422, "ticket_id"),
    ("get", "/api/v1/tickets/999", None, 404, "ticket_id"),
    ("patch", "/api/v1/tickets/{id}", {"status": "done"}, 422, "status"),
    ("patch", "/api/v1/tickets/{id}", {"intent": "Track Order"}, 422, "intent"),
    ("patch", "/api/v1/tickets/{id}", {"priority": 3}, 422, "priority"),
    ("post", "/api/v1/tickets/{id}/replies", {"body": ""}, 422, "body"),
    ("post", "/api/v1/tickets/{id}/replies", {"body": "x", "cc": "a"}, 422, "cc"),
    ("post", "/api/v1/tickets/{id}/notes", {}, 422, "body"),
    ("post", "/api/v1/tickets/{id}/assign", {"strategy": "random"}, 422, "strategy"),
    ("post", "/api/v1/tickets/{id}/assign", {"agent": "ghost"}, 404, "agent"),
    ("get", "/api/v1/tickets/{id}/suggested-reply?language=de", None, 422, "language"),
    ("post", "/api/v1/care/agents", {"name": ""}, 422, "name"),
    ("post", "/api/v1/care/agents", {"name": "Ana", "skills": ["Not A Skill"]}, 422, "skills"),
    ("post", "/api/v1/care/agents", {"name": "Ana", "email": "nope"}, 422, "email"),
    ("post", "/api/v1/care/agents", {"name": "123"}, 422, "name"),
    ("patch", "/api/v1/care/agents/999", {"active": False}, 404, "agent_id"),
    ("post", "/api/v1/care/inbound-email", {"from": "x@y.fr", "subject": "s"}, 422, "text"),
    ("post", "/api/v1/care/inbound-email", {"from": "nobody", "text": "hi"}, 422, "from"),
    ("post", "/api/v1/care/inbound-email", {"text": "hi"}, 422, "from"),
    ("post", "/api/v1/care/csat/short", {"score": 5}, 422, "token"),
    ("post", "/api/v1/care/csat/" + "a" * 32, {"score": 0}, 422, "score"),
    ("post", "/api/v1/care/csat/" + "a" * 32, {"score": 5}, 404, "token"),
    ("post", "/api/v1/care/classify", {"text": ""}, 422, "text"),
    ("get", "/api/v1/care/stats?from=yesterday", None, 422, "from"),
]


@pytest.mark.parametrize(("method", "url", "body", "code", "field"), CASES)
def test_bad_input_names_the_field_and_writes_nothing(
    client: TestClient,
    db: Database,
    auth: H,
    ticket_id: int,
    method: str,
    url: str,
    body: Any,
    code: int,
    field: str,
) -> None:
    before = row_counts(db)
    headers = auth["operator"] if "/agents" in url else auth["agent"]
    r = client.request(
        method.upper(), url.replace("{id}", str(ticket_id)), json=body, headers=headers
    )
    assert r.status_code == code, r.text
    assert field in r.json()["error"]["field"], r.json()
    assert row_counts(db) == before


def test_roles_and_keys(client: TestClient, db: Database, auth: H, ticket_id: int) -> None:
    assert client.get("/api/v1/tickets").status_code == 401
    assert client.get("/api/v1/tickets", headers=auth["picker"]).status_code == 403
    r = client.post("/api/v1/care/agents", json={"name": "Ana"}, headers=auth["agent"])
    assert r.status_code == 403  # agents do not manage the team
    inbound = {"from": "x@y.fr", "text": "hi"}
    assert client.post("/api/v1/care/inbound-email", json=inbound).status_code == 401
    assert client.get("/api/v1/tickets", headers=auth["operator"]).status_code == 200
