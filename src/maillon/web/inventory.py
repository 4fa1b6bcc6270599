"""Console page of stock: sensor alerts, cycle-count differences, a SKU's ledger, stock per
warehouse and one page of balances."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from maillon.core.errors import NotFound
from maillon.inventory import service as inventory
from maillon.inventory.service.counts import discrepancies
from maillon.inventory.service.sensors import open_alerts
from maillon.web.console import OperatorPage, console_router, database, page_count, render

router = console_router()

PAGE = 50


@router.get("/stock", response_class=HTMLResponse)
def stock_page(
    request: Request,
    user: OperatorPage,
    warehouse: str | None = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Alerts, count differences, the ledger of ``sku``, and the balances (filtered)."""
    with database(request).reader() as session:
        alerts = [
            {
                "kind": a.kind,
                "expected": a.expected,
                "observed": a.observed,
                "note": a.note,
                "created_at": a.created_at,
            }
            for a in open_alerts(session=session, limit=20)
        ]
        differences = discrepancies(session=session, warehouse=warehouse or None)[:20]
        movements = []
        if sku:
            try:
                moves, _ = inventory.list_movements(session=session, sku=sku, limit=30)
            except NotFound:
                moves = []
            movements = [
                {
                    "at": m.created_at,
                    "kind": m.kind,
                    "on_hand": m.delta_on_hand,
                    "reserved": m.delta_reserved,
                    "reference": m.reference,
                    "reason": m.reason,
                    "actor": m.actor,
                }
                for m in moves
            ]
        summary = inventory.stock_by_warehouse(session=session)
        rows, total = inventory.list_balances(
            session=session,
            sku=sku or None,
            warehouse=warehouse or None,
            limit=PAGE,
            offset=(page - 1) * PAGE,
        )
    return render(
        request,
        "stock.html",
        user,
        alerts=alerts,
        differences=differences,
        movements=movements,
        summary=summary,
        rows=rows,
        total=total,
        page=page,
        pages=page_count(total, PAGE),
        filters={"warehouse": warehouse or "", "sku": sku or ""},
    )
