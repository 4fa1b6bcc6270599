"""Carrier webhooks signed with a per-carrier secret (HMAC-SHA256 of the body), operator keys
still accepted for manual replays, secrets set and rotated from the CLI."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.shipping.tables import WEBHOOK_SIGNATURE_HEADER, Carrier

Auth = dict[str, dict[str, str]]
URL = "/api/v1/shipping/webhooks/colissimo"
runner = CliRunner()
BODY = json.dumps(
    {
        "parcelNumber": "6A000000000",
        "events": [{"code": "LIVCFM", "date": "2026-11-04T11:00:00+01:00"}],
    }
).encode()


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def set_secret(db_url: str, *extra: str) -> str:
    r = runner.invoke(app, ["shipping", "webhook-secret", "colissimo", *extra, "--db", db_url])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    return lines[lines.index(next(x for x in lines if "shown once" in x)) + 1].strip()


def post(client: TestClient, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    r = client.post(URL, content=body, headers={"Content-Type": "application/json", **headers})
    return r.status_code, r.json()


def test_signed_calls_pass_bad_ones_get_401_naming_the_header(
    client: TestClient, seeded: Database, db_url: str, auth: Auth
) -> None:
    # no secret yet: a signature cannot be checked, the operator key still works
    status, got = post(client, BODY, {WEBHOOK_SIGNATURE_HEADER: sign("x" * 30, BODY)})
    assert status == 401 and WEBHOOK_SIGNATURE_HEADER in got["error"]["message"]
    status, got = post(client, BODY, auth["operator"])
    assert status == 200 and got["received"] == 1
    assert got["ignored"][0]["reason"] == "unknown tracking number"

    secret = set_secret(db_url)
    assert len(secret) >= 24
    with seeded.reader() as s:
        carrier = s.scalar(select(Carrier).where(Carrier.code == "colissimo"))
        assert carrier is not None and carrier.webhook_secret == secret
        assert carrier.webhook_secret_set_at is not None

    status, got = post(client, BODY, {WEBHOOK_SIGNATURE_HEADER: sign(secret, BODY)})
    assert status == 200 and got["carrier"] == "colissimo" and got["received"] == 1
    bare = sign(secret, BODY).removeprefix("sha256=").upper()
    assert post(client, BODY, {WEBHOOK_SIGNATURE_HEADER: bare})[0] == 200

    tampered = BODY.replace(b"LIVCFM", b"PCHCFM")
    for headers in (
        {WEBHOOK_SIGNATURE_HEADER: sign(secret, BODY)},  # signature of another body
        {WEBHOOK_SIGNATURE_HEADER: sign("y" * 30, tampered)},  # another secret
        {WEBHOOK_SIGNATURE_HEADER: "sha256="},
        {},
    ):
        status, got = post(client, tampered, headers)
        assert status == 401, headers
        assert got["error"]["code"] == "unauthenticated"
        assert WEBHOOK_SIGNATURE_HEADER in got["error"]["message"]

    # manual replays: an operator key is enough; a picker's is not, nor an unknown key
    assert post(client, tampered, auth["operator"])[0] == 200
    assert post(client, tampered, auth["picker"])[0] == 403
    assert post(client, tampered, {"Authorization": "Bearer nope"})[0] == 401
    # a bad key with a good signature: the carrier's signature is enough
    signed = {WEBHOOK_SIGNATURE_HEADER: sign(secret, tampered), **auth["picker"]}
    assert post(client, tampered, signed)[0] == 200
    # unknown carrier: 404 naming the carrier, whatever the signature
    r = client.post(
        "/api/v1/shipping/webhooks/ups",
        content=BODY,
        headers={WEBHOOK_SIGNATURE_HEADER: sign(secret, BODY)},
    )
    assert r.status_code == 404 and r.json()["error"]["field"] == "carrier"
    # not JSON, well signed: 422 naming the body
    status, got = post(client, b"{oops", {WEBHOOK_SIGNATURE_HEADER: sign(secret, b"{oops")})
    assert status == 422


def test_rotation_and_clearing_from_the_cli(
    client: TestClient, seeded: Database, db_url: str
) -> None:
    old = set_secret(db_url)
    new = set_secret(db_url)
    assert new != old
    assert post(client, BODY, {WEBHOOK_SIGNATURE_HEADER: sign(old, BODY)})[0] == 401
    assert post(client, BODY, {WEBHOOK_SIGNATURE_HEADER: sign(new, BODY)})[0] == 200
    chosen = "a-secret-agreed-with-the-carrier-2026"
    assert set_secret(db_url, "--secret", chosen) == chosen
    assert post(client, BODY, {WEBHOOK_SIGNATURE_HEADER: sign(chosen, BODY)})[0] == 200

    r = runner.invoke(
        app, ["shipping", "webhook-secret", "colissimo", "--secret", "short", "--db", db_url]
    )
    assert r.exit_code == 1 and "24-200" in r.output
    r = runner.invoke(app, ["shipping", "webhook-secret", "ups", "--db", db_url])
    assert r.exit_code == 1 and "ups" in r.output
    r = runner.invoke(app, ["shipping", "webhook-secret", "colissimo", "--clear", "--db", db_url])
    assert r.exit_code == 0 and "cleared" in r.output
    assert post(client, BODY, {WEBHOOK_SIGNATURE_HEADER: sign(chosen, BODY)})[0] == 401


@given(body=st.binary(max_size=200), other=st.binary(max_size=200))
def test_a_signature_verifies_its_own_body_only(body: bytes, other: bytes) -> None:
    carrier = Carrier(code="c", name="C")
    secret = carrier.set_webhook_secret(None, now=datetime(2026, 11, 2, tzinfo=UTC))
    assert carrier.webhook_signature_ok(body, sign(secret, body))
    assert carrier.webhook_signature_ok(other, sign(secret, body)) == (other == body)
    assert not carrier.webhook_signature_ok(body, None)


@pytest.mark.parametrize("bad", ["", "x" * 23, "x" * 201, "with a space" * 3])
def test_bad_secrets_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="24-200"):
        Carrier(code="c", name="C").set_webhook_secret(bad, now=datetime(2026, 11, 2, tzinfo=UTC))
