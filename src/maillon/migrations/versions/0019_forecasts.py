"""stored demand forecasts

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forecast_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("freq", sa.String(length=8), nullable=False),
        sa.Column("horizon", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=10), nullable=False),
        sa.Column("series", sa.Integer(), nullable=False),
        sa.Column("runtime_s", sa.Float(), nullable=False),
        sa.Column("history_from", sa.Date(), nullable=False),
        sa.Column("history_to", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_runs")),
    )
    op.create_table(
        "forecast_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("warehouse", sa.String(length=20), nullable=False),
        sa.Column("ds", sa.Date(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=40), nullable=False),
        sa.Column("forecast", sa.Float(), nullable=False),
        sa.Column("q50", sa.Float(), nullable=True),
        sa.Column("q80", sa.Float(), nullable=True),
        sa.Column("q90", sa.Float(), nullable=True),
        sa.Column("q95", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["forecast_runs.id"], name=op.f("fk_forecast_points_run_id_forecast_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forecast_points")),
    )
    op.create_index(
        "ix_forecast_points_run_sku",
        "forecast_points",
        ["run_id", "sku", "warehouse"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_forecast_points_run_sku", table_name="forecast_points")
    op.drop_table("forecast_points")
    op.drop_table("forecast_runs")
