"""``report_from_depths``: the funnel of depth counts (what SQL aggregates give) equals the
funnel of the sessions themselves."""

from __future__ import annotations

import pytest

from maillon.acquisition.funnel import (
    analyze,
    funnel_stages,
    generate_events,
    report_from_depths,
    sessionize,
)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_depth_counts_give_the_same_report_as_the_sessions(seed: int) -> None:
    sessions = sessionize(generate_events(300, seed=seed))
    depths = [0] * len(funnel_stages())
    abandoned = 0.0
    for s in sessions:
        depths[s.depth] += 1
        if not s.purchased and s.depth >= 2:
            abandoned += s.cart_value
    assert report_from_depths(depths, abandoned_value=abandoned) == analyze(sessions)


@pytest.mark.parametrize(
    ("depths", "value", "message"),
    [
        ([1, 2], 0.0, "one per stage"),
        ([0, 0, 0, 0, 0, 0, -1], 0.0, ">= 0"),
        ([0] * 7, -1.0, "abandoned"),
    ],
)
def test_bad_counts_are_refused(depths: list[int], value: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        report_from_depths(depths, abandoned_value=value)
