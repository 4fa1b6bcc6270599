"""Which carrier services may carry each delivery method the customer can choose (pure).

The customer chooses a :class:`~maillon.orders.choice.DeliveryMethod` at checkout; a carrier
service has a :class:`~maillon.shipping.rates.ServiceKind`. An order ships only with a
service of its method's kind: a home delivery is never turned into a relay-point or locker
delivery because it is cheaper, and a relay-point delivery never goes to the home address.
Click & collect goes through no carrier at all.
"""

from __future__ import annotations

from maillon.orders.choice import DeliveryMethod
from maillon.shipping.rates.cards import ServiceKind

__all__ = ["KINDS", "method_of_kind", "service_kinds"]

KINDS: dict[DeliveryMethod, frozenset[ServiceKind]] = {
    DeliveryMethod.HOME: frozenset({ServiceKind.STANDARD}),
    DeliveryMethod.EXPRESS: frozenset({ServiceKind.EXPRESS}),
    DeliveryMethod.RELAY_POINT: frozenset({ServiceKind.RELAY_POINT}),
    DeliveryMethod.SAME_DAY: frozenset({ServiceKind.SAME_DAY}),
    DeliveryMethod.APPOINTMENT: frozenset({ServiceKind.APPOINTMENT}),
    DeliveryMethod.CLICK_COLLECT: frozenset(),
}
"""The service kinds each method may ship with (none: it goes through no carrier)."""

_METHOD_OF_KIND = {
    kind: method for method, kinds in KINDS.items() for kind in kinds if len(kinds) == 1
}


def service_kinds(method: DeliveryMethod) -> frozenset[ServiceKind]:
    """Return the service kinds that may carry ``method`` (empty for click & collect)."""
    return KINDS[DeliveryMethod(method)]


def method_of_kind(kind: ServiceKind) -> DeliveryMethod:
    """Return the delivery method a service of ``kind`` delivers (standard: home)."""
    return _METHOD_OF_KIND[ServiceKind(kind)]
