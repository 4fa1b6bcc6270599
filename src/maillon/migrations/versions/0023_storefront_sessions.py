"""storefront_sessions: each storefront session summed up as its events arrive (the funnel
reads it instead of ranking every event of the period)

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

# The sessions of the events already stored (a frozen copy of
# maillon.acquisition.service.REBUILD_SESSIONS as it was when this revision was written).
BACKFILL = """
INSERT INTO storefront_sessions (session_id, first_at, last_at, device, channel, landing_page,
    product_view, cart, max_step, purchased, cart_cents, events)
SELECT s.session_id, s.first_at, s.last_at, f.device, f.channel, f.landing_page,
    s.product_view, s.cart, s.max_step, s.purchased, s.cart_cents, s.events
FROM (
    SELECT session_id, MIN(occurred_at) AS first_at, MAX(occurred_at) AS last_at,
        MAX(CASE WHEN type = 'product_view' THEN 1 ELSE 0 END) AS product_view,
        MAX(CASE WHEN type IN ('add_to_cart', 'checkout_step') THEN 1 ELSE 0 END) AS cart,
        MAX(CASE WHEN type = 'checkout_step' AND step > 0 THEN step ELSE 0 END) AS max_step,
        MAX(CASE WHEN type = 'purchase' THEN 1 ELSE 0 END) AS purchased,
        MAX(CASE WHEN type IN ('add_to_cart', 'checkout_step', 'purchase')
            THEN value_cents ELSE 0 END) AS cart_cents,
        COUNT(*) AS events
    FROM storefront_events GROUP BY session_id
) s
JOIN (
    SELECT session_id, device, channel, COALESCE(landing_page, page) AS landing_page,
        ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY occurred_at, id) AS rn
    FROM storefront_events
) f ON f.session_id = s.session_id AND f.rn = 1
"""


def upgrade() -> None:
    op.create_table(
        "storefront_sessions",
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("device", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("landing_page", sa.String(length=300), nullable=False),
        sa.Column("product_view", sa.Integer(), nullable=False),
        sa.Column("cart", sa.Integer(), nullable=False),
        sa.Column("max_step", sa.Integer(), nullable=False),
        sa.Column("purchased", sa.Integer(), nullable=False),
        sa.Column("cart_cents", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_storefront_sessions")),
    )
    op.create_index(
        op.f("ix_storefront_sessions_first_at"), "storefront_sessions", ["first_at"], unique=False
    )
    op.execute(sa.text(BACKFILL))


def downgrade() -> None:
    op.drop_index(op.f("ix_storefront_sessions_first_at"), table_name="storefront_sessions")
    op.drop_table("storefront_sessions")
