"""fraud scoring, review queue and model registry; storefront events

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "fraud_signals",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("card_fingerprint", sa.String(length=100), nullable=True),
        sa.Column("address_key", sa.String(length=300), nullable=False),
        sa.Column("billing_postcode", sa.String(length=12), nullable=True),
        sa.Column("billing_country", sa.String(length=2), nullable=True),
        sa.Column("session_id", sa.String(length=100), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_fraud_signals_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_fraud_signals_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_fraud_signals")),
    )
    for name, column in (
        ("customer", "customer_id"),
        ("email", "email"),
        ("card", "card_fingerprint"),
        ("ip", "ip"),
        ("device", "device_id"),
        ("address", "address_key"),
    ):
        op.create_index(
            f"ix_fraud_signals_{name}_created", "fraud_signals", [column, "created_at"]
        )

    op.create_table(
        "fraud_assessments",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("rules_fired", sa.JSON(), nullable=False),
        sa.Column("features", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(length=40), nullable=True),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("review_status", sa.String(length=10), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=True),
        sa.Column("assessed_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_fraud_assessments_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_fraud_assessments")),
    )
    op.create_index(
        op.f("ix_fraud_assessments_assessed_at"), "fraud_assessments", ["assessed_at"]
    )
    op.create_index(
        "ix_fraud_assessments_review", "fraud_assessments", ["review_status", "assessed_at"]
    )

    op.create_table(
        "fraud_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("analyst", sa.String(length=120), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("decided_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_fraud_reviews_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_reviews")),
    )
    op.create_index(op.f("ix_fraud_reviews_order_id"), "fraud_reviews", ["order_id"])

    op.create_table(
        "fraud_chargebacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("amount_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_fraud_chargebacks_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_fraud_chargebacks_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_chargebacks")),
        sa.UniqueConstraint("order_id", name=op.f("uq_fraud_chargebacks_order_id")),
    )
    op.create_index(
        op.f("ix_fraud_chargebacks_customer_id"), "fraud_chargebacks", ["customer_id"]
    )

    op.create_table(
        "fraud_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("trained_at", TZ, nullable=False),
        sa.Column("trained_by", sa.String(length=120), nullable=False),
        sa.Column("data_from", TZ, nullable=True),
        sa.Column("data_to", TZ, nullable=True),
        sa.Column("n_samples", sa.Integer(), nullable=False),
        sa.Column("n_fraud", sa.Integer(), nullable=False),
        sa.Column("roc_auc", sa.Float(), nullable=True),
        sa.Column("pr_auc", sa.Float(), nullable=True),
        sa.Column("review_threshold", sa.Float(), nullable=False),
        sa.Column("reject_threshold", sa.Float(), nullable=False),
        sa.Column("card", sa.JSON(), nullable=False),
        sa.Column("artifact", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_models")),
        sa.UniqueConstraint("version", name=op.f("uq_fraud_models_version")),
    )

    op.create_table(
        "fraud_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fraud_settings")),
    )

    op.create_table(
        "storefront_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("session_id", sa.String(length=100), nullable=False),
        sa.Column("anonymous_id", sa.String(length=100), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False),
        sa.Column("device", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=60), nullable=False),
        sa.Column("page", sa.String(length=300), nullable=False),
        sa.Column("landing_page", sa.String(length=300), nullable=True),
        sa.Column("product_sku", sa.String(length=64), nullable=True),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("value_cents", sa.Integer(), nullable=False),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storefront_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_storefront_events_event_id")),
    )
    op.create_index("ix_storefront_events_occurred", "storefront_events", ["occurred_at"])
    op.create_index(
        "ix_storefront_events_session", "storefront_events", ["session_id", "occurred_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_storefront_events_session", table_name="storefront_events")
    op.drop_index("ix_storefront_events_occurred", table_name="storefront_events")
    op.drop_table("storefront_events")
    op.drop_table("fraud_settings")
    op.drop_table("fraud_models")
    op.drop_index(op.f("ix_fraud_chargebacks_customer_id"), table_name="fraud_chargebacks")
    op.drop_table("fraud_chargebacks")
    op.drop_index(op.f("ix_fraud_reviews_order_id"), table_name="fraud_reviews")
    op.drop_table("fraud_reviews")
    op.drop_index("ix_fraud_assessments_review", table_name="fraud_assessments")
    op.drop_index(op.f("ix_fraud_assessments_assessed_at"), table_name="fraud_assessments")
    op.drop_table("fraud_assessments")
    for name in ("address", "device", "ip", "card", "email", "customer"):
        op.drop_index(f"ix_fraud_signals_{name}_created", table_name="fraud_signals")
    op.drop_table("fraud_signals")
