"""Suppliers and what they sell: creating and listing suppliers, their items, and the
terms (lead time, MOQ, pack size, price, order cost) of each product's supplier."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from maillon.catalog.tables import Product
from maillon.core.errors import (
    DuplicateError,
    ErrorCollector,
    NotFound,
)
from maillon.planning.policy import (
    SupplierTerms,
)
from maillon.planning.tables import (
    Supplier,
    SupplierItem,
)


def create_supplier(
    *,
    session: Session,
    code: str,
    name: str,
    lead_time_days: int,
    lead_time_sd_days: int = 0,
    order_cost_cents: int = 0,
    email: str = "",
) -> Supplier:
    """Create a supplier. Raises ValidationError naming bad fields, DuplicateError."""
    errors = ErrorCollector()
    code = code.strip()
    if not 1 <= len(code) <= 30:
        errors.add("code", "1-30 characters")
    if not name.strip():
        errors.add("name", "required")
    if not 0 <= lead_time_days <= 365:
        errors.add("lead_time_days", "0-365 days")
    if not 0 <= lead_time_sd_days <= 365:
        errors.add("lead_time_sd_days", "0-365 days")
    if order_cost_cents < 0:
        errors.add("order_cost_cents", "must be >= 0")
    errors.raise_if_any()
    if session.scalar(select(Supplier.id).where(Supplier.code == code)) is not None:
        raise DuplicateError("supplier", "code", code)
    supplier = Supplier(
        code=code,
        name=name.strip()[:120],
        email=email.strip()[:320],
        lead_time_days=lead_time_days,
        lead_time_sd_days=lead_time_sd_days,
        order_cost_cents=order_cost_cents,
        active=True,
    )
    session.add(supplier)
    session.flush()
    return supplier


def get_supplier(*, session: Session, code: str, field: str = "supplier") -> Supplier:
    """Return the supplier ``code``. Raises NotFound naming ``field``."""
    supplier = session.scalar(select(Supplier).where(Supplier.code == code))
    if supplier is None:
        raise NotFound("supplier", code, field=field)
    return supplier


def list_suppliers(*, session: Session) -> list[Supplier]:
    """Return every supplier by code."""
    return list(session.scalars(select(Supplier).order_by(Supplier.code)))


def _product(session: Session, sku: str, field: str = "sku") -> Product:
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFound("product", sku, field=field)
    return product


def set_supplier_item(
    *,
    session: Session,
    supplier_code: str,
    sku: str,
    unit_price_cents: int,
    moq: int = 0,
    pack_size: int = 1,
    lead_time_days: int | None = None,
    preferred: bool = False,
) -> SupplierItem:
    """Record (or update) what a supplier sells of a product. Raises NotFound, ValidationError."""
    errors = ErrorCollector()
    if unit_price_cents < 0:
        errors.add("unit_price_cents", "must be >= 0")
    if moq < 0:
        errors.add("moq", "must be >= 0")
    if pack_size < 1:
        errors.add("pack_size", "must be >= 1")
    if lead_time_days is not None and not 0 <= lead_time_days <= 365:
        errors.add("lead_time_days", "0-365 days")
    errors.raise_if_any()
    supplier = get_supplier(session=session, code=supplier_code)
    product = _product(session, sku)
    item = session.scalar(
        select(SupplierItem).where(
            SupplierItem.supplier_id == supplier.id, SupplierItem.product_id == product.id
        )
    )
    if item is None:
        item = SupplierItem(supplier_id=supplier.id, product_id=product.id)
        session.add(item)
    item.unit_price_cents = unit_price_cents
    item.moq = moq
    item.pack_size = pack_size
    item.lead_time_days = lead_time_days
    item.preferred = preferred
    session.flush()
    return item


_IN_LIST_MAX = 500


def _among(column: Any, values: Collection[Any]) -> list[Any]:
    """``column IN values`` as a WHERE condition, or no condition when the list is long: the
    caller filters the rows (reading a catalogue's rows costs less than rendering and
    matching thousands of bound parameters)."""
    return [column.in_(values)] if len(values) <= _IN_LIST_MAX else []


def _terms(session: Session, product_ids: list[int]) -> dict[int, SupplierTerms]:
    """The terms of each product's supplier: the preferred one, else the cheapest (read as
    plain rows: this runs over the whole catalogue)."""
    rows = session.execute(
        select(
            SupplierItem.product_id,
            SupplierItem.preferred,
            SupplierItem.unit_price_cents,
            SupplierItem.moq,
            SupplierItem.pack_size,
            SupplierItem.lead_time_days,
            Supplier.code,
            Supplier.lead_time_days,
            Supplier.lead_time_sd_days,
            Supplier.order_cost_cents,
        )
        .join(Supplier, Supplier.id == SupplierItem.supplier_id)
        .where(Supplier.active.is_(True), *_among(SupplierItem.product_id, product_ids))
    ).all()
    wanted = set(product_ids)
    best: dict[int, tuple[tuple[bool, int, str], SupplierTerms]] = {}
    for pid, preferred, price, moq, pack, item_lead, code, lead, lead_sd, order_cost in rows:
        if pid not in wanted:
            continue
        rank = (not preferred, price, code)
        if pid in best and best[pid][0] <= rank:
            continue
        best[pid] = (
            rank,
            SupplierTerms(
                supplier=code,
                lead_time_mean=float(lead if item_lead is None else item_lead),
                lead_time_sd=float(lead_sd),
                moq=float(moq),
                pack_size=float(pack),
                unit_price=price / 100,
                order_cost=order_cost / 100,
            ),
        )
    return {pid: terms for pid, (_rank, terms) in best.items()}
