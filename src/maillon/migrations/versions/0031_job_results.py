"""the job that made a forecast run, a route plan or a pick wave

Forecasts, route plans and large waves are computed by the worker tier: the job's id is kept
on what it made (unique), so a job run again after its worker died finds its run, plan or wave
instead of making a second one (and telling the customers their ETA twice).

Revision ID: 0031
Revises: 0030
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("forecast_runs", "route_plans", "pick_waves"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("job_id", sa.Integer(), nullable=True))
            batch.create_index(f"ix_{table}_job_id", ["job_id"], unique=True)


def downgrade() -> None:
    for table in ("forecast_runs", "route_plans", "pick_waves"):
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_job_id")
            batch.drop_column("job_id")
