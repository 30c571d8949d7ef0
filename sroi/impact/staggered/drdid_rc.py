"""Two-period (2x2) difference-in-differences estimators for repeated cross-sections.

With an unbalanced panel and ``allow_unbalanced_panel=True`` each ATT(g,t) of
:func:`sroi.staggered_did` uses every observation of the two periods of its 2x2, whether or
not the unit is also observed in the other period, as R ``did`` does: the observations are
treated as two cross-sections (``post = 1`` for the later period of the cell, 0 for the base
period) and each unit's influence-function terms are summed afterwards
(:mod:`sroi.impact.staggered.cells_rc`).

Estimators (Sant'Anna & Zhao 2020, Section 4; numerics as R ``DRDID``'s repeated
cross-section functions, which R ``did`` calls):

``"unconditional"``
    Difference of the four (weighted) means, ``(Y_11 - Y_10) - (Y_01 - Y_00)``.
``"reg"``
    Outcome regression (Heckman, Ichimura & Todd 1997): ``E_w[Y | D=1, post] - E_w[Y | D=1,
    pre] - E_w[X'b_post - X'b_pre | D=1]``, with ``b_post`` and ``b_pre`` fitted by weighted
    least squares among comparison observations of each period (R ``DRDID::reg_did_rc``).
``"ipw"``
    Normalised inverse probability weighting (Abadie 2005) with one logit propensity
    score fitted on both periods' observations (R ``DRDID::std_ipw_did_rc``).
``"dr"``
    The locally efficient doubly robust estimator (Sant'Anna & Zhao 2020, eq. 3.4): the IPW
    weights applied to outcome-regression residuals, with outcome regressions for the
    comparison and treated groups in each period (R ``DRDID::drdid_rc``, the one R ``did``
    uses for ``est_method="dr"``).

The improved estimator ``"dr_imp"`` has no repeated cross-section version here.
Propensity scores are capped at ``1 - 1e-6`` and comparison observations with ``p >= 0.995``
get weight zero, as R ``DRDID`` does; weights are normalised to mean one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sroi.errors import SroiInputError
from sroi.impact.staggered.drdid import fit_logit

__all__ = ["RC_ESTIMATORS", "RcDidEstimate", "rc_did"]

RC_ESTIMATORS = ("unconditional", "reg", "ipw", "dr")

_PS_CAP = 1 - 1e-6


@dataclass(frozen=True)
class RcDidEstimate:
    """Result of one repeated cross-section 2x2 DiD.

    Attributes
    ----------
    att
        Point estimate.
    inf_func
        Influence function, one value per observation (``att - ATT ~ mean(inf_func)``).
    """

    att: float
    inf_func: np.ndarray


def _wls_fit(y: np.ndarray, Z: np.ndarray, w: np.ndarray, rows: np.ndarray, what: str) -> tuple:
    """Weighted least squares on ``rows``: fitted values for every row, and the ALR factor.

    Returns ``(fitted, alr)`` with ``alr(m) = w_rows (y - fitted) * (Z (Z'W Z / n)^{-1} m)``,
    the asymptotic linear representation of the coefficients applied to a vector ``m``.
    """
    n = len(y)
    wr = w * rows
    xtwx = Z.T @ (Z * wr[:, None])
    if not np.any(rows) or 1.0 / np.linalg.cond(xtwx, 1) < np.finfo(float).eps:
        raise SroiInputError(
            f"the outcome regression for the {what} is singular: a covariate is constant or "
            "collinear among those observations (or there are none). Remove or combine "
            "covariates."
        )
    beta = np.linalg.solve(xtwx, Z.T @ (wr * y))
    fitted = Z @ beta
    e = wr * (y - fitted)
    xpx_n = xtwx / n

    def alr(m: np.ndarray) -> np.ndarray:
        return e * (Z @ np.linalg.solve(xpx_n, m))

    return fitted, alr


def _pscore(d: np.ndarray, Z: np.ndarray, w: np.ndarray, trim_level: float) -> tuple:
    """Logit propensity score (capped), the trimming indicator and the logit's ALR."""
    _, ps, ok = fit_logit(d, Z, w)
    if not ok:
        raise SroiInputError(
            "the propensity-score logit did not converge (perfect separation?): the treated "
            "and comparison observations do not overlap on the covariates"
        )
    ps = np.minimum(ps, _PS_CAP)
    trim = np.where(d == 1, 1.0, (ps < trim_level).astype(float))
    info = Z.T @ (Z * (w * ps * (1 - ps))[:, None])
    hess = np.linalg.inv(info) * len(d)
    score = w * (d - ps)

    def alr(m: np.ndarray) -> np.ndarray:
        return score * (Z @ (hess @ m))

    return ps, trim, alr


def _mean_norm(a: np.ndarray, what: str) -> float:
    m = float(np.mean(a))
    if m <= 0:
        raise SroiInputError(f"a 2x2 DiD needs {what} (none left, or all trimmed)")
    return m


def _regression(y: np.ndarray, post: np.ndarray, d: np.ndarray, Z: np.ndarray, w: np.ndarray):
    """R ``DRDID::reg_did_rc`` (``"unconditional"`` with a constant-only design)."""
    fit_pre, alr_pre = _wls_fit(y, Z, w, (1 - d) * (1 - post), "comparison group, base period")
    fit_post, alr_post = _wls_fit(y, Z, w, (1 - d) * post, "comparison group, later period")
    w_tpre, w_tpost, w_c = w * d * (1 - post), w * d * post, w * d
    m_tpre = _mean_norm(w_tpre, "treated observations in the base period")
    m_tpost = _mean_norm(w_tpost, "treated observations in the later period")
    m_c = float(np.mean(w_c))
    eta_tpre = np.mean(w_tpre * y) / m_tpre
    eta_tpost = np.mean(w_tpost * y) / m_tpost
    eta_c = np.mean(w_c * (fit_post - fit_pre)) / m_c
    att = (eta_tpost - eta_tpre) - eta_c
    inf_treat = w_tpost * (y - eta_tpost) / m_tpost - w_tpre * (y - eta_tpre) / m_tpre
    M1 = Z.T @ w_c / len(y)
    inf_c1 = w_c * (fit_post - fit_pre - eta_c)
    inf_control = (inf_c1 + alr_post(M1) - alr_pre(M1)) / m_c
    return float(att), inf_treat - inf_control


def _ipw(
    y: np.ndarray, post: np.ndarray, d: np.ndarray, Z: np.ndarray, w: np.ndarray, trim_level: float
):
    """R ``DRDID::std_ipw_did_rc``."""
    n = len(y)
    ps, trim, alr_ps = _pscore(d, Z, w, trim_level)
    odds = ps / (1 - ps)
    w_tpre, w_tpost = trim * w * d * (1 - post), trim * w * d * post
    w_cpre, w_cpost = trim * w * odds * (1 - d) * (1 - post), trim * w * odds * (1 - d) * post
    m = {
        k: _mean_norm(v, k)
        for k, v in (
            ("treated observations in the base period", w_tpre),
            ("treated observations in the later period", w_tpost),
            ("comparison observations in the base period", w_cpre),
            ("comparison observations in the later period", w_cpost),
        )
    }
    m_tpre, m_tpost, m_cpre, m_cpost = m.values()
    a_tpre, a_tpost = np.mean(w_tpre * y) / m_tpre, np.mean(w_tpost * y) / m_tpost
    a_cpre, a_cpost = np.mean(w_cpre * y) / m_cpre, np.mean(w_cpost * y) / m_cpost
    att = (a_tpost - a_tpre) - (a_cpost - a_cpre)
    inf_treat = w_tpost * (y - a_tpost) / m_tpost - w_tpre * (y - a_tpre) / m_tpre
    inf_cont = w_cpost * (y - a_cpost) / m_cpost - w_cpre * (y - a_cpre) / m_cpre
    M2_pre = Z.T @ (w_cpre * (y - a_cpre)) / n / m_cpre
    M2_post = Z.T @ (w_cpost * (y - a_cpost)) / n / m_cpost
    inf_cont = inf_cont + alr_ps(M2_post - M2_pre)
    return float(att), inf_treat - inf_cont


def _dr(
    y: np.ndarray, post: np.ndarray, d: np.ndarray, Z: np.ndarray, w: np.ndarray, trim_level: float
):
    """R ``DRDID::drdid_rc`` (locally efficient doubly robust)."""
    n = len(y)
    ps, trim, alr_ps = _pscore(d, Z, w, trim_level)
    odds = ps / (1 - ps)
    oc_pre, alr_c_pre = _wls_fit(y, Z, w, (1 - d) * (1 - post), "comparison group, base period")
    oc_post, alr_c_post = _wls_fit(y, Z, w, (1 - d) * post, "comparison group, later period")
    ot_pre, alr_t_pre = _wls_fit(y, Z, w, d * (1 - post), "treated group, base period")
    ot_post, alr_t_post = _wls_fit(y, Z, w, d * post, "treated group, later period")
    oc = post * oc_post + (1 - post) * oc_pre
    r = y - oc
    w_tpre, w_tpost = trim * w * d * (1 - post), trim * w * d * post
    w_cpre, w_cpost = trim * w * odds * (1 - d) * (1 - post), trim * w * odds * (1 - d) * post
    w_d = trim * w * d
    m_tpre = _mean_norm(w_tpre, "treated observations in the base period")
    m_tpost = _mean_norm(w_tpost, "treated observations in the later period")
    m_cpre = _mean_norm(w_cpre, "comparison observations in the base period")
    m_cpost = _mean_norm(w_cpost, "comparison observations in the later period")
    m_d = float(np.mean(w_d))
    gap_post, gap_pre = ot_post - oc_post, ot_pre - oc_pre
    a_tpre, a_tpost = np.mean(w_tpre * r) / m_tpre, np.mean(w_tpost * r) / m_tpost
    a_cpre, a_cpost = np.mean(w_cpre * r) / m_cpre, np.mean(w_cpost * r) / m_cpost
    a_d_post, a_dt1 = np.mean(w_d * gap_post) / m_d, np.mean(w_tpost * gap_post) / m_tpost
    a_d_pre, a_dt0 = np.mean(w_d * gap_pre) / m_d, np.mean(w_tpre * gap_pre) / m_tpre
    att = (a_tpost - a_tpre) - (a_cpost - a_cpre) + (a_d_post - a_dt1) - (a_d_pre - a_dt0)

    def col_mean(v: np.ndarray) -> np.ndarray:
        return Z.T @ v / n

    inf_treat = w_tpost * (r - a_tpost) / m_tpost - w_tpre * (r - a_tpre) / m_tpre
    inf_treat = inf_treat + alr_c_post(-col_mean(w_tpost) / m_tpost)
    inf_treat = inf_treat + alr_c_pre(-col_mean(w_tpre) / m_tpre)
    M2_pre = col_mean(w_cpre * (r - a_cpre)) / m_cpre
    M2_post = col_mean(w_cpost * (r - a_cpost)) / m_cpost
    inf_cont = w_cpost * (r - a_cpost) / m_cpost - w_cpre * (r - a_cpre) / m_cpre
    inf_cont = inf_cont + alr_ps(M2_post - M2_pre)
    inf_cont = inf_cont + alr_c_post(-col_mean(w_cpost) / m_cpost)
    inf_cont = inf_cont + alr_c_pre(-col_mean(w_cpre) / m_cpre)
    inf_eff = (w_d * (gap_post - a_d_post) / m_d - w_tpost * (gap_post - a_dt1) / m_tpost) - (
        w_d * (gap_pre - a_d_pre) / m_d - w_tpre * (gap_pre - a_dt0) / m_tpre
    )
    mom_post = col_mean(w_d / m_d - w_tpost / m_tpost)
    mom_pre = col_mean(w_d / m_d - w_tpre / m_tpre)
    inf_or = (alr_t_post(mom_post) - alr_c_post(mom_post)) - (
        alr_t_pre(mom_pre) - alr_c_pre(mom_pre)
    )
    return float(att), inf_treat - inf_cont + inf_eff + inf_or


def rc_did(
    y: np.ndarray,
    post: np.ndarray,
    d: np.ndarray,
    X: np.ndarray | None = None,
    weights: np.ndarray | None = None,
    method: str = "dr",
    trim_level: float = 0.995,
) -> RcDidEstimate:
    """ATT from two cross-sections (base period ``post = 0``, later period ``post = 1``).

    Parameters
    ----------
    y
        Outcome of each observation.
    post
        1 for observations of the later period, 0 for the base period.
    d
        Treatment-group indicator (0/1).
    X
        Covariates (``n x k``, without the constant) or ``None``.
    weights
        Non-negative observation weights (normalised to mean one here).
    method
        ``"unconditional"``, ``"reg"``, ``"ipw"`` or ``"dr"`` (module docstring).
    trim_level
        Comparison observations with propensity score ``>= trim_level`` get weight zero.

    Returns
    -------
    RcDidEstimate
        The estimate and its per-observation influence function.

    Raises
    ------
    SroiInputError
        For an unknown method, a group-period without observations, a singular outcome
        regression or a propensity model that does not converge.

    References
    ----------
    Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
    estimators. Journal of Econometrics 219(1), 101-122.
    Abadie, A. (2005). Semiparametric difference-in-differences estimators. Review of
    Economic Studies 72(1), 1-19.
    """
    if method not in RC_ESTIMATORS:
        raise SroiInputError(
            f"estimator must be one of {', '.join(RC_ESTIMATORS)} for an unbalanced panel "
            f"(repeated cross-section 2x2s); got {method!r}"
        )
    y = np.asarray(y, dtype=float)
    post = np.asarray(post, dtype=float)
    d = np.asarray(d, dtype=float)
    n = len(y)
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    w = w / np.mean(w)
    for grp, per, what in ((1, 1, "later"), (1, 0, "base"), (0, 1, "later"), (0, 0, "base")):
        if not np.any((d == grp) & (post == per)):
            who = "treated" if grp else "comparison"
            raise SroiInputError(f"no {who} observations in the {what} period of this 2x2")
    ones = np.ones((n, 1))
    if method == "unconditional" or X is None or np.asarray(X).size == 0:
        Z = ones
    else:
        Z = np.column_stack([ones, np.asarray(X, dtype=float).reshape(n, -1)])
    if method in ("unconditional", "reg"):
        att, inf = _regression(y, post, d, Z, w)
    elif method == "ipw":
        att, inf = _ipw(y, post, d, Z, w, trim_level)
    else:
        att, inf = _dr(y, post, d, Z, w, trim_level)
    return RcDidEstimate(att, inf)
