"""carrier accounts: the API a carrier is reached through, its credentials encrypted

One account per carrier: the connector (``colissimo``, ...), the mode (sandbox, live, or
rate_card: no API), the credentials encrypted with the secret key (never in clear), an
optional base URL, the label format and non-secret options.

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carrier_accounts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("carrier_id", sa.Integer(), sa.ForeignKey("carriers.id"), nullable=False),
        sa.Column("connector", sa.String(40), nullable=False),
        sa.Column("mode", sa.String(20), nullable=False),
        sa.Column("credentials_encrypted", sa.Text(), nullable=False),
        sa.Column("credential_keys", sa.String(300), nullable=False),
        sa.Column("base_url", sa.String(300), nullable=True),
        sa.Column("label_format", sa.String(10), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("carrier_id"),
    )
    with op.batch_alter_table("parcels") as batch:
        batch.add_column(sa.Column("tracking_pulled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("parcels") as batch:
        batch.drop_column("tracking_pulled_at")
    op.drop_table("carrier_accounts")
