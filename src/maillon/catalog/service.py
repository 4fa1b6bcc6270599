"""Catalogue use cases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from maillon.catalog.model import ProductSpec, validate_product
from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.errors import DuplicateError, NotFound


def create_product(*, session: Session, spec: ProductSpec) -> Product:
    """Validate and add a product. Raises ValidationError, or DuplicateError on SKU/GTIN."""
    validate_product(spec)
    if session.scalar(select(Product.id).where(Product.sku == spec.sku)) is not None:
        raise DuplicateError("product", "sku", spec.sku)
    if spec.gtin and session.scalar(select(Product.id).where(Product.gtin == spec.gtin)):
        raise DuplicateError("product", "gtin", spec.gtin)
    product = Product(
        sku=spec.sku,
        name=spec.name.strip(),
        gtin=spec.gtin,
        category=spec.category,
        length_mm=spec.length_mm,
        width_mm=spec.width_mm,
        height_mm=spec.height_mm,
        weight_g=spec.weight_g,
        price_cents=spec.price_cents,
        active=True,
        created_at=clock.now(),
    )
    session.add(product)
    session.flush()
    return product


def get_by_sku(*, session: Session, sku: str, field: str = "sku") -> Product:
    """Return the product with ``sku``. Raises NotFound naming ``field``."""
    product = session.scalar(select(Product).where(Product.sku == sku))
    if product is None:
        raise NotFound("product", sku, field=field)
    return product


_PRODUCTS_BY_SKU = select(Product).where(Product.sku.in_(bindparam("skus", expanding=True)))
"""Built once: building a statement costs more than running it (it is on every order)."""


def products_by_sku(*, session: Session, skus: Iterable[str]) -> dict[str, Product]:
    """Return the known products among ``skus``, keyed by SKU (unknown ones are absent)."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = session.scalars(_PRODUCTS_BY_SKU, {"skus": wanted}).all()
    return {p.sku: p for p in rows}


def list_products(
    *, session: Session, search: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[Sequence[Product], int]:
    """Return one page of products (by SKU) and the total count matching ``search``."""
    query = select(Product)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(
            or_(func.lower(Product.sku).like(pattern), func.lower(Product.name).like(pattern))
        )
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Product.sku).limit(limit).offset(offset)).all()
    return rows, total
