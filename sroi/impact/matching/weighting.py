"""Weighting designs with the same result type as matching (``sroi.match(method=...)``).

* Inverse probability weights (Rosenbaum 1987; Hirano, Imbens & Ridder 2003) from a
  logistic/probit propensity score ``e(x)``: ATT: treated 1, controls ``e / (1 - e)``;
  ATE: treated ``1 / e``, controls ``1 / (1 - e)``.
* Entropy balancing (Hainmueller 2012), ATT: control weights ``w_i`` closest to uniform in
  Kullback-Leibler divergence subject to ``sum w_i x_i / sum w_i = mean of x among the
  treated`` for every covariate; the solution is ``w_i ∝ exp(lambda' x_i)`` with ``lambda``
  minimising the convex dual ``log sum_i exp(lambda' (x_i - xbar_t))``. Controls are scaled
  to sum to the number of controls.
"""

from __future__ import annotations

import warnings

import numpy as np

from sroi import _optimize as optimize
from sroi.errors import SroiInputError
from sroi.impact.matching.distance import Distance
from sroi.impact.matching.output import MethodOutput
from sroi.impact.matching.validate import MatchSpec, Sample

__all__ = ["ipw_weights", "entropy_balance", "match_ipw", "match_ebal"]


def ipw_weights(score: np.ndarray, treat: np.ndarray, estimand: str = "ATT") -> np.ndarray:
    """Inverse probability weights for the ATT or ATE from a propensity score.

    ATT: treated 1, controls ``e / (1 - e)``; ATE: treated ``1 / e``, controls
    ``1 / (1 - e)`` (Hirano, Imbens & Ridder 2003).

    Parameters
    ----------
    score
        Propensity scores, strictly between 0 and 1.
    treat
        0/1 treatment.
    estimand
        ``"ATT"`` or ``"ATE"``.

    Returns
    -------
    numpy.ndarray
        One weight per unit.
    """
    e = np.asarray(score, float)
    t = np.asarray(treat).astype(bool)
    if np.any((e <= 0) | (e >= 1)):
        raise SroiInputError("propensity scores must lie strictly between 0 and 1 for IPW")
    if estimand == "ATT":
        return np.where(t, 1.0, e / (1 - e))
    if estimand == "ATE":
        return np.where(t, 1 / e, 1 / (1 - e))
    raise SroiInputError(f"estimand must be 'ATT' or 'ATE' for IPW, got {estimand!r}")


def entropy_balance(X: np.ndarray, treat: np.ndarray, tol: float = 1e-8) -> np.ndarray:
    """Entropy-balancing weights for the ATT (Hainmueller 2012); treated weights are 1.

    Control weights closest to uniform (Kullback-Leibler) such that the weighted control
    means of the (standardised) covariates equal the treated means, found from the convex
    dual by a trust-region Newton method.

    Parameters
    ----------
    X
        Covariates (n x p).
    treat
        0/1 treatment.
    tol
        Gradient tolerance of the dual problem.

    Returns
    -------
    numpy.ndarray
        One weight per unit; control weights sum to the number of controls.

    Raises
    ------
    SroiInputError
        When the treated means are outside what the controls can reach.
    """
    X = np.asarray(X, float)
    t = np.asarray(treat).astype(bool)
    sd = X.std(axis=0)
    keep = sd > 0
    Z = (X[:, keep] - X[:, keep].mean(axis=0)) / sd[keep]
    target = Z[t].mean(axis=0)
    Zc = Z[~t] - target

    def _w(lam):
        s = Zc @ lam
        ws = np.exp(s - s.max())
        return s, ws / ws.sum()

    def fun(lam):
        s, _ = _w(lam)
        mx = s.max()
        return mx + np.log(np.exp(s - mx).sum())

    def jac(lam):
        _, p = _w(lam)
        return p @ Zc

    def hess(lam):
        _, p = _w(lam)
        m = p @ Zc
        return (Zc * p[:, None]).T @ Zc - np.outer(m, m)

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        res = optimize.minimize(
            fun,
            np.zeros(Zc.shape[1]),
            jac=jac,
            hess=hess,
            method="trust-exact",
            options={"gtol": tol, "maxiter": 500},
        )
    s = Zc @ res.x
    w = np.exp(s - s.max())
    bal = np.abs((w[:, None] * Zc).sum(axis=0) / w.sum()).max()
    if not np.isfinite(bal) or bal > 1e-5:
        raise SroiInputError(
            f"entropy balancing did not converge (max standardised imbalance {bal:.2g}): the "
            "treated means lie outside what the controls can reach; drop or coarsen covariates"
        )
    out = np.ones(len(t))
    out[~t] = w * (~t).sum() / w.sum()
    return out


def match_ipw(sample: Sample, dist: Distance, spec: MatchSpec) -> MethodOutput:
    """Inverse probability weighting, ``sroi.match(method="ipw")`` (Hirano, Imbens & Ridder 2003).

    Parameters
    ----------
    sample
        Kept rows and treatment.
    dist
        The propensity score (or user score) from
        :func:`~sroi.impact.matching.distance.compute_distance`.
    spec
        The checked arguments of :func:`sroi.match` (``estimand`` ``"ATT"`` or ``"ATE"``).

    Returns
    -------
    MethodOutput
    """
    if dist.score is None:
        raise SroiInputError("method='ipw' needs distance='logit', 'probit' or a score")
    w = ipw_weights(dist.score, sample.treat, spec.estimand)
    source = spec.distance if spec.distance is not None else "user-supplied"
    return MethodOutput(
        weights=w,
        status=np.zeros(len(w), dtype=np.int8),
        label=f"inverse probability weighting ({spec.estimand}, {source} score)",
        estimand=spec.estimand,
        distance=dist.score,
    )


def match_ebal(sample: Sample, spec: MatchSpec) -> MethodOutput:
    """Entropy balancing on first moments, ``sroi.match(method="ebal")`` (Hainmueller 2012).

    Parameters
    ----------
    sample
        Kept rows, treatment and the covariate matrix to balance.
    spec
        The checked arguments of :func:`sroi.match` (ATT only).

    Returns
    -------
    MethodOutput
    """
    if spec.estimand != "ATT":
        raise SroiInputError("entropy balancing here targets the ATT")
    w = entropy_balance(sample.covariates.to_numpy(float), sample.treat)
    return MethodOutput(
        weights=w,
        status=np.zeros(len(w), dtype=np.int8),
        label="entropy balancing (ATT, first moments)",
        estimand="ATT",
    )
