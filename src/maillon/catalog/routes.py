"""Catalogue routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from maillon.catalog import service
from maillon.catalog.model import ProductSpec
from maillon.catalog.schemas import ProductCreate, ProductRead
from maillon.core.auth import Principal, Role
from maillon.core.http import ANY_ROLE, DbDep, Page, PageDep, allow

router = APIRouter(prefix="/api/v1/products", tags=["catalog"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ProductRead)
def create_product(
    body: ProductCreate, db: DbDep, _: Annotated[Principal, Depends(allow(Role.OPERATOR))]
) -> ProductRead:
    """Add a product (422 naming the field for a bad GTIN, size or weight; 409 if taken)."""
    with db.transaction() as session:
        product = service.create_product(session=session, spec=ProductSpec(**body.model_dump()))
        return ProductRead.model_validate(product)


@router.get("", response_model=Page[ProductRead])
def list_products(
    db: DbDep,
    page: PageDep,
    _: Annotated[Principal, Depends(allow(*ANY_ROLE))],
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[ProductRead]:
    """List products by SKU, optionally searching SKU and name."""
    with db.reader() as session:
        rows, total = service.list_products(
            session=session, search=search, limit=page.limit, offset=page.offset
        )
        items = [ProductRead.model_validate(p) for p in rows]
    return Page(items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{sku}", response_model=ProductRead)
def get_product(
    sku: str, db: DbDep, _: Annotated[Principal, Depends(allow(*ANY_ROLE))]
) -> ProductRead:
    """Return one product by SKU."""
    with db.reader() as session:
        return ProductRead.model_validate(service.get_by_sku(session=session, sku=sku))
