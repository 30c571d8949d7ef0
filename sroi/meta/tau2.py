"""Between-place variance (tau^2) estimators for the random-effects model.

The model is ``y_i = mu + u_i + e_i`` with ``u_i ~ N(0, tau^2)`` and ``e_i ~ N(0, v_i)``,
``v_i`` the squared standard error of place ``i`` (taken as known).

References
----------
DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials. *Controlled Clinical
Trials* 7, 177-188.
Paule, R. C. and Mandel, J. (1982). Consensus values and weighting factors. *Journal of
Research of the National Bureau of Standards* 87, 377-385.
Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
random-effects model. *Journal of Educational and Behavioral Statistics* 30, 261-293.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sroi import _optimize as optimize
from sroi._checks import check_choice
from sroi.errors import SroiInputError

__all__ = ["TAU2_METHODS", "estimate_tau2", "generalised_q"]

#: tau^2 estimators: restricted maximum likelihood (default), DerSimonian-Laird,
#: Paule-Mandel, and "FE" (tau^2 fixed at 0, the fixed-effect model).
TAU2_METHODS = ("REML", "DL", "PM", "FE")

_TOL = 1e-12


def _weighted_mean(y: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum(w * y) / np.sum(w))


def generalised_q(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """Generalised Q statistic ``sum w_i (y_i - mu_hat)^2`` with ``w_i = 1 / (v_i + tau^2)``.

    At ``tau2 = 0`` it is Cochran's Q.
    """
    w = 1.0 / (v + tau2)
    mu = _weighted_mean(y, w)
    return float(np.sum(w * (y - mu) ** 2))


def _tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    w = 1.0 / v
    q = generalised_q(y, v, 0.0)
    c = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    return max(0.0, (q - (y.size - 1)) / c)


def _upper_bracket(f: Callable[[float], float], start: float) -> float:
    """A value where the decreasing function ``f`` is negative (doubling from ``start``)."""
    hi = max(start, 1e-8)
    for _ in range(200):
        if f(hi) < 0:
            return hi
        hi *= 2.0
    raise SroiInputError("tau^2 could not be bracketed: the estimates are too far apart to pool")


def _tau2_pm(y: np.ndarray, v: np.ndarray) -> float:
    k = y.size

    def excess(t: float) -> float:  # decreasing in t
        return generalised_q(y, v, t) - (k - 1)

    if excess(0.0) <= 0:
        return 0.0
    hi = _upper_bracket(excess, float(np.var(y, ddof=1)))
    return float(optimize.brentq(excess, 0.0, hi, xtol=_TOL, rtol=4 * np.finfo(float).eps))


def _reml_score(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """Derivative of the restricted log-likelihood in tau^2 (times 2)."""
    w = 1.0 / (v + tau2)
    mu = _weighted_mean(y, w)
    sw = float(np.sum(w))
    return float(-sw + np.sum(w**2) / sw + np.sum(w**2 * (y - mu) ** 2))


def _reml_score_grid(y: np.ndarray, v: np.ndarray, tau2: np.ndarray) -> np.ndarray:
    """:func:`_reml_score` at many values of tau^2 at once (rows of a grid x places array)."""
    w = 1.0 / (v[None, :] + tau2[:, None])
    sw = w.sum(axis=1)
    mu = (w * y[None, :]).sum(axis=1) / sw
    return -sw + (w**2).sum(axis=1) / sw + (w**2 * (y[None, :] - mu[:, None]) ** 2).sum(axis=1)


def _reml_loglik(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    w = 1.0 / (v + tau2)
    mu = _weighted_mean(y, w)
    return float(
        -0.5 * np.sum(np.log(v + tau2)) - 0.5 * np.log(np.sum(w)) - 0.5 * np.sum(w * (y - mu) ** 2)
    )


def _tau2_reml(y: np.ndarray, v: np.ndarray) -> float:
    def score(t: float) -> float:
        return _reml_score(y, v, t)

    if score(0.0) <= 0:
        return 0.0
    hi = _upper_bracket(score, float(np.var(y, ddof=1)))
    # The score may have several roots in rare data; take the root of highest likelihood
    # among those found on a grid, each refined by Brent's method.
    grid = np.concatenate([[0.0], np.geomspace(hi * 1e-8, hi, 64)])
    values = _reml_score_grid(y, v, grid)
    roots = [
        float(optimize.brentq(score, grid[i], grid[i + 1], xtol=_TOL, rtol=4 * np.finfo(float).eps))
        for i in np.flatnonzero((values[:-1] > 0) & (values[1:] <= 0))
    ]
    return max(roots, key=lambda t: _reml_loglik(y, v, t))


_ESTIMATORS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "REML": _tau2_reml,
    "DL": _tau2_dl,
    "PM": _tau2_pm,
    "FE": lambda y, v: 0.0,
}


def estimate_tau2(y: np.ndarray, v: np.ndarray, method: str = "REML") -> float:
    """Estimate the between-place variance tau^2.

    Parameters
    ----------
    y
        Estimates, one per place.
    v
        Their sampling variances (squared standard errors), all positive.
    method
        ``"REML"`` (restricted maximum likelihood; Viechtbauer 2005), ``"DL"``
        (DerSimonian & Laird 1986, method of moments), ``"PM"`` (Paule & Mandel 1982,
        generalised Q equal to its expectation k - 1), or ``"FE"`` (0).

    Returns
    -------
    float
        The estimate, truncated at 0. REML and PM are solved to a relative tolerance of
        about 1e-15 (Brent's method on the score / estimating equation).
    """
    check_choice(method, TAU2_METHODS, "method")
    return _ESTIMATORS[method](np.asarray(y, dtype=float), np.asarray(v, dtype=float))
