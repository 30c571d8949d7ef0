"""Sensitivity to unmeasured confounding: Rosenbaum bounds and the E-value.

* Rosenbaum bounds (Rosenbaum 2002, ch. 4) for 1:1 matched pairs with the Wilcoxon signed
  rank statistic: if an unobserved confounder can change the odds of treatment within a
  pair by at most ``Gamma``, the upper bound on the one-sided p-value uses
  ``p+ = Gamma / (1 + Gamma)``: ``E(T) = p+ sum_s s``, ``Var(T) = p+ (1 - p+) sum_s s^2``
  over the ranks ``s`` of the non-zero absolute pair differences, with a normal approximation.
  The critical Gamma is the smallest Gamma at which the bound exceeds ``alpha``.
* E-value (VanderWeele & Ding 2017): the minimum strength of association (risk-ratio scale)
  an unmeasured confounder would need with both treatment and outcome to explain away the
  estimate: ``E = RR + sqrt(RR (RR - 1))`` for ``RR >= 1`` (use ``1/RR`` below 1); for the
  confidence limit nearer the null, 1 if the interval includes 1. Odds ratios use
  ``RR ~ sqrt(OR)`` unless the outcome is rare; a difference in means uses
  ``RR ~ exp(0.91 d)`` with ``d`` the standardised difference (VanderWeele & Ding 2017).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sroi import _optimize as optimize
from sroi._distributions import norm_sf
from sroi.effect import Effect
from sroi.errors import SroiInputError

__all__ = ["rosenbaum_bounds", "e_value"]


def _rb_pvalue(diffs: np.ndarray, gamma: float) -> float:
    d = diffs[diffs != 0]
    if len(d) == 0:
        return 1.0
    from scipy.stats import rankdata  # here: scipy.stats is slow to import

    ranks = rankdata(np.abs(d))
    t_stat = ranks[d > 0].sum()
    pp = gamma / (1 + gamma)
    mean = pp * ranks.sum()
    var = pp * (1 - pp) * np.sum(ranks**2)
    return float(norm_sf((t_stat - mean) / np.sqrt(var)))


def rosenbaum_bounds(
    treated: np.ndarray | pd.Series,
    control: np.ndarray | pd.Series,
    gammas: np.ndarray | list[float] | None = None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Rosenbaum bounds for a positive effect in 1:1 matched pairs (Wilcoxon signed rank).

    Parameters
    ----------
    treated, control
        Outcomes of the treated unit and its matched control, pair by pair (e.g. from
        ``m.pairs()`` after 1:1 matching without replacement).
    gammas
        Values of Gamma (>= 1) to report; default 1 to 3 by 0.25.
    alpha
        Significance level defining the critical Gamma.

    Returns
    -------
    DataFrame with ``gamma`` and ``p_upper`` (upper bound of the one-sided p-value);
    ``attrs["gamma_critical"]`` is the Gamma at which the bound reaches ``alpha``
    (1.0 if not significant even without hidden bias; ``inf`` if never lost up to 100).
    """
    a = np.asarray(treated, float)
    b = np.asarray(control, float)
    if a.shape != b.shape or a.ndim != 1:
        raise SroiInputError(
            "treated and control must be 1-d arrays of equal length (one per pair)"
        )
    if np.isnan(a).any() or np.isnan(b).any():
        raise SroiInputError("pair outcomes have missing values; drop those pairs first")
    if not 0 < alpha < 1:
        raise SroiInputError(f"alpha must be in (0, 1), got {alpha}")
    g = np.arange(1, 3.01, 0.25) if gammas is None else np.asarray(gammas, float)
    if (g < 1).any():
        raise SroiInputError("Gamma values must be >= 1")
    diffs = a - b
    out = pd.DataFrame({"gamma": g, "p_upper": [_rb_pvalue(diffs, x) for x in g]})
    if _rb_pvalue(diffs, 1.0) > alpha:
        crit = 1.0
    elif _rb_pvalue(diffs, 100.0) <= alpha:
        crit = np.inf
    else:
        crit = float(optimize.brentq(lambda x: _rb_pvalue(diffs, x) - alpha, 1.0, 100.0, xtol=1e-8))
    out.attrs["gamma_critical"] = crit
    return out


def _ev(rr: float) -> float:
    if rr < 1:
        rr = 1 / rr
    return float(rr + np.sqrt(rr * (rr - 1)))


def e_value(
    estimate: float | Effect,
    ci_low: float | None = None,
    ci_high: float | None = None,
    *,
    scale: str = "risk ratio",
    sd: float | None = None,
    rare: bool = False,
) -> dict[str, float]:
    """E-value for an estimate and its confidence limit (VanderWeele & Ding 2017).

    Parameters
    ----------
    estimate, ci_low, ci_high
        The estimate and its interval on ``scale``. An :class:`sroi.Effect` may be passed
        as ``estimate``: its estimate, interval and scale are used.
    scale
        ``"risk ratio"``, ``"rate ratio"``, ``"odds ratio"`` or ``"difference"`` (then give
        ``sd``, the outcome SD, to standardise).
    sd
        Outcome SD, for a difference.
    rare
        For odds ratios: outcome rare (< 15%), so ``RR ~ OR``; otherwise ``RR ~ sqrt(OR)``.

    Returns
    -------
    ``{"rr": ..., "e_value": ..., "e_value_ci": ...}``
    """
    if isinstance(estimate, Effect):
        eff = estimate
        estimate, ci_low, ci_high = eff.estimate, eff.ci_low, eff.ci_high
        scale = eff.scale
        if not (np.isfinite(ci_low) and np.isfinite(ci_high)):
            ci_low = ci_high = None

    def to_rr(x: float) -> float:
        if scale in ("risk ratio", "rate ratio"):
            return x
        if scale == "odds ratio":
            return x if rare else float(np.sqrt(x))
        if scale == "difference":
            if sd is None or not sd > 0:
                raise SroiInputError("e_value on a difference needs sd= (the outcome SD) > 0")
            return float(np.exp(0.91 * x / sd))
        raise SroiInputError(
            f"scale must be 'risk ratio', 'rate ratio', 'odds ratio' or 'difference', got {scale!r}"
        )

    if scale != "difference" and not estimate > 0:
        raise SroiInputError(f"a ratio estimate must be > 0, got {estimate}")
    rr = to_rr(float(estimate))
    out = {"rr": rr, "e_value": _ev(rr), "e_value_ci": np.nan}
    if ci_low is not None and ci_high is not None:
        lo, hi = to_rr(float(ci_low)), to_rr(float(ci_high))
        if lo <= 1 <= hi:
            out["e_value_ci"] = 1.0
        else:
            out["e_value_ci"] = _ev(lo if rr > 1 else hi)
    return out
