"""shop sync: channel credentials, the inbox of refused webhooks, fulfilment and stock pushes

``sales_channels`` gets what Maillon needs to talk back to a shop (its URL, API key and
secret, the stock location); ``channel_inbox`` keeps each refused webhook with its raw body
and reasons until it is fixed and reprocessed; ``channel_fulfillments`` records each order's
fulfilment pushed to its shop, ``channel_stock`` the quantity last set per SKU.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sales_channels") as batch:
        batch.add_column(sa.Column("shop_url", sa.String(300), nullable=False, server_default=""))
        batch.add_column(sa.Column("api_key", sa.String(200), nullable=False, server_default=""))
        batch.add_column(sa.Column("api_secret", sa.String(300), nullable=False, server_default=""))
        batch.add_column(
            sa.Column("stock_location", sa.String(100), nullable=False, server_default="")
        )
    op.create_table(
        "channel_inbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("sales_channels.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("shop_order_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("order_number", sa.String(40), nullable=True),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.UniqueConstraint("channel_id", "kind", "shop_order_id"),
    )
    op.create_index("ix_channel_inbox_status", "channel_inbox", ["status", "received_at"])
    op.create_table(
        "channel_fulfillments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("sales_channels.id"), nullable=False),
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id"), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("remote_id", sa.String(200), nullable=False),
        sa.Column("error", sa.String(1000), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel_id", "order_id"),
    )
    op.create_table(
        "channel_stock",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("sales_channels.id"), nullable=False),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel_id", "sku"),
    )


def downgrade() -> None:
    op.drop_table("channel_stock")
    op.drop_table("channel_fulfillments")
    op.drop_index("ix_channel_inbox_status", table_name="channel_inbox")
    op.drop_table("channel_inbox")
    with op.batch_alter_table("sales_channels") as batch:
        for column in ("stock_location", "api_secret", "api_key", "shop_url"):
            batch.drop_column(column)
