"""The carriers' console page, for admins only: each carrier's mode (sandbox, live, rate card
only) and capabilities, the account form (secrets never shown back), refusals naming the
field, in French and English."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from maillon.core.db import Database
from maillon.web import carriers as page
from maillon.web.i18n import FRENCH
from tests.helpers import seed_basic
from tests.helpers.console import csrf_in, sign_in
from tests.helpers.database import row_counts

FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def _visible(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def _mode_of(text: str, carrier: str) -> str:
    found = re.search(rf'data-carrier="{carrier}">.*?data-mode="(\w+)"', text, re.DOTALL)
    assert found is not None
    return found.group(1)


def test_admins_see_each_carrier_mode_and_set_an_account(client: TestClient, db: Database) -> None:
    seed_basic(db)
    sign_in(client, db, role="admin")
    r = client.get("/carriers", headers=EN)
    assert r.status_code == 200
    assert _mode_of(r.text, "colissimo") == "rate_card" and "Rate card only" in r.text
    csrf = csrf_in(r.text)
    r = client.post(
        "/carriers",
        data={
            "csrf": csrf,
            "carrier": "colissimo",
            "connector": "colissimo",
            "mode": "live",
            "credentials": "contract_number=811200\npassword=s3cret!",
            "label_format": "zpl",
        },
        headers=EN,
    )
    assert r.status_code == 200, r.text  # redirected to the page
    assert _mode_of(r.text, "colissimo") == "live"
    shown = _visible(r.text)
    assert "contract_number" in shown and "s3cret" not in r.text
    for capability in ("Labels", "Tracking", "Relay search", "Return labels", "ZPL"):
        assert capability in shown
    fr = client.get("/carriers", headers=FR)
    assert "Production" in fr.text and "Recherche de points relais" in fr.text


def test_a_refusal_names_the_missing_credential(client: TestClient, db: Database) -> None:
    seed_basic(db)
    sign_in(client, db, role="admin")
    csrf = csrf_in(client.get("/carriers").text)
    before = row_counts(db)
    r = client.post(
        "/carriers",
        data={
            "csrf": csrf,
            "carrier": "colissimo",
            "connector": "colissimo",
            "mode": "sandbox",
            "credentials": "contract_number=811200",
        },
        headers=FR,
    )
    assert r.status_code == 422
    assert "credentials.password: demandé par l'API de ce transporteur" in _visible(r.text)
    r = client.post(
        "/carriers",
        data={
            "csrf": csrf,
            "carrier": "colissimo",
            "connector": "colissimo",
            "mode": "sandbox",
            "credentials": "no equals sign",
        },
        headers=EN,
    )
    assert r.status_code == 422 and "credentials: write key=value" in _visible(r.text)
    assert row_counts(db) == before


def test_only_admins_reach_the_page(client: TestClient, db: Database) -> None:
    sign_in(client, db, role="operator")
    assert client.get("/carriers").status_code == 403


def test_every_label_has_its_french() -> None:
    for label in (*page.MODE_LABELS.values(), *page.CAPABILITY_LABELS.values()):
        assert label in FRENCH
