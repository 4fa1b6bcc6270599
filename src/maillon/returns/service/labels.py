"""Return labels: through the shipping package when it offers a return label, else pending.

The shipping package is built in parallel; when it gains ``create_return_label(*, session,
order, warehouse_code, actor) -> (carrier_code, tracking_number)`` this module uses it, and
until then a return's label is recorded as *pending* (an operator records a label bought
elsewhere with :func:`maillon.returns.service.record_label`). Switch here, nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from maillon.orders.tables import Order

LabelFunction = Callable[..., tuple[str, str]]


@dataclass(frozen=True)
class LabelOutcome:
    """A label issued (carrier and tracking number), or ``None`` fields when pending."""

    carrier: str | None
    tracking_number: str | None

    @property
    def issued(self) -> bool:
        """Return whether a label was issued."""
        return bool(self.carrier and self.tracking_number)


def label_function() -> LabelFunction | None:
    """Return the shipping package's return-label function, or None while it has none."""
    from maillon.shipping import service as shipping

    fn: Any = getattr(shipping, "create_return_label", None)
    return fn if callable(fn) else None


def issue(*, session: Session, order: Order, warehouse_code: str, actor: str) -> LabelOutcome:
    """Issue a return label for ``order`` back to ``warehouse_code`` if the shipping package
    can; otherwise return a pending outcome (nothing issued)."""
    fn = label_function()
    if fn is None:
        return LabelOutcome(None, None)
    carrier, tracking = fn(session=session, order=order, warehouse_code=warehouse_code, actor=actor)
    return LabelOutcome(str(carrier), str(tracking))
