"""The FAQ assistant's knowledge base and policies: editable through the API, the CLI and the
console; answers follow the configured return, payment and delivery policies; a request for a
person is handed over; the article used is cited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from maillon.cli.main import app
from maillon.core.db import Database
from maillon.returns.service.settings import save_settings
from tests.helpers.console import csrf_in, sign_in

ASK = "/api/v1/care/assistant"
ARTICLES = "/api/v1/care/articles"
H = dict[str, dict[str, str]]
runner = CliRunner()


def ask(client: TestClient, question: str) -> dict[str, object]:
    r = client.post(ASK, json={"question": question})
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def source_id(answer: dict[str, object]) -> str:
    sources = answer["sources"]
    assert isinstance(sources, list) and sources, answer
    return str(sources[0]["id"])


def test_who_pays_returns_follows_the_configured_return_policy(
    client: TestClient, db: Database
) -> None:
    # given the default policy: the customer pays for a change of mind, we pay for our faults
    a = ask(client, "Who pays returns?")
    assert source_id(a) == "return-cost-en" and a["handover"] is False
    text = str(a["answer"])
    assert "We pay the return shipping when" in text and "You pay it otherwise" in text
    assert "free" not in text.lower()
    # when the merchant pays every return, the same question says so
    with db.transaction() as s:
        reasons = {
            code: {"label": code, "paid_by": "merchant"} for code in ("changed_mind", "defective")
        }
        save_settings(session=s, document={"reasons": reasons}, actor="t")
    a = ask(client, "Qui paie les frais de retour ?")
    assert source_id(a) == "return-cost-fr"
    assert "à notre charge, quelle que soit la raison" in str(a["answer"])


def test_payment_in_instalments_is_answered_about_payment_from_the_shop_policy(
    client: TestClient, db: Database, auth: H
) -> None:
    a = ask(client, "Payer en 3 fois ?")
    assert source_id(a) == "payment-methods-fr"
    assert "plusieurs fois n'est pas proposé" in str(a["answer"])
    policy = {
        "payment_methods": ["card", "paypal"],
        "installments": {"count": 3, "min_order_cents": 10000},
        "delivery": [{"option": "relay", "days_min": 2, "days_max": 3, "price_cents": 390}],
    }
    assert client.put("/api/v1/care/shop-policy", json=policy, headers=auth["agent"]).status_code
    assert (
        client.put("/api/v1/care/shop-policy", json=policy, headers=auth["agent"]).status_code
        == 403
    )
    r = client.put("/api/v1/care/shop-policy", json=policy, headers=auth["operator"])
    assert r.status_code == 200, r.text
    a = ask(client, "Payer en 3 fois ?")
    assert "payer en 3 fois sans frais dès 100,00\u00a0€" in str(a["answer"])
    d = ask(client, "How long does delivery take?")
    assert source_id(d).startswith("delivery-") and "relay point: 2-3 business days" in str(
        d["answer"]
    )
    bad = client.put(
        "/api/v1/care/shop-policy",
        json={**policy, "delivery": [{"option": "drone"}]},
        headers=auth["operator"],
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"].startswith("delivery.0")


def test_a_request_for_a_person_is_handed_over(client: TestClient) -> None:
    for question in ("I want to speak to a human", "je veux parler à quelqu'un"):
        a = ask(client, question)
        assert a["handover"] is True and a["kind"] == "handover" and a["sources"] == []
    r = client.post(
        ASK, json={"question": "I want to speak to a human", "email": "camille@example.fr"}
    ).json()
    assert r["handover"] is True and r["ticket"] and r["ticket"] in r["answer"]


def test_articles_are_edited_through_the_api_and_the_assistant_uses_the_edit(
    client: TestClient, auth: H
) -> None:
    listed = client.get(ARTICLES, params={"language": "en"}, headers=auth["agent"]).json()
    gift = next(a for a in listed if a["slug"] == "gift")
    r = client.patch(
        f"{ARTICLES}/{gift['id']}",
        json={"answer": "Tick 'gift' at checkout: wrapping is free this month."},
        headers=auth["agent"],
    )
    assert r.status_code == 200 and r.json()["updated_by"]
    a = ask(client, "Can I send an order as a gift?")
    assert source_id(a) == "gift-en" and "free this month" in str(a["answer"])
    new = {
        "slug": "loyalty",
        "language": "en",
        "question": "How does the loyalty programme work?",
        "answer": "Every euro spent earns one point; 100 points make a 5 EUR voucher.",
        "alternates": ["What are loyalty points?"],
        "intent": "account",
    }
    created = client.post(ARTICLES, json=new, headers=auth["agent"])
    assert created.status_code == 201, created.text
    assert client.post(ARTICLES, json=new, headers=auth["agent"]).status_code == 409
    assert source_id(ask(client, "how do loyalty points work")) == "loyalty-en"
    bad = client.post(
        ARTICLES, json={**new, "slug": "x", "answer": "{refund_magic}"}, headers=auth["agent"]
    )
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "answer"
    article = created.json()["id"]
    assert client.delete(f"{ARTICLES}/{article}", headers=auth["agent"]).status_code == 403
    assert client.delete(f"{ARTICLES}/{article}", headers=auth["operator"]).status_code == 204
    assert client.get(f"{ARTICLES}/{article}", headers=auth["agent"]).status_code == 404


def test_articles_are_edited_from_the_cli(db_url: str, db: Database) -> None:
    r = runner.invoke(app, ["care", "kb", "list", "--language", "fr", "--db", db_url])
    assert r.exit_code == 0 and "return-cost" in r.output
    r = runner.invoke(
        app,
        [
            "care",
            "kb",
            "add",
            "--slug",
            "horaires",
            "--language",
            "fr",
            "--question",
            "Quels sont vos horaires ?",
            "--answer",
            "Du lundi au vendredi, 9 h - 18 h.",
            "--db",
            db_url,
        ],
    )
    assert r.exit_code == 0, r.output
    article = int(r.output.split()[1])
    r = runner.invoke(app, ["care", "kb", "edit", str(article), "--inactive", "--db", db_url])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["care", "kb", "show", str(article), "--db", db_url])
    assert "active: false" in r.output
    r = runner.invoke(app, ["care", "kb", "edit", str(article), "--intent", "x", "--db", db_url])
    assert r.exit_code == 1 and "intent" in r.output
    r = runner.invoke(app, ["care", "kb", "policy-show", "--db", db_url])
    assert r.exit_code == 0 and "payment_methods" in r.output


def test_the_console_lists_and_changes_articles(client: TestClient, db: Database) -> None:
    sign_in(client, db, "agent")
    page = client.get("/care/knowledge", params={"language": "fr"})
    assert page.status_code == 200 and "return-cost" in page.text and "gift" in page.text
    token = csrf_in(page.text)
    r = client.post(
        "/care/knowledge",
        data={
            "csrf": token,
            "slug": "horaires",
            "language": "fr",
            "intent": "other",
            "question": "Vos horaires ?",
            "answer": "9 h - 18 h.",
            "alternates": "",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    refused = client.post(
        "/care/knowledge",
        data={"csrf": token, "slug": "horaires", "language": "fr", "question": "Q", "answer": "A"},
    )
    assert refused.status_code == 409 and "already exists" in refused.text
    page = client.get("/care/knowledge", params={"language": "fr"}).text
    assert "Vos horaires ?" in page
