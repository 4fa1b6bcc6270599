"""more KPI facts: picking, packing and shipping costs, returned units, fraud outcomes, and
storefront session facts

``order_facts`` is a cache rebuilt from the chain's tables: it is recreated with its new
columns and its refresh state cleared, so the next KPI request rebuilds it in full.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_BASE = [
    ("customer_id", sa.Integer(), False),
    ("customer_seq", sa.Integer(), False),
    ("channel", sa.String(length=40), False),
    ("warehouse_id", sa.Integer(), True),
    ("carrier_id", sa.Integer(), True),
    ("status", sa.String(length=20), False),
    ("total_cents", sa.Integer(), False),
    ("cancelled", sa.Boolean(), False),
    ("waited", sa.Boolean(), False),
    ("attempted", sa.Boolean(), False),
    ("n_lines", sa.Integer(), False),
    ("units", sa.Integer(), False),
    ("shipped_units", sa.Integer(), False),
    ("shipped", sa.Boolean(), False),
    ("delivered", sa.Boolean(), False),
    ("cycle_s", sa.Float(), True),
    ("lateness_s", sa.Float(), True),
    ("transit_s", sa.Float(), True),
    ("returned", sa.Boolean(), False),
    ("ticketed", sa.Boolean(), False),
    ("route_m", sa.Float(), True),
    ("pick_lines", sa.Integer(), False),
]
_MORE = [
    ("returned_units", sa.Integer(), False),
    ("pick_scans", sa.Integer(), False),
    ("pick_mismatches", sa.Integer(), False),
    ("picked_lines", sa.Integer(), False),
    ("pick_s", sa.Float(), True),
    ("parcels", sa.Integer(), False),
    ("carton_cents", sa.Integer(), False),
    ("ship_cents", sa.Integer(), True),
    ("fraud_flagged", sa.Boolean(), False),
    ("fraud_confirmed", sa.Boolean(), False),
    ("fraud_cleared", sa.Boolean(), False),
]


def _order_facts(columns: list[tuple[str, sa.types.TypeEngine[object], bool]]) -> None:
    op.create_table(
        "order_facts",
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        *(sa.Column(name, kind, nullable=nullable) for name, kind, nullable in columns),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_order_facts")),
    )
    op.create_index(op.f("ix_order_facts_created_at"), "order_facts", ["created_at"], unique=False)
    op.create_index(
        "ix_order_facts_customer_created",
        "order_facts",
        ["customer_id", "created_at"],
        unique=False,
    )


def _drop_order_facts() -> None:
    op.drop_index("ix_order_facts_customer_created", table_name="order_facts")
    op.drop_index(op.f("ix_order_facts_created_at"), table_name="order_facts")
    op.drop_table("order_facts")


def upgrade() -> None:
    _drop_order_facts()
    _order_facts(_BASE + _MORE)
    op.execute("DELETE FROM analytics_state")
    with op.batch_alter_table("analytics_state") as batch:
        batch.add_column(sa.Column("last_id", sa.Integer(), nullable=True))
    op.create_table(
        "session_facts",
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("cart", sa.Boolean(), nullable=False),
        sa.Column("purchased", sa.Boolean(), nullable=False),
        sa.Column("cart_cents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_session_facts")),
    )
    op.create_index(
        op.f("ix_session_facts_started_at"), "session_facts", ["started_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_session_facts_started_at"), table_name="session_facts")
    op.drop_table("session_facts")
    op.execute("DELETE FROM analytics_state")
    with op.batch_alter_table("analytics_state") as batch:
        batch.drop_column("last_id")
    _drop_order_facts()
    _order_facts(_BASE)
