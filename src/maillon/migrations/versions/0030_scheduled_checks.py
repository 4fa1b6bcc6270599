"""what the scheduled checks claim: SLA warnings and breaches per ticket and clock, silent
shelf sensors

The SLA check records a clock's warning and breach once each (``tickets.<clock>_warned_at``,
``<clock>_breached_at``, claimed by a conditional update). A shelf sensor says how often it
reports (``interval_minutes``); ``last_seen_at`` is when we last heard from it (any reading,
even a late one), ``registered_at`` when it was registered (a sensor never heard from is
silent counted from then), and ``silent_since`` marks the one open "silent" alert per sensor.

Revision ID: 0030
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_CLOCKS = (
    "first_response_warned_at",
    "first_response_breached_at",
    "resolution_warned_at",
    "resolution_breached_at",
)


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        for name in _CLOCKS:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("shelf_sensors") as batch:
        batch.add_column(
            sa.Column("interval_minutes", sa.Integer(), nullable=False, server_default="15")
        )
        batch.add_column(sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("silent_since", sa.DateTime(timezone=True), nullable=True))
    # sensors heard from before: last seen at their latest reading's arrival
    op.execute(
        "UPDATE shelf_sensors SET last_seen_at = (SELECT MAX(r.received_at) FROM sensor_readings r"
        " WHERE r.sensor_id = shelf_sensors.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("shelf_sensors") as batch:
        for name in ("silent_since", "last_seen_at", "registered_at", "interval_minutes"):
            batch.drop_column(name)
    with op.batch_alter_table("tickets") as batch:
        for name in reversed(_CLOCKS):
            batch.drop_column(name)
