"""the HTML part of a customer e-mail in the outbox

A customer e-mail is rendered from its templates when it is recorded (their language, the
shop's name, absolute links): ``body`` keeps the text part and the new ``html`` column the HTML
alternative the sender adds (``multipart/alternative``); text messages and older rows have none.

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("html", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("html")
