"""GS1 identifiers: GTIN (8, 12, 13, 14 digits) and SSCC-18, with their mod-10 check digit."""

from __future__ import annotations


def gs1_check_digit(body: str) -> int:
    """Return the GS1 mod-10 check digit for ``body`` (the digits before the check digit).

    Raises ValueError if ``body`` is empty or not all digits.
    """
    if not body or not body.isdigit():
        raise ValueError(f"GS1 body must be digits, got {body!r}")
    total = 0
    # Weights 3,1,3,1... from the rightmost digit of the body.
    for i, ch in enumerate(reversed(body)):
        total += int(ch) * (3 if i % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """Return True if ``code`` is a GTIN-8/12/13/14 with a correct check digit."""
    if len(code) not in (8, 12, 13, 14) or not code.isdigit():
        return False
    return gs1_check_digit(code[:-1]) == int(code[-1])


def gtin_problem(code: str) -> str | None:
    """Return why ``code`` is not a valid GTIN, or None when it is."""
    if not code.isdigit():
        return "must contain digits only"
    if len(code) not in (8, 12, 13, 14):
        return "must have 8, 12, 13 or 14 digits"
    expected = gs1_check_digit(code[:-1])
    if expected != int(code[-1]):
        return f"check digit should be {expected}"
    return None


def make_gtin13(prefix: str, item: int) -> str:
    """Return a GTIN-13 made of a company ``prefix``, an item number and its check digit.

    Raises ValueError if the prefix and item do not fit in 12 digits.
    """
    body = f"{prefix}{item:0{12 - len(prefix)}d}"
    if len(body) != 12 or not body.isdigit():
        raise ValueError("prefix and item must make exactly 12 digits")
    return body + str(gs1_check_digit(body))


def make_sscc(extension: int, company_prefix: str, serial: int) -> str:
    """Return an 18-digit SSCC: extension digit, company prefix, serial, check digit.

    Raises ValueError if the parts do not fit in 17 digits.
    """
    if not 0 <= extension <= 9:
        raise ValueError("extension digit must be 0-9")
    width = 16 - len(company_prefix)
    if width < 1 or serial >= 10**width or serial < 0:
        raise ValueError("serial does not fit beside the company prefix")
    body = f"{extension}{company_prefix}{serial:0{width}d}"
    return body + str(gs1_check_digit(body))
