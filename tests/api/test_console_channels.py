"""The shops' console pages: the shops (never a secret), the inbox of refused webhooks fixed
and reprocessed through the page, bad JSON refused naming the field with nothing changed,
and the stock drift report asked for by a POST and read by the worker (a GET never calls
the shop)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from huey import MemoryHuey

from maillon.channels import service as channels
from maillon.channels.service import outgoing, real_client, use_clients
from maillon.channels.tables import InboxEntry
from maillon.channels.throttle import RetryPolicy
from maillon.core.db import Database
from maillon.core.jobs import list_jobs
from maillon.orders.intake import signature
from maillon.orders.service import get_order
from maillon.web import channels as page
from maillon.web.i18n import FRENCH, translate, translator
from maillon.worker.engine import Engine
from maillon.worker.tasks import HANDLERS
from tests.helpers import seed_basic
from tests.helpers.console import csrf_in, sign_in
from tests.helpers.database import row_counts
from tests.helpers.shops import FakeShop, running_shop

DATA = Path(__file__).parents[1] / "data"
SECRET = "shpss_0123456789abcdef"
SHOP_ORDER = "820982911946154508"
WOO_SECRET = "cs_never_shown_secret"
FR = {"Accept-Language": "fr-FR,fr;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


@pytest.fixture
def shop() -> Iterator[FakeShop]:
    use_clients(lambda a: real_client(a, policy=RetryPolicy(base=0.01, cap=0.02), sleep=print))
    with running_shop() as running:
        yield running
    use_clients(None)


def _shops(db: Database, shop_url: str = "") -> None:
    with db.transaction() as s:
        channels.register_channel(session=s, code="myshop", kind="shopify", webhook_secret=SECRET)
        if shop_url:
            channels.register_channel(
                session=s,
                code="woo",
                kind="woocommerce",
                webhook_secret=SECRET,
                shop_url=shop_url,
                api_key="ck_1",
                api_secret=WOO_SECRET,
            )


def _refused_order(client: TestClient, sku: str = "GHOST", order_id: str = SHOP_ORDER) -> int:
    payload = json.loads((DATA / "intake" / "shopify_order.json").read_bytes())
    payload["line_items"][0]["sku"] = sku
    payload["id"] = int(order_id)
    body = json.dumps(payload).encode()
    r = client.post(
        "/api/v1/webhooks/shopify/myshop",
        content=body,
        headers={
            "X-Shopify-Hmac-Sha256": signature(SECRET, body),
            "X-Shopify-Topic": "orders/create",
            "Content-Type": "application/json",
        },
    )
    assert r.status_code == 202, r.text
    return int(r.json()["inbox_id"])


def _visible(page: str) -> str:
    """The page's text as read (tags, attributes and scripts left out)."""
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _entry(db: Database, entry_id: int) -> InboxEntry:
    with db.reader() as s:
        entry = s.get(InboxEntry, entry_id)
        assert entry is not None
        s.expunge(entry)
        return entry


def test_the_shops_page_in_french_and_english_shows_no_secret(
    client: TestClient, db: Database
) -> None:
    seed_basic(db)
    _shops(db, shop_url="https://woo.example")
    entry_id = _refused_order(client)
    sign_in(client, db)
    fr = client.get("/channels", headers=FR)
    assert fr.status_code == 200
    text = _visible(fr.text)
    assert "Boutiques connectées" in text and "Webhooks refusés" in text
    assert "À corriger" in text and "lines.0.sku: référence inconnue 'GHOST'" in text
    assert not re.search(r"\brefused\b", text)  # the status is translated, not its code
    assert f'href="/channels/inbox/{entry_id}"' in fr.text
    assert "WooCommerce" in text and "Shopify" in text and "Renseignés" in text
    assert SECRET not in fr.text and WOO_SECRET not in fr.text and "ck_1" not in fr.text
    en = client.get("/channels", headers=EN)
    assert "Waiting for a fix" in en.text and "unknown SKU 'GHOST'" in _visible(en.text)
    assert 'href="/channels"' in en.text  # in the navigation for operators
    detail = client.get(f"/channels/inbox/{entry_id}", headers=FR)
    assert detail.status_code == 200 and "Retraiter" in detail.text
    assert '"sku": "GHOST"' in html.unescape(detail.text)
    missing = client.get("/channels/inbox/999", headers=FR)
    assert missing.status_code == 404 and "introuvable" in missing.text
    filtered = client.get("/channels?status=nope", headers=EN)
    assert filtered.status_code == 422 and 'role="alert"' in filtered.text
    assert "status: use one of" in filtered.text


def test_an_entry_is_fixed_and_reprocessed_through_the_page(
    client: TestClient, db: Database
) -> None:
    seed_basic(db)
    _shops(db)
    entry_id = _refused_order(client)
    sign_in(client, db)
    url = f"/channels/inbox/{entry_id}"
    csrf = csrf_in(client.get(url).text)  # the token the page's forms carry
    stored = _entry(db, entry_id).body
    before = row_counts(db)
    # bad JSON: refused in the page, naming the field, and nothing changed
    bad = client.post(f"{url}/reprocess", data={"csrf": csrf, "payload": '{"id": 1,'}, headers=FR)
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    assert "payload: n'est pas du JSON (ligne 1, colonne" in _visible(bad.text)
    assert '{"id": 1,</textarea>' in html.unescape(bad.text)  # the text typed stays
    not_object = client.post(f"{url}/save", data={"csrf": csrf, "payload": "[1, 2]"})
    assert not_object.status_code == 422 and "payload: must be a JSON object" in not_object.text
    assert row_counts(db) == before and _entry(db, entry_id).body == stored
    # still the unknown SKU: the page names the field, the entry waits
    page_text = client.get(url).text
    textarea = re.search(r'<textarea id="payload" [^>]*>(.*?)</textarea>', page_text, re.S)
    assert textarea is not None
    payload = json.loads(html.unescape(textarea.group(1)))
    still = client.post(f"{url}/reprocess", data={"csrf": csrf, "payload": json.dumps(payload)})
    assert still.status_code == 422 and "lines.0.sku: unknown SKU 'GHOST'" in _visible(still.text)
    assert _entry(db, entry_id).status == "refused"
    # fixed in the page, then reprocessed: the order is placed
    payload["line_items"][0]["sku"] = "MUG-01"
    no_csrf = client.post(f"{url}/reprocess", data={"payload": json.dumps(payload)})
    assert no_csrf.status_code == 403
    done = client.post(
        f"{url}/reprocess",
        data={"csrf": csrf, "payload": json.dumps(payload, indent=2)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == url
    entry = _entry(db, entry_id)
    assert entry.status == "processed" and entry.order_number
    with db.reader() as s:
        order = get_order(session=s, number=entry.order_number)
        assert (order.channel, order.external_id) == ("myshop", SHOP_ORDER)
    shown = client.get(url, headers=FR)
    assert "Traité" in shown.text and entry.order_number in shown.text
    assert 'action="/channels/inbox/' not in shown.text  # nothing more to do with it
    again = client.post(f"{url}/discard", data={"csrf": csrf}, headers=FR)
    assert again.status_code == 409 and "seul un webhook refusé peut changer" in again.text


def test_an_entry_is_discarded_and_other_roles_are_kept_out(
    client: TestClient, db: Database
) -> None:
    seed_basic(db)
    _shops(db)
    entry_id = _refused_order(client, order_id="1001")
    csrf = sign_in(client, db)
    r = client.post(f"/channels/inbox/{entry_id}/discard", data={"csrf": csrf})
    assert r.status_code == 200 and r.url.path == "/channels"  # followed the redirect
    assert _entry(db, entry_id).status == "discarded"
    assert f"/channels/inbox/{entry_id}" not in r.text  # only those waiting are listed
    listed = client.get("/channels?status=discarded", headers=FR)
    assert "Abandonné" in listed.text and f"/channels/inbox/{entry_id}" in listed.text
    sign_in(client, db, role="picker")
    assert client.get("/channels").status_code == 403
    assert client.get(f"/channels/inbox/{entry_id}").status_code == 403


def test_the_drift_report_is_asked_for_and_read_by_the_worker(
    client: TestClient, db: Database, shop: FakeShop
) -> None:
    seed_basic(db)  # available: MUG-01 8, TSHIRT-M 10, LAMP-02 2, BOOK-07 2
    _shops(db, shop_url=shop.url)
    shop.answer("GET", "/wp-json/wc/v3/products", "woocommerce/products_by_sku.json")
    csrf = sign_in(client, db)
    empty = client.get("/channels/woo/drift", headers=FR)
    assert empty.status_code == 200 and "Pas encore de rapport." in empty.text
    asked = client.post("/channels/woo/drift", data={"csrf": csrf}, follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"] == "/channels/woo/drift"
    client.post("/channels/woo/drift", data={"csrf": csrf})  # one is waiting: no second
    with db.reader() as s:
        (job,), _ = list_jobs(s, name=outgoing.DRIFT)
        assert job.args == {"channel": "woo"}
    waiting = client.get("/channels/woo/drift", headers=FR)
    assert "En attente du worker" in waiting.text
    assert client.get("/channels", headers=FR).status_code == 200
    assert shop.seen == []  # showing the pages never called the shop
    Engine(db, huey=MemoryHuey("t", utc=True), handlers=HANDLERS, schedule=()).run(job.id)
    assert len(shop.seen) == 1
    report = client.get("/channels/woo/drift", headers=EN)
    skus = re.findall(r'<tr data-sku="([^"]+)"', report.text)
    assert skus == ["MUG-01", "LAMP-02", "TSHIRT-M", "BOOK-07"]  # the drifting one first
    assert "1 of 4 SKUs drift" in report.text and "Done" in report.text
    assert re.search(r'data-sku="MUG-01" class="drifting">.*?>8<.*?>7<.*?>-1<', report.text)
    listed = client.get("/channels", headers=FR)
    assert "1 sur 4 références en écart" in listed.text
    # a shop registered without credentials cannot be read: refused, naming the shop
    refused = client.post("/channels/myshop/drift", data={"csrf": csrf}, headers=FR)
    assert refused.status_code == 404 and 'role="alert"' in refused.text
    assert "channel: boutique connectée 'myshop' introuvable" in _visible(refused.text)
    assert client.get("/channels/nope/drift").status_code == 404


def test_every_label_the_shop_pages_show_has_its_french() -> None:
    labels = [
        *page.STATUS_LABELS.values(),
        *page.FILTER_LABELS.values(),
        *page.KIND_LABELS.values(),
        *page.JOB_LABELS.values(),
        *(english for _pattern, english in page.REASONS),
    ]
    assert [text for text in labels if text not in FRENCH] == []
    fr = translator("fr")
    reason = "order 42-A is shipped: it can no longer be cancelled"
    assert translate(reason, fr, page.REASONS) == (
        "la commande 42-A est expédiée : elle ne peut plus être annulée"
    )
