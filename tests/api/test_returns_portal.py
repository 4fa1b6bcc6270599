"""The public return portal: it reveals nothing without both the order number and the e-mail
or postal code, applies the merchant's policy, and its pages lead to an RMA number."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from maillon.catalog.tables import Product
from maillon.core import clock
from maillon.core.db import Database
from maillon.returns import service as returns
from tests.helpers.database import row_counts
from tests.helpers.returns import EMAIL, deliver


def test_wrong_contact_and_unknown_order_get_the_same_answer(
    seeded: Database, client: TestClient
) -> None:
    number = deliver(seeded, [("MUG-01", 1)])
    other = number[:-1] + ("9" if number[-1] != "9" else "8")
    answers = []
    for order, contact in (
        (number, "someone@example.fr"),
        (number, "75001"),
        (other, EMAIL),
        ("M9999999", EMAIL),
        ("not-a-number", EMAIL),
    ):
        r = client.post("/api/v1/portal/returns/lookup", json={"order": order, "contact": contact})
        answers.append((r.status_code, r.json()))
    assert all(a == (404, answers[0][1]) for a in answers), answers
    assert "Camille" not in str(answers) and "MUG" not in str(answers)
    before = row_counts(seeded)
    r = client.post(
        "/api/v1/portal/returns",
        json={
            "order": number,
            "contact": "69003",
            "lines": [{"sku": "MUG-01", "quantity": 1, "reason": "defective"}],
        },
    )
    assert (r.status_code, r.json()) == answers[0]
    assert row_counts(seeded) == before
    # with the right postal code (spaces and case do not matter) the order shows
    r = client.post("/api/v1/portal/returns/lookup", json={"order": number, "contact": " 69 002 "})
    assert r.status_code == 200 and r.json()["lines"][0]["sku"] == "MUG-01"


def test_policy_window_and_non_returnable_items(
    seeded: Database, client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    with seeded.transaction() as s:
        s.query(Product).filter(Product.sku == "TSHIRT-M").update({"category": "underwear"})
        s.query(Product).filter(Product.sku == "LAMP-02").update({"category": "lighting"})
    r = client.put(
        "/api/v1/returns/settings",
        json={
            "default_window_days": 14,
            "window_days_by_category": {"lighting": 60},
            "non_returnable_categories": ["underwear"],
        },
        headers=auth["operator"],
    )
    assert r.status_code == 200, r.text
    number = deliver(seeded, [("MUG-01", 1), ("TSHIRT-M", 1), ("LAMP-02", 1), ("BOOK-07", 1)])

    def ask(sku: str, reason: str) -> tuple[int, dict[str, object]]:
        r = client.post(
            "/api/v1/portal/returns",
            json={
                "order": number,
                "contact": EMAIL,
                "lines": [{"sku": sku, "quantity": 1, "reason": reason}],
            },
        )
        return r.status_code, r.json()

    # underwear comes back only when it is the merchant's fault
    code, body = ask("TSHIRT-M", "changed_mind")
    assert code == 422 and body["error"]["field"] == "lines.0.reason"
    assert "cannot be returned" in body["error"]["message"]
    view = client.post(
        "/api/v1/portal/returns/lookup", json={"order": number, "contact": EMAIL}
    ).json()
    shirt = next(x for x in view["lines"] if x["sku"] == "TSHIRT-M")
    assert shirt["returnable"] is False and "defective" in shirt["message"]

    # 20 days later: the 14-day window is over for the mug, not for the lamp (60 days)
    with clock.frozen_at(clock.now() + timedelta(days=20)):
        code, body = ask("MUG-01", "changed_mind")
        assert code == 422 and "window expired" in body["error"]["message"]
        code, body = ask("LAMP-02", "changed_mind")
        assert code == 201 and body["status"] == "approved", body
        code, body = ask("MUG-01", "defective")  # a defect is covered for two years
        assert code == 201, body
        code, body = ask("TSHIRT-M", "wrong_item")
        assert code == 201, body
    # an agent may make an exception to the policy, when the agent says so
    with clock.frozen_at(clock.now() + timedelta(days=400)):
        body = {"order": number, "reason": "goodwill", "lines": [{"sku": "BOOK-07", "quantity": 1}]}
        r = client.post("/api/v1/returns", json=body, headers=auth["agent"])
        assert r.status_code == 422 and r.json()["error"]["field"] == "lines.0.reason"
        r = client.post("/api/v1/returns", json={**body, "override": True}, headers=auth["agent"])
        assert r.status_code == 201 and r.json()["lines"][0]["reason"] == "other", r.text
        r = client.post("/api/v1/returns", json={**body, "override": True}, headers=auth["agent"])
        assert r.status_code == 422 and r.json()["error"]["field"] == "lines.0.quantity"


def test_portal_pages_lead_to_an_rma(seeded: Database, client: TestClient) -> None:
    number = deliver(seeded, [("MUG-01", 2), ("BOOK-07", 1)])
    page = client.get("/returns")
    assert page.status_code == 200 and 'action="/returns/lookup"' in page.text
    french = client.get("/returns", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Retourner un article" in french.text and "Return an item" not in french.text
    r = client.post("/returns/lookup", data={"order": number, "contact": "nobody@example.fr"})
    assert r.status_code == 404 and "No order matches" in r.text and "MUG-01" not in r.text
    r = client.post("/returns/lookup", data={"order": number, "contact": EMAIL})
    assert r.status_code == 200 and "MUG-01" in r.text and 'name="qty_MUG-01"' in r.text
    r = client.post(
        "/returns/submit",
        data={
            "order": number,
            "contact": EMAIL,
            "sku": ["MUG-01", "BOOK-07"],
            "qty_MUG-01": "3",
            "reason_MUG-01": "defective",
            "qty_BOOK-07": "0",
            "reason_BOOK-07": "defective",
        },
    )
    assert r.status_code == 422 and "only 2 unit(s)" in r.text
    r = client.post(
        "/returns/submit",
        data={
            "order": number,
            "contact": EMAIL,
            "sku": ["MUG-01"],
            "qty_MUG-01": "1",
            "reason_MUG-01": "defective",
            "comment": "handle came off",
        },
    )
    assert r.status_code == 200, r.text
    with seeded.reader() as s:
        (rma,) = returns.list_returns(session=s)
        assert rma.channel == "portal" and rma.reason == "handle came off"
    assert rma.number in r.text and "approved" in r.text


def test_a_french_customer_reads_what_to_do_in_french(seeded: Database, client: TestClient) -> None:
    number = deliver(seeded, [("MUG-01", 2)])
    r = client.post(
        "/returns/submit",
        data={
            "order": number,
            "contact": EMAIL,
            "sku": ["MUG-01"],
            "qty_MUG-01": "1",
            "reason_MUG-01": "defective",
        },
        headers={"Accept-Language": "fr-FR,fr;q=0.9"},
    )
    assert r.status_code == 200, r.text
    assert "Emballez les articles" in r.text and "Pack the items" not in r.text
