"""Fixed- and random-effects meta-analysis of one effect across places.

References
----------
Hartung, J. and Knapp, G. (2001). A refined method for the meta-analysis of controlled
clinical trials with binary outcome. *Statistics in Medicine* 20, 3875-3889.
Sidik, K. and Jonkman, J. N. (2002). A simple confidence interval for meta-analysis.
*Statistics in Medicine* 21, 3153-3159.
Higgins, J. P. T. and Thompson, S. G. (2002). Quantifying heterogeneity in a meta-analysis.
*Statistics in Medicine* 21, 1539-1558.
Higgins, J. P. T., Thompson, S. G. and Spiegelhalter, D. J. (2009). A re-evaluation of
random-effects meta-analysis. *JRSS A* 172, 137-159 (prediction intervals).
Viechtbauer, W. (2010). Conducting meta-analyses in R with the metafor package. *Journal of
Statistical Software* 36(3) (the conventions followed here: I^2 from tau^2, the prediction
interval's reference distribution, leave-one-out).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from sroi._checks import check_choice, check_probability
from sroi._distributions import chi2_sf, norm_ppf, norm_sf, t_ppf, t_sf
from sroi.errors import SroiInputError
from sroi.meta.result import MetaResult
from sroi.meta.tau2 import TAU2_METHODS, estimate_tau2, generalised_q

__all__ = ["HKSJ_BELOW", "leave_one_out", "meta_analysis"]

#: With ``test="auto"``, Hartung-Knapp-Sidik-Jonkman inference is used below this many places
#: (z inference from this many up): with few places the normal interval is too narrow.
HKSJ_BELOW = 10


def _check_inputs(
    estimates: Sequence[float], std_errors: Sequence[float], labels: Sequence[str] | None
) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    y = np.asarray(estimates, dtype=float).ravel()
    se = np.asarray(std_errors, dtype=float).ravel()
    if y.size != se.size:
        raise SroiInputError(
            f"estimates ({y.size}) and std_errors ({se.size}) must have one value per place"
        )
    names = (
        tuple(str(x) for x in labels)
        if labels is not None
        else tuple(f"place {i + 1}" for i in range(y.size))
    )
    if len(names) != y.size:
        raise SroiInputError(f"labels ({len(names)}) must have one name per place ({y.size})")
    if y.size < 2:
        raise SroiInputError(f"a meta-analysis needs at least 2 places; got {y.size}")
    bad = [names[i] for i in np.flatnonzero(~np.isfinite(y))]
    if bad:
        raise SroiInputError(f"estimate is missing or infinite for {', '.join(bad)}")
    bad = [f"{names[i]} ({float(se[i])})" for i in np.flatnonzero(~(np.isfinite(se) & (se > 0)))]
    if bad:
        raise SroiInputError(
            f"std_error must be a positive finite number; got {', '.join(bad)}. A place "
            "without a standard error cannot be weighted: leave it out or supply one"
        )
    return y, se, names


def _heterogeneity(y: np.ndarray, v: np.ndarray, tau2: float, fixed: bool) -> dict[str, float]:
    k = y.size
    w0 = 1.0 / v
    q = generalised_q(y, v, 0.0)
    if fixed:
        i2 = max(0.0, 100.0 * (q - (k - 1)) / q) if q > 0 else 0.0
        h2 = q / (k - 1)
    else:
        s2 = (k - 1) * np.sum(w0) / (np.sum(w0) ** 2 - np.sum(w0**2))  # typical variance
        i2 = float(100.0 * tau2 / (tau2 + s2))
        h2 = float((tau2 + s2) / s2)
    return {"q": q, "q_p": float(chi2_sf(q, k - 1)), "i2": i2, "h2": h2}


def _fit(
    y: np.ndarray,
    se: np.ndarray,
    names: tuple[str, ...],
    method: str,
    test: str,
    level: float,
    with_fixed: bool,
) -> MetaResult:
    k = y.size
    v = se**2
    tau2 = estimate_tau2(y, v, method)
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    var_mu = 1.0 / float(np.sum(w))
    df: int | None = None
    if test in ("knha", "adhoc"):
        df = k - 1
        if test == "knha" and np.ptp(y) == 0.0:
            raise SroiInputError(
                "every place has exactly the same estimate, so the Hartung-Knapp-Sidik-"
                "Jonkman interval would have zero width; check the inputs are not copies "
                "of one result, or use test='adhoc' or test='z'"
            )
        scale = float(np.sum(w * (y - mu) ** 2)) / df
        var_mu *= max(1.0, scale) if test == "adhoc" else scale
    std_error = float(np.sqrt(var_mu))
    statistic = mu / std_error
    if df is None:
        crit = float(norm_ppf(0.5 + level / 2))
        p = float(2 * norm_sf(abs(statistic)))
    else:
        crit = float(t_ppf(0.5 + level / 2, df))
        p = float(2 * t_sf(abs(statistic), df))
    half_pi = crit * float(np.sqrt(var_mu + tau2))
    het = _heterogeneity(y, v, tau2, fixed=method == "FE")
    fixed = (
        _fit(y, se, names, "FE", "z", level, with_fixed=False)
        if with_fixed and method != "FE"
        else None
    )
    return MetaResult(
        method=method,
        test=test,
        level=level,
        k=k,
        estimate=mu,
        std_error=std_error,
        statistic=float(statistic),
        p_value=p,
        ci_low=mu - crit * std_error,
        ci_high=mu + crit * std_error,
        df=df,
        tau2=float(tau2),
        i2=het["i2"],
        h2=het["h2"],
        q=het["q"],
        q_df=k - 1,
        q_p=het["q_p"],
        pi_low=mu - half_pi,
        pi_high=mu + half_pi,
        labels=names,
        estimates=tuple(float(x) for x in y),
        std_errors=tuple(float(x) for x in se),
        weights=tuple(float(x) for x in 100.0 * w / np.sum(w)),
        fixed_effect=fixed,
    )


def meta_analysis(
    estimates: Sequence[float],
    std_errors: Sequence[float],
    labels: Sequence[str] | None = None,
    *,
    method: str = "REML",
    test: str = "auto",
    level: float = 0.95,
) -> MetaResult:
    """Pool one effect across places with a fixed- or random-effects model.

    Parameters
    ----------
    estimates, std_errors
        One estimate and its standard error per place (standard errors positive).
    labels
        Place names, for tables and messages (default ``place 1``, ``place 2``, ...).
    method
        tau^2 estimator: ``"REML"`` (default), ``"DL"``, ``"PM"``, or ``"FE"`` for the
        fixed-effect (common-effect) model.
    test
        ``"z"`` (normal reference), ``"knha"`` (Hartung-Knapp-Sidik-Jonkman: variance
        scaled by ``sum w_i (y_i - mu)^2 / (k - 1)``, t with k - 1 degrees of freedom,
        no truncation of the scale factor, as metafor's ``test="knha"``; with a small Q it
        can be narrower than ``"z"``), ``"adhoc"`` (the same with the scale factor truncated
        below at 1, Knapp & Hartung 2003's ad hoc variant, never narrower than ``"z"``), or
        ``"auto"`` (default): ``"knha"`` below :data:`HKSJ_BELOW` places, ``"z"`` otherwise.
    level
        Confidence level of the intervals (default 0.95).

    Returns
    -------
    MetaResult
        The pooled effect, heterogeneity (tau^2, I^2, H^2, Q), the prediction interval for
        a new place and the fixed-effect result for comparison.

    Notes
    -----
    Matches R metafor's ``rma.uni(yi, sei = sei, method = ..., test = ...)`` with
    ``predict()`` for the prediction interval (tests/fixtures/meta, to 1e-6).
    """
    y, se, names = _check_inputs(estimates, std_errors, labels)
    check_choice(method, TAU2_METHODS, "method")
    check_choice(test, ("auto", "z", "knha", "adhoc"), "test")
    level = check_probability(level, "level", open_interval=True)
    if test == "auto":
        test = "knha" if y.size < HKSJ_BELOW else "z"
    return _fit(y, se, names, method, test, level, with_fixed=True)


def leave_one_out(result: MetaResult) -> pd.DataFrame:
    """Refit leaving out each place in turn (same method, test and level).

    Parameters
    ----------
    result
        A result of :func:`meta_analysis` with at least 3 places.

    Returns
    -------
    pandas.DataFrame
        One row per place left out: ``left_out, estimate, std_error, ci_low, ci_high,
        p_value, tau2, i2, q, q_p``, as metafor's ``leave1out()``.
    """
    if result.k < 3:
        raise SroiInputError(
            f"leave-one-out needs at least 3 places (each refit pools k - 1 >= 2); got {result.k}"
        )
    y = np.asarray(result.estimates)
    se = np.asarray(result.std_errors)
    rows: list[dict[str, Any]] = []
    for i, name in enumerate(result.labels):
        keep = np.arange(result.k) != i
        names = tuple(n for j, n in enumerate(result.labels) if j != i)
        fit = _fit(y[keep], se[keep], names, result.method, result.test, result.level, False)
        rows.append(
            {
                "left_out": name,
                "estimate": fit.estimate,
                "std_error": fit.std_error,
                "ci_low": fit.ci_low,
                "ci_high": fit.ci_high,
                "p_value": fit.p_value,
                "tau2": fit.tau2,
                "i2": fit.i2,
                "q": fit.q,
                "q_p": fit.q_p,
            }
        )
    return pd.DataFrame(rows)
