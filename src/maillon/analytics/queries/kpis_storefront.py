"""The storefront KPIs: conversion and cart abandonment of the sessions started in the period
(by their acquisition channel with ``by="channel"``; nothing by warehouse or carrier), from
the daily session rollups and, for the partial days, the session facts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from maillon.analytics.definitions import KpiTable, rate
from maillon.analytics.queries.periods import source, split
from maillon.analytics.queries.scope import KpiScope
from maillon.analytics.queries.sql import ALL, day_period, group_cols
from maillon.analytics.service.rollups import SESSION_SUMS, session_rows, sum_of
from maillon.analytics.tables import SessionDayRollup


def storefront_kpis(scope: KpiScope, table: KpiTable) -> None:
    """Conversion and cart abandonment of the storefront sessions started in the period (by
    their acquisition channel with ``by="channel"``; nothing by warehouse or carrier)."""
    by, dialect = scope.by, scope.dialect
    if by in ("warehouse", "carrier"):
        return
    days, edges = split(scope.start, scope.end, rollups=scope.rollups)
    r = SessionDayRollup
    whole = select(r.day, r.channel, *(r.__table__.c[name] for name in SESSION_SUMS))
    u = source(whole, r.day, days, [session_rows(dialect, b) for b in edges], "session_sums")
    label: Any = (
        ALL if by is None else u.c.channel if by == "channel" else day_period(dialect, u.c.day, by)
    )
    query = select(label, *(sum_of(u.c[name]) for name in SESSION_SUMS)).group_by(
        *group_cols(label)
    )
    for name, n, bought, carts, dropped, value in scope.session.execute(query):
        if not n:
            continue
        row = table.rows.setdefault(str(name), {})
        row["sessions"] = int(n)
        row["conversion_pct"] = rate(bought, n)
        row["cart_abandonment_pct"] = rate(dropped, carts)
        row["abandoned_cart_cents"] = int(value or 0)
