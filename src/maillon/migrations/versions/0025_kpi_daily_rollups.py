"""daily rollups of the KPI facts, for KPIs over long periods

``order_day_rollups`` holds, per UTC day, warehouse, carrier and channel, the sums KPIs add up
over the order facts; ``order_day_customers`` the customers of each day;
``order_day_histograms`` and ``order_month_histograms`` the quarter-hour histograms of cycle
and transit times (per day; per month and warehouse, carrier or channel);
``session_day_rollups`` the storefront sessions per day and channel; ``stock_day_rollups`` the
stock ledger per day and warehouse. ``order_facts`` gets a covering index for the
repeat-purchase count (instead of its narrower customer index) and ``analytics_state`` a
``seen`` count (rows committed out of id order). All are caches: the refresh state is cleared,
so the next KPI request rebuilds facts and rollups in full.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_day_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("carrier_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("revenue", sa.BigInteger(), nullable=False),
        sa.Column("cancelled", sa.BigInteger(), nullable=False),
        sa.Column("waited", sa.BigInteger(), nullable=False),
        sa.Column("attempted", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.BigInteger(), nullable=False),
        sa.Column("waited_lines", sa.BigInteger(), nullable=False),
        sa.Column("shipped", sa.BigInteger(), nullable=False),
        sa.Column("cycle_s", sa.Float(), nullable=True),
        sa.Column("ship_ok", sa.BigInteger(), nullable=False),
        sa.Column("delivered", sa.BigInteger(), nullable=False),
        sa.Column("on_time", sa.BigInteger(), nullable=False),
        sa.Column("otif", sa.BigInteger(), nullable=False),
        sa.Column("perfect", sa.BigInteger(), nullable=False),
        sa.Column("accurate", sa.BigInteger(), nullable=False),
        sa.Column("late", sa.BigInteger(), nullable=False),
        sa.Column("late_s", sa.Float(), nullable=True),
        sa.Column("returned", sa.BigInteger(), nullable=False),
        sa.Column("carrier_delivered", sa.BigInteger(), nullable=False),
        sa.Column("carrier_on_time", sa.BigInteger(), nullable=False),
        sa.Column("route_m", sa.Float(), nullable=True),
        sa.Column("pick_lines", sa.BigInteger(), nullable=False),
        sa.Column("delivered_units", sa.BigInteger(), nullable=False),
        sa.Column("returned_units", sa.BigInteger(), nullable=False),
        sa.Column("scans", sa.BigInteger(), nullable=False),
        sa.Column("refused", sa.BigInteger(), nullable=False),
        sa.Column("picked_lines", sa.BigInteger(), nullable=False),
        sa.Column("pick_s", sa.Float(), nullable=True),
        sa.Column("picked_orders", sa.BigInteger(), nullable=False),
        sa.Column("packed", sa.BigInteger(), nullable=False),
        sa.Column("parcels", sa.BigInteger(), nullable=False),
        sa.Column("carton_cents", sa.BigInteger(), nullable=False),
        sa.Column("ship_known", sa.BigInteger(), nullable=False),
        sa.Column("ship_cents", sa.BigInteger(), nullable=True),
        sa.Column("fraud", sa.BigInteger(), nullable=False),
        sa.Column("fraud_caught", sa.BigInteger(), nullable=False),
        sa.Column("false_alarms", sa.BigInteger(), nullable=False),
        sa.Column("flag_outcomes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "warehouse_id", "carrier_id", "channel", name=op.f("pk_order_day_rollups")
        ),
    )
    op.create_table(
        "session_day_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("sessions", sa.BigInteger(), nullable=False),
        sa.Column("purchased", sa.BigInteger(), nullable=False),
        sa.Column("carts", sa.BigInteger(), nullable=False),
        sa.Column("abandoned", sa.BigInteger(), nullable=False),
        sa.Column("abandoned_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "channel", name=op.f("pk_session_day_rollups")),
    )
    op.create_table(
        "order_day_customers",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("customers", sa.BigInteger(), nullable=False),
        sa.Column("repeaters", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_order_day_customers")),
    )
    op.create_table(
        "order_day_histograms",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("metric", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "metric", "bucket", name=op.f("pk_order_day_histograms")),
    )
    op.create_table(
        "order_month_histograms",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.Column("metric", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("bucket", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "month",
            "dimension",
            "value",
            "metric",
            "bucket",
            name=op.f("pk_order_month_histograms"),
        ),
    )
    op.create_table(
        "stock_day_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("moved", sa.BigInteger(), nullable=False),
        sa.Column("shipped", sa.BigInteger(), nullable=False),
        sa.Column("ship_moves", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("day", "warehouse_id", name=op.f("pk_stock_day_rollups")),
    )
    op.drop_index("ix_order_facts_customer_created", table_name="order_facts")
    op.create_index(
        "ix_order_facts_customer_repeat",
        "order_facts",
        ["customer_id", "created_at", "customer_seq", "warehouse_id", "carrier_id", "channel"],
        unique=False,
    )
    op.execute("DELETE FROM analytics_state")
    with op.batch_alter_table("analytics_state") as batch:
        batch.add_column(sa.Column("seen", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM analytics_state")
    with op.batch_alter_table("analytics_state") as batch:
        batch.drop_column("seen")
    op.drop_index("ix_order_facts_customer_repeat", table_name="order_facts")
    op.create_index(
        "ix_order_facts_customer_created",
        "order_facts",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.drop_table("stock_day_rollups")
    op.drop_table("order_month_histograms")
    op.drop_table("order_day_histograms")
    op.drop_table("order_day_customers")
    op.drop_table("session_day_rollups")
    op.drop_table("order_day_rollups")
