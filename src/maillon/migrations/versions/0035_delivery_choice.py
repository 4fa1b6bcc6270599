"""the delivery the customer chose at checkout, kept with the order

``order_deliveries`` holds one row per order that made a choice: the method (home, relay
point, click & collect, express, same day, appointment), the carrier and service when chosen,
the relay point (its carrier, id and the address snapshot shown to the customer), the store
to collect from, the delivery slot and its window, and the promise checkout gave. An order
without a row is delivered at home, as every order was before.

Revision ID: 0035
Revises: 0034
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "order_deliveries",
        sa.Column(
            "order_id",
            sa.Integer(),
            sa.ForeignKey("orders.id", name="fk_order_deliveries_order_id_orders"),
            primary_key=True,
        ),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=True),
        sa.Column("service", sa.String(length=40), nullable=True),
        sa.Column("relay_carrier", sa.String(length=40), nullable=True),
        sa.Column("relay_point_id", sa.String(length=40), nullable=True),
        sa.Column("relay_name", sa.String(length=200), nullable=False),
        sa.Column("relay_address", sa.String(length=200), nullable=False),
        sa.Column("relay_postcode", sa.String(length=12), nullable=False),
        sa.Column("relay_city", sa.String(length=200), nullable=False),
        sa.Column("relay_country", sa.String(length=2), nullable=False),
        sa.Column("relay_opening_hours", sa.String(length=200), nullable=False),
        sa.Column("store_code", sa.String(length=40), nullable=True),
        sa.Column("slot_id", sa.Integer(), nullable=True),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("promised_on", sa.Date(), nullable=True),
        sa.Column("price_cents", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("order_deliveries")
