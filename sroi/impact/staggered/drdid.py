"""Two-period (2x2) difference-in-differences estimators for panel data.

These are the building blocks of :func:`sroi.staggered_did`: each ATT(g,t) of
Callaway & Sant'Anna (2021) is a 2x2 DiD between a treated cohort and its comparison
units over a base period and a later period. Every estimator returns the point
estimate and its influence function ``psi_i`` (``att_hat - att ~ mean(psi_i)``), so
that standard errors, aggregations and the multiplier bootstrap can be built on top.

Estimators (Sant'Anna & Zhao 2020; numerics as in R ``DRDID``'s panel functions, which
R ``did`` calls):

``"unconditional"``
    Difference of (weighted) mean changes,
    ``ATT = E_w[dY | D=1] - E_w[dY | D=0]`` (Heckman, Ichimura & Todd 1997 with no
    covariates). Equals every other estimator when no covariates are given.
``"reg"``
    Outcome regression: ``ATT = E_w[dY - X'b | D=1]`` with ``b`` fitted by weighted
    least squares of ``dY`` on ``X`` among comparison units (Heckman, Ichimura & Todd
    1997; R ``DRDID::reg_did_panel``).
``"ipw"``
    Normalised (Hajek) inverse probability weighting (Abadie 2005), with logit
    propensity ``p(X)``: ``ATT = E_w[dY | D=1] - sum(w p/(1-p) dY (1-D)) / sum(w p/(1-p)
    (1-D))`` (R ``DRDID::std_ipw_did_panel``).
``"dr"``
    Locally efficient doubly robust estimator of Sant'Anna & Zhao (2020, eq. 3.1) with
    a logit propensity score and a linear outcome regression for the comparison
    group (R ``DRDID::drdid_panel``, the one R ``did`` uses for ``est_method="dr"``).
``"dr_imp"``
    The "improved" doubly robust estimator of Sant'Anna & Zhao (2020, Section 3.1): the
    propensity score is fitted by inverse probability tilting (Graham, Pinto & Egel
    2012) and the outcome regression by least squares weighted by ``p/(1-p)``; the
    estimation effects of both first steps then vanish from the influence function
    (R ``DRDID::drdid_imp_panel``).

Propensity scores are capped at ``1 - 1e-6`` and comparison units with ``p >= 0.995``
are trimmed (weight zero), as R ``DRDID`` does. Observation weights are normalised to
mean one inside each estimator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from sroi._threads import single_blas_thread
from sroi.errors import SroiInputError

__all__ = [
    "ESTIMATORS",
    "PanelDidCells",
    "PanelDidEstimate",
    "cells_from_changes",
    "fit_ipt",
    "fit_logit",
    "fit_pscore",
    "panel_did",
    "panel_did_cells",
]

ESTIMATORS = ("unconditional", "reg", "ipw", "dr", "dr_imp")
Estimator = Literal["unconditional", "reg", "ipw", "dr", "dr_imp"]

_PS_CAP = 1 - 1e-6


@dataclass(frozen=True)
class PanelDidEstimate:
    """Result of one 2x2 panel DiD.

    Attributes
    ----------
    att
        Point estimate of the ATT.
    inf_func
        Influence function, one value per unit: ``att - ATT ~ mean(inf_func)``, so the
        analytic standard error is ``sqrt(sum(inf_func**2)) / n``.
    n_treated, n_control
        Units in each group (all units, including trimmed ones).
    n_trimmed
        Comparison units given zero weight because their propensity score is at or
        above the trimming level.
    max_pscore
        Largest fitted propensity score (``nan`` when no propensity score is fitted).
    """

    att: float
    inf_func: np.ndarray
    n_treated: int
    n_control: int
    n_trimmed: int = 0
    max_pscore: float = float("nan")

    @property
    def std_error(self) -> float:
        """Analytic standard error ``sqrt(sum psi_i^2) / n``."""
        n = len(self.inf_func)
        return float(np.sqrt(np.sum(self.inf_func**2)) / n)


def fit_logit(
    y: np.ndarray,
    X: np.ndarray,
    weights: np.ndarray | None = None,
    *,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Weighted logistic regression by Newton-Raphson (R ``glm`` binomial, tighter tolerance).

    Returns coefficients, fitted probabilities and a convergence flag. Iterates until the
    largest coefficient step is below ``tol`` (relative to ``1 + |beta|``), with step
    halving when the weighted log-likelihood does not improve.
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    k = X.shape[1]
    beta = np.zeros(k)
    # Start from the (weighted) log odds in the intercept when the first column is 1.
    ybar = np.sum(w * y) / np.sum(w)
    if np.all(X[:, 0] == 1) and 0 < ybar < 1:
        beta[0] = np.log(ybar / (1 - ybar))

    def evaluate(eta: np.ndarray) -> tuple[float, np.ndarray]:
        # log-likelihood and fitted probabilities from one exp: with e = exp(-|eta|),
        # log(1 + exp(eta)) = max(eta, 0) + log1p(e) and plogis(eta) = 1/(1+e) or e/(1+e)
        e = np.exp(-np.abs(eta))
        ll = float(np.sum(w * (y * eta - (np.maximum(eta, 0.0) + np.log1p(e)))))
        inv = 1.0 / (1.0 + e)
        return ll, np.where(eta >= 0, inv, e * inv)

    eta = X @ beta
    ll, p = evaluate(eta)
    converged = False
    for _ in range(max_iter):
        grad = X.T @ (w * (y - p))
        info = X.T @ (X * (w * p * (1 - p))[:, None])
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            return beta, p, False
        t = 1.0
        for _half in range(30):
            new_beta = beta + t * step
            new_eta = X @ new_beta
            new_ll, new_p = evaluate(new_eta)
            if new_ll >= ll - 1e-12 * (1 + abs(ll)):
                break
            t /= 2
        beta, eta, ll, p = new_beta, new_eta, new_ll, new_p
        if np.max(np.abs(t * step) / (1 + np.abs(beta))) < tol:
            converged = True
            break
    return beta, p, converged


def fit_ipt(
    d: np.ndarray, X: np.ndarray, w: np.ndarray, *, tol: float = 1e-12, max_iter: int = 100
) -> tuple[np.ndarray, bool]:
    """Inverse probability tilting (Graham, Pinto & Egel 2012) as in R ``DRDID::pscore.ipt``.

    Minimises the convex loss ``-mean(w * (D x'g - (1-D) exp(x'g)))``; its first-order
    condition balances the comparison units, re-weighted by ``exp(x'g) = p/(1-p)``, to
    the treated units' covariate means. Returns ``plogis(X g)`` and a convergence flag.
    """
    n = len(d)
    g = np.zeros(X.shape[1])
    # start from the logit fit, as DRDID does
    g_logit, _, ok = fit_logit(d, X, w)
    if ok and np.all(np.isfinite(g_logit)):
        g = g_logit

    def loss(gam: np.ndarray) -> float:
        eta = X @ gam
        return float(-np.mean(w * np.where(d == 1, eta, -np.exp(np.minimum(eta, 700)))))

    cur = loss(g)
    converged = False
    for _ in range(max_iter):
        eta = X @ g
        e = np.exp(np.minimum(eta, 700))
        grad = -(X.T @ (w * np.where(d == 1, 1.0, -e))) / n
        hess = (X.T @ (X * (w * (1 - d) * e)[:, None])) / n
        try:
            step = -np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return 1.0 / (1.0 + np.exp(-X @ g)), False
        t = 1.0
        for _half in range(40):
            cand = g + t * step
            new = loss(cand)
            if new <= cur + 1e-14 * (1 + abs(cur)):
                break
            t /= 2
        g, cur = cand, new
        if np.max(np.abs(t * step) / (1 + np.abs(g))) < tol:
            converged = True
            break
    return 1.0 / (1.0 + np.exp(-X @ g)), converged


def _wls(y: np.ndarray, X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares coefficients; ``y`` may hold several outcomes (columns)."""
    xtwx = X.T @ (X * w[:, None])
    try:
        if 1.0 / np.linalg.cond(xtwx, 1) < np.finfo(float).eps:
            raise np.linalg.LinAlgError
        return np.linalg.solve(xtwx, X.T @ (w[:, None] * y if y.ndim == 2 else w * y))
    except np.linalg.LinAlgError as err:
        raise SroiInputError(
            "The outcome regression for the comparison units is singular: a covariate is "
            "constant or collinear among them. Remove or combine covariates."
        ) from err


def _design(X: np.ndarray | None, n: int) -> np.ndarray:
    if X is None:
        return np.ones((n, 1))
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.shape[1] and np.all(X[:, 0] == 1):
        return X
    return np.column_stack([np.ones(n), X])


def panel_did(
    y1: np.ndarray,
    y0: np.ndarray,
    d: np.ndarray,
    X: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    method: Estimator = "dr",
    trim_level: float = 0.995,
    pscore: np.ndarray | None = None,
) -> PanelDidEstimate:
    """ATT from a two-period panel with treated (``d=1``) and comparison (``d=0``) units.

    Parameters
    ----------
    y1, y0
        Outcome in the later and in the base period, one value per unit.
    d
        Treatment-group indicator (0/1).
    X
        Covariates (n x k), without or with a leading column of ones; ``None`` for none.
    weights
        Non-negative observation weights (normalised to mean one here).
    method
        ``"unconditional"``, ``"reg"``, ``"ipw"``, ``"dr"`` or ``"dr_imp"`` (module
        docstring).
    trim_level
        Comparison units with propensity score ``>= trim_level`` get weight zero.
    pscore
        Already fitted propensity scores for these units (from :func:`fit_logit` on the
        same ``d``, ``X`` and ``weights``), to reuse a fit across periods; ``None`` fits
        them here. Ignored by ``"unconditional"`` and ``"reg"``.

    Returns
    -------
    PanelDidEstimate
        ``att`` and the influence function (Sant'Anna & Zhao 2020, Section 3).

    Raises
    ------
    SroiInputError
        For an unknown method, a group without units, a singular outcome regression, a
        propensity model that does not converge or all comparison units trimmed.

    References
    ----------
    Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
    estimators. Journal of Econometrics 219(1), 101-122.
    Abadie, A. (2005). Semiparametric difference-in-differences estimators. Review of
    Economic Studies 72(1), 1-19.
    """
    est = panel_did_cells(
        np.asarray(y1, dtype=float)[:, None],
        np.asarray(y0, dtype=float)[:, None],
        d,
        X,
        weights,
        method,
        trim_level,
        pscore,
    )
    return PanelDidEstimate(
        float(est.att[0]),
        est.inf[:, 0],
        est.n_treated,
        est.n_control,
        est.n_trimmed,
        est.max_pscore,
    )


@dataclass(frozen=True)
class PanelDidCells:
    """Several 2x2s on the same units, groups, covariates and weights (one per column).

    ``att`` (K) and ``inf`` (n x K influence functions); counts as :class:`PanelDidEstimate`.
    """

    att: np.ndarray
    inf: np.ndarray
    n_treated: int
    n_control: int
    n_trimmed: int = 0
    max_pscore: float = float("nan")


@single_blas_thread
def panel_did_cells(
    y1: np.ndarray,
    y0: np.ndarray,
    d: np.ndarray,
    X: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    method: Estimator = "dr",
    trim_level: float = 0.995,
    pscore: np.ndarray | None = None,
) -> PanelDidCells:
    """:func:`panel_did` for ``K`` pairs of periods at once (``y1``, ``y0``: n x K).

    The group indicator, the design, the weights and the propensity score are shared, so
    the first steps (propensity fit, the comparison units' Gram matrix, the Hessian) are
    computed once and the outcome regressions and influence functions for all ``K``
    outcome changes in matrix operations. Column ``k`` equals
    ``panel_did(y1[:, k], y0[:, k], ...)``.

    Returns
    -------
    PanelDidCells
    """
    dy = np.asarray(y1, dtype=float) - np.asarray(y0, dtype=float)
    return cells_from_changes(dy, d, X, weights, method, trim_level, pscore)


@single_blas_thread
def cells_from_changes(
    dy: np.ndarray,
    d: np.ndarray,
    X: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    method: Estimator = "dr",
    trim_level: float = 0.995,
    pscore: np.ndarray | None = None,
) -> PanelDidCells:
    """:func:`panel_did_cells` from the outcome changes ``dy = y1 - y0`` (n x K).

    The caller hands ``dy`` over: a float array may be overwritten with residuals (the
    doubly robust estimators do, saving an n x K copy, which matters with a million units).
    """
    if method not in ESTIMATORS:
        raise SroiInputError(f"estimator must be one of {', '.join(ESTIMATORS)}; got {method!r}")
    dy = np.asarray(dy, dtype=float)  # no copy when it is already float
    d = np.asarray(d, dtype=float)
    n = len(d)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    w = w / np.mean(w)
    Z = _design(X, n) if method != "unconditional" else np.ones((n, 1))
    n_t = int(np.sum(d == 1))
    n_c = n - n_t
    if n_t == 0 or n_c == 0:
        raise SroiInputError("a 2x2 DiD needs at least one treated and one comparison unit")

    if method in ("unconditional", "reg"):
        return _regression(dy, d, Z, w, n_t, n_c)
    ps = _pscore(d, Z, w, method, pscore)
    return _weighted(dy, d, Z, w, ps, method, trim_level, n_t, n_c)


def _regression(
    dy: np.ndarray, d: np.ndarray, Z: np.ndarray, w: np.ndarray, n_t: int, n_c: int
) -> PanelDidCells:
    """Outcome regression (``"reg"``; ``"unconditional"`` with a constant-only design)."""
    n = len(d)
    ctrl = d == 0
    beta = _wls(dy[ctrl], Z[ctrl], w[ctrl])
    fitted = Z @ beta
    w_t = w * d
    mw_t = np.mean(w_t)
    eta_t = w_t @ dy / n / mw_t
    eta_c = w_t @ fitted / n / mw_t
    att = eta_t - eta_c
    # asymptotic linear representation of the WLS coefficients, applied to m1:
    # alr_ols @ m1 = w_ols (dY - X'b) * (X (XpX)^{-1} m1)
    w_ols = w * (1 - d)
    xpx = Z.T @ (Z * w_ols[:, None]) / n
    m1 = Z.T @ w_t / n
    alr_m1 = (w_ols[:, None] * (dy - fitted)) * (Z @ np.linalg.solve(xpx, m1))[:, None]
    inf_t = w_t[:, None] * (dy - eta_t) / mw_t
    inf_c = (w_t[:, None] * (fitted - eta_c) + alr_m1) / mw_t
    return PanelDidCells(att, inf_t - inf_c, n_t, n_c)


def _pscore(
    d: np.ndarray, Z: np.ndarray, w: np.ndarray, method: str, pscore: np.ndarray | None
) -> np.ndarray:
    """Propensity scores: given, by inverse probability tilting (``dr_imp``) or by logit."""
    if pscore is not None:
        return np.asarray(pscore, dtype=float)
    if method == "dr_imp":
        ps, ok = fit_ipt(d, Z, w)
        if not ok:
            raise SroiInputError(
                "inverse probability tilting did not converge (the treated and comparison "
                "covariate distributions may not overlap); use estimator='dr' or drop covariates"
            )
        return ps
    _, ps, ok = fit_logit(d, Z, w)
    if not ok:
        raise SroiInputError(
            "the propensity-score logit did not converge (perfect separation?): the "
            "treated and comparison units do not overlap on the covariates"
        )
    return ps


def _weighted(
    dy: np.ndarray,
    d: np.ndarray,
    Z: np.ndarray,
    w: np.ndarray,
    ps: np.ndarray,
    method: str,
    trim_level: float,
    n_t: int,
    n_c: int,
) -> PanelDidCells:
    """IPW, doubly robust and improved doubly robust estimators with trimmed weights."""
    n = len(d)
    ctrl = d == 0
    ps = np.minimum(ps, _PS_CAP)
    keep = ~ctrl | (ps < trim_level)
    n_trim = int(n - np.count_nonzero(keep))
    trim = keep.astype(float)
    w_t = trim * w * d
    w_c = trim * w * ps * (1 - d) / (1 - ps)
    mw_t, mw_c = np.mean(w_t), np.mean(w_c)
    if mw_c <= 0:
        raise SroiInputError("all comparison units were trimmed (propensity score >= trim level)")
    max_ps = float(np.max(ps))
    counts = (n_t, n_c, n_trim, max_ps)

    if method == "ipw":
        eta_t = w_t @ dy / n / mw_t
        eta_c = w_c @ dy / n / mw_c
        # alr_ps @ m2 = w (D - p) * (X H m2), H = n (X' diag(w p (1-p)) X)^{-1}
        m2 = Z.T @ (w_c[:, None] * (dy - eta_c)) / n
        alr_m2 = (w * (d - ps))[:, None] * (Z @ (_ps_hessian(Z, w, ps) @ m2))
        inf = (w_t[:, None] * (dy - eta_t)) / mw_t - (w_c[:, None] * (dy - eta_c) + alr_m2) / mw_c
        return PanelDidCells(eta_t - eta_c, inf, *counts)

    if method == "dr_imp":
        # WLS with weights p/(1-p) among comparison units (R DRDID::wols_panel)
        w_reg = w[ctrl] * ps[ctrl] / (1 - ps[ctrl])
        beta = _wls(dy[ctrl], Z[ctrl], w_reg)
    else:
        beta = _wls(dy[ctrl], Z[ctrl], w[ctrl])
    resid = dy  # a fresh array: the residuals overwrite the outcome changes
    resid -= Z @ beta
    eta_t = w_t @ resid / n / mw_t
    eta_c = w_c @ resid / n / mw_c
    att = eta_t - eta_c
    if method == "dr_imp":
        inf = w_t[:, None] * (resid - eta_t) / mw_t - w_c[:, None] * (resid - eta_c) / mw_c
        return PanelDidCells(att, inf, *counts)

    w_ols = w * (1 - d)
    xpx = Z.T @ (Z * w_ols[:, None]) / n
    v1 = Z @ np.linalg.solve(xpx, Z.T @ w_t / n)
    v3 = Z @ np.linalg.solve(xpx, Z.T @ w_c / n)
    m2 = ((Z * w_c[:, None]).T @ resid - np.outer(Z.T @ w_c, eta_c)) / n
    # inf = [w_t (r - eta_t) - e_ols v1] / mw_t - [w_c (r - eta_c) + alr_m2 - e_ols v3] / mw_c
    # with e_ols = w_ols r and alr_m2 = w (D - p) (Z H m2), per column of r: a diagonal
    # scaling of r plus one low-rank product [w_t, w_c, w (D - p) Z] @ coefficients
    a_r = w_t / mw_t - w_c / mw_c - w_ols * (v1 / mw_t - v3 / mw_c)
    left = np.column_stack([w_t, w_c, Z * (w * (d - ps) / mw_c)[:, None]])
    right = np.vstack([-eta_t / mw_t, eta_c / mw_c, -(_ps_hessian(Z, w, ps) @ m2)])
    inf = left @ right
    resid *= a_r[:, None]  # resid is not used again: scaled in place, no n x K temporary
    inf += resid
    return PanelDidCells(att, inf, *counts)


@single_blas_thread
def fit_pscore(
    d: np.ndarray, X: np.ndarray | None, weights: np.ndarray | None, method: Estimator
) -> np.ndarray | None:
    """Propensity scores as :func:`panel_did` fits them for ``method``.

    ``None`` when the estimator fits none; a caller can fit once and pass ``pscore=`` to
    several calls.
    """
    if method in ("unconditional", "reg"):
        return None
    d = np.asarray(d, dtype=float)
    n = len(d)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    w = w / np.mean(w)
    Z = _design(X, n)
    if method == "dr_imp":
        ps, ok = fit_ipt(d, Z, w)
    else:
        _, ps, ok = fit_logit(d, Z, w)
    if not ok:
        raise SroiInputError(
            "the propensity-score model did not converge (perfect separation?): the "
            "treated and comparison units do not overlap on the covariates; drop or "
            "coarsen covariates, or use estimator='reg'"
        )
    return ps


def _ps_hessian(Z: np.ndarray, w: np.ndarray, ps: np.ndarray) -> np.ndarray:
    """``n (Z' diag(w p (1-p)) Z)^{-1}``: the logit's inverse information scaled by n."""
    info = Z.T @ (Z * (w * ps * (1 - ps))[:, None])
    return np.linalg.inv(info) * len(ps)
