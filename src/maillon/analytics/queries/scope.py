"""What one KPI computation reads: its session, period ``[start, end)`` and split ``by``,
whether whole days come from the rollups, and the row label of each dimension (of an order
fact, and of a row of rollup sums) with the joins it needs. Every KPI family takes a
:class:`KpiScope` and writes its figures into the rows of the table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from maillon.analytics.queries.periods import between
from maillon.analytics.queries.sql import ALL, NONE_LABEL, day_period, period
from maillon.analytics.tables import OrderFact
from maillon.inventory.tables import Warehouse
from maillon.shipping.tables import Carrier


def fact_dimension(dialect: str, by: str | None) -> tuple[Any, list[Any]]:
    """Return the SQL label of a fact's dimension value and the joins it needs."""
    if by is None:
        return ALL, []
    if by == "channel":
        return OrderFact.channel, []
    if by == "warehouse":
        return func.coalesce(Warehouse.code, NONE_LABEL), [
            (Warehouse, Warehouse.id == OrderFact.warehouse_id)
        ]
    if by == "carrier":
        return func.coalesce(Carrier.code, NONE_LABEL), [
            (Carrier, Carrier.id == OrderFact.carrier_id)
        ]
    return period(dialect, OrderFact.created_at, by), []


def sums_dimension(dialect: str, by: str | None, sums: Any) -> tuple[Any, list[Any]]:
    """Return the SQL label of a row of ``sums`` (see
    :func:`maillon.analytics.service.rollups.order_sums_source`) for the dimension, and the joins it
    needs (the same labels as :func:`fact_dimension`)."""
    if by is None:
        return ALL, []
    if by == "channel":
        return sums.c.channel, []
    if by == "warehouse":
        return func.coalesce(Warehouse.code, NONE_LABEL), [
            (Warehouse, Warehouse.id == sums.c.warehouse_id)
        ]
    if by == "carrier":
        return func.coalesce(Carrier.code, NONE_LABEL), [(Carrier, Carrier.id == sums.c.carrier_id)]
    return day_period(dialect, sums.c.day, by), []


@dataclass(frozen=True)
class KpiScope:
    """The period and split of a KPI computation, on an open session.

    ``dim`` labels an order fact's row (see :func:`fact_dimension`); :meth:`joined` adds the
    joins it needs to a query over the facts. Without ``rollups`` every figure is counted
    over the facts themselves.
    """

    session: Session
    start: datetime | None
    end: datetime | None
    by: str | None
    rollups: bool
    dialect: str = field(init=False)
    dim: Any = field(init=False)
    joins: list[Any] = field(init=False)

    def __post_init__(self) -> None:
        dialect = self.session.get_bind().dialect.name
        dim, joins = fact_dimension(dialect, self.by)
        object.__setattr__(self, "dialect", dialect)
        object.__setattr__(self, "dim", dim)
        object.__setattr__(self, "joins", joins)

    def in_period(self, column: Any) -> list[Any]:
        """The conditions for ``column`` to lie in the period."""
        return between(column, (self.start, self.end))

    def joined(self, query: Any) -> Any:
        """``query`` with the outer joins the fact dimension ``dim`` needs."""
        for target, on in self.joins:
            query = query.outerjoin(target, on)
        return query
