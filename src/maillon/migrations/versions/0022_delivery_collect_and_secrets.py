"""delivery: click & collect linked to orders, ETA windows told; carriers' webhook secrets

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collect_reservations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_collect_reservations_order_id_orders"), "orders", ["order_id"], ["id"]
        )
        batch_op.create_index(
            batch_op.f("ix_collect_reservations_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            "ix_collect_reservations_status_expires", ["status", "expires_at"], unique=False
        )
    with op.batch_alter_table("route_stops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("eta_from_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("eta_to_s", sa.Integer(), nullable=True))
    with op.batch_alter_table("carriers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_secret", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("webhook_secret_set_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("carriers", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret_set_at")
        batch_op.drop_column("webhook_secret")
    with op.batch_alter_table("route_stops", schema=None) as batch_op:
        batch_op.drop_column("eta_to_s")
        batch_op.drop_column("eta_from_s")
    with op.batch_alter_table("collect_reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_collect_reservations_status_expires")
        batch_op.drop_index(batch_op.f("ix_collect_reservations_order_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_collect_reservations_order_id_orders"), type_="foreignkey"
        )
        batch_op.drop_column("order_id")
