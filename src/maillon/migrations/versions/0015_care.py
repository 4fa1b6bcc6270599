"""care: ticket links, workflow, assignment, intents, history, CSAT and intent models

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "care_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_agents")),
        sa.UniqueConstraint("name", name=op.f("uq_care_agents_name")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("shipment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("return_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("language", sa.String(length=2), server_default="en", nullable=False)
        )
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("intent", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("intent_confidence", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("intent_labelled", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("source_key", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_assignee_id_care_agents"), "care_agents", ["assignee_id"], ["id"]
        )
        batch_op.create_unique_constraint(batch_op.f("uq_tickets_source_key"), ["source_key"])
        batch_op.create_index(batch_op.f("ix_tickets_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_status"), ["status"], unique=False)
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), server_default="customer", nullable=False)
        )
        batch_op.add_column(sa.Column("external_id", sa.String(length=250), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_ticket_messages_external_id"), ["external_id"]
        )
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("old", sa.String(length=120), nullable=False),
        sa.Column("new", sa.String(length=120), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_events_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ticket_events_ticket_id"), ["ticket_id"], unique=False)
    op.create_table(
        "csat_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_csat_surveys_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_csat_surveys")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_csat_surveys_ticket_id")),
        sa.UniqueConstraint("token", name=op.f("uq_csat_surveys_token")),
    )
    op.create_table(
        "care_intent_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("examples", sa.Integer(), nullable=False),
        sa.Column("merchant_examples", sa.Integer(), nullable=False),
        sa.Column("accuracy", sa.Float(), nullable=True),
        sa.Column("intents", sa.JSON(), nullable=False),
        sa.Column("model", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_intent_models")),
    )
    # Tickets written before the workflow: 'pending' meant waiting on the customer; messages
    # by an agent (no e-mail address as author) were replies, internal ones notes.
    op.execute("UPDATE tickets SET status = 'waiting_on_customer' WHERE status = 'pending'")
    op.execute("UPDATE ticket_messages SET kind = 'note' WHERE internal")
    op.execute(
        "UPDATE ticket_messages SET kind = 'reply' WHERE NOT internal AND author NOT LIKE '%@%'"
    )


def downgrade() -> None:
    op.drop_table("care_intent_models")
    op.drop_table("csat_surveys")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ticket_events_ticket_id"))
    op.drop_table("ticket_events")
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ticket_messages_external_id"), type_="unique")
        batch_op.drop_column("external_id")
        batch_op.drop_column("kind")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_status"))
        batch_op.drop_index(batch_op.f("ix_tickets_assignee_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_customer_id"))
        batch_op.drop_constraint(batch_op.f("uq_tickets_source_key"), type_="unique")
        batch_op.drop_constraint(
            batch_op.f("fk_tickets_assignee_id_care_agents"), type_="foreignkey"
        )
        batch_op.drop_column("resolved_at")
        batch_op.drop_column("source_key")
        batch_op.drop_column("intent_labelled")
        batch_op.drop_column("intent_confidence")
        batch_op.drop_column("intent")
        batch_op.drop_column("assignee_id")
        batch_op.drop_column("language")
        batch_op.drop_column("return_id")
        batch_op.drop_column("shipment_id")
        batch_op.drop_column("customer_id")
    op.drop_table("care_agents")
    op.execute("UPDATE tickets SET status = 'pending' WHERE status = 'waiting_on_customer'")
