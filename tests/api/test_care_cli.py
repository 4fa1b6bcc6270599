"""``maillon care``: classify, retrain on labelled tickets, inbox, agents, assistant, stats."""

from __future__ import annotations

from typer.testing import CliRunner

from maillon.care import service as care
from maillon.cli.main import app
from maillon.core.db import Database

runner = CliRunner()

DAMAGED = [
    "The vase came in pieces, glass everywhere in the box",
    "My lamp arrived cracked and the shade is bent",
    "Both mugs were shattered when I opened the parcel",
    "The frame is smashed, the glass broke during transport",
    "Item arrived broken, the handle snapped off",
    "Received the teapot chipped and cracked on the lid",
]


def test_classify_and_retrain_on_labelled_tickets(db_url: str, db: Database) -> None:
    r = runner.invoke(
        app, ["care", "classify", "where is my parcel? I want to track it", "--db", db_url]
    )
    assert r.exit_code == 0, r.output
    assert "track_order" in r.output and "queue delivery" in r.output
    r = runner.invoke(app, ["care", "classify", "  ", "--db", db_url])
    assert r.exit_code == 1 and "text" in r.output

    r = runner.invoke(app, ["care", "retrain", "--from-tickets", "--db", db_url])
    assert r.exit_code == 1 and "label at least 5" in r.output
    r = runner.invoke(app, ["care", "retrain", "--db", db_url])
    assert r.exit_code == 1 and "--from-tickets" in r.output

    with db.transaction() as s:
        for text in DAMAGED:
            ticket = care.open_ticket(
                session=s,
                email="camille.martin@example.fr",
                subject="Problem",
                body=text,
                classify_intent=False,
            )
            care.update_ticket(
                session=s, ticket_id=ticket.id, actor="agent:lea", intent="damaged_item"
            )
    r = runner.invoke(app, ["care", "retrain", "--from-tickets", "--db", db_url])
    assert r.exit_code == 0, r.output
    assert "6 from your tickets" in r.output and "14 intents" in r.output
    assert "accuracy on 1 held-out tickets" in r.output
    # the merchant's own intent is now known
    r = runner.invoke(
        app, ["care", "classify", "the bowl arrived cracked and broken", "--db", db_url]
    )
    assert r.exit_code == 0 and "damaged_item" in r.output


def test_agents_inbox_assistant_and_stats(db_url: str, db: Database) -> None:
    r = runner.invoke(
        app, ["care", "agent-add", "Ana", "--skills", "delivery,returns", "--db", db_url]
    )
    assert r.exit_code == 0 and "delivery, returns" in r.output
    r = runner.invoke(app, ["care", "agent-add", "Ana", "--db", db_url])
    assert r.exit_code == 1 and "already exists" in r.output
    r = runner.invoke(app, ["care", "agent-add", "Bob", "--skills", "Bad Skill", "--db", db_url])
    assert r.exit_code == 1 and "skills.0" in r.output

    r = runner.invoke(app, ["care", "ask", "What is your return policy?", "--db", db_url])
    assert r.exit_code == 0 and "30 days" in r.output and "return-policy-en" in r.output
    r = runner.invoke(
        app,
        [
            "care",
            "ask",
            "My cat prefers the blue velvet armchair",
            "--email",
            "camille.martin@example.fr",
            "--db",
            db_url,
        ],
    )
    assert r.exit_code == 0 and "handed over" in r.output
    r = runner.invoke(app, ["care", "ask", "hi", "--email", "nope", "--db", db_url])
    assert r.exit_code == 1 and "email" in r.output

    r = runner.invoke(app, ["care", "inbox", "--db", db_url])
    assert r.exit_code == 0 and "1 ticket(s)" in r.output and "T1" in r.output
    r = runner.invoke(app, ["care", "inbox", "--sla", "late", "--db", db_url])
    assert r.exit_code == 1 and "sla" in r.output
    r = runner.invoke(app, ["care", "stats", "--db", db_url])
    assert r.exit_code == 0 and "1 ticket(s) per agent" in r.output and "(unassigned)" in r.output
    r = runner.invoke(app, ["care", "stats", "--from", "soon", "--db", db_url])
    assert r.exit_code == 1 and "--from" in r.output
