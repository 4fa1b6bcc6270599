"""order facts for KPIs

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_facts",
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("customer_seq", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=True),
        sa.Column("carrier_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("total_cents", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("waited", sa.Boolean(), nullable=False),
        sa.Column("attempted", sa.Boolean(), nullable=False),
        sa.Column("n_lines", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("shipped_units", sa.Integer(), nullable=False),
        sa.Column("shipped", sa.Boolean(), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=False),
        sa.Column("cycle_s", sa.Float(), nullable=True),
        sa.Column("lateness_s", sa.Float(), nullable=True),
        sa.Column("transit_s", sa.Float(), nullable=True),
        sa.Column("returned", sa.Boolean(), nullable=False),
        sa.Column("ticketed", sa.Boolean(), nullable=False),
        sa.Column("route_m", sa.Float(), nullable=True),
        sa.Column("pick_lines", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_facts")),
    )
    op.create_index(
        op.f("ix_order_facts_created_at"), "order_facts", ["created_at"], unique=False
    )
    op.create_index(
        "ix_order_facts_customer_created",
        "order_facts",
        ["customer_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "analytics_state",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_analytics_state")),
    )


def downgrade() -> None:
    op.drop_table("analytics_state")
    op.drop_index("ix_order_facts_customer_created", table_name="order_facts")
    op.drop_index(op.f("ix_order_facts_created_at"), table_name="order_facts")
    op.drop_table("order_facts")
