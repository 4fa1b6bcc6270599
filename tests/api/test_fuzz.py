"""Schemathesis against the OpenAPI schema of the order and inventory routes: whatever a client
sends that fits the schema, the answer is never a 5xx (bounded examples per operation)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from maillon.app import create_app
from maillon.core.db import Database
from tests.helpers import order_draft, seed_basic

ROUTES = r"^/api/v1/(orders|inventory|products|warehouses|holds|customers)"


@pytest.mark.slow
def test_no_server_errors_on_order_and_inventory_routes(
    db: Database, auth: dict[str, dict[str, str]]
) -> None:
    from maillon.orders.service import place_order

    seed_basic(db)
    place_order(db, order_draft(external_id="FUZZ-1"), actor="t")  # M0000001 exists
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(db)).include(
        path_regex=ROUTES
    )
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            response = case.call(headers=auth["admin"])
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.text[:200]}")

        check()
    assert operations >= 20  # the filter kept the order and inventory routes
    assert failures == []
