"""Forecasts run by the worker tier: the request checks its input at once and answers with the
job; the handler reports its progress, stores one run per job however often it runs, and the
planning page says while a forecast is on its way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from huey import MemoryHuey
from sqlalchemy import func, select, update

from maillon.core import clock, jobs
from maillon.core.db import Database
from maillon.core.jobs import JobStatus
from maillon.core.tables import Job
from maillon.planning import service as planning
from maillon.planning.tables import ForecastRun
from maillon.worker import tasks
from maillon.worker.engine import Engine
from tests.helpers.console import sign_in
from tests.helpers.database import row_counts
from tests.helpers.jobs import run_queued
from tests.helpers.planning import TODAY

URL = "/api/v1/planning/forecasts"


def test_a_forecast_that_could_only_fail_is_refused_at_once(
    history: Database, client: TestClient, auth: dict
) -> None:
    op = auth["operator"]
    before = row_counts(history)
    unknown = client.post(URL, json={"warehouse": "NOPE"}, headers=op)
    assert unknown.status_code == 404 and "warehouse" in unknown.text, unknown.text
    # the history's orders are months old: two weeks back there is nothing to forecast
    empty = client.post(URL, json={"history_days": 14}, headers=op)
    assert empty.status_code == 409 and "nothing to forecast" in empty.text, empty.text
    assert client.post(URL, json={"horizon": 400}, headers=op).status_code == 422
    assert client.post(URL, json={}, headers=auth["picker"]).status_code == 403
    assert row_counts(history) == before  # no job recorded
    accepted = client.post(URL, json={"warehouse": "PAR1"}, headers=op)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert set(body) == {"job_id", "status", "url"} and body["status"] == "queued"
    with history.reader() as s:
        job = jobs.get_job(s, body["job_id"])
        assert job.name == planning.FORECAST_JOB and job.args["warehouse"] == "PAR1"


def test_the_forecast_job_reports_progress_and_stores_one_run_however_often_it_runs(
    history: Database,
) -> None:
    with history.transaction() as s:
        job_id = planning.request_forecast(session=s, horizon=3, requested_by="op").id
    seen: list[tuple[float, str]] = []
    recorded: list[float] = []

    def forecast(db: Database, args: dict[str, Any], progress: tasks.Progress) -> Any:
        def watched(fraction: float, note: str = "") -> None:
            seen.append((fraction, note))
            progress(fraction, note)
            with db.reader() as r:  # what the console reads meanwhile
                recorded.append(r.scalar(select(Job.progress).where(Job.id == job_id)) or 0.0)

        return tasks.forecast_demand(db, args, watched)

    engine = Engine(
        history,
        huey=MemoryHuey("t", utc=True),
        handlers={planning.FORECAST_JOB: forecast},
        schedule=(),
    )
    engine.run(job_id)
    with history.reader() as s:
        job = jobs.get_job(s, job_id)
        run = planning.latest_forecast_run(session=s)
        assert run is not None and run.job_id == job_id and run.horizon == 3
        assert job.status == JobStatus.SUCCEEDED and job.result == {
            "run": run.id,
            "series": run.series,
            "horizon": 3,
        }
    total = len(seen)  # one report a chunk of series: a few series, one each
    assert seen[-1] == (0.95, f"{total}/{total} series") and total >= run.series
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    assert recorded == [f for f, _ in seen]  # each report is visible while the job runs
    # its worker died before recording the end: the job runs again and finds its run
    with history.transaction() as s:
        s.execute(update(Job).where(Job.id == job_id).values(status=JobStatus.QUEUED.value))
    engine.run(job_id)
    with history.reader() as s:
        assert s.scalar(select(func.count()).select_from(ForecastRun)) == 1
        assert jobs.get_job(s, job_id).result == {"run": run.id, "series": run.series, "horizon": 3}


def test_the_nightly_forecast_of_a_new_install_says_there_is_nothing_to_forecast(
    db: Database,
) -> None:
    engine = Engine(db, huey=MemoryHuey("t", utc=True), schedule=())
    (nightly,) = [e for e in tasks.SCHEDULE if e.name == planning.FORECAST_JOB]
    job_id = engine.schedule(nightly)
    assert job_id is not None and engine.schedule(nightly) is None  # once a day
    assert run_queued(db, planning.FORECAST_JOB) == [job_id]
    with db.reader() as s:
        job = jobs.get_job(s, job_id)
        assert job.status == JobStatus.SUCCEEDED  # not failed, not retried
        assert job.result is not None and job.result["run"] is None
        assert "warehouse" in job.result["note"]  # not even a warehouse yet


def test_the_nightly_forecast_without_orders_in_its_history_says_so(history: Database) -> None:
    engine = Engine(history, huey=MemoryHuey("t", utc=True), schedule=())
    (nightly,) = [e for e in tasks.SCHEDULE if e.name == planning.FORECAST_JOB]
    with clock.frozen_at(TODAY + timedelta(days=800)):  # the orders are two years old
        job_id = engine.schedule(nightly)
        assert run_queued(history, planning.FORECAST_JOB) == [job_id]
    with history.reader() as s:
        job = jobs.get_job(s, job_id)
        assert job.status == JobStatus.SUCCEEDED
        assert job.result == {"run": None, "series": 0, "note": planning.NOTHING_TO_FORECAST}
        assert planning.latest_forecast_run(session=s) is None


def test_the_planning_page_shows_a_running_forecast_s_progress(
    history: Database, client: TestClient
) -> None:
    with history.transaction() as s:
        job_id = planning.request_forecast(session=s, requested_by="op").id
    assert jobs.claim(history, job_id) is not None  # a worker took it
    jobs.report(history, job_id, 0.4, "4/10 series")
    sign_in(client, history)
    page = client.get("/planning", params={"warehouse": "PAR1"}, headers={"Accept-Language": "en"})
    assert "A forecast is being computed (40 %)" in page.text
    assert f'data-job="{job_id}"' in page.text and 'href="/jobs"' in page.text
    assert "4/10 series" in page.text
    french = client.get(
        "/planning", params={"warehouse": "PAR1"}, headers={"Accept-Language": "fr"}
    )
    assert "Une prévision est en cours de calcul (40 %)" in french.text
    jobs.succeed(history, job_id, {"run": None})
    done = client.get("/planning", params={"warehouse": "PAR1"}, headers={"Accept-Language": "en"})
    assert "A forecast is being computed" not in done.text
    listed = client.get("/jobs", headers={"Accept-Language": "fr"})
    assert "Prévoir la demande" in listed.text and "planning.forecast" not in listed.text
