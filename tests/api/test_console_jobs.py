"""The console's jobs page: operators see what the worker tier does, in French or English,
and retry a failed job; pickers may not; a bad filter is refused in the page."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from maillon.core import jobs
from maillon.core.db import Database
from maillon.core.jobs import JobStatus
from maillon.worker.engine import Engine
from tests.helpers.console import csrf_in, sign_in


def _refused(db: Database, args: dict[str, Any], progress: Any) -> None:
    raise ConnectionError("relay refused the connection")


def _failed_delivery(db: Database) -> int:
    with db.transaction() as session:
        job = jobs.submit(session, "outbox.deliver", max_attempts=1)
        assert job is not None
    Engine(db, handlers={"outbox.deliver": _refused}, schedule=()).run(job.id)
    jobs.wake_with(None)
    return job.id


def test_an_operator_retries_a_failed_job_from_the_page(client: TestClient, db: Database) -> None:
    job_id = _failed_delivery(db)
    sign_in(client, db, "operator")
    page = client.get("/jobs?status=failed", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Send e-mails and text messages" in page.text
    assert "ConnectionError: relay refused the connection" in page.text
    assert f'action="/jobs/{job_id}/retry"' in page.text
    french = client.get("/jobs?status=failed", headers={"Accept-Language": "fr"})
    assert "Envoyer les e-mails et SMS" in french.text and "en échec" in french.text
    assert "outbox.deliver" not in french.text  # no raw code on screen

    done = client.post(
        f"/jobs/{job_id}/retry", data={"csrf": csrf_in(page.text)}, follow_redirects=False
    )
    assert done.status_code == 303
    with db.reader() as session:
        assert jobs.get_job(session, job_id).status == JobStatus.QUEUED
    again = client.post(f"/jobs/{job_id}/retry", data={"csrf": csrf_in(page.text)})
    assert again.status_code == 409 and "only a failed job is retried" in again.text


def test_a_bad_filter_is_refused_in_the_page_and_pickers_are_kept_out(
    client: TestClient, db: Database
) -> None:
    sign_in(client, db, "operator")
    bad = client.get("/jobs?status=exploded")
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "exploded" in bad.text
    other = TestClient(client.app)
    sign_in(other, db, "picker")
    assert other.get("/jobs").status_code == 403


def test_every_job_the_worker_knows_has_a_label_in_both_languages() -> None:
    from maillon.web.french import FRENCH
    from maillon.web.jobs import JOB_LABELS
    from maillon.worker.tasks import HANDLERS

    assert set(HANDLERS) <= set(JOB_LABELS)
    assert [label for label in JOB_LABELS.values() if label not in FRENCH] == []
