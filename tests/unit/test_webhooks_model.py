"""The webhook contract: URLs, topics, the body and its signature (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from maillon.core.errors import ValidationError
from maillon.webhooks import model


@pytest.mark.parametrize(
    "url",
    [
        "https://erp.example.com/hooks/maillon",
        "https://erp.example.com:8443/in?shop=1",
        "http://localhost:8000/in",
        "http://127.0.0.1:9000/in",
        "http://[::1]:9000/in",
    ],
)
def test_https_or_a_local_receiver_is_accepted(url: str) -> None:
    assert model.check_url(f"  {url} ") == url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://erp.example.com/in", "must use https"),
        ("http://10.0.0.5/in", "must use https"),
        ("http://localhost.example.com/in", "must use https"),
        ("ftp://erp.example.com/in", "absolute https"),
        ("erp.example.com/in", "absolute https"),
        ("", "absolute https"),
        ("https://[::1/in", "not a valid URL"),
        ("https://user:pw@erp.example.com/in", "user name or password"),
        ("https://erp.example.com:99999/in", "invalid port"),
        ("https://erp.example.com/" + "a" * 2000, "longer than 2000"),
    ],
)
def test_other_urls_are_refused_naming_the_field(url: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        model.check_url(url)
    assert caught.value.field == "url" and message in caught.value.message


def test_topics_are_checked_and_families_named() -> None:
    assert model.check_topics(["order", "tracking", "order.*", "ticket.created", "*"]) == [
        "order.*",
        "tracking.*",
        "ticket.created",
        "*",
    ]
    for bad in (["orders"], ["order.shipped.now"], ["stock.received"], [], ["webhook.ping"]):
        with pytest.raises(ValidationError) as caught:
            model.check_topics(bad)
        assert caught.value.field == "topics"


def test_a_topic_matches_its_pattern_and_only_catalogue_topics_match() -> None:
    assert model.matches(["order.*"], "order.shipped")
    assert not model.matches(["order.*"], "shipment.delayed")
    assert model.matches(["tracking.*", "return.approved"], "return.approved")
    assert model.matches(["*"], "ticket.created")
    assert not model.matches(["*"], "stock.received")  # internal events never leave
    assert not model.matches(["*"], model.PING_TOPIC)


def test_the_body_is_compact_json_without_internal_keys() -> None:
    at = datetime(2026, 12, 7, 21, 0, tzinfo=UTC)
    body = model.body_of(42, "order.created", at, {"order_id": 1, "signals": {"ip": "x"}})
    assert body == (
        b'{"id":42,"topic":"order.created","created_at":"2026-12-07T21:00:00+00:00",'
        b'"data":{"order_id":1}}'
    )
    assert json.loads(model.body_of(1, "ticket.created", at, {"subject": "Café"}))["data"] == {
        "subject": "Café"
    }


def test_the_signature_is_base64_hmac_of_timestamp_dot_body() -> None:
    body, stamp, secret = b'{"id":1}', "1796677200", "whsec_test"
    raw = hmac.new(b"whsec_test", b'1796677200.{"id":1}', hashlib.sha256).digest()
    assert model.sign(secret, stamp, body) == base64.b64encode(raw).decode()
    assert model.verify(secret, stamp, body, model.sign(secret, stamp, body))
    assert not model.verify(secret, "1796677201", body, model.sign(secret, stamp, body))
    assert not model.verify("whsec_other", stamp, body, model.sign(secret, stamp, body))
    headers = model.headers_for("order.created", 7, stamp, "sig")
    assert headers["X-Maillon-Webhook-Id"] == "7" and headers["X-Maillon-Triggered-At"] == stamp


def test_when_an_endpoint_is_disabled() -> None:
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert not model.should_disable(19, now - timedelta(days=2), now)
    assert model.should_disable(20, now - timedelta(hours=1), now)
    assert model.should_disable(2, now - timedelta(days=3), now)


def test_an_attempt_says_how_it_ended() -> None:
    assert model.Attempt(204, 3).ok and not model.Attempt(302, 3).ok
    assert model.Attempt(None, 10_000, "timed out after 10 s").summary() == "timed out after 10 s"
    assert model.Attempt(500, 3, "Internal Server Error").summary() == (
        "HTTP 500: Internal Server Error"
    )
    assert model.truncate("x" * 600) == "x" * 499 + "…" and model.truncate(None) is None
