"""labels in two formats, batch printing, prepaid return labels

A parcel's stored label keeps the ZPL of a thermal printer next to the PDF
(``shipping_labels.zpl_content``); ``label_prints`` records which shipments were printed in a
batch (so "not yet printed" can be asked); ``return_labels`` keeps the prepaid return label a
carrier issued for an RMA, with the token of the customer's download link.

Revision ID: 0034
Revises: 0033
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shipping_labels") as batch:
        batch.add_column(sa.Column("zpl_content", sa.LargeBinary(), nullable=True))
    op.create_table(
        "label_prints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("with_slips", sa.Boolean(), nullable=False),
        sa.Column("printed_by", sa.String(length=120), nullable=False),
        sa.Column("printed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_label_prints_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_label_prints")),
    )
    op.create_index(op.f("ix_label_prints_shipment_id"), "label_prints", ["shipment_id"])
    op.create_table(
        "return_labels",
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("sscc", sa.String(length=18), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("zpl_content", sa.LargeBinary(), nullable=True),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"], ["returns.id"], name=op.f("fk_return_labels_return_id_returns")
        ),
        sa.PrimaryKeyConstraint("return_id", name=op.f("pk_return_labels")),
        sa.UniqueConstraint("sscc", name=op.f("uq_return_labels_sscc")),
        sa.UniqueConstraint("token", name=op.f("uq_return_labels_token")),
    )


def downgrade() -> None:
    op.drop_table("return_labels")
    op.drop_index(op.f("ix_label_prints_shipment_id"), table_name="label_prints")
    op.drop_table("label_prints")
    with op.batch_alter_table("shipping_labels") as batch:
        batch.drop_column("zpl_content")
