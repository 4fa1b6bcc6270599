"""care: an editable knowledge base and shop policy for the FAQ assistant; e-commerce intents

The FAQ assistant's articles move from a file in the package to ``care_articles`` (per
language, editable through the API, the CLI and the console), seeded with the shipped articles;
``care_shop_policy`` holds what it says of payment methods and delivery times. Tickets' intents
of the former (Bitext) label set are rewritten to the e-commerce set (``care.model.OLD_INTENTS``
as it was at this revision, copied below), and intent models retrained on the former labels are
dropped: they would route to queues that no longer exist.

Revision ID: 0036
Revises: 0035
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

OLD_INTENTS = {
    "delivery_period": "delivery_options",
    "set_up_shipping_address": "change_shipping_address",
    "check_refund_policy": "return_item",
    "get_refund": "refund_status",
    "track_refund": "refund_status",
    "check_invoice": "invoice",
    "get_invoice": "invoice",
    "check_payment_methods": "payment",
    "payment_issue": "payment",
    "check_cancellation_fee": "cancel_order",
    "place_order": "other",
    "create_account": "account",
    "delete_account": "account",
    "edit_account": "account",
    "recover_password": "account",
    "registration_problems": "account",
    "switch_account": "account",
    "newsletter_subscription": "account",
    "complaint": "other",
    "review": "other",
    "contact_customer_service": "contact_human_agent",
}


def _seed(articles: sa.Table) -> None:
    text = resources.files("maillon.care").joinpath("faq_kb.json").read_text("utf-8")
    now = datetime.now(UTC)
    rows = []
    for entry in json.loads(text)["entries"]:
        slug, _, language = entry["id"].rpartition("-")
        rows.append(
            {
                "slug": slug,
                "language": language,
                "intent": entry.get("intent") or "other",
                "question": entry["question"],
                "alternates": list(entry.get("alternates", [])),
                "answer": entry["answer"],
                "active": True,
                "updated_by": "maillon",
                "updated_at": now,
            }
        )
    op.bulk_insert(articles, rows)


def upgrade() -> None:
    articles = op.create_table(
        "care_articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("intent", sa.String(60), nullable=False),
        sa.Column("question", sa.String(300), nullable=False),
        sa.Column("alternates", sa.JSON(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("slug", "language", name="uq_care_articles_slug_language"),
    )
    op.create_index("ix_care_articles_slug", "care_articles", ["slug"])
    op.create_table(
        "care_shop_policy",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(120), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    _seed(articles)
    tickets = sa.table("tickets", sa.column("intent", sa.String()))
    for old, new in OLD_INTENTS.items():
        op.execute(tickets.update().where(tickets.c.intent == old).values(intent=new))
    op.execute(sa.text("DELETE FROM care_intent_models"))


def downgrade() -> None:
    op.drop_index("ix_care_articles_slug", table_name="care_articles")
    op.drop_table("care_articles")
    op.drop_table("care_shop_policy")
