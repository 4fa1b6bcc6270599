"""returns: RMA workflow, inspected units, settlements, settings and the event chain

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channel", sa.String(length=20), server_default="staff", nullable=False)
        )
        batch_op.add_column(
            sa.Column("created_by", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "return_shipping_paid_by",
                sa.String(length=10),
                server_default="merchant",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("label_status", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("label_carrier", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("label_tracking", sa.String(length=64), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("warehouse_code", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("note", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_returns_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_returns_created_at"), ["created_at"], unique=False)

    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("reason_code", sa.String(length=40), server_default="other", nullable=False)
        )
        batch_op.add_column(
            sa.Column("unit_price_cents", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("received_quantity", sa.Integer(), server_default="0", nullable=False)
        )

    op.create_table(
        "return_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("return_line_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("proposed", sa.String(length=20), nullable=False),
        sa.Column("disposition", sa.String(length=20), nullable=False),
        sa.Column("warehouse_code", sa.String(length=20), nullable=False),
        sa.Column("location_code", sa.String(length=40), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("inspected_by", sa.String(length=120), nullable=False),
        sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disposed_by", sa.String(length=120), nullable=False),
        sa.Column("disposed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_return_units_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_units_return_id_returns")
        ),
        sa.ForeignKeyConstraint(
            ["return_line_id"],
            ["return_lines.id"],
            name=op.f("fk_return_units_return_line_id_return_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_units")),
    )
    with op.batch_alter_table("return_units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_units_return_id"), ["return_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_return_units_return_line_id"), ["return_line_id"], unique=False
        )

    op.create_table(
        "return_settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("goods_cents", sa.Integer(), nullable=False),
        sa.Column("restocking_fee_cents", sa.Integer(), nullable=False),
        sa.Column("shipping_refund_cents", sa.Integer(), nullable=False),
        sa.Column("return_label_cents", sa.Integer(), nullable=False),
        sa.Column("deduction_cents", sa.Integer(), nullable=False),
        sa.Column("bonus_cents", sa.Integer(), nullable=False),
        sa.Column("refund_cents", sa.Integer(), nullable=False),
        sa.Column("store_credit_cents", sa.Integer(), nullable=False),
        sa.Column("replacement_lines", sa.JSON(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "refund_cents >= 0", name=op.f("ck_return_settlements_refund_not_negative")
        ),
        sa.CheckConstraint(
            "store_credit_cents >= 0", name=op.f("ck_return_settlements_credit_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_return_settlements_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_settlements_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_settlements")),
    )
    with op.batch_alter_table("return_settlements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_return_settlements_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_return_settlements_return_id"), ["return_id"], unique=False
        )

    op.create_table(
        "return_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_settings")),
    )

    op.create_table(
        "return_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=True),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_events")),
        sa.UniqueConstraint("seq", name=op.f("uq_return_events_seq")),
    )
    with op.batch_alter_table("return_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_events_return_id"), ["return_id"], unique=False)

    op.create_table(
        "return_chain_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_chain_head")),
    )


def downgrade() -> None:
    op.drop_table("return_chain_head")
    with op.batch_alter_table("return_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_events_return_id"))
    op.drop_table("return_events")
    op.drop_table("return_settings")
    with op.batch_alter_table("return_settlements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_settlements_return_id"))
        batch_op.drop_index(batch_op.f("ix_return_settlements_order_id"))
    op.drop_table("return_settlements")
    with op.batch_alter_table("return_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_units_return_line_id"))
        batch_op.drop_index(batch_op.f("ix_return_units_return_id"))
    op.drop_table("return_units")
    with op.batch_alter_table("return_lines", schema=None) as batch_op:
        batch_op.drop_column("received_quantity")
        batch_op.drop_column("unit_price_cents")
        batch_op.drop_column("reason_code")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_returns_created_at"))
        batch_op.drop_index(batch_op.f("ix_returns_status"))
        for column in (
            "closed_at",
            "settled_at",
            "inspected_at",
            "decided_at",
            "note",
            "warehouse_code",
            "label_tracking",
            "label_carrier",
            "label_status",
            "return_shipping_paid_by",
            "created_by",
            "channel",
        ):
            batch_op.drop_column(column)
