"""Carrier accounts: set by an admin, credentials encrypted at rest and never returned, and
shipping through the account's connector (Colissimo against a local server answering its
documented bodies): a label from the carrier, a refused field named, a time-out a 503 with
the order untouched, the rate card again once disabled."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.core.db import Database
from maillon.core.secrets import KEY_ENV, WrongKey, new_key
from maillon.orders import service as orders
from maillon.orders.model import OrderStatus
from maillon.shipping import service as shipping
from maillon.shipping.carriers import LocalCarrierGateway
from maillon.shipping.connectors.colissimo import SLS_PATH, ColissimoGateway
from maillon.shipping.service import accounts
from maillon.shipping.tables import CarrierAccountRow, ShippingLabel
from tests.helpers import packed_order
from tests.helpers.carriers import CarrierServer, running_carrier
from tests.helpers.database import row_counts

Auth = dict[str, dict[str, str]]
MULTIPART = 'multipart/mixed; boundary="uuid:6b62b2c5-0d1c-4c2b-9e2e-7d2c0a4f5e11"'
FAST = {"backoff": "0", "timeout": "0.3", "retries": "1"}


@pytest.fixture
def server() -> Iterator[CarrierServer]:
    with running_carrier() as s:
        yield s


def set_colissimo(client: TestClient, auth: Auth, server: CarrierServer, **kw: object) -> dict:
    body: dict[str, object] = {
        "connector": "colissimo",
        "mode": "sandbox",
        "credentials": {"contract_number": "811200", "password": "s3cret!", "api_key": "okapi"},
        "base_url": server.url,
        "options": FAST,
    }
    body.update(kw)
    r = client.put("/api/v1/carrier-accounts/colissimo", json=body, headers=auth["admin"])
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_an_admin_sets_an_account_whose_secrets_stay_hidden(
    client: TestClient, seeded: Database, auth: Auth, server: CarrierServer
) -> None:
    got = set_colissimo(client, auth, server)
    assert got["mode"] == "sandbox" and got["connector"] == "colissimo"
    assert got["credentials_set"] == ["api_key", "contract_number", "password"]
    assert "s3cret!" not in str(got) and "password" not in got["missing_credentials"]
    assert {"create", "track", "relay_search", "return_label", "zpl"} == set(got["capabilities"])
    with seeded.reader() as s:
        row = s.scalar(select(CarrierAccountRow))
    assert row is not None and "s3cret" not in row.credentials_encrypted
    listed = client.get("/api/v1/carrier-accounts", headers=auth["admin"]).json()
    assert "s3cret!" not in str(listed)
    assert {a["carrier"]: a["mode"] for a in listed} == {"colissimo": "sandbox"}

    # a change without credentials keeps the stored ones
    again = set_colissimo(client, auth, server, credentials={}, label_format="zpl")
    assert again["credentials_set"] == ["api_key", "contract_number", "password"]
    assert again["label_format"] == "zpl"


def test_only_an_admin_may_see_or_set_accounts(
    client: TestClient, seeded: Database, auth: Auth
) -> None:
    assert client.get("/api/v1/carrier-accounts", headers=auth["operator"]).status_code == 403
    r = client.put(
        "/api/v1/carrier-accounts/colissimo",
        json={"connector": "colissimo", "mode": "rate_card"},
        headers=auth["operator"],
    )
    assert r.status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (
            {"connector": "colissimo", "mode": "live", "credentials": {"contract_number": "1"}},
            422,
            "credentials.password",
        ),
        ({"connector": "nowhere", "mode": "sandbox"}, 422, "connector"),
        ({"connector": "colissimo", "mode": "rate_card", "base_url": "ftp://x"}, 422, "base_url"),
        ({"connector": "colissimo", "mode": "prod"}, 422, "mode"),
    ],
)
def test_a_bad_account_is_refused_naming_the_field(
    client: TestClient, seeded: Database, auth: Auth, body: dict, status: int, field: str
) -> None:
    before = row_counts(seeded)
    r = client.put("/api/v1/carrier-accounts/colissimo", json=body, headers=auth["admin"])
    assert r.status_code == status, r.text
    assert r.json()["error"]["field"] == field
    assert row_counts(seeded) == before


def test_an_unknown_carrier_is_404(client: TestClient, seeded: Database, auth: Auth) -> None:
    r = client.put(
        "/api/v1/carrier-accounts/nope",
        json={"connector": "colissimo", "mode": "rate_card"},
        headers=auth["admin"],
    )
    assert r.status_code == 404 and r.json()["error"]["field"] == "carrier"


def test_shipping_goes_through_the_account_connector(
    client: TestClient, seeded: Database, auth: Auth, server: CarrierServer
) -> None:
    set_colissimo(client, auth, server)
    server.answer("POST", SLS_PATH, fixture="colissimo/label_pdf.multipart", content_type=MULTIPART)
    number = packed_order(seeded)
    r = client.post(
        f"/api/v1/orders/{number}/ship", json={"carrier": "colissimo"}, headers=auth["operator"]
    )
    assert r.status_code == 200, r.text
    assert r.json()["parcels"][0]["tracking_number"] == "6A23456789012"  # Colissimo's number
    [sent] = server.requests_to("POST", SLS_PATH)
    assert sent.json()["letter"]["addressee"]["address"]["city"] == "Lyon"
    with seeded.reader() as s:
        label = s.scalar(select(ShippingLabel))
        carrier = shipping.get_carrier(session=s, code="colissimo")
        assert isinstance(shipping.gateway_for(carrier), ColissimoGateway)
    assert label is not None and label.content.startswith(b"%PDF-1.4")


def test_a_carrier_time_out_is_503_and_the_order_untouched(
    client: TestClient, seeded: Database, auth: Auth, server: CarrierServer
) -> None:
    set_colissimo(client, auth, server)
    server.answer(
        "POST", SLS_PATH, fixture="colissimo/label_pdf.multipart", content_type=MULTIPART, delay=1.5
    )
    number = packed_order(seeded)
    before = row_counts(seeded)
    r = client.post(
        f"/api/v1/orders/{number}/ship", json={"carrier": "colissimo"}, headers=auth["operator"]
    )
    assert r.status_code == 503, r.text
    assert "colissimo is unavailable: time-out" in r.json()["error"]["message"]
    assert row_counts(seeded) == before
    with seeded.reader() as s:
        assert orders.get_order(session=s, number=number).status == OrderStatus.PACKED


def test_a_carrier_refusing_the_postcode_is_422_naming_it(
    client: TestClient, seeded: Database, auth: Auth, server: CarrierServer
) -> None:
    set_colissimo(client, auth, server)
    server.answer(
        "POST",
        SLS_PATH,
        fixture="colissimo/error_invalid_address.multipart",
        content_type=MULTIPART,
        status=400,
    )
    number = packed_order(seeded)
    before = row_counts(seeded)
    r = client.post(
        f"/api/v1/orders/{number}/ship", json={"carrier": "colissimo"}, headers=auth["operator"]
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["field"] == "recipient.postcode"
    assert row_counts(seeded) == before


def test_disabled_or_rate_card_the_carrier_ships_on_its_own_labels(
    client: TestClient, seeded: Database, auth: Auth, server: CarrierServer
) -> None:
    set_colissimo(client, auth, server)
    r = client.post("/api/v1/carrier-accounts/colissimo/disable", headers=auth["admin"])
    assert r.status_code == 200 and r.json()["mode"] == "rate_card" and r.json()["disabled"]
    assert set(r.json()["capabilities"]) == {
        "create",
        "cancel",
        "return_label",
        "zpl",
    }  # our own GS1 labels
    with seeded.reader() as s:
        carrier = shipping.get_carrier(session=s, code="colissimo")
        assert isinstance(shipping.gateway_for(carrier), LocalCarrierGateway)
    number = packed_order(seeded)
    r = client.post(
        f"/api/v1/orders/{number}/ship", json={"carrier": "colissimo"}, headers=auth["operator"]
    )
    assert r.status_code == 200, r.text
    assert server.received == []  # the carrier's API was not called
    again = set_colissimo(client, auth, server, credentials={})  # enabled again, secrets kept
    assert again["mode"] == "sandbox" and not again["disabled"]


def test_credentials_stored_with_another_key_are_a_clear_error(
    client: TestClient,
    seeded: Database,
    auth: Auth,
    server: CarrierServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_colissimo(client, auth, server)
    monkeypatch.setenv(KEY_ENV, new_key())
    with seeded.reader() as s, pytest.raises(WrongKey, match="cannot be decrypted"):
        accounts.active_account(
            session=s, carrier=shipping.get_carrier(session=s, code="colissimo")
        )


def test_a_carrier_rate_limit_is_503_with_its_retry_after(
    client: TestClient, seeded: Database, auth: Auth, server: CarrierServer
) -> None:
    set_colissimo(client, auth, server)
    server.answer(
        "POST", SLS_PATH, {"error": "slow down"}, status=429, headers={"Retry-After": "42"}
    )
    number = packed_order(seeded)
    r = client.post(
        f"/api/v1/orders/{number}/ship", json={"carrier": "colissimo"}, headers=auth["operator"]
    )
    assert r.status_code == 503, r.text
    assert r.headers["retry-after"] == "42" and r.json()["error"]["retry_after"] == 42.0
    assert len(server.requests_to("POST", SLS_PATH)) == 1
