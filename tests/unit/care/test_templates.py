"""Reply templates: whitelisted placeholders, safe substitution, French and English."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maillon.care import templates as templates_module
from maillon.care.templates import (
    DEFAULT_TEMPLATES,
    INTENTS,
    LANGUAGES,
    PLACEHOLDERS,
    Kind,
    MissingValues,
    Template,
    build_context,
    format_date,
    format_money,
    get_template,
    render,
    render_reply,
)

ORDER = {"number": "A-1001", "total": 123456, "date": date(2025, 7, 14), "secret": "x"}
CUSTOMER = {"first_name": "Zoé", "last_name": "Martin", "email": "zoe@example.org"}
SHIPMENT = {
    "carrier": "Colissimo",
    "tracking_url": "https://track.example/6A123",
    "estimated_delivery": datetime(2025, 7, 16, 9, tzinfo=UTC),
}


def full_values(language: str) -> dict[str, str]:
    """A value for every whitelisted placeholder, each recognisable in the output."""
    return {name: f"<{name}:{language}>" for name in PLACEHOLDERS}


def test_where_is_my_order_in_french_with_order_data() -> None:
    values = build_context(
        "fr", order=ORDER, customer=CUSTOMER, shipment=SHIPMENT, agent={"name": "Léa"}
    )
    reply = render_reply(intent="where_is_my_order", language="fr", values=values)
    assert reply.subject == "Votre commande A-1001"
    assert reply.body.startswith("Bonjour Zoé,")
    assert "https://track.example/6A123" in reply.body
    assert "16 juillet 2025" in reply.body
    assert "Léa" in reply.body and "{" not in reply.body


def test_english_formats_money_and_dates_its_own_way() -> None:
    values = build_context("en", order=ORDER, customer=CUSTOMER, agent={"name": "Sam"})
    assert values["order.total"] == "€1,234.56"
    assert values["order.date"] == "14 July 2025"
    reply = render_reply(intent="cancel_order", language="en", values=values)
    assert "€1,234.56" in reply.body and reply.subject == "Order A-1001 cancelled"


@pytest.mark.parametrize(
    ("cents", "language", "currency", "expected"),
    [
        (123456, "fr", "EUR", "1\u202f234,56\u00a0€"),
        (5, "fr", "EUR", "0,05\u00a0€"),
        (-1999, "en", "EUR", "-€19.99"),
        (1999, "en", "GBP", "£19.99"),
        (1999, "en", "CHF", "19.99 CHF"),
    ],
)
def test_format_money(cents: int, language: str, currency: str, expected: str) -> None:
    assert format_money(cents, language, currency) == expected


def test_format_date() -> None:
    assert format_date(date(2025, 8, 1), "fr") == "1 août 2025"
    assert format_date(date(2025, 12, 25), "en") == "25 December 2025"


def test_context_takes_only_whitelisted_keys() -> None:
    values = build_context("fr", order=ORDER, customer=None, shop={"name": "Maillon", "x": 1})
    assert "order.secret" not in values and "shop.x" not in values
    assert values["shop.name"] == "Maillon"
    assert set(values) <= set(PLACEHOLDERS)


@pytest.mark.parametrize(
    ("source", "match"),
    [({"total": 12.5}, "integer cents"), ({"date": "2025-07-14"}, "must be a date")],
)
def test_context_rejects_badly_typed_values(source: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_context("fr", order=source)


def test_missing_values_name_every_placeholder() -> None:
    values = build_context("en", order=ORDER)
    with pytest.raises(MissingValues) as caught:
        render_reply(intent="refund_status", language="en", values=values)
    assert caught.value.placeholders == (
        "customer.first_name",
        "refund.date",
        "refund.amount",
        "refund.method",
        "agent.name",
    )
    assert "{refund.amount}" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("Hi {order.__class__}", "not a placeholder name"),
        ("Hi {order.number.__globals__}", "not a placeholder name"),
        ("Hi {0}", "not a placeholder name"),
        ("Hi {customer.password}", "unknown placeholder"),
        ("Hi {customer.first_name", "unmatched"),
        ("Hi } there", "unmatched"),
        ("   ", "body is empty"),
    ],
)
def test_unsafe_or_broken_templates_are_rejected(body: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Template(intent="custom", language="en", subject="s", body=body)


def test_literal_braces_and_values_are_not_reinterpreted() -> None:
    template = Template(
        intent="custom",
        language="en",
        subject="{{ref}} {order.number}",
        body="Code {{ {order.number} }}",
    )
    reply = render(template, {"order.number": "{customer.email}"})
    assert reply.subject == "{ref} {customer.email}"
    assert reply.body == "Code { {customer.email} }"
    assert template.placeholders == ("order.number",)


def test_custom_whitelist() -> None:
    allowed = {**PLACEHOLDERS, "loyalty.points": Kind.TEXT}
    template = Template(
        intent="loyalty", language="fr", subject="", body="{loyalty.points} points", allowed=allowed
    )
    values = build_context("fr", allowed=allowed, loyalty={"points": 120})
    assert render(template, values).body == "120 points"


def test_default_templates_cover_every_intent_in_both_languages() -> None:
    for intent in INTENTS:
        for language in LANGUAGES:
            template = DEFAULT_TEMPLATES[(intent, language)]
            assert "order.number" in template.placeholders
            reply = render(template, full_values(language))
            assert "{" not in reply.body and "}" not in reply.body
            assert f"<order.number:{language}>" in reply.subject + reply.body


def test_language_fallback_and_unknown_intent() -> None:
    assert get_template("cancel_order", "de").language == "fr"
    only_en = {("x", "en"): DEFAULT_TEMPLATES[("cancel_order", "en")]}
    assert get_template("x", "de", only_en).language == "en"
    with pytest.raises(ValueError, match="no template for intent 'refund_please'"):
        get_template("refund_please", "fr")


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from(INTENTS),
    st.sampled_from(LANGUAGES),
    st.dictionaries(st.sampled_from(sorted(PLACEHOLDERS)), st.text(max_size=12)),
)
def test_render_uses_values_verbatim_or_names_what_is_missing(
    intent: str, language: str, values: dict[str, str]
) -> None:
    template = DEFAULT_TEMPLATES[(intent, language)]
    needed = set(template.placeholders)
    if needed <= set(values):
        reply = render(template, values)
        for name in needed:
            assert values[name] in reply.subject + reply.body
    else:
        with pytest.raises(MissingValues) as caught:
            render(template, values)
        assert set(caught.value.placeholders) == needed - set(values)


def test_public_api() -> None:
    assert set(templates_module.__all__) == {
        "DEFAULT_TEMPLATES",
        "INTENTS",
        "LANGUAGES",
        "PLACEHOLDERS",
        "Kind",
        "MissingValues",
        "Reply",
        "Template",
        "build_context",
        "format_date",
        "format_money",
        "get_template",
        "render",
        "render_reply",
    }
