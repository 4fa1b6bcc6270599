"""Bad input on every return route family: a 4xx naming the field, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from maillon.core.db import Database
from maillon.returns import service as returns
from tests.helpers.database import row_counts
from tests.helpers.returns import EMAIL, deliver


@pytest.fixture
def rma(seeded: Database) -> dict[str, Any]:
    """A delivered order of 2 mugs and 1 book, with an approved RMA of one mug."""
    number = deliver(seeded, [("MUG-01", 2), ("BOOK-07", 1)])
    with seeded.transaction() as s:
        r = returns.request_return(
            session=s, number=number, lines=[("MUG-01", 1)], reason="defective", actor="t"
        )
        returns.approve(session=s, return_id=r.id, actor="t")
        return {"number": number, "id": r.id, "line": r.lines[0].id}


CASES: list[tuple[str, str, str, Any, int, str]] = [
    # staff RMAs
    (
        "agent",
        "post",
        "/api/v1/returns",
        {"order": "{number}", "reason": "x", "lines": []},
        422,
        "lines",
    ),
    (
        "agent",
        "post",
        "/api/v1/returns",
        {"order": "{number}", "reason": "x", "lines": [{"sku": "MUG-01", "quantity": 0}]},
        422,
        "lines.0.quantity",
    ),
    (
        "agent",
        "post",
        "/api/v1/returns",
        {"order": "{number}", "reason": "x", "lines": [{"sku": "LAMP-02", "quantity": 1}]},
        422,
        "lines.0.sku",
    ),
    (
        "agent",
        "post",
        "/api/v1/returns",
        {"order": "{number}", "reason": "x", "lines": [{"sku": "MUG-01", "quantity": 2}]},
        422,
        "lines.0.quantity",
    ),
    (
        "agent",
        "post",
        "/api/v1/returns",
        {
            "order": "{number}",
            "reason": "x",
            "lines": [{"sku": "MUG-01", "quantity": 1, "reason": "bored"}],
        },
        422,
        "lines.0.reason",
    ),
    (
        "agent",
        "post",
        "/api/v1/returns",
        {"order": "M9999999", "reason": "x", "lines": [{"sku": "MUG-01", "quantity": 1}]},
        404,
        "order",
    ),
    (
        "agent",
        "post",
        "/api/v1/returns",
        {
            "order": "{number}",
            "reason": "x",
            "lines": [{"sku": "MUG-01", "quantity": 1}],
            "refund": True,
        },
        422,
        "refund",
    ),
    ("agent", "get", "/api/v1/returns?status=lost", None, 422, "status"),
    ("agent", "get", "/api/v1/returns?order=abc", None, 422, "order"),
    ("agent", "get", "/api/v1/returns/0", None, 422, "return_id"),
    ("agent", "get", "/api/v1/returns/999", None, 404, "return_id"),
    # decisions and labels
    ("agent", "post", "/api/v1/returns/{id}/reject", {"note": ""}, 422, "note"),
    ("agent", "post", "/api/v1/returns/{id}/approve", {"note": "x" * 501}, 422, "note"),
    (
        "agent",
        "post",
        "/api/v1/returns/{id}/label",
        {"carrier": "colissimo"},
        422,
        "tracking_number",
    ),
    ("agent", "post", "/api/v1/returns/{id}/label", {}, 409, ""),
    # warehouse steps
    ("picker", "post", "/api/v1/returns/{id}/receive", {"warehouse": "NOPE"}, 404, "warehouse"),
    (
        "picker",
        "post",
        "/api/v1/returns/{id}/receive",
        {"lines": [{"line_id": "{line}", "quantity": 5}]},
        422,
        "lines.{line}",
    ),
    (
        "picker",
        "post",
        "/api/v1/returns/{id}/receive",
        {"lines": [{"line_id": "{line}", "quantity": 0}]},
        422,
        "lines",
    ),
    (
        "picker",
        "post",
        "/api/v1/returns/{id}/receive",
        {"lines": [{"line_id": "{line}", "quantity": -1}]},
        422,
        "lines.0.quantity",
    ),
    (
        "picker",
        "post",
        "/api/v1/returns/{id}/inspect",
        {"grades": [{"line_id": "{line}", "grade": "E", "quantity": 1}]},
        422,
        "grades.0.grade",
    ),
    (
        "picker",
        "post",
        "/api/v1/returns/{id}/inspect",
        {"grades": [{"line_id": "{line}", "grade": "A", "quantity": 1}]},
        409,
        "",
    ),
    (
        "picker",
        "post",
        "/api/v1/returns/{id}/disposition",
        {"choices": [{"unit_id": 1, "disposition": "burn"}]},
        422,
        "choices.0.disposition",
    ),
    ("picker", "post", "/api/v1/returns/{id}/disposition", {}, 409, ""),
    ("agent", "post", "/api/v1/returns/{id}/settle", {"method": "cash"}, 422, "method"),
    (
        "agent",
        "post",
        "/api/v1/returns/{id}/settle",
        {"method": "refund", "deduction_cents": -5},
        422,
        "deduction_cents",
    ),
    ("agent", "post", "/api/v1/returns/{id}/settle", {"method": "refund"}, 409, ""),
    ("agent", "post", "/api/v1/returns/{id}/close", {}, 409, ""),
    # roles
    ("picker", "post", "/api/v1/returns/{id}/settle", {"method": "refund"}, 403, ""),
    ("agent", "post", "/api/v1/returns/{id}/receive", {}, 403, ""),
    # settings, analytics, record
    (
        "operator",
        "put",
        "/api/v1/returns/settings",
        {"default_window_days": -1},
        422,
        "default_window_days",
    ),
    (
        "operator",
        "put",
        "/api/v1/returns/settings",
        {"reasons": {"broken": {"paid_by": "nobody"}}},
        422,
        "reasons.broken.paid_by",
    ),
    ("operator", "put", "/api/v1/returns/settings", {"windows": 3}, 422, "windows"),
    ("operator", "put", "/api/v1/returns/settings", {"timezone": "Mars/Olympus"}, 422, "timezone"),
    ("agent", "put", "/api/v1/returns/settings", {}, 403, ""),
    ("agent", "get", "/api/v1/returns/analytics?by=colour", None, 422, "by"),
    ("agent", "get", "/api/v1/returns/analytics?from=2026-02-01&to=2026-01-01", None, 422, "to"),
    ("agent", "get", "/api/v1/returns/analytics?from=soon", None, 422, "from"),
    (
        "operator",
        "get",
        "/api/v1/returns/ledger/verify?expected_head=abc",
        None,
        422,
        "expected_head",
    ),
    ("operator", "get", "/api/v1/returns/ledger?limit=0", None, 422, "limit"),
    # the portal (no key)
    ("", "post", "/api/v1/portal/returns/lookup", {"order": "{number}"}, 422, "contact"),
    (
        "",
        "post",
        "/api/v1/portal/returns",
        {
            "order": "{number}",
            "contact": EMAIL,
            "lines": [{"sku": "MUG-01", "quantity": 1, "reason": "nope"}],
        },
        422,
        "lines.0.reason",
    ),
    (
        "",
        "post",
        "/api/v1/portal/returns",
        {
            "order": "{number}",
            "contact": EMAIL,
            "lines": [{"sku": "MUG-01", "quantity": 2, "reason": "defective"}],
        },
        422,
        "lines.0.quantity",
    ),
    (
        "",
        "post",
        "/api/v1/portal/returns",
        {
            "order": "{number}",
            "contact": EMAIL,
            "lines": [{"sku": "MUG-01", "quantity": "x", "reason": "defective"}],
        },
        422,
        "lines.0.quantity",
    ),
    (
        "",
        "post",
        "/api/v1/portal/returns",
        {
            "order": "{number}",
            "contact": "wrong@example.fr",
            "lines": [{"sku": "MUG-01", "quantity": 1, "reason": "defective"}],
        },
        404,
        "order",
    ),
]


def _fill(value: Any, rma: dict[str, Any]) -> Any:
    if isinstance(value, str):
        text = value.format(**rma)
        return int(text) if value == "{line}" else text
    if isinstance(value, list):
        return [_fill(v, rma) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, rma) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("role", "method", "path", "body", "code", "field"), CASES)
def test_bad_input_names_the_field_and_writes_nothing(
    seeded: Database,
    client: TestClient,
    auth: dict[str, dict[str, str]],
    rma: dict[str, Any],
    role: str,
    method: str,
    path: str,
    body: Any,
    code: int,
    field: str,
) -> None:
    before = row_counts(seeded)
    headers = auth[role] if role else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if body is not None:
        kwargs["json"] = _fill(body, rma)
    r = getattr(client, method)(_fill(path, rma), **kwargs)
    assert r.status_code == code, r.text
    if field:
        assert r.json()["error"]["field"] == _fill(field, rma), r.text
    assert row_counts(seeded) == before


def test_receiving_a_returned_return_is_refused_and_writes_nothing(
    seeded: Database, client: TestClient, auth: dict[str, dict[str, str]], rma: dict[str, Any]
) -> None:
    r = client.post(f"/api/v1/returns/{rma['id']}/receive", json={}, headers=auth["picker"])
    assert r.status_code == 200
    before = row_counts(seeded)
    r = client.post(f"/api/v1/returns/{rma['id']}/receive", json={}, headers=auth["picker"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    r = client.post(
        f"/api/v1/returns/{rma['id']}/inspect",
        json={"grades": [{"line_id": rma["line"], "grade": "A", "quantity": 2}]},
        headers=auth["picker"],
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == f"lines.{rma['line']}"
    r = client.post(
        f"/api/v1/returns/{rma['id']}/inspect",
        json={"grades": [{"line_id": rma["line"], "grade": "A", "quantity": 1}]},
        headers=auth["picker"],
    )
    assert r.status_code == 200
    unit = r.json()["units"][0]["id"]
    before = row_counts(seeded)
    for choice, field in (
        ({"unit_id": unit, "disposition": "scrap", "location": "A01-01"}, "choices.0.location"),
        ({"unit_id": unit + 100}, "choices.0.unit_id"),
    ):
        r = client.post(
            f"/api/v1/returns/{rma['id']}/disposition",
            json={"choices": [choice]},
            headers=auth["picker"],
        )
        assert r.status_code == 422 and r.json()["error"]["field"] == field, r.text
    assert row_counts(seeded) == before
