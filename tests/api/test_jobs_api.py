"""The jobs of the worker tier through the API: listed, counted, shown and retried by an
operator; a picker may not; bad ids and filters get a 4xx naming the field."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from maillon.core import jobs
from maillon.core.db import Database
from maillon.worker.engine import Engine


def _boom(db: Database, args: dict[str, Any], progress: Any) -> None:
    raise ValueError("carrier said no")


def test_an_operator_sees_a_failed_job_and_retries_it(
    client: TestClient, db: Database, auth: dict[str, dict[str, str]]
) -> None:
    with db.transaction() as session:
        failing = jobs.submit(session, "t.boom", {"order": "MA-1"}, max_attempts=1)
        waiting = jobs.submit(session, "t.later")
        assert failing is not None and waiting is not None
        failing_id, waiting_id = failing.id, waiting.id
    Engine(db, handlers={"t.boom": _boom}, schedule=()).run(failing_id)
    jobs.wake_with(None)

    listed = client.get("/api/v1/jobs?status=failed", headers=auth["operator"])
    assert listed.status_code == 200
    body = listed.json()
    assert body["total"] == 1
    [item] = body["items"]
    assert item["id"] == failing_id and item["error"] == "ValueError: carrier said no"
    assert item["args"] == {"order": "MA-1"} and item["url"] == f"/api/v1/jobs/{failing_id}"
    counts = client.get("/api/v1/jobs/counts", headers=auth["operator"]).json()
    assert counts == {"queued": 1, "running": 0, "succeeded": 0, "failed": 1}

    retried = client.post(f"/api/v1/jobs/{failing_id}/retry", headers=auth["operator"])
    assert retried.status_code == 200
    assert retried.json()["status"] == "queued"
    assert retried.json()["requested_by"].endswith("operator")
    again = client.post(f"/api/v1/jobs/{waiting_id}/retry", headers=auth["operator"])
    assert again.status_code == 409  # only a failed job is retried


def test_jobs_are_for_operators_and_bad_input_is_named(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    assert client.get("/api/v1/jobs", headers=auth["picker"]).status_code == 403
    missing = client.get("/api/v1/jobs/999", headers=auth["operator"])
    assert missing.status_code == 404
    bad = client.get("/api/v1/jobs?status=exploded", headers=auth["operator"])
    assert bad.status_code == 422 and "status" in bad.text
    assert client.get("/api/v1/jobs/0", headers=auth["operator"]).status_code == 422
