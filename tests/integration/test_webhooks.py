"""Outgoing webhooks against a real receiver on 127.0.0.1: the exact request, retries, the
time-out, disabling a failing endpoint, idempotent jobs and topic filtering."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from huey import MemoryHuey
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from maillon.core import clock, jobs, outbox
from maillon.core.db import Database
from maillon.core.tables import Job, OutboxMessage
from maillon.orders import service as orders
from maillon.webhooks import model
from maillon.webhooks import service as webhooks
from maillon.webhooks.model import DeliveryStatus
from maillon.webhooks.service import sending
from maillon.webhooks.tables import WebhookEndpoint
from maillon.worker.engine import Engine
from maillon.worker.tasks import deliver_webhook
from tests.helpers import order_draft
from tests.helpers.webhooks import (
    deliveries,
    delivery_jobs,
    expected_signature,
    receiver,
)


def _engine(db: Database) -> Engine:
    return Engine(
        db,
        huey=MemoryHuey("webhooks-test", utc=True),
        handlers={"webhooks.deliver": deliver_webhook},
        schedule=(),
    )


def _endpoint(db: Database, url: str, topics: list[str]) -> tuple[int, str]:
    with db.transaction() as session:
        endpoint, secret = webhooks.create_endpoint(
            session=session, url=url, topics=topics, actor="admin:test"
        )
        return endpoint.id, secret


def _publish(db: Database, topic: str, payload: dict[str, Any]) -> int:
    with db.transaction() as session:
        return outbox.publish(session, topic, payload).id


def _job(db: Database, job_id: int) -> Job:
    with db.reader() as session:
        return jobs.get_job(session, job_id)


def _endpoint_row(db: Database, endpoint_id: int) -> WebhookEndpoint:
    with db.reader() as session:
        return webhooks.get_endpoint(session=session, endpoint_id=endpoint_id)


def test_an_order_sends_one_signed_request_with_the_event(seeded: Database) -> None:
    with receiver() as hook:
        endpoint_id, secret = _endpoint(seeded, hook.url, ["order.*"])
        before = int(clock.now().timestamp())
        order, _ = orders.place_order(
            seeded,
            order_draft([("MUG-01", 1)], external_id="W1", signals={"ip": "203.0.113.9"}),
            actor="t",
        )
        (delivery,) = deliveries(seeded)
        _engine(seeded).run(delivery_jobs(seeded)[delivery.id])
        after = int(clock.now().timestamp())

    (request,) = hook.requests
    with seeded.reader() as session:
        event = session.get(OutboxMessage, delivery.event_id)
    assert event is not None and event.topic == "order.created"
    assert request.path == "/hooks/maillon"
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["x-maillon-topic"] == "order.created"
    assert headers["x-maillon-webhook-id"] == str(delivery.id)
    stamp = headers["x-maillon-triggered-at"]
    assert stamp.isdigit() and before <= int(stamp) <= after
    assert headers["x-maillon-hmac-sha256"] == expected_signature(secret, stamp, request.body)
    assert headers["x-maillon-hmac-sha256"] != expected_signature(
        "whsec_other", stamp, request.body
    )
    assert json.loads(request.body) == {
        "id": event.id,
        "topic": "order.created",
        "created_at": clock.as_utc(event.created_at).isoformat(),
        "data": {"order_id": order.id, "order": order.number},  # fraud signals stay inside
    }
    (logged,) = deliveries(seeded)
    assert logged.status == DeliveryStatus.DELIVERED
    assert logged.attempts == 1 and logged.response_status == 200
    assert logged.latency_ms is not None and logged.latency_ms >= 0
    assert logged.response_body == '{"ok": true}' and logged.error is None
    assert _job(seeded, delivery_jobs(seeded)[delivery.id]).status == jobs.JobStatus.SUCCEEDED
    assert _endpoint_row(seeded, endpoint_id).last_success_at is not None


def test_a_500_is_retried_after_the_backoff_then_delivered(db: Database) -> None:
    with receiver([500, 503]) as hook:
        endpoint_id, secret = _endpoint(db, hook.url, ["ticket.*"])
        _publish(db, "ticket.created", {"ticket_id": 7})
        (delivery,) = deliveries(db)
        job_id = delivery_jobs(db)[delivery.id]
        engine = _engine(db)
        engine.run(job_id)

        first = _job(db, job_id)
        assert first.status == jobs.JobStatus.QUEUED and "HTTP 500" in (first.error or "")
        (pending,) = deliveries(db)
        assert pending.status == DeliveryStatus.PENDING and pending.attempts == 1
        assert pending.response_status == 500 and pending.error == "HTTP 500: Internal Server Error"
        assert pending.response_body is not None and len(pending.response_body) <= 500
        assert _endpoint_row(db, endpoint_id).failures == 1
        engine.run(job_id)  # not due yet: the backoff holds it
        assert len(hook.requests) == 1

        later = clock.now()
        for _ in range(2):
            later = later + timedelta(hours=2)
            with clock.frozen_at(later):
                engine.run(job_id)

    assert len(hook.requests) == 3
    assert {r.headers["X-Maillon-Webhook-Id"] for r in hook.requests} == {str(delivery.id)}
    assert {r.body for r in hook.requests} == {hook.requests[0].body}
    for r in hook.requests:
        stamp = r.headers["X-Maillon-Triggered-At"]
        assert r.headers["X-Maillon-Hmac-Sha256"] == expected_signature(secret, stamp, r.body)
    (done,) = deliveries(db)
    assert done.status == DeliveryStatus.DELIVERED and done.attempts == 3
    assert done.response_status == 200 and done.error is None
    assert _job(db, job_id).status == jobs.JobStatus.SUCCEEDED
    endpoint = _endpoint_row(db, endpoint_id)
    assert endpoint.failures == 0 and endpoint.failing_since is None and endpoint.active


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model, "TIMEOUT_SECONDS", 0.2)
    with receiver(["hang"]) as hook:
        _endpoint(db, hook.url, ["*"])
        _publish(db, "tracking.updated", {"parcel_id": 1, "status": "in_transit"})
        (delivery,) = deliveries(db)
        job_id = delivery_jobs(db)[delivery.id]
        _engine(db).run(job_id)
        (after,) = deliveries(db)
        assert len(hook.requests) == 1

    assert after.status == DeliveryStatus.PENDING and after.attempts == 1
    assert after.response_status is None and after.error == "timed out after 0.2 s"
    assert after.claimed_until is None  # the next attempt may take it
    job = _job(db, job_id)
    assert job.status == jobs.JobStatus.QUEUED and "timed out" in (job.error or "")


def test_an_endpoint_failing_twenty_times_in_a_row_is_disabled_with_the_reason(
    db: Database,
) -> None:
    with receiver([500] * 30) as hook:
        endpoint_id, _ = _endpoint(db, hook.url, ["return.*"])
        _publish(db, "return.rejected", {"return_id": 1})
        _publish(db, "return.approved", {"return_id": 1})
        first, second = deliveries(db)
        for _ in range(model.MAX_ATTEMPTS):
            sending.deliver(db, first.id)
        assert deliveries(db)[0].status == DeliveryStatus.FAILED  # its attempts are used up
        assert _endpoint_row(db, endpoint_id).active
        for _ in range(model.DISABLE_AFTER_FAILURES - model.MAX_ATTEMPTS):
            sending.deliver(db, second.id)
        assert len(hook.requests) == model.DISABLE_AFTER_FAILURES

        endpoint = _endpoint_row(db, endpoint_id)
        assert not endpoint.active and endpoint.disabled_at is not None
        assert endpoint.disabled_reason is not None
        assert "after 20 failed attempts in a row" in endpoint.disabled_reason
        assert endpoint.disabled_reason.endswith("last: HTTP 500: Internal Server Error")

        # its waiting deliveries are cancelled at their next run, and no new one is recorded
        outcome = sending.deliver(db, second.id)
        _publish(db, "return.received", {"return_id": 1})
        assert len(hook.requests) == model.DISABLE_AFTER_FAILURES
    assert outcome.attempt is None and outcome.note == "the endpoint is disabled"
    assert [d.status for d in deliveries(db)] == [DeliveryStatus.FAILED, DeliveryStatus.CANCELLED]
    assert deliveries(db)[1].error is not None
    assert deliveries(db)[1].error.startswith("endpoint disabled: disabled after 20")


def test_an_endpoint_failing_for_three_days_is_disabled(db: Database) -> None:
    with receiver([500, 500]) as hook:
        endpoint_id, _ = _endpoint(db, hook.url, ["order.*"])
        _publish(db, "order.delivered", {"order_id": 1})
        (delivery,) = deliveries(db)
        start = clock.now()
        sending.deliver(db, delivery.id)
        assert _endpoint_row(db, endpoint_id).active
        with clock.frozen_at(start + model.DISABLE_AFTER + timedelta(minutes=1)):
            sending.deliver(db, delivery.id)
    endpoint = _endpoint_row(db, endpoint_id)
    assert not endpoint.active and endpoint.failures == 2
    assert "after 2 failed attempts in a row" in (endpoint.disabled_reason or "")


def test_running_the_job_twice_sends_the_delivery_once(db: Database) -> None:
    with receiver() as hook:
        _endpoint(db, hook.url, ["order.*"])
        _publish(db, "order.shipped", {"order_id": 3})
        (delivery,) = deliveries(db)
        job_id = delivery_jobs(db)[delivery.id]
        engine = _engine(db)
        engine.run(job_id)
        engine.run(job_id)  # the job is over: nothing runs
        with db.transaction() as session:  # a second job for the same delivery
            again = jobs.submit(session, "webhooks.deliver", {"delivery_id": delivery.id})
            assert again is not None
            again_id = again.id
        engine.run(again_id)
        outcome = sending.deliver(db, delivery.id)  # and the handler's own work, once more
    assert len(hook.requests) == 1
    assert outcome.attempt is None and outcome.note == "the delivery is delivered or being sent"
    assert _job(db, again_id).status == jobs.JobStatus.SUCCEEDED
    assert _job(db, again_id).result == {
        "delivery_id": delivery.id,
        "status": None,
        "response_status": None,
        "note": "the delivery is delivered or being sent",
    }
    (only,) = deliveries(db)
    assert only.attempts == 1


def test_a_delivery_being_sent_is_not_sent_by_a_second_worker(db: Database) -> None:
    _endpoint(db, "http://127.0.0.1:9/never", ["order.*"])
    _publish(db, "order.shipped", {"order_id": 3})
    (delivery,) = deliveries(db)
    seen: list[int | None] = []

    def second_worker(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Any:
        seen.append(sending.deliver(db, delivery.id).status)  # while the first one sends
        return model.Attempt(204, 1)

    outcome = sending.deliver(db, delivery.id, poster=second_worker)
    assert seen == [None] and outcome.status == DeliveryStatus.DELIVERED
    assert deliveries(db)[0].attempts == 1


def test_each_endpoint_gets_only_the_topics_it_subscribed_to(db: Database) -> None:
    orders_id, _ = _endpoint(db, "https://erp.example.com/hooks", ["order.*"])
    tracking_id, _ = _endpoint(db, "https://track.example.com/in", ["tracking"])
    tickets_id, _ = _endpoint(db, "https://crm.example.com/in", ["ticket.created"])
    off_id, _ = _endpoint(db, "https://off.example.com/in", ["*"])
    with db.transaction() as session:
        webhooks.update_endpoint(session=session, endpoint_id=off_id, active=False)
    with db.transaction() as session:  # one transaction, several events
        for topic in ("order.delivered", "tracking.updated", "ticket.status_changed"):
            outbox.publish(session, topic, {"n": 1})
        outbox.publish(session, "stock.received", {"product_id": 1})  # not in the catalogue
    got = {(d.endpoint_id, d.topic) for d in deliveries(db)}
    assert got == {(orders_id, "order.delivered"), (tracking_id, "tracking.updated")}
    assert tickets_id not in {e for e, _ in got}
    assert len(delivery_jobs(db)) == 2


def test_a_rolled_back_change_leaves_no_event_delivery_or_job(db: Database) -> None:
    _endpoint(db, "https://erp.example.com/hooks", ["*"])

    def change_that_fails() -> None:
        with db.transaction() as session:
            outbox.publish(session, "order.shipped", {"order_id": 1})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    with db.reader() as session:
        assert session.scalars(select(OutboxMessage)).all() == []
    assert deliveries(db) == [] and delivery_jobs(db) == {}


def test_an_event_is_recorded_once_per_endpoint(db: Database) -> None:
    a, _ = _endpoint(db, "https://a.example.com/in", ["order.*"])
    b, _ = _endpoint(db, "https://b.example.com/in", ["order.created", "order.*"])
    event_id = _publish(db, "order.delivered", {"order_id": 1})
    assert sorted((d.endpoint_id, d.event_id) for d in deliveries(db)) == [
        (a, event_id),
        (b, event_id),
    ]
    with db.transaction() as session:
        event = session.get(OutboxMessage, event_id)
        assert event is not None
        with pytest.raises(IntegrityError), session.begin_nested():
            webhooks.on_event(session, event)  # the same event again: refused by the key
