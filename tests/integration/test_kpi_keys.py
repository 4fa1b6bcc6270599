"""Asking for a few KPIs runs only their queries and gives the same values as asking for all."""

from __future__ import annotations

from maillon.analytics.service import compute_kpis, refresh_order_facts
from maillon.core.db import Database
from maillon.orders import service as orders
from tests.helpers import order_draft


def test_a_subset_of_kpis_has_the_values_of_the_full_table(seeded: Database) -> None:
    for lines in ([("MUG-01", 2)], [("LAMP-02", 40)], [("BOOK-07", 1), ("TSHIRT-M", 1)]):
        orders.place_order(seeded, order_draft(lines), actor="t", allocate=True)
    with seeded.transaction() as s:
        refresh_order_facts(session=s)
    wanted = ("orders", "fill_rate_pct", "cycle_time_p50_h", "units_shipped", "sessions")
    with seeded.reader() as s:
        full = compute_kpis(session=s, by="warehouse")
        part = compute_kpis(session=s, by="warehouse", keys=wanted)
    assert set(part.rows) <= set(full.rows)
    assert any(row["orders"] for row in part.rows.values())
    for name, row in part.rows.items():
        for key in wanted:
            assert row[key] == full.rows[name][key], (name, key)
        # what was not asked for is not computed
        assert row["repeat_purchase_pct"] is None and row["tickets"] is None
    assert any(r["repeat_purchase_pct"] is not None for r in full.rows.values())
