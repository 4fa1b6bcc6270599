"""Model choice by time-ordered validation, calibration and reliability
(maillon.fraud.selection)."""

from __future__ import annotations

import itertools

import numpy as np
import numpy.typing as npt
import pytest

from maillon.fraud.selection import fit_calibrator, fit_linear, reliability, select

NAMES = ("a", "b", "c", "d")


def rows(n: int, seed: int, *, xor: bool) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(NAMES)))
    if xor:  # an interaction no linear model can draw
        signal = (X[:, 0] > 0.8) & (X[:, 1] > 0.8) | (X[:, 0] < -0.8) & (X[:, 1] < -0.8)
    else:  # a linear score with noise
        signal = X[:, 0] + 0.8 * X[:, 1] + rng.normal(scale=0.6, size=n) > 2.2
    return X, signal.astype(np.int64)


def test_folds_only_look_back_in_time() -> None:
    X, y = rows(1200, 0, xor=False)
    chosen = select(X, y, NAMES, seed=0, trees=(20, 40), weights=(0.5,))
    folds = chosen.folds
    assert len(folds) == 3
    for earlier, later in itertools.pairwise(folds):
        assert later["fit_rows"] == earlier["fit_rows"] + earlier["validation_rows"]
    assert folds[-1]["fit_rows"] + folds[-1]["validation_rows"] == 1200
    assert chosen.last_y.tolist() == y[folds[-1]["fit_rows"] :].tolist()
    names = [row["candidate"] for row in chosen.scores]
    assert len(names) == len(set(names)) == 3 + 2 * 2 + 3 * 2 * 2 * 1


def test_a_linear_pattern_picks_the_logistic_regression() -> None:
    X, y = rows(1500, 1, xor=False)
    chosen = select(X, y, NAMES, seed=0, families=("logistic", "lightgbm"), trees=(20, 60))
    assert chosen.chosen.family == "logistic"


def test_an_interaction_picks_lightgbm() -> None:
    X, y = rows(1500, 2, xor=True)
    chosen = select(X, y, NAMES, seed=0, families=("logistic", "lightgbm"), trees=(60, 120))
    assert chosen.chosen.family == "lightgbm"
    best = max(row["validation_pr_auc"] for row in chosen.scores)
    assert chosen.score_of(chosen.chosen.name) == best


def test_a_block_without_fraud_is_skipped_but_the_last_counts() -> None:
    X, y = rows(1200, 3, xor=False)
    y[300:600] = 0  # the first validation block holds no fraud
    chosen = select(X, y, NAMES, seed=0, families=("logistic",))
    assert [f["fit_rows"] for f in chosen.folds] == [600, 900]
    assert all(len(row["fold_pr_auc"]) == 2 for row in chosen.scores)


def test_platt_calibration_recovers_a_known_link() -> None:
    rng = np.random.default_rng(4)
    raw = rng.normal(scale=3.0, size=4000)
    y = (rng.random(raw.size) < 1 / (1 + np.exp(-(0.5 * raw - 2.0)))).astype(np.int64)
    calibrator, info = fit_calibrator(raw, y)
    assert info["kind"] in ("platt", "isotonic")
    p = calibrator(raw)
    assert np.all(np.diff(p[np.argsort(raw)]) >= 0)  # monotone in the raw score
    for row in reliability(y, p):
        if row["n"] >= 200:
            assert abs(row["predicted_mean"] - row["observed_rate"]) < 0.05


def test_isotonic_breaks_ties_by_the_raw_score() -> None:
    raw = np.linspace(-5, 5, 400)
    y = (np.arange(400) % 7 == 0).astype(np.int64)
    y[300:] = 1
    calibrator, _ = fit_calibrator(raw, y)
    p = calibrator(raw)
    assert np.all(np.diff(p) > 0)


def test_reliability_counts_every_row_once() -> None:
    p = np.array([0.0, 0.0005, 0.02, 0.3, 0.97, 1.0])
    y = np.array([0, 0, 1, 0, 1, 1])
    table = reliability(y, p)
    assert sum(r["n"] for r in table) == 6
    assert sum(r["fraud"] for r in table) == 3
    assert table[-1]["bin"] == "[0.95, 1)" and table[-1]["n"] == 2


def test_linear_part_imputes_missing_values() -> None:
    X, y = rows(500, 5, xor=False)
    X[::5, 2] = np.nan
    part = fit_linear(X, y, C=1.0)
    raw = part.raw(X)
    assert np.isfinite(raw).all()
    np.testing.assert_allclose(part.contributions(X).sum(axis=1), raw)
    assert part.median[2] == pytest.approx(float(np.nanmedian(X[:, 2])))
