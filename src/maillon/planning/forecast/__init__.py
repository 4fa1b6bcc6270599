"""Demand forecasting (pure): automatic model choice per series, with quantiles.

:func:`forecast` reads regular series in long format (``unique_id, ds, y``; build them with
:mod:`maillon.planning.demand`) and an immutable :class:`ForecastConfig`, and returns a frozen
:class:`ForecastResult`: the point forecast and quantiles per series and horizon step, the model
chosen for each series, the cross-validation error table and the runtime.

How it works:

1. **Classify** each series by Syntetos-Boylan (:func:`classify`): ADI (mean interval between
   non-zero demands) and CV² (squared coefficient of variation of the non-zero sizes), cut at
   1.32 and 0.49, give ``smooth``, ``erratic``, ``intermittent`` or ``lumpy``; ``zero`` is a
   series without demand (forecast 0).
2. **Candidates.** With ``config.classify``, smooth and erratic series try the smooth models
   (AutoETS, Theta, AutoARIMA), intermittent and lumpy ones the intermittent models (Croston
   SBA, TSB, ADIDA, IMAPA, plus ``config.intermittent_extra``, e.g. AutoETS); the baselines
   (seasonal naive, naive, window average) and the global LightGBM models are candidates for
   every class. Without it, every series tries every model of ``config.models``. The global
   models are trained once on the whole catalogue (mlforecast): ``lightgbm`` (squared error,
   a few lags and rolling means) and ``lightgbm_mae`` (absolute error, i.e. the median,
   which MAE and MASE reward and which a few huge wholesale orders do not drag up; lags over
   four seasons, seasonal rolling means and, for daily data, the day of the week).
3. **Rolling-origin cross-validation**: ``n_windows`` windows of ``horizon`` steps at the end
   of each series (statsforecast ``cross_validation``; mlforecast for LightGBM); by default
   as many as the histories allow, up to :data:`MAX_WINDOWS` (the most windows that three
   quarters of the series with demand are long enough for). Each model's error is its mean
   absolute error (``metric="mae"``) or root mean squared error over the windows. Series
   shorter than ``n_windows * horizon + min_train`` are not cross-validated: they get their
   class's default (Theta, or Croston SBA for intermittent demand).
4. **Combination rule, chosen on the windows.** The forecast of a series combines its best
   models under a rule: rank the models on the series' own CV error (``selection="series"``)
   or on the mean *scaled* CV error of its demand class (``"class"``: far less noisy when
   each series has few, lumpy CV points), over the last ``rank_windows`` windows (recent
   windows matter more for some catalogues), and take the mean or median (``ensemble``) of
   the ``combine`` best. Every setting left ``None`` is chosen by leave-one-window-out: each
   candidate rule ranks the models on the other windows (the ``rank_windows`` nearest
   ones), forecasts the left-out window with its combination and is scored by the error
   there divided by the series' mean absolute seasonal change (a MASE), averaged over
   windows and series. Each demand class with at least 50 cross-validated series takes its
   own best rule, the others the best rule over all series; the scores of every rule are in
   ``ForecastResult.combinations``. Only the cross-validation windows are used, never data
   after the history's end. For example, on daily retail demand (UCI Online Retail) the
   rule picks the median LightGBM model for every series (``"class"``, top 1), on M4 Weekly
   the mean of each series' two best models, on car parts the median of each series' three
   best on the last window.
5. **AutoARIMA** (about one core-second per series) is only tried when ``"auto_arima"`` is a
   candidate and ``config.arima_budget_s > 0``: on the smooth series where the other models did
   worst (relative to the series' scale) first, until the budget is spent; it is used where it
   wins the cross-validation.
6. **Quantiles per horizon step** come from the cross-validation residuals of the chosen
   forecast by normalised split conformal prediction: each series' residuals are divided by
   its scale (mean absolute CV residual), pooled over the series of the same kind (smooth or
   intermittent) and the windows, *separately for each horizon step* (errors grow with the
   step: a pool over all steps under-covers the far ones), and ``q`` at step ``k`` = point +
   scale x the conformal ``q``-quantile of the step-``k`` pool. Series without
   cross-validation use their mean absolute one-step change as scale. The result also holds
   the correlation of errors between steps (``step_correlation``), which turns per-step
   quantiles into a lead-time demand distribution
   (:func:`maillon.planning.policy.lead_time_demand`). With ``config.nonnegative`` (demand)
   every forecast and quantile is clipped at 0.

Engines: ``"local"`` runs in this process (``n_jobs`` processes for statsforecast);
``"dask"`` runs the statistical models on a Dask cluster through statsforecast's Fugue backend
(``scheduler`` is the address of a running scheduler; without it, a local cluster is started
for the call). The global LightGBM model is trained in the calling process with both engines
(one model for the whole catalogue: a single matrix; not distributed yet). Both engines give
the same choices and the same numbers to float32 precision (statsforecast returns float32
locally, float64 through Fugue).

One concept per module: :mod:`~maillon.planning.forecast.config` (configuration, result, model
names), :mod:`~maillon.planning.forecast.classes` (demand classes and their candidates),
:mod:`~maillon.planning.forecast.engines` (statsforecast, LightGBM, Dask),
:mod:`~maillon.planning.forecast.cv` (cross-validation tables and errors),
:mod:`~maillon.planning.forecast.rules` (combination rules),
:mod:`~maillon.planning.forecast.quantiles` (conformal quantiles per step, assembly) and
:mod:`~maillon.planning.forecast.pipeline` (:func:`forecast`, the steps in order). The public
names are re-exported here.
"""

from maillon.planning.forecast.classes import classify
from maillon.planning.forecast.config import (
    BASELINE_MODELS,
    DEMAND_CLASSES,
    GLOBAL_MODELS,
    INTERMITTENT_MODELS,
    MAX_WINDOWS,
    MODELS,
    SMOOTH_MODELS,
    Engine,
    ForecastConfig,
    ForecastResult,
    Progress,
    quantile_column,
)
from maillon.planning.forecast.pipeline import forecast

__all__ = [
    "BASELINE_MODELS",
    "DEMAND_CLASSES",
    "GLOBAL_MODELS",
    "INTERMITTENT_MODELS",
    "MAX_WINDOWS",
    "MODELS",
    "SMOOTH_MODELS",
    "Engine",
    "ForecastConfig",
    "ForecastResult",
    "Progress",
    "classify",
    "forecast",
    "quantile_column",
]
