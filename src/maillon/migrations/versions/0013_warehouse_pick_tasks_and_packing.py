"""warehouse pick tasks and packing (filled in by the work on that link; empty until then)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
