"""index orders.updated_at (the KPI facts refresh finds changed orders by it)

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_orders_updated_at"), "orders", ["updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_orders_updated_at"), table_name="orders")
