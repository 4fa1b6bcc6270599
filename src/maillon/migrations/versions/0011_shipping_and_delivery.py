"""shipping: rate-card service, promise and delay flag on shipments; labels and claims

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("service_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("zone", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("quoted_cents", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("promised_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("carrier_due_on", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("delay_flagged_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("delay_reason", sa.String(length=300), nullable=True))
        batch_op.create_index(batch_op.f("ix_shipments_shipped_at"), ["shipped_at"], unique=False)

    op.create_table(
        "shipping_labels",
        sa.Column("parcel_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["parcel_id"], ["parcels.id"], name=op.f("fk_shipping_labels_parcel_id_parcels")
        ),
        sa.PrimaryKeyConstraint("parcel_id", name=op.f("pk_shipping_labels")),
    )
    op.create_table(
        "shipment_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_shipment_claims_shipment_id_shipments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_claims")),
    )
    with op.batch_alter_table("shipment_claims", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shipment_claims_shipment_id"), ["shipment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("shipment_claims", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_claims_shipment_id"))
    op.drop_table("shipment_claims")
    op.drop_table("shipping_labels")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_shipped_at"))
        batch_op.drop_column("delay_reason")
        batch_op.drop_column("delay_flagged_at")
        batch_op.drop_column("carrier_due_on")
        batch_op.drop_column("promised_on")
        batch_op.drop_column("quoted_cents")
        batch_op.drop_column("zone")
        batch_op.drop_column("service_code")
