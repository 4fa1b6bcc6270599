"""Quantiles per horizon step by normalised split conformal prediction on the
cross-validation residuals, the correlation of errors between steps, and the assembly of the
final forecasts frame (step 6 of :mod:`maillon.planning.forecast`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from statistics import NormalDist

import numpy as np
import pandas as pd

from maillon.planning.forecast.config import ForecastConfig, quantile_column
from maillon.planning.forecast.cv import _clip

_MIN_POOL = 40
"""Fewest normalised residuals a per-step quantile is taken from (neighbouring steps join
the pool until it is reached)."""


_EXACT = 1e-6
"""A series whose mean absolute CV residual is below this share of its mean one-step change
is fitted exactly (float noise): its quantiles take the one-step change as scale."""


def _naive_scale(df: pd.DataFrame) -> dict[str, float]:
    """Return per series the mean absolute one-step change of its history (0 if constant)."""
    diffs = df.groupby("unique_id")["y"].diff().abs()
    scale = diffs.groupby(df["unique_id"]).mean().fillna(0.0)
    return {str(k): float(v) for k, v in scale.items()}


def _conformal_quantile(z: np.ndarray, q: float) -> float:
    """The split-conformal ``q`` quantile of the scores ``z`` (finite-sample corrected: the
    ``ceil((n + 1) q)``-th smallest for an upper level, ``floor((n + 1) q)``-th for a lower
    one; clipped to the sample's range)."""
    n = len(z)
    ordered = np.sort(z)
    rank = min(math.ceil((n + 1) * q), n) if q >= 0.5 else max(math.floor((n + 1) * q), 1)
    return float(ordered[rank - 1])


def _step_quantiles(
    cv_point: pd.DataFrame,
    cls_of: dict[str, str],
    history_scale: dict[str, float],
    qs: list[float],
    h: int,
) -> tuple[dict[str, np.ndarray], float]:
    """Return per series an ``(h, len(qs))`` table of quantile offsets from the point forecast,
    and the pooled correlation of forecast errors between horizon steps.

    Normalised split conformal, per horizon step: every cross-validation residual of a series
    is divided by the series' scale (its mean absolute CV residual; its mean absolute one-step
    change when that is 0 or it has no CV), the normalised residuals are pooled over the series
    of the same kind (intermittent/lumpy or smooth/erratic; all series when a kind has too few)
    and over windows, separately per step (neighbouring steps join while fewer than
    ``_MIN_POOL`` residuals), and a series' offset at step ``k`` is its scale times the
    conformal quantile of its pool at step ``k``. Errors grow with the step, so pooling over
    steps would under-cover the far steps; per-step pools keep every step's coverage right.
    """
    kind_of = {
        uid: ("intermittent" if c in ("intermittent", "lumpy") else "smooth")
        for uid, c in cls_of.items()
    }
    resid = (cv_point["y"].astype(float) - cv_point["value"]).to_numpy()
    uids = cv_point["unique_id"].astype(str).to_numpy()
    steps = cv_point["step"].to_numpy(dtype=np.int64)
    mae = pd.Series(np.abs(resid)).groupby(uids).mean()
    scale = {str(u): float(v) for u, v in mae.items()}
    for uid, value in list(scale.items()):
        # An exact fit up to float noise (float32 on one engine) counts as exact.
        if not value > _EXACT * history_scale.get(uid, 0.0):
            scale[uid] = history_scale.get(uid, 0.0)
    sc = np.array([scale.get(u, 0.0) for u in uids])
    ok = sc > 0
    z = np.where(ok, resid / np.where(ok, sc, 1.0), 0.0)
    kinds = np.array([kind_of.get(u, "smooth") for u in uids])

    everything = _pooled_quantiles(ok, z, steps, qs, h)
    by_kind = {
        kind: _pooled_quantiles(ok & (kinds == kind), z, steps, qs, h)
        for kind in ("smooth", "intermittent")
    }

    def pool_of(uid: str) -> np.ndarray | None:
        """The normalised quantiles of the series' pool: its kind's, else all series'."""
        shape = by_kind.get(kind_of.get(uid, "smooth"))
        return shape if shape is not None else everything

    table: dict[str, np.ndarray] = {}
    for uid in kind_of:
        pool = pool_of(uid)
        if cls_of[uid] == "zero":
            table[uid] = np.zeros((h, len(qs)))
        elif pool is None:
            table[uid] = _own_offsets(resid[uids == uid], history_scale.get(uid, 0.0), qs, h)
        else:
            table[uid] = scale.get(uid, history_scale.get(uid, 0.0)) * pool
    rho = _pooled_correlation(cv_point, z, uids, steps, ok, qs, pool_of, h)
    return table, rho


def _pooled_quantiles(
    mask: np.ndarray, z: np.ndarray, steps: np.ndarray, qs: list[float], h: int
) -> np.ndarray | None:
    """(h, len(qs)) normalised quantiles of the residuals ``z`` in ``mask`` per step
    (neighbouring steps join while fewer than ``_MIN_POOL``), or None with too few."""
    if int(mask.sum()) < _MIN_POOL:
        return None
    out = np.zeros((h, len(qs)))
    for k in range(1, h + 1):
        width = 0
        while True:
            sel = mask & (np.abs(steps - k) <= width)
            if int(sel.sum()) >= _MIN_POOL or width >= h:
                break
            width += 1
        out[k - 1] = [_conformal_quantile(z[sel], q) for q in qs]
    return out


def _own_offsets(own: np.ndarray, history: float, qs: list[float], h: int) -> np.ndarray:
    """Too few residuals anywhere: a series' own residuals ``own`` pooled over steps (or its
    one-step change ``history`` both ways), widened like a random walk's with the step."""
    if len(own) == 0:
        own = np.array([-history, history])
    base = np.array([_conformal_quantile(own, q) for q in qs])
    return base[None, :] * np.sqrt(np.arange(1, h + 1))[:, None]


def _pooled_correlation(
    cv_point: pd.DataFrame,
    z: np.ndarray,
    uids: np.ndarray,
    steps: np.ndarray,
    ok: np.ndarray,
    qs: list[float],
    pool_of: Callable[[str], np.ndarray | None],
    h: int,
) -> float:
    """The error correlation between steps (:func:`_step_correlation`) from the normalised
    spread per step of each series' pool, as ``lead_time_demand`` reads it (0 without an
    upper quantile)."""
    upper = [j for j, q in enumerate(qs) if q > 0.5]
    if not upper:
        return 0.0
    centre = qs.index(0.5) if 0.5 in qs else None
    spread_of: dict[str, np.ndarray] = {}
    for uid in set(uids[ok]):
        shape = pool_of(uid)
        if shape is None:
            continue
        mid = shape[:, centre] if centre is not None else np.zeros(h)
        spread_of[uid] = np.mean(
            [np.maximum(shape[:, j] - mid, 0.0) / NormalDist().inv_cdf(qs[j]) for j in upper],
            axis=0,
        )
    keep = ok & np.isin(uids, list(spread_of))
    level = 0.9 if 0.9 in qs else qs[upper[-1]]
    return _step_correlation(
        z[keep], uids[keep], cv_point["cutoff"].to_numpy()[keep], steps[keep], spread_of, level
    )


def _step_correlation(
    z: np.ndarray,
    uids: np.ndarray,
    cutoffs: np.ndarray,
    steps: np.ndarray,
    spread_of: dict[str, np.ndarray],
    level: float,
) -> float:
    """The error correlation ``rho`` between horizon steps (0..1, on a 0.05 grid) that makes
    the normal ``level`` quantile of a sum of steps 1..m cover a ``level`` share of the
    cross-validation windows (pooled over m = 2..h, windows and series): the smallest ``rho``
    with ``sum_k z_k <= z_level sqrt(sum_k s_k^2 + rho ((sum_k s_k)^2 - sum_k s_k^2))``, with
    ``z_k`` the normalised residuals and ``s_k`` the normalised spread of step ``k`` (as
    :func:`maillon.planning.policy.lead_time_demand` reads it off the quantiles). Bias and
    skew count like correlation (they add up over steps the same way). 0 without windows."""
    if len(z) == 0:
        return 0.0
    frame = pd.DataFrame({"u": uids, "c": cutoffs, "k": steps, "z": z})
    frame = frame.sort_values(["u", "c", "k"], kind="stable")
    frame["cum_z"] = frame.groupby(["u", "c"])["z"].cumsum()
    spread = np.array([spread_of[u][k - 1] for u, k in zip(frame["u"], frame["k"], strict=True)])
    frame["s"] = spread
    frame["s2"] = spread**2
    frame["cum_s"] = frame.groupby(["u", "c"])["s"].cumsum()
    frame["cum_s2"] = frame.groupby(["u", "c"])["s2"].cumsum()
    sums = frame[frame["k"] >= 2]
    if sums.empty:
        return 0.0
    diag = sums["cum_s2"].to_numpy()
    off = sums["cum_s"].to_numpy() ** 2 - diag
    total = sums["cum_z"].to_numpy()
    z_level = float(NormalDist().inv_cdf(level))
    for rho in np.linspace(0.0, 1.0, 21):
        bound = z_level * np.sqrt(np.maximum(diag + rho * off, 0.0))
        if float(np.mean(total <= bound + 1e-12)) >= level:
            return float(rho)
    return 1.0


def _assemble(
    df: pd.DataFrame,
    info: pd.DataFrame,
    chosen: pd.DataFrame,
    cv_long: pd.DataFrame,
    fc_long: pd.DataFrame,
    config: ForecastConfig,
) -> tuple[pd.DataFrame, float]:
    """Return the forecasts frame (point forecast of the chosen members and quantiles per
    horizon step) and the estimated correlation of forecast errors between steps."""
    h = config.horizon
    qs = sorted(config.quantiles)
    members = chosen[["unique_id", "members"]].explode("members").dropna()
    members = members.rename(columns={"members": "model"})
    median_ids = set(chosen.loc[chosen["ensemble"] == "median", "unique_id"])

    def combined(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        """Mean (or median, for the series whose rule says so) of the members' values."""
        grouped = frame.merge(members, on=["unique_id", "model"]).groupby(keys, sort=True)
        out = grouped.agg(y=("y", "first")) if "y" in frame.columns else None
        values = grouped["value"].agg(["mean", "median"])
        use_median = values.index.get_level_values("unique_id").isin(median_ids)
        value = pd.Series(
            np.where(use_median, values["median"], values["mean"]), index=values.index
        )
        res = value.rename("value").to_frame() if out is None else out.assign(value=value)
        return res.reset_index()

    point = combined(fc_long, ["unique_id", "ds"]).rename(columns={"value": "forecast"})
    cv_point = combined(cv_long, ["unique_id", "cutoff", "ds"])
    cv_point["step"] = cv_point.groupby(["unique_id", "cutoff"]).cumcount() + 1
    cls_of = dict(zip(info["unique_id"], info["demand_class"], strict=True))
    history_scale = _naive_scale(df)
    table, rho = _step_quantiles(cv_point, cls_of, history_scale, qs, h)
    # Zero series: a frame of zeros at the future dates.
    last = df.groupby("unique_id")["ds"].max()
    offset = pd.tseries.frequencies.to_offset(config.freq)
    zero_ids = info.loc[info["demand_class"] == "zero", "unique_id"]
    if len(zero_ids):
        zeros = pd.DataFrame(
            [
                {"unique_id": uid, "ds": last[uid] + k * offset, "forecast": 0.0}
                for uid in zero_ids
                for k in range(1, h + 1)
            ]
        )
        point = pd.concat([point, zeros], ignore_index=True)
    point = point.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    point["step"] = point.groupby("unique_id").cumcount() + 1

    order = {uid: i for i, uid in enumerate(table)}
    stack = np.stack(list(table.values())) if table else np.zeros((0, h, len(qs)))
    rows = point["unique_id"].map(order).to_numpy()
    steps = np.minimum(point["step"].to_numpy(dtype=np.int64), h) - 1
    known = ~pd.isna(rows)
    qmat = np.zeros((len(point), len(qs)))
    if known.any():
        qmat[known] = stack[rows[known].astype(np.int64), steps[known]]
    values = point["forecast"].to_numpy()[:, None] + qmat
    values = np.maximum.accumulate(values, axis=1)
    point["forecast"] = _clip(point["forecast"].to_numpy(), config)
    for j, q in enumerate(qs):
        point[quantile_column(q)] = _clip(values[:, j], config)
    cols = ["unique_id", "ds", "step", "forecast", *(quantile_column(q) for q in qs)]
    return point[cols], rho
