"""Carrying out the disposition of inspected units: restocked into a sellable location,
refurbished or returned to the vendor into non-sellable ones, scrapped (units come back only
through ``return`` ledger movements); and the former one-step receipt."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.core import clock
from maillon.core.errors import Conflict, ErrorCollector, FieldError, ValidationError
from maillon.inventory import service as inventory
from maillon.inventory.model import MovementKind
from maillon.inventory.tables import Location, StockLevel, Warehouse
from maillon.orders.tables import Allocation, OrderLine
from maillon.returns import policy
from maillon.returns.config import ReturnSettings
from maillon.returns.model import ReturnStatus
from maillon.returns.service import record
from maillon.returns.service.decisions import approve
from maillon.returns.service.inspection import Grading, inspect, receive
from maillon.returns.service.rmas import locked
from maillon.returns.service.settings import load_settings
from maillon.returns.tables import ReturnLine, ReturnRequest, ReturnUnit

SELLABLE = "pick"


@dataclass(frozen=True)
class DispositionChoice:
    """What to do with one group of inspected units (the proposal when ``disposition`` is
    None), and where restocked units go (their pick location by default)."""

    unit_id: int
    disposition: str | None = None
    location: str | None = None


def _pick_location(session: Session, request: ReturnRequest, line: ReturnLine) -> str | None:
    """Where a restocked unit goes: the location it was picked from in the return's warehouse,
    else a sellable location of that warehouse already holding the SKU."""
    code = session.scalar(
        select(Location.code)
        .select_from(Allocation)
        .join(StockLevel, StockLevel.id == Allocation.stock_level_id)
        .join(Location, Location.id == StockLevel.location_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(
            Allocation.order_line_id == line.order_line_id,
            Warehouse.code == request.warehouse_code,
            Location.kind == SELLABLE,
        )
        .order_by(Allocation.id)
        .limit(1)
    )
    if code is not None:
        return code
    return session.scalar(
        select(Location.code)
        .select_from(StockLevel)
        .join(Location, Location.id == StockLevel.location_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .join(OrderLine, OrderLine.product_id == StockLevel.product_id)
        .where(
            OrderLine.id == line.order_line_id,
            Warehouse.code == request.warehouse_code,
            Location.kind == SELLABLE,
        )
        .order_by(StockLevel.on_hand.desc(), Location.code)
        .limit(1)
    )


def _holding_location(
    session: Session, warehouse_code: str, code: str, kind: str, field: str
) -> None:
    """Make sure the non-sellable location ``code`` exists with ``kind``."""
    wh = inventory.get_warehouse(session=session, code=warehouse_code)
    loc = inventory.ensure_location(session=session, warehouse=wh, code=code, kind=kind)
    if loc.kind == SELLABLE:
        raise Conflict(f"location {code} of {warehouse_code} is sellable; set {field} to another")


def _plan(
    session: Session,
    request: ReturnRequest,
    units: dict[int, ReturnUnit],
    picked: list[DispositionChoice],
) -> list[tuple[ReturnUnit, policy.Disposition, str | None]]:
    """Check ``picked``: each a pending unit, once, with a known disposition and, for restocked
    units only, a sellable location. Raises ValidationError naming every bad choice."""
    errors = ErrorCollector()
    plan: list[tuple[ReturnUnit, policy.Disposition, str | None]] = []
    seen: set[int] = set()
    for i, choice in enumerate(picked):
        unit = units.get(choice.unit_id)
        if unit is None or unit.disposition or choice.unit_id in seen:
            errors.add(f"choices.{i}.unit_id", "not a pending unit of this return")
            continue
        seen.add(choice.unit_id)
        try:
            kind = policy.Disposition(choice.disposition or unit.proposed)
        except ValueError:
            errors.add(
                f"choices.{i}.disposition",
                "one of " + ", ".join(d.value for d in policy.Disposition),
            )
            continue
        if choice.location and kind is not policy.Disposition.RESTOCK:
            errors.add(f"choices.{i}.location", "only restocked units take a location")
        if choice.location:
            loc_kind = session.scalar(
                select(Location.kind)
                .join(Warehouse, Warehouse.id == Location.warehouse_id)
                .where(Warehouse.code == request.warehouse_code, Location.code == choice.location)
            )
            if loc_kind is not None and loc_kind != SELLABLE:
                errors.add(f"choices.{i}.location", f"{choice.location} is not a sellable location")
        plan.append((unit, kind, choice.location))
    if not picked:
        errors.add("choices", "no unit left to dispose of")
    errors.raise_if_any()
    return plan


def _destination(
    session: Session,
    request: ReturnRequest,
    settings: ReturnSettings,
    line: ReturnLine,
    kind: policy.Disposition,
    location: str | None,
    i: int,
) -> str:
    """Where units of ``line`` disposed of as ``kind`` go ("" when scrapped): the chosen or
    picked-from sellable location when restocked, the settings' holding location otherwise.
    Raises ValidationError (``choices.<i>.location``) when no pick location is known."""
    where = ""
    if kind is policy.Disposition.RESTOCK:
        where = location or _pick_location(session, request, line) or ""
        if not where:
            raise ValidationError(
                FieldError(
                    f"choices.{i}.location",
                    f"no pick location of {line.sku} known in {request.warehouse_code}",
                )
            )
    elif kind is policy.Disposition.REFURBISH:
        where = settings.refurbish_location
        _holding_location(session, request.warehouse_code, where, "refurb", "refurbish_location")
    elif kind is policy.Disposition.RETURN_TO_VENDOR:
        where = settings.vendor_location
        _holding_location(session, request.warehouse_code, where, "vendor", "vendor_location")
    return where


def dispose(
    *,
    session: Session,
    return_id: int,
    actor: str,
    choices: Sequence[DispositionChoice] | None = None,
) -> ReturnRequest:
    """Carry out the disposition of inspected units: ``choices`` by unit id (every pending unit
    with its proposal when None).

    Restock: a ``return`` ledger movement into a sellable location (available again at once).
    Refurbish / return to vendor: a ``return`` movement into the settings' non-sellable
    location. Scrap: no stock; recorded only.

    Raises NotFound, Conflict unless inspected or settled, ValidationError naming a bad choice
    (``choices.<i>.unit_id`` unknown or already done, ``choices.<i>.disposition``,
    ``choices.<i>.location`` not sellable or unknown).
    """
    request = locked(session, return_id)
    if request.status not in (ReturnStatus.INSPECTED.value, ReturnStatus.SETTLED.value):
        raise Conflict(f"return {request.number} is {request.status}; inspect it first")
    settings = load_settings(session=session)
    units = {u.id: u for u in request.units}
    pending = [u for u in request.units if not u.disposition]
    picked = [DispositionChoice(u.id) for u in pending] if choices is None else list(choices)
    plan = _plan(session, request, units, picked)
    lines = {x.id: x for x in request.lines}
    done: list[dict[str, Any]] = []
    now = clock.now()
    for i, (unit, kind, location) in enumerate(plan):
        line = lines[unit.return_line_id]
        where = _destination(session, request, settings, line, kind, location, i)
        if where:
            inventory.receive(
                session=session,
                warehouse_code=request.warehouse_code,
                location_code=where,
                sku=unit.sku,
                quantity=unit.quantity,
                reference=request.number,
                actor=actor,
                kind=MovementKind.RETURN,
            )
        unit.disposition = kind.value
        unit.warehouse_code = request.warehouse_code if where else ""
        unit.location_code = where
        unit.disposed_by = actor[:120]
        unit.disposed_at = now
        done.append(
            {
                "unit_id": unit.id,
                "sku": unit.sku,
                "quantity": unit.quantity,
                "grade": unit.grade,
                "disposition": kind.value,
                "warehouse": unit.warehouse_code,
                "location": where,
            }
        )
    for line in request.lines:
        kinds = {
            u.disposition for u in request.units if u.return_line_id == line.id and u.disposition
        }
        line.disposition = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "")
    record.append_event(
        session,
        event_type="return.disposed",
        actor=actor,
        return_id=request.id,
        data={"rma": request.number, "units": done},
    )
    return request


def receive_return(*, session: Session, return_id: int, restock: bool, actor: str) -> ReturnRequest:
    """Receive a whole return in one step: approve it if needed, take every unit in, and
    restock it where it was picked (grade A) or scrap it (grade D).

    Raises NotFound, Conflict if already received.
    """
    request = locked(session, return_id)
    if request.status == ReturnStatus.REQUESTED.value:
        approve(session=session, return_id=return_id, actor=actor)
    elif request.status not in (ReturnStatus.APPROVED.value, ReturnStatus.LABEL_ISSUED.value):
        raise Conflict(f"return {return_id} is already {request.status}")
    receive(session=session, return_id=return_id, actor=actor)
    grade = "A" if restock else "D"
    inspect(
        session=session,
        return_id=return_id,
        grades=[Grading(x.id, grade, x.received_quantity) for x in request.lines],
        actor=actor,
    )
    kind = policy.Disposition.RESTOCK if restock else policy.Disposition.SCRAP
    return dispose(
        session=session,
        return_id=return_id,
        actor=actor,
        choices=[DispositionChoice(u.id, kind.value) for u in request.units],
    )
