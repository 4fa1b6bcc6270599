"""Ship an order the way its customer chose: the delivery method decides which services may
carry it (:mod:`maillon.shipping.methods`), a relay point decides the carrier and where the
label is addressed.

:func:`shipping_plan` turns the order's choice and what the operator asked into the carrier,
service and rate-shopping policy :func:`maillon.shipping.service.ship_order` uses, or refuses
with a Conflict naming why (click & collect goes through no carrier; a relay point is served
by its own network only; a service of another kind than the method chosen).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from maillon.core.errors import Conflict
from maillon.orders.choice import DeliveryChoice, DeliveryMethod
from maillon.orders.service import choices
from maillon.orders.tables import Order
from maillon.shipping import rates
from maillon.shipping.methods import service_kinds
from maillon.shipping.service import quoting

__all__ = ["ShippingPlan", "relay_context", "shipping_plan"]


@dataclass(frozen=True)
class ShippingPlan:
    """What ships an order: the customer's choice, the carrier and service asked (None: rate
    shopping decides) and the policy restricted to the chosen method's service kinds."""

    choice: DeliveryChoice
    carrier_code: str | None
    service_code: str | None
    policy: rates.ShoppingPolicy


def _kinds_text(kinds: frozenset[rates.ServiceKind]) -> str:
    return " or ".join(sorted(k.value for k in kinds))


def shipping_plan(
    *,
    session: Session,
    order: Order,
    carrier_code: str | None,
    service_code: str | None,
    policy: rates.ShoppingPolicy,
) -> ShippingPlan:
    """Return how ``order`` ships given what the operator asked (``carrier_code``,
    ``service_code``, ``policy``) and what its customer chose.

    The customer's carrier and service are kept unless the operator names others; a relay
    point's carrier is never replaced. Raises Conflict for a click & collect order, a relay
    point of another carrier than ``carrier_code``, or a service whose kind is not the
    chosen method's.
    """
    choice = choices.choice_of(session=session, order_id=order.id)
    method = choice.method
    if method is DeliveryMethod.CLICK_COLLECT:
        raise Conflict(
            f"order {order.number} is collected in store {choice.store}: it goes through no "
            "carrier (close its click & collect reservation when the customer collects it)"
        )
    relay = choice.relay_point
    if relay is not None and carrier_code is not None and carrier_code != relay.carrier:
        raise Conflict(
            f"order {order.number} goes to {relay.carrier} relay point {relay.point_id}: it "
            f"ships with {relay.carrier}, not {carrier_code}"
        )
    if carrier_code is None:
        carrier_code = choice.carrier
        if service_code is None and carrier_code is not None:
            service_code = choice.service
    kinds = service_kinds(method)
    if policy.kinds is not None:
        kinds = kinds & policy.kinds
    if not kinds:
        raise Conflict(
            f"order {order.number} chose {method.value} delivery: the policy offers none of "
            f"its services ({_kinds_text(service_kinds(method))})"
        )
    if service_code is not None and carrier_code is not None:
        card = quoting.card_for(carrier_code)
        svc = next((s for s in card.services if s.code == service_code), None) if card else None
        if svc is not None and svc.kind not in kinds:
            raise Conflict(
                f"{carrier_code} {service_code} is a {svc.kind.value} service; order "
                f"{order.number} chose {method.value} delivery ({_kinds_text(kinds)} services)"
            )
    return ShippingPlan(choice, carrier_code, service_code, replace(policy, kinds=kinds))


def relay_context(choice: DeliveryChoice) -> dict[str, str] | None:
    """Return what the customer is told of their relay point (e-mails, tracking page)."""
    relay = choice.relay_point
    if relay is None:
        return None
    return {
        "carrier": relay.carrier,
        "id": relay.point_id,
        "name": relay.name,
        "address": relay.address,
        "postcode": relay.postcode,
        "city": relay.city,
        "country": relay.country,
        "opening_hours": relay.opening_hours,
    }
