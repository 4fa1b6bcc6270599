"""The return-reason KPIs: the share of returned units per reason code, over the returns of
the period's delivered orders, and the units per code (every code kept) as a breakdown. (The
return rates themselves are order sums, see :mod:`maillon.analytics.queries.kpis_orders`.)"""

from __future__ import annotations

from sqlalchemy import case, func, select

from maillon.analytics.definitions import RETURN_REASON_CODES, KpiTable, rate, reason_key
from maillon.analytics.queries.scope import KpiScope
from maillon.analytics.queries.sql import group_cols
from maillon.analytics.tables import OrderFact
from maillon.returns.model import ARRIVED, CLOSED_OUT
from maillon.returns.tables import ReturnLine, ReturnRequest


def return_reasons(scope: KpiScope, table: KpiTable) -> None:
    """Share of returned units per reason code, over the returns of the period's delivered
    orders (per row label of the scope's dimension)."""
    units = case(
        (ReturnRequest.status.in_(ARRIVED), ReturnLine.received_quantity),
        else_=ReturnLine.quantity,
    )
    dim = scope.dim
    query = (
        scope.joined(select(dim, ReturnLine.reason_code, func.sum(units)).select_from(OrderFact))
        .join(ReturnRequest, ReturnRequest.order_id == OrderFact.order_id)
        .join(ReturnLine, ReturnLine.return_id == ReturnRequest.id)
        .where(
            OrderFact.delivered,
            ReturnRequest.status.not_in(CLOSED_OUT),
            *scope.in_period(OrderFact.created_at),
        )
    )
    grouped = query.group_by(*group_cols(dim, ReturnLine.reason_code))
    per_row: dict[str, dict[str, int]] = {}
    for label, code, n in scope.session.execute(grouped):
        if n:
            reasons = per_row.setdefault(str(label), {})
            reasons[str(code)] = reasons.get(str(code), 0) + int(n)
    for label, reasons in per_row.items():
        _write_shares(table, label, reasons)


def _write_shares(table: KpiTable, label: str, reasons: dict[str, int]) -> None:
    """Write the share of each reason KPI (0 for the codes not seen) in row ``label``, and the
    units per code, most first, in its breakdown."""
    total = sum(reasons.values())
    row = table.rows.setdefault(label, {})
    for code in RETURN_REASON_CODES:
        row[f"return_reason_{code}_pct"] = 0.0
    shares: dict[str, int] = {}
    for code, n in reasons.items():
        shares[reason_key(code)] = shares.get(reason_key(code), 0) + n
    for key, n in shares.items():
        row[key] = rate(n, total)
    table.breakdowns.setdefault(label, {})["return_reasons"] = dict(
        sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
    )
