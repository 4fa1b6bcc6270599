"""The delivery choice's shape (pure): what each method needs or refuses, and how a shop's
shipping line and attributes map to it."""

from __future__ import annotations

import pytest

from maillon.core.errors import ErrorCollector, ValidationError
from maillon.orders.choice import (
    DeliveryChoice,
    DeliveryMethod,
    RelayPointChoice,
    SlotChoice,
    check_choice,
)
from maillon.orders.intake import delivery_choice
from maillon.shipping.methods import method_of_kind, service_kinds
from maillon.shipping.rates import ServiceKind


def _fields(choice: DeliveryChoice) -> list[str]:
    errors = ErrorCollector()
    check_choice(choice, errors)
    return [e.field for e in errors.errors]


def test_each_method_needs_its_own_fields_only() -> None:
    relay = RelayPointChoice(" Mondial_Relay ", " RP0129 ")
    got = ErrorCollector()
    clean = check_choice(DeliveryChoice(DeliveryMethod.RELAY_POINT, relay_point=relay), got)
    assert not got.errors
    assert clean.carrier == "mondial_relay" and clean.relay_point == RelayPointChoice(
        "mondial_relay", "RP0129"
    )
    assert _fields(DeliveryChoice(DeliveryMethod.RELAY_POINT)) == ["delivery.relay_point"]
    assert _fields(
        DeliveryChoice(DeliveryMethod.RELAY_POINT, carrier="dpd", relay_point=relay)
    ) == ["delivery.relay_point.carrier"]
    assert _fields(DeliveryChoice(DeliveryMethod.HOME, relay_point=relay)) == [
        "delivery.relay_point"
    ]
    assert _fields(DeliveryChoice(DeliveryMethod.CLICK_COLLECT)) == ["delivery.store"]
    assert _fields(DeliveryChoice(DeliveryMethod.CLICK_COLLECT, store="LYS1", carrier="dpd")) == [
        "delivery.carrier"
    ]
    assert _fields(DeliveryChoice(DeliveryMethod.EXPRESS, slot=SlotChoice(3))) == ["delivery.slot"]
    assert _fields(DeliveryChoice(DeliveryMethod.HOME, service="domicile")) == ["delivery.carrier"]
    assert _fields(DeliveryChoice(DeliveryMethod.APPOINTMENT, slot=SlotChoice(3))) == []


def test_every_method_but_collect_ships_with_one_kind_of_service() -> None:
    for method in DeliveryMethod:
        kinds = service_kinds(method)
        if method is DeliveryMethod.CLICK_COLLECT:
            assert kinds == frozenset()
        else:
            (kind,) = kinds
            assert method_of_kind(kind) is method
    assert service_kinds(DeliveryMethod.HOME) == {ServiceKind.STANDARD}


def test_a_shops_shipping_line_and_attributes_map_to_a_choice() -> None:
    choice = delivery_choice(
        "relay_point:mondial_relay:point_relais", {"relay_point_id": "RP0129"}, "4.20", "code"
    )
    assert (choice.method, choice.carrier, choice.service, choice.price_cents) == (
        DeliveryMethod.RELAY_POINT,
        "mondial_relay",
        "point_relais",
        420,
    )
    assert choice.relay_point == RelayPointChoice("mondial_relay", "RP0129")
    assert delivery_choice("", {"store": "LYS1"}, None, "code").method is (
        DeliveryMethod.CLICK_COLLECT
    )
    assert delivery_choice("", {}, "0.00", "code").method is DeliveryMethod.HOME
    # a shop's own rate name is no method of ours: home
    assert delivery_choice("Standard", {}, None, "code").method is DeliveryMethod.HOME
    with pytest.raises(ValidationError) as bad:
        delivery_choice("", {"delivery_method": "teleport"}, None, "shipping_lines.0.code")
    assert bad.value.field == "delivery_method"
    with pytest.raises(ValidationError) as bad:
        delivery_choice("", {"promised_on": "soon"}, None, "code")
    assert bad.value.field == "promised_on"
