"""ETA windows told to customers: they contain the planned time and respect the slot."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from maillon.delivery import eta
from maillon.delivery.eta import eta_window, format_window

DAY = 24 * 3600


@pytest.mark.parametrize(
    ("planned", "slot", "expected"),
    [
        (10 * 3600 + 7 * 60, (None, None), (9 * 3600 + 30 * 60, 10 * 3600 + 45 * 60)),
        (9 * 3600 + 10 * 60, (9 * 3600, 11 * 3600), (9 * 3600, 9 * 3600 + 45 * 60)),
        (10 * 3600 + 50 * 60, (9 * 3600, 11 * 3600), (10 * 3600 + 15 * 60, 11 * 3600)),
        (10 * 60, (None, None), (0, 45 * 60)),
        (11 * 3600 + 20 * 60, (9 * 3600, 11 * 3600), (10 * 3600 + 45 * 60, 11 * 3600 + 20 * 60)),
    ],
)
def test_windows_by_hand(
    planned: int, slot: tuple[int | None, int | None], expected: tuple[int, int]
) -> None:
    assert eta_window(planned, tw_start=slot[0], tw_end=slot[1]) == expected


@given(
    planned=st.integers(0, DAY),
    slot=st.one_of(
        st.none(),
        st.tuples(st.integers(0, DAY), st.integers(0, 4 * 3600)).map(lambda t: (t[0], t[0] + t[1])),
    ),
    margin=st.integers(0, 2 * 3600),
    step=st.sampled_from([60, 300, 900, 1800]),
)
def test_window_invariants(
    planned: int, slot: tuple[int, int] | None, margin: int, step: int
) -> None:
    tw_start, tw_end = slot if slot is not None else (None, None)
    start, end = eta_window(planned, tw_start=tw_start, tw_end=tw_end, margin_s=margin, step_s=step)
    assert 0 <= start <= planned <= end
    assert end - start <= 2 * margin + 2 * step
    if slot is not None and tw_start is not None and tw_end is not None:
        if tw_start <= planned <= tw_end:
            assert tw_start <= start and end <= tw_end
    else:
        assert start % step == 0 and end % step == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"eta_s": -1}, "eta_s"),
        ({"eta_s": 0, "margin_s": -5}, "margin_s"),
        ({"eta_s": 0, "step_s": 0}, "step_s"),
        ({"eta_s": 0, "tw_start": 10, "tw_end": 5}, "empty"),
    ],
)
def test_bad_input_raises(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        eta_window(**kwargs)


def test_format_and_public_api() -> None:
    assert format_window((9 * 3600 + 15 * 60, 10 * 3600)) == "09:15-10:00"
    assert sorted(eta.__all__) == [
        "DEFAULT_MARGIN_S",
        "DEFAULT_STEP_S",
        "eta_window",
        "format_window",
    ]
