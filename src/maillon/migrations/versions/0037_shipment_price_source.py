"""shipments: where the stored cost came from

``shipments.quoted_source`` says who priced ``quoted_cents`` when the parcel shipped:
``carrier_api`` (the carrier's own quote, asked at ship time when its connector quotes
rates) or ``rate_card`` (the card, also the fallback when the carrier's API fails).
Shipments priced before this revision were priced on the rate card.

Revision ID: 0037
Revises: 0036
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(sa.Column("quoted_source", sa.String(20), nullable=True))
    op.execute("UPDATE shipments SET quoted_source = 'rate_card' WHERE quoted_cents IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        batch.drop_column("quoted_source")
