"""What a customer reads: the language they are written in, and the message in it.

Pure: no database, no settings. The notifier on the database side
(:func:`maillon.orders.service.timeline.notify_customer`, care's replies) picks the language
with :func:`choose_locale`, renders with :func:`render` (and :func:`render_sms`) and records the
result in the outbox; the sender only sends what was rendered.

Templates are Jinja2 files kept beside the package that sends the message, one per language:
``maillon/<package>/mail_templates/<fr|en>/<topic>.j2`` (e-mail: blocks ``subject``,
``body``, optionally ``action_url`` and ``action_label`` for the one button) and
``<topic>.sms.j2`` (a text message, when the topic has one). A message template extends
``layout``, which is ``layout.html`` for the HTML part (autoescaped) and ``layout.txt`` for
the text part, both in ``maillon/core/mail_templates/``. Links are absolute, built by
:class:`Brand` from the configured public URL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    pass_context,
)
from jinja2.runtime import Context
from markupsafe import Markup

LOCALES = ("fr", "en")
"""The languages customers are written in."""

FRENCH_COUNTRIES = frozenset({"FR", "BE", "CH", "LU", "MC"})
"""Countries (ISO 3166-1 alpha-2) whose customers are written in French when nothing else says:
France, Belgium, Switzerland, Luxembourg, Monaco."""


def choose_locale(
    *, order: str | None = None, shop: str | None = None, country: str | None = None
) -> str:
    """Return ``"fr"`` or ``"en"``: the language a customer is written in.

    The first that is given decides: the order's own locale (what the customer chose at
    checkout, e.g. ``fr-CA`` or ``en_GB``), else the shop's (the language the shop sells in),
    else the shipping country (:data:`FRENCH_COUNTRIES` get French). A locale decides even
    when it is neither French nor English (``de`` gets English: the customer asked for
    something other than French); an empty one does not.
    """
    for tag in (order, shop):
        cleaned = (tag or "").strip().lower()
        if cleaned:
            return "fr" if cleaned[:2] == "fr" else "en"
    return "fr" if (country or "").strip().upper() in FRENCH_COUNTRIES else "en"


@dataclass(frozen=True)
class Brand:
    """Who the messages come from and where their links point.

    ``public_url`` is the base of every link (``https://shop.example`` or
    ``https://ops.example/maillon``): it must be absolute (http or https).
    """

    shop_name: str = "Maillon"
    public_url: str = "http://localhost:8000"

    def __post_init__(self) -> None:
        parts = urlsplit(self.public_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"public_url must be an absolute http(s) URL, not {self.public_url!r}")
        if not self.shop_name.strip():
            raise ValueError("shop_name must not be empty")

    def link(self, path: str, **query: str) -> str:
        """The absolute URL of ``path`` on the public site, with ``query`` (empty values left
        out)."""
        base = self.public_url.rstrip("/")
        kept = {k: v for k, v in query.items() if v}
        return f"{base}/{path.lstrip('/')}" + (f"?{urlencode(kept)}" if kept else "")

    def track(self, number: str, postcode: str = "") -> str:
        """The public tracking page of parcel ``number`` (the postal code opens it at once)."""
        return self.link("/track", number=number, postcode=postcode)

    def csat(self, token: str) -> str:
        """The satisfaction survey ``token``."""
        return self.link(f"/csat/{token}")

    def returns(self) -> str:
        """The returns portal."""
        return self.link("/returns")

    def return_label(self, token: str) -> str:
        """The PDF of a prepaid return label (``token``: its download link's secret)."""
        return self.link(f"/returns/label/{token}")


@dataclass(frozen=True)
class Rendered:
    """An e-mail ready to record: its subject, text part and HTML part."""

    subject: str
    text: str
    html: str


# ------------------------------------------------------------------------ formats

_MONTHS = {
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "en": "January February March April May June July August September October November December",
}
_DAYS = {
    "fr": "lundi mardi mercredi jeudi vendredi samedi dimanche",
    "en": "Monday Tuesday Wednesday Thursday Friday Saturday Sunday",
}
_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def format_money(cents: int, locale: str, currency: str = "EUR") -> str:
    """``123456`` as ``1 234,56 €`` (French) or ``€1,234.56`` (English)."""
    sign = "-" if cents < 0 else ""
    units, rest = divmod(abs(cents), 100)
    symbol = _SYMBOLS.get(currency, currency)
    if locale == "fr":
        return f"{sign}{units:,}".replace(",", "\u202f") + f",{rest:02d}\u00a0{symbol}"
    if symbol == currency:
        return f"{sign}{units:,}.{rest:02d} {currency}"
    return f"{sign}{symbol}{units:,}.{rest:02d}"


def format_day(value: date, locale: str) -> str:
    """``mercredi 16 juillet 2025`` or ``Wednesday 16 July 2025`` (a datetime by its own date:
    convert it to the customer's zone first)."""
    lang = locale if locale in _MONTHS else "en"
    day = _DAYS[lang].split()[value.weekday()]
    month = _MONTHS[lang].split()[value.month - 1]
    return f"{day} {value.day} {month} {value.year}"


def format_time(value: datetime, locale: str) -> str:
    """``14:30`` in English, ``14h30`` in French."""
    return f"{value:%H}h{value:%M}" if locale == "fr" else f"{value:%H:%M}"


@pass_context
def _money(context: Context, cents: int, currency: str = "EUR") -> str:
    return format_money(int(cents), str(context.get("locale", "en")), currency)


@pass_context
def _day(context: Context, value: date) -> str:
    return format_day(value, str(context.get("locale", "en")))


@pass_context
def _time(context: Context, value: datetime) -> str:
    return format_time(value, str(context.get("locale", "en")))


def _paragraphs(text: str) -> list[str]:
    """Split a rendered body on blank lines; in HTML (``text`` is Markup, already escaped) the
    lines of a paragraph are kept apart by ``<br>``."""
    blocks = [part.strip() for part in text.strip().split("\n\n")]
    if isinstance(text, Markup):
        return [Markup("<br>\n").join(block.split("\n")) for block in blocks if block]
    return [block for block in blocks if block]


# ------------------------------------------------------------------------ templates

_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = "mail_templates"


def template_dirs() -> list[Path]:
    """Every package's ``mail_templates`` folder, core's (the layouts) first."""
    found = sorted(p for p in _ROOT.glob(f"*/{TEMPLATE_DIR}") if p.is_dir())
    core = _ROOT / "core" / TEMPLATE_DIR
    return [core, *(p for p in found if p != core)]


@cache
def _environment(html: bool) -> Environment:
    env = Environment(
        loader=FileSystemLoader([str(p) for p in template_dirs()]),
        autoescape=html,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters.update(money=_money, day=_day, time=_time, paragraphs=_paragraphs)
    return env


def _check_locale(locale: str) -> None:
    if locale not in LOCALES:
        raise ValueError(f"locale must be one of {', '.join(LOCALES)}, not {locale!r}")


def has_template(topic: str, locale: str = "en", *, sms: bool = False) -> bool:
    """Whether ``topic`` has an e-mail (or, with ``sms``, a text message) template."""
    try:
        _environment(False).get_template(_name(topic, locale, sms))
    except TemplateNotFound:
        return False
    return True


def _name(topic: str, locale: str, sms: bool) -> str:
    return f"{locale}/{topic}{'.sms' if sms else ''}.j2"


def _values(locale: str, brand: Brand, context: Mapping[str, Any], layout: str) -> dict[str, Any]:
    return {
        **context,
        "locale": locale,
        "shop_name": brand.shop_name,
        "links": brand,
        "layout": layout,
    }


def _block(template: Template, name: str, values: dict[str, Any]) -> str:
    parts: Iterator[str] = template.blocks[name](template.new_context(values))
    return "".join(parts).strip()


def render(topic: str, locale: str, context: Mapping[str, Any], *, brand: Brand) -> Rendered:
    """Render the e-mail of ``topic`` in ``locale`` with ``context`` (the values the template
    names; a missing one raises ``jinja2.UndefinedError``). Raises ``TemplateNotFound`` for a
    topic without a template, ValueError for another locale."""
    _check_locale(locale)
    name = _name(topic, locale, False)
    text_template = _environment(False).get_template(name)
    subject = _block(text_template, "subject", _values(locale, brand, context, ""))
    subject = " ".join(subject.split())
    text = re.sub(
        r"\n{3,}", "\n\n", text_template.render(_values(locale, brand, context, "layout.txt"))
    )
    html = (
        _environment(True).get_template(name).render(_values(locale, brand, context, "layout.html"))
    )
    return Rendered(subject=subject, text=text.strip() + "\n", html=html.strip() + "\n")


def render_sms(topic: str, locale: str, context: Mapping[str, Any], *, brand: Brand) -> str:
    """Render the text message of ``topic`` in ``locale`` (one line of text, links
    absolute). Raises as :func:`render`."""
    _check_locale(locale)
    template = _environment(False).get_template(_name(topic, locale, True))
    return " ".join(template.render(_values(locale, brand, context, "")).split())
