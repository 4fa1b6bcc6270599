"""warehouse pick tasks and packing: picker assignment and scans, short-pick exceptions,
waves and picker tours, the carton catalogue and packing sessions

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cartons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("length_mm", sa.Integer(), nullable=False),
        sa.Column("width_mm", sa.Integer(), nullable=False),
        sa.Column("height_mm", sa.Integer(), nullable=False),
        sa.Column("max_weight_g", sa.Integer(), nullable=False),
        sa.Column("cost_cents", sa.Integer(), nullable=False),
        sa.Column("wall_mm", sa.Integer(), nullable=False),
        sa.Column("tare_g", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cartons")),
        sa.UniqueConstraint("code", name=op.f("uq_cartons_code")),
    )
    op.create_table(
        "pick_waves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("cutoff", TZ, nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("max_orders", sa.Integer(), nullable=False),
        sa.Column("cart_units", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("route_m", sa.Float(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_pick_waves_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_waves")),
    )
    op.create_index(
        op.f("ix_pick_waves_warehouse_id"), "pick_waves", ["warehouse_id"], unique=False
    )
    op.create_table(
        "pick_tours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("picker", sa.String(length=120), nullable=False),
        sa.Column("assigned_at", TZ, nullable=True),
        sa.Column("route_m", sa.Float(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_pick_tours_warehouse_id_warehouses")
        ),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["pick_waves.id"], name=op.f("fk_pick_tours_wave_id_pick_waves")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_tours")),
    )
    op.create_index(op.f("ix_pick_tours_wave_id"), "pick_tours", ["wave_id"], unique=False)
    op.create_table(
        "packing_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("packer", sa.String(length=120), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("completed_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_packing_sessions_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_packing_sessions_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packing_sessions")),
    )
    op.create_index(
        op.f("ix_packing_sessions_order_id"), "packing_sessions", ["order_id"], unique=False
    )
    op.create_table(
        "packing_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("placement", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("packer", sa.String(length=120), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["packing_sessions.id"],
            name=op.f("fk_packing_scans_session_id_packing_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packing_scans")),
        sa.UniqueConstraint(
            "session_id", "placement", name=op.f("uq_packing_scans_session_id_placement")
        ),
    )
    op.create_index(
        op.f("ix_packing_scans_session_id"), "packing_scans", ["session_id"], unique=False
    )
    op.create_table(
        "pick_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pick_list_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("location_code", sa.String(length=40), nullable=False),
        sa.Column("asked", sa.Integer(), nullable=False),
        sa.Column("picked", sa.Integer(), nullable=False),
        sa.Column("reallocated", sa.Integer(), nullable=False),
        sa.Column("backordered", sa.Integer(), nullable=False),
        sa.Column("written_off", sa.Integer(), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=False),
        sa.Column("picker", sa.String(length=120), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["pick_list_lines.id"],
            name=op.f("fk_pick_exceptions_line_id_pick_list_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_pick_exceptions_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["pick_list_id"],
            ["pick_lists.id"],
            name=op.f("fk_pick_exceptions_pick_list_id_pick_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_pick_exceptions_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_exceptions")),
    )
    op.create_index(
        op.f("ix_pick_exceptions_created_at"), "pick_exceptions", ["created_at"], unique=False
    )
    op.create_index(
        op.f("ix_pick_exceptions_order_id"), "pick_exceptions", ["order_id"], unique=False
    )
    op.create_index(
        op.f("ix_pick_exceptions_pick_list_id"), "pick_exceptions", ["pick_list_id"], unique=False
    )
    op.create_table(
        "pick_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("picker", sa.String(length=120), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("location", sa.String(length=60), nullable=False),
        sa.Column("barcode", sa.String(length=60), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["line_id"], ["pick_list_lines.id"], name=op.f("fk_pick_scans_line_id_pick_list_lines")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_pick_scans_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_scans")),
    )
    op.create_index(op.f("ix_pick_scans_line_id"), "pick_scans", ["line_id"], unique=False)
    op.create_index("ix_pick_scans_picker_at", "pick_scans", ["picker", "at"], unique=False)
    with op.batch_alter_table("pick_list_lines", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("status", sa.String(length=20), server_default="open", nullable=False)
        )
        batch_op.add_column(sa.Column("picked_at", TZ, nullable=True))
        batch_op.add_column(
            sa.Column("picked_by", sa.String(length=120), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("tour_sequence", sa.Integer(), nullable=True))
    with op.batch_alter_table("pick_lists", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_at", TZ, nullable=True))
        batch_op.add_column(sa.Column("tour_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_pick_lists_tour_id"), ["tour_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_pick_lists_tour_id_pick_tours"), "pick_tours", ["tour_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("pick_lists", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_pick_lists_tour_id_pick_tours"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_pick_lists_tour_id"))
        batch_op.drop_column("tour_id")
        batch_op.drop_column("assigned_at")
    with op.batch_alter_table("pick_list_lines", schema=None) as batch_op:
        batch_op.drop_column("tour_sequence")
        batch_op.drop_column("picked_by")
        batch_op.drop_column("picked_at")
        batch_op.drop_column("status")
    op.drop_index("ix_pick_scans_picker_at", table_name="pick_scans")
    op.drop_index(op.f("ix_pick_scans_line_id"), table_name="pick_scans")
    op.drop_table("pick_scans")
    op.drop_index(op.f("ix_pick_exceptions_pick_list_id"), table_name="pick_exceptions")
    op.drop_index(op.f("ix_pick_exceptions_order_id"), table_name="pick_exceptions")
    op.drop_index(op.f("ix_pick_exceptions_created_at"), table_name="pick_exceptions")
    op.drop_table("pick_exceptions")
    op.drop_index(op.f("ix_packing_scans_session_id"), table_name="packing_scans")
    op.drop_table("packing_scans")
    op.drop_index(op.f("ix_packing_sessions_order_id"), table_name="packing_sessions")
    op.drop_table("packing_sessions")
    op.drop_index(op.f("ix_pick_tours_wave_id"), table_name="pick_tours")
    op.drop_table("pick_tours")
    op.drop_index(op.f("ix_pick_waves_warehouse_id"), table_name="pick_waves")
    op.drop_table("pick_waves")
    op.drop_table("cartons")
