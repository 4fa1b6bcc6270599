"""GS1 check digits: GTIN and SSCC."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maillon.core.identifiers import (
    gs1_check_digit,
    gtin_problem,
    is_valid_gtin,
    make_gtin13,
    make_sscc,
)


@pytest.mark.parametrize(
    "code",
    ["4006381333931", "73513537", "036000291452", "00012345600012", "9780306406157"],
)
def test_published_gtins_are_valid(code: str) -> None:
    assert is_valid_gtin(code)
    assert gtin_problem(code) is None


@pytest.mark.parametrize(
    ("code", "problem"),
    [
        ("4006381333932", "check digit should be 1"),
        ("400638133393", "check digit should be"),
        ("12345", "8, 12, 13 or 14 digits"),
        ("40063813339A1", "digits only"),
    ],
)
def test_bad_gtins_say_why(code: str, problem: str) -> None:
    assert not is_valid_gtin(code)
    assert problem in (gtin_problem(code) or "")


def test_sscc_example_from_gs1() -> None:
    # GS1 General Specifications example SSCC: (00) 1 0614141 123456789 7
    assert gs1_check_digit("10614141123456789") == 7
    assert make_sscc(1, "0614141", 123456789) == "106141411234567897"


@given(st.integers(min_value=0, max_value=999_999), st.integers(min_value=0, max_value=12))
def test_any_single_digit_change_is_caught(item: int, position: int) -> None:
    code = make_gtin13("376000", item)
    assert is_valid_gtin(code)
    digit = int(code[position])
    altered = code[:position] + str((digit + 1) % 10) + code[position + 1 :]
    assert not is_valid_gtin(altered)


def test_sscc_rejects_overflow() -> None:
    with pytest.raises(ValueError, match="serial"):
        make_sscc(0, "3760000", 10**9)
