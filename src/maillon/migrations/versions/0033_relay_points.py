"""relay points and parcel lockers of the carriers' networks

The checkout's relay search reads this table once a carrier's list is imported (`maillon
relay-points import`); a fresh install without an import keeps the illustrative points file.
`cell` is the point's square of a 0.05 degree grid, indexed, so a nearest search reads a few
cells on SQLite and PostgreSQL alike.

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "relay_points",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("carrier", sa.String(40), nullable=False),
        sa.Column("point_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("postcode", sa.String(12), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("cell", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("opening_hours", sa.String(300), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("carrier", "point_id"),
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coords"),
    )
    op.create_index("ix_relay_points_cell", "relay_points", ["cell"])


def downgrade() -> None:
    op.drop_index("ix_relay_points_cell", table_name="relay_points")
    op.drop_table("relay_points")
