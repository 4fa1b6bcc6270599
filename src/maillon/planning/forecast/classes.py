"""Demand classes (Syntetos-Boylan) and what follows from them: the candidate models of a
class, the default model of a series too short to cross-validate, and the automatic number
of cross-validation windows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from maillon.planning.forecast.config import (
    _WINDOW_SHARE,
    ADI_CUT,
    BASELINE_MODELS,
    CV2_CUT,
    GLOBAL_MODELS,
    INTERMITTENT_MODELS,
    MAX_WINDOWS,
    SMOOTH_MODELS,
    ForecastConfig,
)


def classify(df: pd.DataFrame) -> pd.DataFrame:
    """Return ``unique_id, demand_class, adi, cv2, n_obs`` for each series of ``df``.

    ADI = number of periods / number of non-zero periods (inf without demand);
    CV² = (std / mean)² of the non-zero demand sizes (0 with a single one).
    """
    g = df.assign(_nz=df["y"] != 0).groupby("unique_id", sort=True)
    n_obs = g["y"].size()
    n_nz = g["_nz"].sum()
    nz = df[df["y"] != 0].groupby("unique_id")["y"]
    mean = nz.mean().reindex(n_obs.index)
    std = nz.std(ddof=0).reindex(n_obs.index)
    adi = (n_obs / n_nz.where(n_nz > 0)).fillna(np.inf)
    cv2 = ((std / mean) ** 2).fillna(0.0)
    cls = np.where(
        n_nz == 0,
        "zero",
        np.where(
            adi < ADI_CUT,
            np.where(cv2 < CV2_CUT, "smooth", "erratic"),
            np.where(cv2 < CV2_CUT, "intermittent", "lumpy"),
        ),
    )
    return pd.DataFrame(
        {
            "unique_id": n_obs.index.to_numpy(),
            "demand_class": cls,
            "adi": adi.to_numpy(dtype=float),
            "cv2": cv2.to_numpy(dtype=float),
            "n_obs": n_obs.to_numpy(dtype=np.int64),
        }
    )


def _candidates(cls: str, config: ForecastConfig) -> tuple[str, ...]:
    """Return the candidate models of a demand class, in ``config.models`` order."""
    if not config.classify:
        return config.models
    if cls in ("intermittent", "lumpy"):
        allowed = set(
            INTERMITTENT_MODELS + BASELINE_MODELS + GLOBAL_MODELS + config.intermittent_extra
        )
    else:
        allowed = set(SMOOTH_MODELS + BASELINE_MODELS + GLOBAL_MODELS)
    picked = tuple(m for m in config.models if m in allowed)
    return picked or config.models


def _default_model(cls: str, config: ForecastConfig) -> str:
    """Return the model of a series too short for cross-validation."""
    prefs = (
        ("croston_sba", "adida", "imapa", "tsb", "naive")
        if cls in ("intermittent", "lumpy")
        else ("theta", "auto_ets", "dynamic_theta", "naive")
    )
    for name in prefs:
        if name in config.models:
            return name
    stats = [m for m in config.models if m not in GLOBAL_MODELS and m != "auto_arima"]
    return stats[0] if stats else "naive"


def _auto_windows(info: pd.DataFrame, config: ForecastConfig) -> int:
    """Return the most cross-validation windows (1..MAX_WINDOWS) that at least
    ``_WINDOW_SHARE`` of the series with demand are long enough for (1 if none)."""
    n_obs = info.loc[info["demand_class"] != "zero", "n_obs"].to_numpy()
    for w in range(MAX_WINDOWS, 1, -1):
        if n_obs.size and float(np.mean(n_obs >= w * config.horizon + config.min_train)) >= (
            _WINDOW_SHARE
        ):
            return w
    return 1
