"""Cross-validation tables: the long format of CV and future forecasts, errors per series
and model, their ranking, windows and steps, and the numeric helpers that keep ties and
missing cells the same on every engine."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from maillon.planning.forecast.config import MODELS, ForecastConfig


def _clip(values: Any, config: ForecastConfig) -> Any:
    return np.maximum(values, 0.0) if config.nonnegative else values


def _melt_cv(parts: list[pd.DataFrame], config: ForecastConfig) -> pd.DataFrame:
    """Return CV forecasts long: ``unique_id, cutoff, ds, y, model, value``."""
    cols = ["unique_id", "cutoff", "ds", "y", "model", "value"]
    longs = [
        p.melt(
            id_vars=["unique_id", "cutoff", "ds", "y"],
            value_vars=[c for c in p.columns if c in MODELS],
            var_name="model",
            value_name="value",
        )
        for p in parts
        if not p.empty
    ]
    if not longs:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.concat(longs, ignore_index=True)[cols]
    out["y"] = out["y"].to_numpy(dtype=float)  # Float32 (nullable) through Fugue
    out["value"] = _clip(out["value"].astype(float).fillna(0.0), config)
    return out


def _melt_fc(parts: list[pd.DataFrame], config: ForecastConfig) -> pd.DataFrame:
    """Return forecasts long: ``unique_id, ds, model, value``."""
    cols = ["unique_id", "ds", "model", "value"]
    longs = [
        p
        if "model" in p.columns
        else p.melt(
            id_vars=["unique_id", "ds"],
            value_vars=[c for c in p.columns if c in MODELS],
            var_name="model",
            value_name="value",
        )
        for p in parts
        if not p.empty
    ]
    if not longs:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    out = pd.concat(longs, ignore_index=True)[cols]
    out["value"] = _clip(out["value"].astype(float).fillna(0.0), config)
    return out


def _errors(cv_long: pd.DataFrame, config: ForecastConfig) -> pd.DataFrame:
    """Return ``unique_id, model, error`` from the long CV table."""
    if cv_long.empty:
        return pd.DataFrame({"unique_id": [], "model": [], "error": []})
    res = (cv_long["y"].astype(float) - cv_long["value"]).to_numpy()
    keyed = pd.Series(res, index=pd.MultiIndex.from_frame(cv_long[["unique_id", "model"]]))
    if config.metric == "rmse":
        err = np.sqrt((keyed**2).groupby(level=[0, 1]).mean())
    else:
        err = keyed.abs().groupby(level=[0, 1]).mean()
    return err.rename("error").reset_index()


def _ranked(errors: pd.DataFrame) -> pd.DataFrame:
    """Return ``errors`` sorted by series, then error (to 1e-12 and 9 significant digits, so ties
    from rounding noise break the same way on every engine), then model name."""
    key = errors["error"].map(lambda e: float(f"{round(e, 12):.9g}"))
    return (
        errors.assign(_key=key)
        .sort_values(["unique_id", "_key", "model"], kind="stable")
        .drop(columns="_key")
    )


def _seasonal_scale(df: pd.DataFrame, season: int) -> dict[str, float]:
    """Return per series the mean absolute ``season``-lag change of its history (the MASE
    scale; the one-step change when that is 0 or the series is too short; else 1)."""
    out: dict[str, float] = {}
    for uid, ys in df.groupby("unique_id")["y"]:
        y = ys.to_numpy()
        value = 0.0
        for lag in (season, 1):
            if len(y) > lag:
                value = float(np.abs(y[lag:] - y[:-lag]).mean())
            if value > 0:
                break
        out[str(uid)] = value if value > 0 else 1.0
    return out


def _with_windows(cv_long: pd.DataFrame) -> pd.DataFrame:
    """Return ``cv_long`` sorted, with ``window`` (0: a series' last cross-validation window,
    1: the one before...) and ``step`` (1..horizon within the window)."""
    out = cv_long.sort_values(["unique_id", "model", "cutoff", "ds"], kind="stable")
    out = out.reset_index(drop=True)
    if out.empty:
        return out.assign(window=pd.Series(dtype=np.int64), step=pd.Series(dtype=np.int64))
    by_model = out.groupby(["unique_id", "model"], sort=False)["cutoff"]
    window = by_model.rank(method="dense", ascending=False).astype(np.int64) - 1
    step = out.groupby(["unique_id", "model", "cutoff"], sort=False).cumcount() + 1
    return out.assign(window=window.to_numpy(), step=step.to_numpy(dtype=np.int64))


def _sig9(x: np.ndarray) -> np.ndarray:
    """``x`` rounded to 1e-12 and then 9 significant digits (NaN -> inf), so that ties from
    float noise order the same way on every engine (as :func:`_ranked` does)."""
    x = np.round(np.asarray(x, dtype=float), 12)
    finite = np.isfinite(x) & (x != 0)
    mag = np.floor(np.log10(np.abs(np.where(finite, x, 1.0))))
    factor = 10.0 ** (8 - mag)
    out = np.where(finite, np.round(x * factor) / factor, x)
    return np.where(np.isnan(out), np.inf, out)


def _masked_mean(values: np.ndarray, axis: int) -> np.ndarray:
    """Mean over ``axis`` of the finite values (NaN where there is none)."""
    ok = np.isfinite(values)
    total = np.where(ok, values, 0.0).sum(axis=axis)
    count = ok.sum(axis=axis)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)
