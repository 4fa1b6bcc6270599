"""Inventory use cases: warehouses, locations, receipts, adjustments, and the stock primitives
(reserve, release, ship) that orders use.

Every balance change is one conditional ``UPDATE`` plus one ledger row in the caller's
transaction. Reservations use ``... WHERE on_hand - reserved >= :qty``: on PostgreSQL a
concurrent transaction waits for the row lock and then re-checks that condition against the
committed row, so two orders can never take the same unit; on SQLite writers are serialised.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from maillon.catalog.service import get_by_sku
from maillon.catalog.tables import Product
from maillon.core import clock, outbox
from maillon.core.db import insert_rows
from maillon.core.errors import (
    Conflict,
    DuplicateError,
    ErrorCollector,
    FieldError,
    NotFound,
    StockTaken,
    ValidationError,
)
from maillon.inventory.model import MovementKind, StockCandidate, StockTake, movement_for
from maillon.inventory.sourcing import WarehouseSite
from maillon.inventory.tables import Location, StockLevel, StockMovement, Warehouse


def create_warehouse(
    *,
    session: Session,
    code: str,
    name: str,
    postcode: str = "",
    city: str = "",
    address_line: str = "",
    country: str = "FR",
    lat: float | None = None,
    lon: float | None = None,
    priority: int = 100,
) -> Warehouse:
    """Add a warehouse. Raises ValidationError for a bad code/name, DuplicateError if taken."""
    errors = ErrorCollector()
    if not code or not code.replace("-", "").replace("_", "").isalnum() or len(code) > 20:
        errors.add("code", "1-20 letters, digits, - or _")
    if not name.strip():
        errors.add("name", "is required")
    errors.raise_if_any()
    if session.scalar(select(Warehouse.id).where(Warehouse.code == code)) is not None:
        raise DuplicateError("warehouse", "code", code)
    wh = Warehouse(
        code=code,
        name=name.strip(),
        postcode=postcode,
        city=city,
        address_line=address_line,
        country=country,
        lat=lat,
        lon=lon,
        priority=priority,
    )
    session.add(wh)
    session.flush()
    return wh


def get_warehouse(*, session: Session, code: str, field: str = "warehouse") -> Warehouse:
    """Return the warehouse with ``code``. Raises NotFound naming ``field``."""
    wh = session.scalar(select(Warehouse).where(Warehouse.code == code))
    if wh is None:
        raise NotFound("warehouse", code, field=field)
    return wh


def list_warehouses(*, session: Session) -> Sequence[Warehouse]:
    """Return every warehouse, by priority then code."""
    return session.scalars(select(Warehouse).order_by(Warehouse.priority, Warehouse.code)).all()


def warehouse_sites(*, session: Session) -> list[WarehouseSite]:
    """Return every warehouse's position and priority, for sourcing."""
    return [
        WarehouseSite(w.id, w.priority, w.lat, w.lon)
        for w in session.scalars(select(Warehouse).order_by(Warehouse.id))
    ]


def ensure_location(
    *, session: Session, warehouse: Warehouse, code: str, kind: str = "pick"
) -> Location:
    """Return the location ``code`` of ``warehouse``, creating it if needed."""
    if not code or len(code) > 40:
        raise ValidationError(FieldError("location", "1-40 characters"))
    loc = session.scalar(
        select(Location).where(Location.warehouse_id == warehouse.id, Location.code == code)
    )
    if loc is None:
        loc = Location(warehouse_id=warehouse.id, code=code, kind=kind)
        session.add(loc)
        session.flush()
    return loc


def _stock_level(
    session: Session,
    product: Product,
    location: Location,
    lot: str = "",
    best_before: date | None = None,
) -> StockLevel:
    """Return the balance row of ``product``'s ``lot`` at ``location``, inserting it race-free
    if absent. Raises ValidationError if the lot is known with another best-before date."""
    values = {
        "product_id": product.id,
        "location_id": location.id,
        "warehouse_id": location.warehouse_id,
        "lot": lot,
        "best_before": best_before,
        "received_at": clock.now(),
        "on_hand": 0,
        "reserved": 0,
        "updated_at": clock.now(),
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(StockLevel)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["product_id", "location_id", "lot"])
    )
    level = session.scalar(
        select(StockLevel).where(
            StockLevel.product_id == product.id,
            StockLevel.location_id == location.id,
            StockLevel.lot == lot,
        )
    )
    assert level is not None
    if best_before is not None and level.best_before not in (None, best_before):
        raise ValidationError(
            FieldError("best_before", f"lot {lot!r} is already dated {level.best_before}")
        )
    if best_before is not None and level.best_before is None:
        level.best_before = best_before
    return level


def _record(
    session: Session,
    level_id: int,
    product_id: int,
    warehouse_id: int,
    kind: MovementKind,
    quantity: int,
    *,
    reference: str = "",
    reason: str = "",
    actor: str = "system",
) -> None:
    """Write the ledger row of one movement of a stock record (see :func:`_ledger_rows`)."""
    take = StockTake(level_id, product_id, warehouse_id, quantity)
    rows = _ledger_rows([take], kind, reference, actor, reason=reason)
    insert_rows(session, StockMovement.__table__, rows)


def receive(
    *,
    session: Session,
    warehouse_code: str,
    location_code: str,
    sku: str,
    quantity: int,
    reference: str = "",
    actor: str = "system",
    kind: MovementKind = MovementKind.RECEIPT,
    lot: str = "",
    best_before: date | None = None,
) -> StockLevel:
    """Put ``quantity`` units of ``sku`` into a location; return the updated balance.

    Raises ValidationError if quantity <= 0, NotFound for an unknown SKU or warehouse.
    """
    if not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError(FieldError("quantity", "must be a whole number > 0"))
    product = get_by_sku(session=session, sku=sku)
    warehouse = get_warehouse(session=session, code=warehouse_code)
    location = ensure_location(session=session, warehouse=warehouse, code=location_code)
    if len(lot) > 40:
        raise ValidationError(FieldError("lot", "at most 40 characters"))
    level = _stock_level(session, product, location, lot.strip(), best_before)
    session.execute(
        update(StockLevel)
        .execution_options(synchronize_session=False)  # conditional: no ORM bookkeeping
        .where(StockLevel.id == level.id)
        .values(on_hand=StockLevel.on_hand + quantity, updated_at=clock.now())
    )
    _record(
        session,
        level.id,
        product.id,
        warehouse.id,
        kind,
        quantity,
        reference=reference,
        actor=actor,
    )
    session.refresh(level)
    if location.kind == "pick":
        outbox.publish(
            session, "stock.received", {"product_id": product.id, "warehouse_id": warehouse.id}
        )
    return level


def adjust(
    *,
    session: Session,
    warehouse_code: str,
    location_code: str,
    sku: str,
    delta: int,
    reason: str,
    actor: str = "system",
    lot: str = "",
) -> StockLevel:
    """Correct on-hand by ``delta`` (a count result). Refuses to go below what is reserved.

    Raises ValidationError (delta 0, no reason), NotFound, or Conflict if stock would go below
    the reserved quantity.
    """
    errors = ErrorCollector()
    if not isinstance(delta, int) or delta == 0:
        errors.add("delta", "must be a non-zero whole number")
    if not reason or not reason.strip():
        errors.add("reason", "is required for an adjustment")
    errors.raise_if_any()
    product = get_by_sku(session=session, sku=sku)
    warehouse = get_warehouse(session=session, code=warehouse_code)
    location = ensure_location(session=session, warehouse=warehouse, code=location_code)
    level = _stock_level(session, product, location, lot.strip())
    result = session.execute(
        update(StockLevel)
        .execution_options(synchronize_session=False)  # conditional: no ORM bookkeeping
        .where(StockLevel.id == level.id, StockLevel.on_hand - StockLevel.reserved + delta >= 0)
        .values(on_hand=StockLevel.on_hand + delta, updated_at=clock.now())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"adjustment of {delta} would take {sku} below its reserved quantity")
    _record(
        session,
        level.id,
        product.id,
        warehouse.id,
        MovementKind.ADJUSTMENT,
        delta,
        reason=reason,
        actor=actor,
    )
    session.refresh(level)
    return level


_SOURCING_CANDIDATES = (
    select(
        StockLevel.id,
        Product.sku,
        StockLevel.warehouse_id,
        Warehouse.priority,
        Location.code,
        (StockLevel.on_hand - StockLevel.reserved).label("available"),
        StockLevel.best_before,
        StockLevel.received_at,
        StockLevel.lot,
        Warehouse.lat,
        Warehouse.lon,
    )
    .join(Product, Product.id == StockLevel.product_id)
    .join(Location, Location.id == StockLevel.location_id)
    .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
    .where(
        StockLevel.product_id.in_(bindparam("ids", expanding=True)),
        StockLevel.on_hand - StockLevel.reserved > 0,
        Location.kind == "pick",
        or_(StockLevel.best_before.is_(None), StockLevel.best_before >= bindparam("today")),
    )
)
"""The query of :func:`sourcing_candidates`, built once: it runs on every order, and
building a statement costs more than sending it."""


def candidates_for(*, session: Session, product_ids: Sequence[int]) -> list[StockCandidate]:
    """Return every stock record with available units for ``product_ids``; expired lots
    (best-before in the past) are never offered."""
    return sourcing_candidates(session=session, product_ids=product_ids)[0]


def sourcing_candidates(
    *, session: Session, product_ids: Sequence[int]
) -> tuple[list[StockCandidate], list[WarehouseSite]]:
    """Return :func:`candidates_for` and the sites of the warehouses holding them, read in one
    query (what :func:`~maillon.inventory.sourcing.plan_sourcing` needs)."""
    if not product_ids:
        return [], []
    rows = session.execute(
        _SOURCING_CANDIDATES, {"ids": list(product_ids), "today": clock.now().date()}
    ).all()
    sites = {r[2]: WarehouseSite(r[2], r[3], r[9], r[10]) for r in rows}
    return [StockCandidate(*r[:9]) for r in rows], sorted(
        sites.values(), key=lambda w: w.warehouse_id
    )


_LEVELS = StockLevel.__table__.c
_RESERVE_IF_AVAILABLE = (
    update(StockLevel.__table__)  # the table's: a Core statement, no ORM bookkeeping
    .where(
        _LEVELS.id == bindparam("stock_id"),
        _LEVELS.on_hand - _LEVELS.reserved >= bindparam("quantity"),
    )
    .values(reserved=_LEVELS.reserved + bindparam("quantity"), updated_at=bindparam("now"))
)
"""The conditional update that takes units, built once (it runs for every unit an order
takes; building it cost four times what sending it does)."""


def lock_order(stock_ids: Sequence[int]) -> list[int]:
    """Return the indices of ``stock_ids`` in the order their stock rows are locked: by stock
    record id. Every function that takes or gives back stock goes through it, so two
    transactions never wait for each other's rows in a cycle (no deadlock)."""
    return sorted(range(len(stock_ids)), key=stock_ids.__getitem__)


def _ledger_rows(
    takes: Sequence[StockTake],
    kind: MovementKind,
    reference: str,
    actor: str,
    *,
    reason: str = "",
) -> list[dict[str, Any]]:
    """The ledger rows of ``kind`` movements of ``takes``: one per stock record moved."""
    now = clock.now()
    rows = []
    for take in takes:
        movement = movement_for(kind, take.quantity)
        rows.append(
            {
                "stock_level_id": take.stock_id,
                "product_id": take.product_id,
                "warehouse_id": take.warehouse_id,
                "kind": kind.value,
                "delta_on_hand": movement.delta_on_hand,
                "delta_reserved": movement.delta_reserved,
                "reference": reference,
                "reason": reason,
                "actor": actor,
                "created_at": now,
            }
        )
    return rows


def take_stock(
    *,
    session: Session,
    takes: Sequence[StockTake],
    reference: str,
    actor: str = "system",
    partial: bool = False,
) -> list[bool]:
    """Reserve units of stock records: the one place stock is taken; return, per take, whether
    it was taken.

    Each take is one conditional update (``... WHERE on_hand - reserved >= :quantity``), in
    :func:`lock_order`, and one ``reserve`` ledger row, in the caller's transaction. The
    database checks the condition in the same statement, so two orders can never take the same
    unit (on PostgreSQL a concurrent transaction waits for the row lock, then re-checks).

    All or nothing by default: the ledger rows are written first and the updates last, so the
    stock rows stay locked only from there to the commit; if a record no longer holds its
    units, raises :class:`~maillon.core.errors.StockTaken` and the caller's transaction must be
    rolled back (it may plan again on fresh stock). With ``partial``, each take stands alone:
    a record emptied meanwhile is skipped, changes nothing, and reads ``False``.
    """
    if not partial:
        insert_rows(
            session,
            StockMovement.__table__,
            _ledger_rows(takes, MovementKind.RESERVE, reference, actor),
        )
        session.flush()  # the caller's pending rows too: the stock rows are locked last
    taken = [False] * len(takes)
    now = clock.now()
    for i in lock_order([take.stock_id for take in takes]):
        take = takes[i]
        result = session.execute(
            _RESERVE_IF_AVAILABLE,
            {"stock_id": take.stock_id, "quantity": take.quantity, "now": now},
        )
        taken[i] = result.rowcount == 1  # type: ignore[attr-defined]
        if not taken[i] and not partial:
            raise StockTaken(take.stock_id)
    if partial:
        done = [take for take, ok in zip(takes, taken, strict=True) if ok]
        insert_rows(
            session,
            StockMovement.__table__,
            _ledger_rows(done, MovementKind.RESERVE, reference, actor),
        )
    return taken


def _take_reserved(
    session: Session,
    units: Sequence[tuple[int, int]],
    kind: MovementKind,
    reference: str,
    actor: str,
) -> None:
    """Apply a movement that consumes reserved units (release or ship) to each ``(stock id,
    quantity)``, in :func:`lock_order`. Raises Conflict if fewer are reserved."""
    done = []
    for i in lock_order([stock_id for stock_id, _ in units]):
        stock_id, quantity = units[i]
        movement = movement_for(kind, quantity)
        row = session.execute(
            update(StockLevel)
            .execution_options(synchronize_session=False)  # conditional: no ORM bookkeeping
            .where(StockLevel.id == stock_id, StockLevel.reserved >= quantity)
            .values(
                on_hand=StockLevel.on_hand + movement.delta_on_hand,
                reserved=StockLevel.reserved + movement.delta_reserved,
                updated_at=clock.now(),
            )
            .returning(StockLevel.product_id, StockLevel.warehouse_id)
        ).first()
        if row is None:
            raise Conflict(f"stock record {stock_id} has fewer than {quantity} reserved units")
        done.append(StockTake(stock_id, row[0], row[1], quantity))
    insert_rows(session, StockMovement.__table__, _ledger_rows(done, kind, reference, actor))


def release_stock(
    *,
    session: Session,
    units: Sequence[tuple[int, int]],
    reference: str,
    actor: str = "system",
) -> None:
    """Give reserved units back to stock: the one place they are released. ``units`` are
    ``(stock record id, quantity)`` pairs; one ``release`` ledger row each, rows locked in
    :func:`lock_order`. Raises Conflict if a record has fewer units reserved."""
    _take_reserved(session, units, MovementKind.RELEASE, reference, actor)


def ship_stock(
    *,
    session: Session,
    units: Sequence[tuple[int, int]],
    reference: str,
    actor: str = "system",
) -> None:
    """Take reserved units out of the building (shipped, or collected in store): ``units`` as
    for :func:`release_stock`, one ``ship`` ledger row each. Raises Conflict if not reserved."""
    _take_reserved(session, units, MovementKind.SHIP, reference, actor)


@dataclass(frozen=True)
class BalanceRow:
    """A balance as shown to people: where, what, and how many."""

    warehouse: str
    location: str
    sku: str
    name: str
    on_hand: int
    reserved: int
    lot: str = ""
    best_before: date | None = None

    @property
    def available(self) -> int:
        """Units that can still be promised."""
        return self.on_hand - self.reserved


def _balance_query() -> Select[Any]:
    return (
        select(
            Warehouse.code,
            Location.code,
            Product.sku,
            Product.name,
            StockLevel.on_hand,
            StockLevel.reserved,
            StockLevel.lot,
            StockLevel.best_before,
        )
        .join(Product, Product.id == StockLevel.product_id)
        .join(Location, Location.id == StockLevel.location_id)
        .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
    )


def balance_of(*, session: Session, stock_level_id: int) -> BalanceRow:
    """Return one stock record as people read it. Raises NotFound."""
    row = session.execute(_balance_query().where(StockLevel.id == stock_level_id)).first()
    if row is None:
        raise NotFound("stock record", stock_level_id)
    return BalanceRow(*row)


def list_balances(
    *,
    session: Session,
    sku: str | None = None,
    warehouse: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[BalanceRow], int]:
    """Return one page of balances (by warehouse, location, SKU) and the total count."""
    query = _balance_query()
    if sku:
        query = query.where(Product.sku == sku)
    if warehouse:
        query = query.where(Warehouse.code == warehouse)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Warehouse.code, Location.code, Product.sku, StockLevel.lot)
        .limit(limit)
        .offset(offset)
    ).all()
    return [BalanceRow(*r) for r in rows], total


def stock_by_warehouse(*, session: Session) -> list[dict[str, int | str]]:
    """Return, per warehouse, SKUs held and units on hand, reserved and available."""
    rows = session.execute(
        select(
            Warehouse.code,
            Warehouse.name,
            func.count(func.distinct(StockLevel.product_id)),
            func.coalesce(func.sum(StockLevel.on_hand), 0),
            func.coalesce(func.sum(StockLevel.reserved), 0),
        )
        .select_from(Warehouse)
        .outerjoin(StockLevel, StockLevel.warehouse_id == Warehouse.id)
        .group_by(Warehouse.id, Warehouse.code, Warehouse.name)
        .order_by(Warehouse.code)
    ).all()
    return [
        {
            "warehouse": r[0],
            "name": r[1],
            "skus": int(r[2]),
            "on_hand": int(r[3]),
            "reserved": int(r[4]),
            "available": int(r[3]) - int(r[4]),
        }
        for r in rows
    ]


def list_movements(
    *, session: Session, sku: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[Sequence[StockMovement], int]:
    """Return one page of ledger movements, newest first, and the total count."""
    query = select(StockMovement)
    if sku:
        product = get_by_sku(session=session, sku=sku)
        query = query.where(StockMovement.product_id == product.id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(StockMovement.id.desc()).limit(limit).offset(offset)
    ).all()
    return rows, total


def ledger_mismatches(*, session: Session) -> list[tuple[int, int, int, int, int]]:
    """Return balances that differ from the sum of their movements.

    Each row is (stock_level_id, on_hand, ledger_on_hand, reserved, ledger_reserved); an empty
    list means the ledger and the balances agree.
    """
    sums = (
        select(
            StockMovement.stock_level_id.label("sid"),
            func.sum(StockMovement.delta_on_hand).label("oh"),
            func.sum(StockMovement.delta_reserved).label("rs"),
        )
        .group_by(StockMovement.stock_level_id)
        .subquery()
    )
    rows = session.execute(
        select(
            StockLevel.id,
            StockLevel.on_hand,
            func.coalesce(sums.c.oh, 0),
            StockLevel.reserved,
            func.coalesce(sums.c.rs, 0),
        ).outerjoin(sums, sums.c.sid == StockLevel.id)
    ).all()
    return [(r[0], r[1], int(r[2]), r[3], int(r[4])) for r in rows if r[1] != r[2] or r[3] != r[4]]
