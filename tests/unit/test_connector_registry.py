"""The connector registry refuses what cannot work and never prints a secret."""

from __future__ import annotations

import pytest

from maillon.core.errors import ValidationError
from maillon.shipping import connectors
from maillon.shipping.carriers import (
    AccountMode,
    Capability,
    CarrierAccount,
    FakeCarrierGateway,
    ShipmentRequest,
    Unsupported,
)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connectors, "CONNECTORS", {})
    connectors.register(
        "fake",
        "Fake",
        lambda account: FakeCarrierGateway(code=account.carrier, render=False),
        required_credentials=("login", "password"),
        capabilities=frozenset({Capability.CREATE}),
    )


@pytest.mark.usefixtures("registered")
def test_an_account_missing_a_credential_is_refused_naming_it() -> None:
    account = CarrierAccount(carrier="acme", connector="fake", credentials={"login": "x"})
    with pytest.raises(ValidationError) as err:
        connectors.build(account)
    assert [e.field for e in err.value.errors] == ["credentials.password"]
    rate_card = CarrierAccount(carrier="acme", connector="fake", mode=AccountMode.RATE_CARD)
    connectors.check_account(rate_card)  # no API, no credentials needed


@pytest.mark.usefixtures("registered")
def test_an_unknown_connector_is_refused_and_a_known_one_built() -> None:
    with pytest.raises(ValidationError) as err:
        connectors.build(CarrierAccount(carrier="acme", connector="nope"))
    assert err.value.errors[0].field == "connector" and "fake" in err.value.errors[0].message
    good = CarrierAccount(
        carrier="acme", connector="fake", credentials={"login": "l", "password": "p"}
    )
    assert connectors.build(good).code == "acme"
    with pytest.raises(ValueError, match="already registered"):
        connectors.register(
            "fake",
            "Again",
            lambda a: FakeCarrierGateway(),
            required_credentials=(),
            capabilities=frozenset(),
        )


def test_secrets_stay_out_of_the_repr_and_cannot_be_changed() -> None:
    account = CarrierAccount(carrier="acme", connector="x", credentials={"password": "s3cret"})
    assert "s3cret" not in repr(account) and "1 hidden" in repr(account)
    with pytest.raises(TypeError):
        account.credentials["password"] = "other"  # type: ignore[index]


def test_what_a_gateway_cannot_do_is_a_clear_conflict() -> None:
    gateway = FakeCarrierGateway(code="acme", offers_returns=False)
    assert Capability.RELAY_SEARCH not in gateway.capabilities
    with pytest.raises(Unsupported, match="acme does not offer relay search"):
        gateway.find_relay_points(postcode="29200", city="Brest", country="FR")
    with pytest.raises(Unsupported):
        gateway.create_return(_request())


def _request() -> ShipmentRequest:
    from datetime import date

    from maillon.shipping.labels import Address

    home = Address(name="A", lines=("1 rue X",), postcode="29200", city="Brest", country="FR")
    return ShipmentRequest(
        sscc="376000000000000018",
        service="s",
        sender=home,
        recipient=home,
        weight_g=100,
        ship_date=date(2026, 1, 5),
    )
