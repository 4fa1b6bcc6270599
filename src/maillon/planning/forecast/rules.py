"""Combination rules: how a series' forecast combines its best models (selection per series
or per demand class, how many, mean or median, over which recent windows), scored by
leave-one-window-out on the cross-validation windows, chosen per demand class, and applied
to pick each series' members (step 4 of :mod:`maillon.planning.forecast`)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from maillon.planning.forecast.classes import _default_model
from maillon.planning.forecast.config import ForecastConfig
from maillon.planning.forecast.cv import _errors, _masked_mean, _ranked, _sig9

_MIN_RULE_SERIES = 50
"""Fewest cross-validated series of a demand class for the class to get its own rule."""
_MAX_COMBINE = 5
_RANK_WINDOW_CHOICES = (1, 2)
"""Recent-window counts tried for ranking (besides all windows) when ``rank_windows`` is None."""
_SCORE_CELLS = 2_000_000
"""Forecast values held at once while the rules are scored (series are taken in blocks)."""


def _pooled_ranking(
    info: pd.DataFrame, errors: pd.DataFrame, scale: dict[str, float]
) -> pd.DataFrame:
    """Return ``errors`` re-ranked per demand class: every series of a class gets the
    class-wide order of the models by mean scaled CV error (error / series scale, over the
    class's series), with the class mean as its ``error``. Models cross-validated on only some
    series of a class are ranked on those."""
    if errors.empty:
        return errors
    cls_of = dict(zip(info["unique_id"], info["demand_class"], strict=True))
    frame = errors.assign(
        cls=errors["unique_id"].map(cls_of),
        scaled=errors["error"] / errors["unique_id"].map(scale).fillna(1.0),
    )
    means = frame.groupby(["cls", "model"])["scaled"].mean().rename("class_error").reset_index()
    out = frame.merge(means, on=["cls", "model"])
    return out.assign(error=out["class_error"])[["unique_id", "model", "error"]]


@dataclass(frozen=True)
class _Rule:
    """How a series' forecast combines its best models (see step 4 of the module docstring)."""

    selection: str
    combine: int
    ensemble: str
    rank_windows: int


def _rules(config: ForecastConfig, n_windows: int) -> list[_Rule]:
    """Return the candidate rules, simplest first (the first of equal scores wins): every
    setting the config leaves ``None`` varies, the others are fixed."""
    selections = (config.selection,) if config.selection else ("series", "class")
    ensembles = (config.ensemble,) if config.ensemble else ("mean", "median")
    combines = (config.combine,) if config.combine else tuple(range(1, _MAX_COMBINE + 1))
    all_windows = max(n_windows, 1)
    if config.rank_windows:
        windows: tuple[int, ...] = (min(config.rank_windows, all_windows),)
    else:
        windows = (all_windows, *(w for w in _RANK_WINDOW_CHOICES if w < all_windows))
    return [
        _Rule(sel, k, ens, w)
        for sel in selections
        for w in windows
        for k in combines
        for ens in ensembles
        # the median of one or two models is their mean: keep one of the two
        if not (ens == "median" and k <= 2 and "mean" in ensembles)
    ]


def _score_rules(
    info: pd.DataFrame,
    cv_long: pd.DataFrame,
    scale: dict[str, float],
    rules: list[_Rule],
    config: ForecastConfig,
) -> pd.DataFrame:
    """Return the leave-one-window-out score of every rule per demand class and overall.

    For each cross-validation window ``w`` of each series: each rule ranks the models on the
    errors of the ``rank_windows`` windows nearest to ``w`` (``w`` left out; later windows
    first on equal distance), per series or pooled over the demand class (mean scaled error),
    combines its ``combine`` best models' forecasts of ``w`` by mean or median, and scores the
    mean absolute error over ``w`` divided by the series' ``scale``. A series' score is its
    mean over windows, a class's the mean over its series. Only the windows are read: nothing
    after the history. Returns ``demand_class, selection, combine, ensemble, rank_windows,
    score, n_series`` (empty with a single rule or fewer than two windows)."""
    cols = ["demand_class", "selection", "combine", "ensemble", "rank_windows", "score", "n_series"]
    n_windows = int(cv_long["window"].max()) + 1 if not cv_long.empty else 0
    if len(rules) < 2 or n_windows < 2:
        return pd.DataFrame({c: [] for c in cols})
    cells = _Cells.of(cv_long, n_windows)
    err = cells.window_errors()
    n_s = len(cells.uids)
    cls_of = dict(zip(info["unique_id"], info["demand_class"], strict=True))
    class_codes, cls_idx = np.unique(np.array([cls_of[u] for u in cells.uids]), return_inverse=True)
    sc = np.array([scale.get(u, 1.0) for u in cells.uids])
    totals = np.zeros((len(rules), n_s))
    seen = np.zeros((len(rules), n_s))
    # Rows by window, then series: a block of series of one window is a slice.
    by_window = np.lexsort((cells.s_of, cells.w_of))
    window_starts = np.searchsorted(cells.w_of[by_window], np.arange(n_windows + 1))
    for w in range(n_windows):
        ranks = _window_ranks(err, w, rules, sc, cls_idx, len(class_codes))
        rows_w = by_window[window_starts[w] : window_starts[w + 1]]
        _score_window(cells, rows_w, ranks, rules, sc, config.horizon, totals, seen)
    per_series = np.where(seen > 0, totals / np.maximum(seen, 1), np.nan)
    out: list[dict[str, Any]] = []
    groups = [("all", np.ones(n_s, dtype=bool))] + [
        (str(c), cls_idx == j) for j, c in enumerate(class_codes)
    ]
    for name, mask in groups:
        for i, rule in enumerate(rules):
            scores = per_series[i, mask]
            scores = scores[np.isfinite(scores)]
            out.append(
                {
                    "demand_class": name,
                    "selection": rule.selection,
                    "combine": rule.combine,
                    "ensemble": rule.ensemble,
                    "rank_windows": rule.rank_windows,
                    "score": float(scores.mean()) if scores.size else math.nan,
                    "n_series": int(scores.size),
                }
            )
    return pd.DataFrame(out, columns=cols)


@dataclass(frozen=True)
class _Cells:
    """The long CV table as indices (series, model, window, step: from 0) and values, for
    the vectorised scoring of the rules."""

    uids: np.ndarray
    models: np.ndarray
    s_of: np.ndarray
    m_of: np.ndarray
    w_of: np.ndarray
    k_of: np.ndarray
    value_of: np.ndarray
    y_of: np.ndarray
    n_windows: int

    @classmethod
    def of(cls, cv_long: pd.DataFrame, n_windows: int) -> _Cells:
        uids = np.array(sorted(cv_long["unique_id"].unique()), dtype=object)
        models = np.array(sorted(cv_long["model"].unique()), dtype=object)
        return cls(
            uids=uids,
            models=models,
            s_of=pd.Index(uids).get_indexer(cv_long["unique_id"]),
            m_of=pd.Index(models).get_indexer(cv_long["model"]),
            w_of=cv_long["window"].to_numpy(dtype=np.int64),
            k_of=cv_long["step"].to_numpy(dtype=np.int64) - 1,
            value_of=cv_long["value"].to_numpy(dtype=float),
            y_of=cv_long["y"].to_numpy(dtype=float),
            n_windows=n_windows,
        )

    def window_errors(self) -> np.ndarray:
        """Mean absolute error per series, model and window (NaN: not a candidate)."""
        n_s, n_m, n_windows = len(self.uids), len(self.models), self.n_windows
        cell = (self.s_of * n_m + self.m_of) * n_windows + self.w_of
        size = n_s * n_m * n_windows
        sums = np.bincount(cell, weights=np.abs(self.y_of - self.value_of), minlength=size)
        counts = np.bincount(cell, minlength=size)
        err = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        return err.reshape(n_s, n_m, n_windows)


def _window_ranks(
    err: np.ndarray,
    w: int,
    rules: list[_Rule],
    sc: np.ndarray,
    cls_idx: np.ndarray,
    n_classes: int,
) -> dict[tuple[str, int], tuple[np.ndarray, np.ndarray]]:
    """Per (selection, rank windows) of the rules: each series' best models for window ``w``
    ranked on the ``rank_windows`` windows nearest to it (``w`` left out; later windows
    first on equal distance), and whether each ranked model has an error."""
    n_windows = err.shape[2]
    k_max = max(r.combine for r in rules)
    others = sorted((x for x in range(n_windows) if x != w), key=lambda x: (abs(x - w), x))
    ranks: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]] = {}
    for selection, memory in {(r.selection, r.rank_windows) for r in rules}:
        ranking = _masked_mean(err[:, :, others[:memory]], axis=2)
        if selection == "class":
            scaled = ranking / sc[:, None]
            pooled = np.stack(
                [_masked_mean(scaled[cls_idx == c], axis=0) for c in range(n_classes)]
            )
            ranking = np.where(np.isfinite(ranking), pooled[cls_idx], np.nan)
        key = _sig9(ranking)
        order = np.argsort(key, axis=1, kind="stable")[:, :k_max]
        ranks[(selection, memory)] = order, np.isfinite(np.take_along_axis(key, order, axis=1))
    return ranks


def _score_window(
    cells: _Cells,
    rows_w: np.ndarray,
    ranks: dict[tuple[str, int], tuple[np.ndarray, np.ndarray]],
    rules: list[_Rule],
    sc: np.ndarray,
    h: int,
    totals: np.ndarray,
    seen: np.ndarray,
) -> None:
    """Add each rule's scaled error on one window (its rows ``rows_w``, by series) to
    ``totals`` per series and count it in ``seen``, ``_SCORE_CELLS`` values at a time."""
    n_s, n_m = len(cells.uids), len(cells.models)
    s_of, m_of, k_of = cells.s_of, cells.m_of, cells.k_of
    block = max(1, _SCORE_CELLS // (n_m * h))
    s_w = s_of[rows_w]
    for start in range(0, n_s, block):
        stop = min(n_s, start + block)
        lo, hi = np.searchsorted(s_w, [start, stop])
        rows = rows_w[lo:hi]
        values = np.full((stop - start, n_m, h), np.nan)
        values[s_of[rows] - start, m_of[rows], k_of[rows]] = cells.value_of[rows]
        actual = np.full((stop - start, h), np.nan)
        actual[s_of[rows] - start, k_of[rows]] = cells.y_of[rows]
        for i, rule in enumerate(rules):
            order, valid = ranks[(rule.selection, rule.rank_windows)]
            top = np.take_along_axis(values, order[start:stop, : rule.combine, None], axis=1)
            top[~valid[start:stop, : rule.combine]] = np.nan
            if rule.ensemble == "median":
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)  # no candidate
                    fc = np.nanmedian(top, axis=1)
            else:
                fc = _masked_mean(top, axis=1)
            score = _masked_mean(np.abs(fc - actual), axis=1) / sc[start:stop]
            ok = np.isfinite(score)
            totals[i, start:stop][ok] += score[ok]
            seen[i, start:stop][ok] += 1


def _pick_rules(scores: pd.DataFrame, rules: list[_Rule]) -> tuple[dict[str, _Rule], pd.DataFrame]:
    """Return the rule of each demand class (key ``"all"``: the fallback) and ``scores``
    with a ``chosen`` column. A class with ``_MIN_RULE_SERIES`` scored series takes its best
    rule, the others the best rule over all series; the first rule wins on equal (to 9
    digits) scores; without scores, the first rule."""
    chosen: dict[str, _Rule] = {"all": rules[0]}
    if scores.empty:
        return chosen, scores.assign(chosen=pd.Series(dtype=bool))

    def best(frame: pd.DataFrame) -> _Rule:
        key = _sig9(frame["score"].to_numpy(dtype=float))
        return rules[int(np.argmin(key))]

    chosen["all"] = best(scores[scores["demand_class"] == "all"])
    flags = np.zeros(len(scores), dtype=bool)
    for cls, frame in scores.groupby("demand_class", sort=False):
        cls = str(cls)
        if cls != "all":
            enough = int(frame["n_series"].max()) >= _MIN_RULE_SERIES
            chosen[cls] = best(frame) if enough else chosen["all"]
        pick = chosen[cls]
        flags[frame.index[rules.index(pick)]] = True
    return chosen, scores.assign(chosen=flags)


def _choose(
    info: pd.DataFrame,
    cv_long: pd.DataFrame,
    config: ForecastConfig,
    scale: dict[str, float],
    rule_of: dict[str, _Rule],
) -> pd.DataFrame:
    """Return ``unique_id, model, members, ensemble, cv_error`` per series: the ``combine``
    best models of each cross-validated series under its class's rule, the class default for
    the others."""
    rows: list[dict[str, Any]] = []
    cls_of = dict(zip(info["unique_id"], info["demand_class"], strict=True))
    cv_cls = cv_long["unique_id"].map(cls_of)
    best: dict[str, pd.DataFrame] = {}
    own: dict[str, pd.DataFrame] = {}
    for rule in set(rule_of.get(c, rule_of["all"]) for c in set(cls_of.values())):
        classes = {c for c in set(cls_of.values()) if rule_of.get(c, rule_of["all"]) == rule}
        part = cv_long[cv_cls.isin(classes) & (cv_long["window"] < rule.rank_windows)]
        errors = _errors(part, config)
        own.update({str(u): g for u, g in errors.groupby("unique_id", sort=False)})
        if rule.selection == "class":
            errors = _pooled_ranking(info, errors, scale)
        ranked = _ranked(errors)
        best.update({str(u): g for u, g in ranked.groupby("unique_id", sort=False)})
    for uid, cls in zip(info["unique_id"], info["demand_class"], strict=True):
        rule = rule_of.get(cls, rule_of["all"])
        g = best.get(uid)
        if cls == "zero":
            rows.append(
                {"unique_id": uid, "model": "zero", "members": (), "ensemble": "mean",
                 "cv_error": math.nan}
            )  # fmt: skip
        elif g is None or g.empty:
            name = _default_model(cls, config)
            rows.append(
                {"unique_id": uid, "model": name, "members": (name,), "ensemble": "mean",
                 "cv_error": math.nan}
            )  # fmt: skip
        else:
            members = tuple(g["model"].head(rule.combine))
            mine = own[uid]
            own_error = mine.loc[mine["model"] == members[0], "error"]
            rows.append(
                {
                    "unique_id": uid,
                    "model": "+".join(members),
                    "members": members,
                    "ensemble": rule.ensemble if len(members) > 2 else "mean",
                    "cv_error": float(own_error.iloc[0]) if len(members) == 1 else math.nan,
                }
            )
    return pd.DataFrame(rows, columns=["unique_id", "model", "members", "ensemble", "cv_error"])
