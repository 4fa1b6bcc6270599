"""What a scanner typed, made comparable (pure).

Handheld and keyboard-wedge scanners type like keyboards: they may add a carriage return or a
tab, an AIM symbology identifier (``]C1``, ``]E0``...), a GS1 application identifier (``01`` or
``(01)`` in front of a GTIN-14) or leading zeros (a GTIN-13 read as a GTIN-14). These
functions strip all of that so that the same product or location compares equal however it was
scanned.
"""

from __future__ import annotations

__all__ = ["barcode_matches", "gtin_key", "normalise_location", "normalise_scan"]

_SYMBOLOGY_PREFIX_LEN = 3  # "]" + code character + modifier, e.g. "]C1", "]E0", "]d2"


def normalise_scan(raw: str) -> str:
    """Return ``raw`` without control characters, surrounding spaces or a symbology prefix."""
    text = "".join(ch for ch in raw if ch.isprintable()).strip()
    if text.startswith("]") and len(text) > _SYMBOLOGY_PREFIX_LEN:
        text = text[_SYMBOLOGY_PREFIX_LEN:]
    return text.strip()


def gtin_key(code: str) -> str | None:
    """Return the GTIN inside ``code`` without leading zeros (the same for GTIN-8/12/13/14
    spellings of one product), or None when ``code`` does not look like a GTIN.

    Accepts a bare GTIN or a GS1 element string starting with AI 01 (``01`` + 14 digits,
    ``(01)`` + 14 digits; anything after the 14 digits, such as a lot, is ignored).
    """
    text = normalise_scan(code)
    if text.startswith("(01)"):
        text = text[4:18]
    elif len(text) > 14 and text.startswith("01") and text[2:16].isdigit():
        text = text[2:16]
    if not text.isdigit() or len(text) not in (8, 12, 13, 14):
        return None
    return text.lstrip("0") or "0"


def barcode_matches(scanned: str, *, gtin: str | None, sku: str) -> bool:
    """Return True when ``scanned`` identifies the product with ``gtin`` and ``sku``.

    A product with a GTIN must be scanned by it (any GTIN spelling); a product without one by
    its SKU (printed on an internal label).
    """
    text = normalise_scan(scanned)
    if not text:
        return False
    if gtin:
        key = gtin_key(text)
        return key is not None and key == gtin_key(gtin)
    return text.casefold() == sku.casefold()


def normalise_location(code: str) -> str:
    """Return a location code as compared: scanned noise removed, upper case."""
    return normalise_scan(code).upper()
