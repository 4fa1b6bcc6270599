"""The warehouse receives an RMA's parcel and grades every unit; the policy proposes a
disposition for each group of units."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import ErrorCollector, FieldError, ValidationError
from maillon.inventory import service as inventory
from maillon.orders.service import timeline
from maillon.returns import policy
from maillon.returns.model import ReturnStatus, ensure_transition
from maillon.returns.service.eligibility import product_categories
from maillon.returns.service.rmas import locked, move, order_of
from maillon.returns.service.settings import load_settings
from maillon.returns.tables import ReturnLine, ReturnRequest, ReturnUnit


def receive(
    *,
    session: Session,
    return_id: int,
    actor: str,
    warehouse: str | None = None,
    quantities: dict[int, int] | None = None,
) -> ReturnRequest:
    """Record the arrival of an approved return's parcel at ``warehouse`` (by default the one
    the order shipped from): ``quantities`` of units per return line id (all by default; fewer
    for a short parcel, 0 for a missing item). No stock moves until disposition.

    Raises NotFound, InvalidTransition unless approved or labelled, ValidationError naming a
    bad line (``lines.<line id>``) or an empty parcel.
    """
    request = locked(session, return_id)
    ensure_transition(ReturnStatus(request.status), ReturnStatus.RECEIVED)
    errors = ErrorCollector()
    code = warehouse or request.warehouse_code
    if warehouse:
        inventory.get_warehouse(session=session, code=warehouse, field="warehouse")
    by_id = {line.id: line for line in request.lines}
    given = quantities or {}
    for line_id in given:
        if line_id not in by_id:
            errors.add(f"lines.{line_id}", f"not a line of return {request.number}")
    for line in request.lines:
        qty = given.get(line.id, line.quantity) if quantities is not None else line.quantity
        if not 0 <= qty <= line.quantity:
            errors.add(f"lines.{line.id}", f"between 0 and {line.quantity}")
    errors.raise_if_any()
    total = 0
    for line in request.lines:
        line.received_quantity = given.get(line.id, 0) if quantities is not None else line.quantity
        total += line.received_quantity
    if total == 0:
        raise ValidationError(FieldError("lines", "at least one unit must have arrived"))
    request.warehouse_code = code
    request.received_at = clock.now()
    move(
        session,
        request,
        ReturnStatus.RECEIVED,
        actor,
        {
            "warehouse": code,
            "received": [{"line_id": x.id, "quantity": x.received_quantity} for x in request.lines],
        },
    )
    timeline.notify_customer(
        session=session,
        order=order_of(session=session, request=request),
        topic="return.received",
        context={"rma": request.number},
        extra={"rma": request.number},
    )
    return request


@dataclass(frozen=True)
class Grading:
    """Units of a return line found in one condition at inspection."""

    line_id: int
    grade: str
    quantity: int
    note: str = ""


def _check_grades(
    request: ReturnRequest, by_id: dict[int, ReturnLine], grades: Sequence[Grading]
) -> None:
    """Raise ValidationError naming each bad grade and each line whose graded units do not
    add up to the units received."""
    errors = ErrorCollector()
    totals: dict[int, int] = {}
    for i, g in enumerate(grades):
        if g.line_id not in by_id:
            errors.add(f"grades.{i}.line_id", f"not a line of return {request.number}")
        if g.grade not in {x.value for x in policy.Grade}:
            errors.add(f"grades.{i}.grade", "one of A, B, C, D")
        if g.quantity < 1:
            errors.add(f"grades.{i}.quantity", "at least 1")
        totals[g.line_id] = totals.get(g.line_id, 0) + g.quantity
    for line in request.lines:
        if totals.get(line.id, 0) != line.received_quantity:
            errors.add(
                f"lines.{line.id}",
                f"{line.received_quantity} unit(s) of {line.sku} received, "
                f"{totals.get(line.id, 0)} graded",
            )
    errors.raise_if_any()


def inspect(
    *, session: Session, return_id: int, grades: Sequence[Grading], actor: str
) -> ReturnRequest:
    """Grade every received unit (A like new, B opened, C damaged, D unusable); the policy
    proposes a disposition for each group of units.

    Raises NotFound, InvalidTransition unless received, ValidationError naming a bad grade or
    a line whose graded units do not add up to the units received (``grades.<i>...`` or
    ``lines.<line id>``).
    """
    request = locked(session, return_id)
    ensure_transition(ReturnStatus(request.status), ReturnStatus.INSPECTED)
    settings = load_settings(session=session)
    by_id = {line.id: line for line in request.lines}
    _check_grades(request, by_id, grades)
    order = order_of(session=session, request=request)
    categories = product_categories(session, order)
    product_of = {x.id: x.product_id for x in order.lines}
    now = clock.now()
    for g in grades:
        line = by_id[g.line_id]
        proposed = policy.disposition_for(
            grade=g.grade,
            category=categories.get(product_of.get(line.order_line_id, 0), ""),
            policy=settings.policy,
        )
        session.add(
            ReturnUnit(
                return_id=request.id,
                return_line_id=line.id,
                sku=line.sku,
                quantity=g.quantity,
                grade=g.grade,
                proposed=proposed.value,
                disposition="",
                warehouse_code="",
                location_code="",
                note=g.note[:200],
                inspected_by=actor[:120],
                inspected_at=now,
                disposed_by="",
            )
        )
    session.flush()
    session.refresh(request, ["units"])
    request.inspected_at = now
    move(
        session,
        request,
        ReturnStatus.INSPECTED,
        actor,
        {
            "units": [
                {
                    "unit_id": u.id,
                    "line_id": u.return_line_id,
                    "grade": u.grade,
                    "quantity": u.quantity,
                    "proposed": u.proposed,
                }
                for u in request.units
            ]
        },
    )
    return request
