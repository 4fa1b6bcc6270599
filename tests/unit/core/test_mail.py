"""Customer messages: the language a customer is written in, and every template rendered in
both languages, with absolute links and nothing left unrendered."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from jinja2 import TemplateNotFound, UndefinedError

from maillon.core import mail

BRAND = mail.Brand(shop_name="Boutique Lune", public_url="https://shop.example/maillon/")
BASE = "https://shop.example/maillon/"

ORDER = {
    "customer_name": "Zoé Martin",
    "order_number": "A-1001",
    "currency": "EUR",
    "postcode": "69002",
}
SAMPLES: dict[str, dict[str, Any]] = {
    "order.confirmed": {**ORDER, "items": 3, "total_cents": 123456},
    "order.cancelled": ORDER,
    "order.backordered": {**ORDER, "short": {"LAMP-02": 1, "MUG-01": 2}},
    "order.backorder_released": ORDER,
    "order.short_picked": {**ORDER, "quantity": 1, "product": "Mug <bleu>"},
    "order.shipped": {
        **ORDER,
        "carrier": "Colissimo Domicile",
        "tracking": ["6A123", "6A124"],
        "promised": date(2025, 7, 16),
    },
    "order.delivered": ORDER,
    "shipment.delay_notice": {
        **ORDER,
        "kind": "late",
        "carrier": "Colissimo",
        "tracking": ["6A123"],
        "promised": date(2025, 7, 16),
        "problem": "",
    },
    "delivery.slot_booked": {**ORDER, "day": date(2025, 7, 16), "start": "09:00", "end": "11:00"},
    "delivery.collect_linked": {
        **ORDER,
        "store": "Lyon Part-Dieu",
        "address": "69003 Lyon",
        "ready": datetime(2025, 7, 16, 14, 30),
        "until": datetime(2025, 7, 19, 19, 0),
    },
    "delivery.collect_expired": ORDER,
    "delivery.collect_reserved": {
        "customer_name": "",
        "store": "Lyon Part-Dieu",
        "address": "1 rue Garibaldi, 69003 Lyon",
        "ready": datetime(2025, 7, 16, 14, 30),
        "opening_hours": "10:00-19:00",
        "hold_days": 3,
    },
    "delivery.collected": ORDER,
    "delivery.courier_assigned": {**ORDER, "eta": datetime(2025, 7, 16, 14, 30)},
    "delivery.eta": {
        **ORDER,
        "day": date(2025, 7, 16),
        "window": "09:00-11:00",
        "start": "09:00",
        "end": "11:00",
        "moved": True,
    },
    "return.requested": {**ORDER, "rma": "R-77", "units": [(1, "MUG-01"), (2, "TSHIRT-M")]},
    "return.received": {**ORDER, "rma": "R-77"},
    "return.settled": {
        **ORDER,
        "rma": "R-77",
        "method": "refund",
        "amount_cents": 1250,
        "reference": "",
        "replacement": [],
    },
    "return.approved": {
        **ORDER,
        "rma": "R-77",
        "warehouse": "LYS1",
        "label": "issued",
        "carrier": "Colissimo",
        "tracking_number": "8R1",
    },
    "return.label": {**ORDER, "rma": "R-77", "carrier": "Colissimo", "tracking_number": "8R1"},
    "return.rejected": {**ORDER, "rma": "R-77", "note": "worn item"},
    "ticket.reply": {
        "bare": True,
        "reply": "Bonjour Zoé,\n\nVotre colis part demain.\n\nLéa",
        "ticket_subject": "Où est ma commande ?",
        "ref": "T42",
    },
    "ticket.csat": {"ref": "T42", "token": "tok_123-abc"},
    "ticket.sla_warning": {
        "customer_name": "Léa",
        "ref": "T42",
        "ticket_id": 42,
        "ticket_subject": "Où est ma commande ?",
        "clock": "first_response",
        "priority": "normal",
        "due_day": date(2025, 7, 16),
        "due_at": datetime(2025, 7, 16, 14, 30),
    },
    "ticket.sla_breached": {
        "customer_name": "Léa",
        "ref": "T42",
        "ticket_id": 42,
        "ticket_subject": "Où est ma commande ?",
        "clock": "resolution",
        "priority": "urgent",
        "due_day": date(2025, 7, 16),
        "due_at": datetime(2025, 7, 16, 14, 30),
    },
    "return.expired": {**ORDER, "rma": "R-77", "deadline": date(2025, 7, 16), "label": True},
}
#: The link each message must carry, when it has one.
LINKS = {
    "order.shipped": f"{BASE}track?number=6A123&postcode=69002",
    "shipment.delay_notice": f"{BASE}track?number=6A123&postcode=69002",
    "order.delivered": f"{BASE}returns",
    "delivery.collected": f"{BASE}returns",
    "ticket.csat": f"{BASE}csat/tok_123-abc",
    "ticket.sla_warning": f"{BASE}care/42",
    "ticket.sla_breached": f"{BASE}care/42",
    "return.expired": f"{BASE}returns",
}


def topics_on_disk() -> set[str]:
    names = set()
    for folder in mail.template_dirs():
        for path in folder.glob("*/*.j2"):
            names.add(path.name.removesuffix(".j2").removesuffix(".sms"))
    return names


def test_every_template_has_a_sample_and_both_languages() -> None:
    assert topics_on_disk() == set(SAMPLES)
    for folder in mail.template_dirs():
        for path in folder.glob("en/*.j2"):
            assert (path.parent.parent / "fr" / path.name).is_file(), path
        for path in folder.glob("fr/*.j2"):
            assert (path.parent.parent / "en" / path.name).is_file(), path


def _no_codes(text: str) -> None:
    assert "{{" not in text and "{%" not in text and "}}" not in text
    assert "None" not in text and "Undefined" not in text


def _links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"<>]+", text) + re.findall(r'href="([^"]*)"', text)


@pytest.mark.parametrize("locale", mail.LOCALES)
@pytest.mark.parametrize("topic", sorted(SAMPLES))
def test_each_message_renders_in_both_languages(topic: str, locale: str) -> None:
    rendered = mail.render(topic, locale, SAMPLES[topic], brand=BRAND)
    assert rendered.subject and "\n" not in rendered.subject
    for part in (rendered.subject, rendered.text, rendered.html):
        _no_codes(part)
    assert (
        rendered.html.startswith("<!DOCTYPE html>") and f'<html lang="{locale}">' in rendered.html
    )
    assert "Boutique Lune" in rendered.html
    for link in _links(rendered.text) + _links(rendered.html):
        assert link.startswith(BASE), link
    if topic in LINKS:
        assert LINKS[topic] in rendered.text
        assert LINKS[topic].replace("&", "&amp;") in rendered.html
    if "order_number" in SAMPLES[topic]:  # the subject names the order (or its return)
        assert ("A-1001" if "rma" not in SAMPLES[topic] else "R-77") in rendered.subject
    greeting = "Bonjour" if locale == "fr" else "Hello"
    if topic != "ticket.reply":
        assert rendered.text.startswith(greeting)
        assert "Boutique Lune" in rendered.text  # the signature


def test_french_and_english_differ_and_read_as_their_language() -> None:
    context = SAMPLES["order.confirmed"]
    fr = mail.render("order.confirmed", "fr", context, brand=BRAND)
    en = mail.render("order.confirmed", "en", context, brand=BRAND)
    assert fr.subject == "Votre commande A-1001 est confirmée"
    assert en.subject == "Your order A-1001 is confirmed"
    assert "1\u202f234,56\u00a0€" in fr.text and "3 articles" in fr.text
    assert "€1,234.56" in en.text and "3 items" in en.text
    assert "L'équipe Boutique Lune" in fr.text and "The Boutique Lune team" in en.text


def test_dates_are_written_in_the_customers_language() -> None:
    context = SAMPLES["order.shipped"]
    assert (
        "mercredi 16 juillet 2025" in mail.render("order.shipped", "fr", context, brand=BRAND).text
    )
    assert "Wednesday 16 July 2025" in mail.render("order.shipped", "en", context, brand=BRAND).text
    collect = mail.render(
        "delivery.collect_linked", "fr", SAMPLES["delivery.collect_linked"], brand=BRAND
    )
    assert "14h30" in collect.text


def test_html_escapes_what_people_typed_and_keeps_paragraphs() -> None:
    rendered = mail.render("order.short_picked", "en", SAMPLES["order.short_picked"], brand=BRAND)
    assert "Mug &lt;bleu&gt;" in rendered.html and "<bleu>" not in rendered.html
    assert "Mug <bleu>" in rendered.text  # the text part is not HTML
    reply = mail.render("ticket.reply", "fr", SAMPLES["ticket.reply"], brand=BRAND)
    assert reply.subject == "Re : Où est ma commande ? [T42]"
    assert reply.text.startswith("Bonjour Zoé,") and reply.text.count("Bonjour") == 1
    assert "<p>Votre colis part demain.</p>" in reply.html


def test_a_message_without_tracking_numbers_has_no_tracking_link() -> None:
    context = {**SAMPLES["order.shipped"], "tracking": []}
    rendered = mail.render("order.shipped", "en", context, brand=BRAND)
    assert "/track" not in rendered.text and "href" not in rendered.html


def test_sms_templates_are_one_line_with_absolute_links() -> None:
    for topic in (
        "order.shipped",
        "delivery.courier_assigned",
        "delivery.eta",
        "delivery.collect_linked",
    ):
        assert mail.has_template(topic, sms=True)
        for locale in mail.LOCALES:
            text = mail.render_sms(topic, locale, SAMPLES[topic], brand=BRAND)
            _no_codes(text)
            assert "\n" not in text and text.startswith("Boutique Lune")
            assert all(link.startswith(BASE) for link in _links(text))
    assert not mail.has_template("order.confirmed", sms=True)
    sms = mail.render_sms("order.shipped", "fr", SAMPLES["order.shipped"], brand=BRAND)
    assert f"{BASE}track?number=6A123&postcode=69002" in sms and "en route" in sms


def test_a_missing_value_or_template_or_locale_fails_loudly() -> None:
    with pytest.raises(UndefinedError):
        mail.render("order.confirmed", "en", ORDER, brand=BRAND)  # no items, no total
    with pytest.raises(TemplateNotFound):
        mail.render("order.unknown", "en", ORDER, brand=BRAND)
    with pytest.raises(ValueError, match="locale"):
        mail.render("order.delivered", "de", ORDER, brand=BRAND)


@pytest.mark.parametrize(
    ("order", "shop", "country", "expected"),
    [
        (None, None, "FR", "fr"),
        (None, None, "be", "fr"),
        (None, None, "CH", "fr"),
        (None, None, "LU", "fr"),
        (None, None, "MC", "fr"),
        (None, None, "DE", "en"),
        (None, None, "GB", "en"),
        (None, None, None, "en"),
        (None, "en", "FR", "en"),  # the shop's language before the country
        (None, "fr_FR", "DE", "fr"),
        ("fr-CA", "en", "US", "fr"),  # the order's own choice first
        ("en-GB", "fr", "FR", "en"),
        ("de", None, "FR", "en"),  # asked for something other than French
        ("  ", "", "BE", "fr"),  # empty choices do not decide
    ],
)
def test_choose_locale(
    order: str | None, shop: str | None, country: str | None, expected: str
) -> None:
    assert mail.choose_locale(order=order, shop=shop, country=country) == expected


def test_brand_builds_absolute_links_and_refuses_a_relative_base() -> None:
    brand = mail.Brand(shop_name="S", public_url="https://ops.example")
    assert brand.track("6A1", "75001") == "https://ops.example/track?number=6A1&postcode=75001"
    assert brand.track("6A1") == "https://ops.example/track?number=6A1"
    assert brand.csat("t") == "https://ops.example/csat/t"
    assert brand.returns() == "https://ops.example/returns"
    with pytest.raises(ValueError, match="absolute"):
        mail.Brand(shop_name="S", public_url="/shop")
    with pytest.raises(ValueError, match="shop_name"):
        mail.Brand(shop_name=" ", public_url="https://ops.example")


def test_money_and_days() -> None:
    assert mail.format_money(-1250, "fr") == "-12,50\u00a0€"
    assert mail.format_money(1250, "en", "GBP") == "£12.50"
    assert mail.format_money(1250, "en", "CHF") == "12.50 CHF"
    assert mail.format_day(date(2026, 12, 7), "fr") == "lundi 7 décembre 2026"
    assert mail.format_day(date(2026, 12, 7), "en") == "Monday 7 December 2026"


def test_templates_are_shipped_with_the_package() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[3]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]
    patterns = data["maillon"]
    assert "*/mail_templates/*/*.j2" in patterns and "*/mail_templates/*.html" in patterns
