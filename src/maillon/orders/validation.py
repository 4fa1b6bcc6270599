"""Validation of incoming orders (pure): every bad field is named, all at once."""

from __future__ import annotations

import re
from dataclasses import replace

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from maillon.core.errors import ErrorCollector
from maillon.core.geo import normalise_postcode, postcode_problem
from maillon.orders.choice import check_choice
from maillon.orders.model import AddressDraft, LineDraft, OrderDraft

CHANNEL_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,39}$")
MAX_LINES = 500
MAX_QUANTITY = 100_000


def normalise_email(value: str) -> str | None:
    """Return ``value`` as a normalised address, or None if it is not a valid e-mail."""
    try:
        info = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        return None
    return str(info.normalized).lower()


def normalise_phone(value: str, country: str) -> str | None:
    """Return ``value`` in E.164 form, or None if it is not a possible number for ``country``."""
    try:
        number = phonenumbers.parse(value, country.upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _check_address(addr: AddressDraft, country: str, errors: ErrorCollector) -> str:
    """Add the address's errors (name, lines, city, postcode); return the normalised postcode."""
    for name in ("name", "line1", "city"):
        value = getattr(addr, name) or ""
        if not value.strip():
            errors.add(f"shipping_address.{name}", "is required")
        elif len(value) > 200:
            errors.add(f"shipping_address.{name}", "must be at most 200 characters")
    postcode = normalise_postcode(country, addr.postcode or "")
    if not postcode:
        errors.add("shipping_address.postcode", "is required")
    elif re.fullmatch(r"[A-Z]{2}", country):
        problem = postcode_problem(country, postcode)
        if problem:
            errors.add("shipping_address.postcode", problem)
    return postcode


def _checked_phone(
    addr: AddressDraft, draft: OrderDraft, country: str, errors: ErrorCollector
) -> str:
    """Return the address's (else the customer's) phone in E.164, "" if none or invalid."""
    phone = ""
    raw_phone = (addr.phone or draft.phone or "").strip()
    if raw_phone:
        parsed = normalise_phone(raw_phone, country if len(country) == 2 else "FR")
        if parsed is None:
            field = "shipping_address.phone" if addr.phone else "customer.phone"
            errors.add(field, f"{raw_phone!r} is not a valid phone number for {country}")
        else:
            phone = parsed
    return phone


def _checked_lines(draft: OrderDraft, errors: ErrorCollector) -> list[LineDraft]:
    """Add the lines' errors; return the lines with their SKUs stripped."""
    if not draft.lines:
        errors.add("lines", "an order needs at least one line")
    elif len(draft.lines) > MAX_LINES:
        errors.add("lines", f"at most {MAX_LINES} lines")
    lines: list[LineDraft] = []
    for i, line in enumerate(draft.lines):
        if not (line.sku or "").strip():
            errors.add(f"lines.{i}.sku", "is required")
        if not isinstance(line.quantity, int) or isinstance(line.quantity, bool):
            errors.add(f"lines.{i}.quantity", "must be a whole number")
        elif line.quantity <= 0:
            errors.add(f"lines.{i}.quantity", "must be greater than 0")
        elif line.quantity > MAX_QUANTITY:
            errors.add(f"lines.{i}.quantity", f"must be at most {MAX_QUANTITY}")
        if line.unit_price_cents is not None and not 0 <= line.unit_price_cents <= 10**9:
            errors.add(f"lines.{i}.unit_price_cents", "must be between 0 and 1000000000")
        lines.append(replace(line, sku=(line.sku or "").strip()))
    return lines


def validate_order(draft: OrderDraft) -> OrderDraft:
    """Return ``draft`` normalised (e-mail, phone, postcode, country).

    Raises ValidationError naming every invalid field (``email``, ``shipping_address.postcode``,
    ``lines.2.quantity``...). Known SKUs are checked by the service, which has the catalogue.
    """
    errors = ErrorCollector()
    email = normalise_email(draft.email or "")
    if email is None:
        errors.add("customer.email", "is not a valid e-mail address")
    if not (draft.customer_name or "").strip():
        errors.add("customer.name", "is required")
    if not CHANNEL_PATTERN.match(draft.channel or ""):
        errors.add("channel", "1-40 lower-case letters, digits, - or _")
    if draft.external_id is not None and not (0 < len(draft.external_id.strip()) <= 100):
        errors.add("external_id", "must be 1-100 characters when given")
    if not re.fullmatch(r"[A-Z]{3}", draft.currency or ""):
        errors.add("currency", "must be an ISO 4217 code such as EUR")

    addr = draft.address
    country = (addr.country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        errors.add("shipping_address.country", "must be an ISO 3166 two-letter code such as FR")
    postcode = _check_address(addr, country, errors)

    phone = _checked_phone(addr, draft, country, errors)

    lines = _checked_lines(draft, errors)
    delivery = check_choice(draft.delivery, errors)
    errors.raise_if_any()

    assert email is not None
    address = AddressDraft(
        name=addr.name.strip(),
        line1=addr.line1.strip(),
        line2=(addr.line2 or "").strip(),
        postcode=postcode,
        city=addr.city.strip(),
        country=country,
        phone=phone,
    )
    return replace(
        draft,
        email=email,
        customer_name=draft.customer_name.strip(),
        phone=phone,
        address=address,
        lines=tuple(lines),
        external_id=draft.external_id.strip() if draft.external_id else None,
        delivery=delivery,
    )
