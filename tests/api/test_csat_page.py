"""The satisfaction survey page a customer opens from the e-mail sent when their ticket was
resolved: no login, the link's token is the credential, one answer only."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from maillon.care import service as care
from maillon.care.tables import CsatSurvey, Ticket
from maillon.core import clock
from maillon.core.db import Database


def survey(db: Database) -> str:
    with db.transaction() as s:
        ticket = care.open_ticket(
            session=s,
            email="lea@example.fr",
            subject="Invoice",
            body="Could you send me the invoice?",
            category="billing",
        )
        s.add(CsatSurvey(ticket_id=ticket.id, token="t0k3n" * 4, sent_at=clock.now()))
    return "t0k3n" * 4


def test_a_customer_rates_once_and_the_ticket_keeps_it(client: TestClient, db: Database) -> None:
    token = survey(db)
    page = client.get(f"/csat/{token}")
    assert page.status_code == 200 and 'name="score"' in page.text
    assert 'for="csat-comment"' in page.text  # the comment box is labelled
    missing = client.post(f"/csat/{token}", data={"comment": "no score"})
    assert missing.status_code == 422 and "rating from 1 to 5" in missing.text
    r = client.post(f"/csat/{token}", data={"score": "4", "comment": "quick and kind"})
    assert r.status_code == 200 and 'id="csat-thanks"' in r.text
    with db.reader() as s:
        row = s.scalar(select(CsatSurvey).where(CsatSurvey.token == token))
        assert row is not None and (row.score, row.comment) == (4, "quick and kind")
        ticket = s.get(Ticket, row.ticket_id)
        assert ticket is not None
    again = client.post(f"/csat/{token}", data={"score": "1"})
    assert again.status_code == 409 and "already answered" in again.text
    with db.reader() as s:
        assert s.scalar(select(CsatSurvey.score).where(CsatSurvey.token == token)) == 4
    assert 'id="csat-thanks"' in client.get(f"/csat/{token}").text


def test_an_unknown_link_says_so_in_french_for_a_french_browser(
    client: TestClient, db: Database
) -> None:
    page = client.get("/csat/" + "x" * 20, headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert page.status_code == 404 and "n'est pas valide" in page.text.replace("&#39;", "'")
    assert 'name="score"' not in page.text
    bad = client.post("/csat/" + "x" * 20, data={"score": "5"})
    assert bad.status_code == 404
