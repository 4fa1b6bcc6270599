"""The webhooks' console pages, for admins only: endpoints added with their secret shown
once, refusals naming the field, a test ping to a local receiver shown in the log, enable,
disable, rotate and delete (confirmed), in French and English."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from maillon.core.db import Database
from maillon.web import webhooks as page
from maillon.web.i18n import FRENCH, translate, translator
from maillon.webhooks import service
from maillon.webhooks.model import PING_TOPIC, TOPICS
from maillon.webhooks.tables import WebhookEndpoint
from tests.helpers.console import csrf_in, sign_in
from tests.helpers.database import row_counts
from tests.helpers.webhooks import deliveries, expected_signature, receiver

FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
SECRET_SHOWN = re.compile(r"<code class=\"secret-value\" data-secret>(whsec_[^<]+)</code>")


def _visible(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def _endpoint(db: Database, endpoint_id: int) -> WebhookEndpoint | None:
    with db.reader() as s:
        found = s.get(WebhookEndpoint, endpoint_id)
        if found is not None:
            s.expunge(found)
        return found


def _add(client: TestClient, csrf: str, url: str, topics: list[str]) -> tuple[int, str]:
    r = client.post(
        "/webhooks",
        data={"csrf": csrf, "url": url, "description": "ERP", "topics": topics},
        headers=EN,
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    shown = SECRET_SHOWN.search(r.text)
    assert shown is not None
    found = re.search(r'Endpoint added: <a href="/webhooks/(\d+)"', r.text)
    assert found is not None
    return int(found.group(1)), shown.group(1)


def test_an_endpoint_is_added_its_secret_shown_once_and_refusals_name_the_field(
    client: TestClient, db: Database
) -> None:
    sign_in(client, db, role="admin")
    listed = client.get("/webhooks", headers=FR)
    assert listed.status_code == 200 and "Ajouter un point de réception" in listed.text
    for topic in TOPICS:  # every topic of the catalogue is a checkbox
        assert f'name="topics" value="{topic}"' in listed.text
    assert "Une commande a été expédiée" in listed.text
    csrf = csrf_in(listed.text)
    before = row_counts(db)
    clear = client.post(
        "/webhooks",
        data={"csrf": csrf, "url": "http://erp.example/hooks", "topics": ["order.shipped"]},
        headers=FR,
    )
    assert clear.status_code == 422 and 'role="alert"' in clear.text
    assert "url: doit utiliser https" in _visible(clear.text)
    assert 'value="order.shipped" checked' in clear.text  # the form as it was filled
    assert 'value="http://erp.example/hooks"' in clear.text
    unknown = client.post(
        "/webhooks",
        data={"csrf": csrf, "url": "https://erp.example/hooks", "topics": ["order.paid"]},
        headers=EN,
    )
    assert unknown.status_code == 422 and "topics: unknown topic(s) 'order.paid'" in _visible(
        unknown.text
    )
    none = client.post("/webhooks", data={"csrf": csrf, "url": "https://erp.example/hooks"})
    assert none.status_code == 422 and "topics: subscribe to at least one topic" in none.text
    assert row_counts(db) == before
    endpoint_id, secret = _add(
        client, csrf, "https://erp.example/hooks", ["order.*", "ticket.created"]
    )
    stored = _endpoint(db, endpoint_id)
    assert stored is not None and stored.secret == secret
    assert stored.topics == ["order.*", "ticket.created"]
    # shown once: neither the list nor the endpoint's page shows it again
    assert secret not in client.get("/webhooks").text
    detail = client.get(f"/webhooks/{endpoint_id}", headers=FR)
    assert detail.status_code == 200 and secret not in detail.text
    assert "Actif" in detail.text and "Tous les événements des commandes" in detail.text
    # rotated: the new one is shown once, the old one is gone
    rotated = client.post(f"/webhooks/{endpoint_id}/rotate", data={"csrf": csrf}, headers=FR)
    new = SECRET_SHOWN.search(rotated.text)
    assert rotated.status_code == 200 and new is not None and new.group(1) != secret
    assert rotated.headers["cache-control"] == "no-store"
    assert "Nouveau secret de signature" in rotated.text
    assert (stored := _endpoint(db, endpoint_id)) is not None and stored.secret == new.group(1)
    assert new.group(1) not in client.get(f"/webhooks/{endpoint_id}").text


def test_a_ping_to_a_local_receiver_is_shown_in_the_log(client: TestClient, db: Database) -> None:
    csrf = sign_in(client, db, role="admin")
    with receiver([200, 500]) as box:
        endpoint_id, secret = _add(client, csrf, box.url, ["*"])
        ping = client.post(
            f"/webhooks/{endpoint_id}/ping", data={"csrf": csrf}, follow_redirects=False
        )
        assert ping.status_code == 303
        assert ping.headers["location"].startswith(f"/webhooks/{endpoint_id}?ping=")
        shown = client.get(ping.headers["location"], headers=EN)
        (got,) = box.requests
        assert got.headers["X-Maillon-Topic"] == PING_TOPIC
        timestamp = got.headers["X-Maillon-Triggered-At"]
        assert got.headers["X-Maillon-Hmac-Sha256"] == expected_signature(
            secret, timestamp, got.body
        )
        failed = client.post(f"/webhooks/{endpoint_id}/ping", data={"csrf": csrf}, headers=FR)
    assert 'data-ping="delivered"' in shown.text and "HTTP 200" in shown.text
    (first, second) = deliveries(db)
    assert (first.status, first.response_status) == ("delivered", 200)
    row = re.search(rf'<tr data-delivery="{first.id}">(.*?)</tr>', shown.text, re.S)
    assert row is not None
    cells = _visible(row.group(1))
    assert "Test ping" in cells and "delivered" in cells and "200" in cells
    assert f"{first.latency_ms} ms" in cells
    # the second answer was a 500: failed, in French, with its code and error
    assert failed.status_code == 200 and 'data-ping="failed"' in failed.text
    log = re.search(rf'<tr data-delivery="{second.id}">(.*?)</tr>', failed.text, re.S)
    assert log is not None
    cells = _visible(log.group(1))
    assert "Ping de test" in cells and "en échec" in cells and "500" in cells
    assert "HTTP 500" in cells
    assert not re.search(r"\bfailed\b", _visible(failed.text))
    # a ping never counts against the endpoint
    assert (stored := _endpoint(db, endpoint_id)) is not None and stored.failures == 0


def test_enable_disable_and_delete_with_confirmation(client: TestClient, db: Database) -> None:
    csrf = sign_in(client, db, role="admin")
    endpoint_id, _ = _add(client, csrf, "https://erp.example/hooks", ["return.*"])
    off = client.post(f"/webhooks/{endpoint_id}/disable", data={"csrf": csrf}, headers=FR)
    assert off.status_code == 200 and "Désactivé" in off.text
    assert "désactivé par un admin" in off.text
    assert "disabled by an admin" in client.get("/webhooks", headers=EN).text
    on = client.post(f"/webhooks/{endpoint_id}/enable", data={"csrf": csrf}, headers=EN)
    assert on.status_code == 200 and "Enabled" in on.text
    assert (stored := _endpoint(db, endpoint_id)) is not None and stored.active
    unconfirmed = client.post(f"/webhooks/{endpoint_id}/delete", data={"csrf": csrf})
    assert unconfirmed.status_code == 422 and 'role="alert"' in unconfirmed.text
    assert "confirm: tick the box to confirm the deletion" in unconfirmed.text
    assert _endpoint(db, endpoint_id) is not None
    gone = client.post(
        f"/webhooks/{endpoint_id}/delete",
        data={"csrf": csrf, "confirm": "yes"},
        follow_redirects=False,
    )
    assert gone.status_code == 303 and gone.headers["location"] == "/webhooks"
    assert _endpoint(db, endpoint_id) is None
    missing = client.get(f"/webhooks/{endpoint_id}", headers=FR)
    assert missing.status_code == 404 and "point de réception" in missing.text
    assert "introuvable" in missing.text


def test_the_webhooks_pages_are_for_admins_only(client: TestClient, db: Database) -> None:
    with db.transaction() as s:
        endpoint, secret = service.create_endpoint(
            session=s, url="https://erp.example/hooks", topics=["*"], actor="admin:a"
        )
        endpoint_id = endpoint.id
    csrf = sign_in(client, db)  # an operator
    home = client.get("/channels")
    assert 'href="/channels"' in home.text and 'href="/webhooks"' not in home.text
    assert client.get("/webhooks").status_code == 403
    assert client.get(f"/webhooks/{endpoint_id}").status_code == 403
    before = row_counts(db)
    for action in ("ping", "rotate", "disable"):
        r = client.post(f"/webhooks/{endpoint_id}/{action}", data={"csrf": csrf})
        assert r.status_code == 403, action
    added = client.post(
        "/webhooks", data={"csrf": csrf, "url": "https://x.example", "topics": ["*"]}
    )
    assert added.status_code == 403
    assert row_counts(db) == before
    assert (stored := _endpoint(db, endpoint_id)) is not None and stored.secret == secret
    admin_csrf = sign_in(client, db, role="admin")
    nav = client.get("/webhooks")
    assert nav.status_code == 200 and 'href="/webhooks"' in nav.text
    # the admin's form still needs the admin's token
    assert client.post(f"/webhooks/{endpoint_id}/disable", data={"csrf": csrf}).status_code == 403
    assert admin_csrf != csrf


def test_every_label_the_webhook_pages_show_has_its_french() -> None:
    labels = [
        *page.TOPIC_LABELS.values(),
        *page.FAMILY_LABELS.values(),
        *page.STATUS_LABELS.values(),
        *(english for _pattern, english in page.REASONS),
    ]
    assert [text for text in labels if text not in FRENCH] == []
    assert set(page.TOPIC_LABELS) >= set(TOPICS)
    fr = translator("fr")
    reason = (
        "disabled after 20 failed attempts in a row since 2026-12-07 10:00 UTC; "
        "last: HTTP 500: Internal Server Error"
    )
    assert translate(reason, fr, page.REASONS) == (
        "désactivé après 20 essais échoués d'affilée depuis le 2026-12-07 10:00 UTC ; "
        "dernier : HTTP 500: Internal Server Error"
    )
    assert translate("endpoint disabled: disabled by an admin", fr, page.REASONS) == (
        "point de réception désactivé : désactivé par un admin"
    )
