"""Sensitivity of event-study effects to violations of parallel trends (Rambachan & Roth 2023).

Event-study coefficients are ``beta = tau + delta``: the treatment effect ``tau`` (zero
before treatment) plus a difference in trends ``delta``. Parallel trends says
``delta_post = 0``; "honest DiD" instead bounds how far ``delta_post`` may stray, using the
pre-period coefficients (which estimate ``delta_pre``), and reports confidence intervals for
``theta = l' tau_post`` that stay valid for every ``delta`` in the restriction set.

Notation (as Rambachan & Roth 2023 and R HonestDiD): ``betahat`` holds ``n_pre`` pre-period
coefficients (earliest first, the reference period excluded) then ``n_post`` post-period
coefficients; the reference period is ``delta_0 = 0`` and sits between them. First
differences ``Delta_s = delta_s - delta_{s-1}``.

Restrictions and the intervals computed here (closed forms, exact statements):

* ``"relative_magnitude"`` (``Delta^RM(Mbar)``): every post-period first difference is at most
  ``Mbar`` times the largest pre-period first difference,
  ``|Delta_t| <= Mbar * D``, ``D = max_{s<=0} |Delta_s|``. For ``theta = l' tau_post`` the
  identified set is ``l' beta_post -+ Mbar * D * K_RM`` with
  ``K_RM = sum_s |sum_{t>=s} l_t|``. **Interval**: a Bonferroni combination (not R&R's
  conditional/hybrid test): with ``alpha_1 = (1 - kappa) alpha`` a two-sided interval for
  ``l' beta_post`` and with ``alpha_2 = kappa alpha`` a one-sided sup-t upper bound
  ``D_u`` for ``D`` (simultaneous over the pre-period differences, critical value by
  simulation from their estimated covariance), giving
  ``[l'b_post - z_{1-alpha_1/2} se - Mbar D_u K_RM, l'b_post + z se + Mbar D_u K_RM]``.
  Valid at level ``1 - alpha`` by the union bound; somewhat conservative.
* ``"smoothness"`` (``Delta^SD(M)``): second differences bounded,
  ``|Delta_t - Delta_{t-1}| <= M``. The estimator is the linear extrapolation of the last
  pre-period slope, ``theta_hat = l' beta_post - (sum_t t l_t) * (beta_0 - beta_{-1})``
  (``beta_0 = 0``), whose worst-case bias over ``Delta^SD(M)`` is exactly
  ``M * K_SD`` with ``K_SD = sum_r |sum_{t>=r} (t - r + 1) l_t|``. **Interval**: the
  fixed-length confidence interval of Armstrong & Kolesar (2018) for this affine
  estimator, ``theta_hat -+ cv_alpha(M K_SD / se) * se`` with ``cv_alpha(b)`` the
  ``1 - alpha`` quantile of ``|N(b, 1)|``. Valid, but not R&R's optimal FLCI: theirs
  optimises over all affine estimators (e.g. using every pre-period to estimate the
  slope), so it is never longer; the two coincide only with one pre-period.

The *breakdown value* is the smallest ``Mbar`` (``M``) whose robust interval contains 0:
how large a violation of parallel trends would overturn the conclusion.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from sroi._checks import check_choice, check_int, check_number, check_random_state
from sroi.errors import SroiInputError

__all__ = ["honest_bounds"]


def _folded_normal_cv(bias: float, alpha: float) -> float:
    """1 - alpha quantile of |N(bias, 1)|."""
    b = abs(bias)
    if b == 0:
        return float(stats.norm.ppf(1 - alpha / 2))

    def f(c: float) -> float:
        return stats.norm.cdf(c - b) - stats.norm.cdf(-c - b) - (1 - alpha)

    hi = b + stats.norm.ppf(1 - alpha) + 10
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-12))


def _checked(
    betahat: Any, sigma: Any, n_pre: Any, n_post: Any, l_vec: Any
) -> tuple[np.ndarray, np.ndarray, int, int, np.ndarray]:
    """Coefficients, covariance, ``n_pre``, ``n_post`` and ``l`` (default: first post period)."""
    b = np.asarray(betahat, dtype=float).ravel()
    if sigma is None or n_pre is None or n_post is None:
        raise SroiInputError("give betahat, sigma, n_pre and n_post (or an EventStudyResult)")
    S = np.asarray(sigma, dtype=float)
    n_pre, n_post = int(n_pre), int(n_post)
    if n_pre < 1 or n_post < 1:
        raise SroiInputError(
            f"need at least one pre and one post coefficient, got {n_pre}, {n_post}"
        )
    if b.size != n_pre + n_post:
        raise SroiInputError(f"betahat has {b.size} entries but n_pre + n_post = {n_pre + n_post}")
    if S.shape != (b.size, b.size):
        raise SroiInputError(f"sigma must be {b.size} x {b.size}, got {S.shape}")
    if not (np.isfinite(b).all() and np.isfinite(S).all()):
        raise SroiInputError("betahat and sigma must be finite")
    lv = np.zeros(n_post)
    if l_vec is None:
        lv[0] = 1.0
    else:
        lv = np.asarray(l_vec, dtype=float).ravel()
        if lv.size != n_post:
            raise SroiInputError(f"l_vec must have n_post = {n_post} entries, got {lv.size}")
    return b, S, n_pre, n_post, lv


def _pre_differences(b: np.ndarray, n_pre: int) -> tuple[np.ndarray, np.ndarray]:
    """Pre-period first differences ``Delta_s`` (``delta_0 = 0``) and their contrast matrix."""
    pre_full = np.concatenate([b[:n_pre], [0.0]])
    Cdiff = np.zeros((n_pre, b.size))
    for i in range(n_pre):
        if i + 1 < n_pre:
            Cdiff[i, i + 1] = 1.0
        Cdiff[i, i] -= 1.0
    return np.diff(pre_full), Cdiff


def _relative_magnitude(
    b: np.ndarray,
    S: np.ndarray,
    n_pre: int,
    lv: np.ndarray,
    grid: np.ndarray,
    alpha: float,
    kappa: float,
    n_sim: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, float, float, str]:
    """Bonferroni intervals under ``Delta^RM(Mbar)``: table, breakdown, theta_hat, description."""
    a_post = np.concatenate([np.zeros(n_pre), lv])
    theta_post = float(a_post @ b)
    se_post = float(np.sqrt(a_post @ S @ a_post))
    diffs, Cdiff = _pre_differences(b, n_pre)
    K = float(np.sum(np.abs(np.cumsum(lv[::-1])[::-1])))
    a1, a2 = (1 - kappa) * alpha, kappa * alpha
    z1 = stats.norm.ppf(1 - a1 / 2)
    Vd = Cdiff @ S @ Cdiff.T
    sd = np.sqrt(np.clip(np.diag(Vd), 0, None))
    ok = sd > 0
    if ok.any():
        L = np.linalg.cholesky(Vd[np.ix_(ok, ok)] + 1e-14 * np.eye(ok.sum()))
        draws = rng.standard_normal((n_sim, ok.sum())) @ L.T / sd[ok]
        c_sup = float(np.quantile(np.abs(draws).max(axis=1), 1 - a2))
    else:
        c_sup = 0.0
    D_hat = float(np.max(np.abs(diffs)))
    D_u = float(np.max(np.abs(diffs) + c_sup * sd))
    lo0, hi0 = theta_post - z1 * se_post, theta_post + z1 * se_post
    rows = [
        dict(
            Mbar=float(m),
            lb=lo0 - m * D_u * K,
            ub=hi0 + m * D_u * K,
            id_lb=theta_post - m * D_hat * K,
            id_ub=theta_post + m * D_hat * K,
            method="relative_magnitude",
        )
        for m in grid
    ]
    if lo0 <= 0 <= hi0:
        breakdown = 0.0
    elif D_u * K == 0:
        breakdown = np.inf
    else:
        breakdown = float(min(abs(lo0), abs(hi0)) / (D_u * K))
    desc = (
        "relative magnitudes (Rambachan & Roth 2023), Bonferroni interval: "
        f"{100 * (1 - a1):.1f}% interval for l'beta_post and {100 * (1 - a2):.1f}% sup-t "
        "upper bound on the largest pre-period first difference"
    )
    out = pd.DataFrame(rows)
    out.attrs.update(D_hat=D_hat, D_upper=D_u, K=K, sup_t_cv=c_sup)
    return out, breakdown, theta_post, desc


def _smoothness(
    b: np.ndarray, S: np.ndarray, n_pre: int, lv: np.ndarray, grid: np.ndarray, alpha: float
) -> tuple[pd.DataFrame, float, float, str]:
    """Fixed-length intervals under ``Delta^SD(M)``: table, breakdown, theta_hat, description."""
    n_post = lv.size
    t_idx = np.arange(1, n_post + 1)
    a_post = np.concatenate([np.zeros(n_pre), lv])
    # theta_hat = l'beta_post - (sum t l_t) * slope, slope = Delta_0 = 0 - beta_{-1}
    slope_c = -np.eye(b.size)[n_pre - 1]
    a = a_post - float(np.sum(t_idx * lv)) * slope_c
    theta_hat = float(a @ b)
    se = float(np.sqrt(a @ S @ a))
    K = float(sum(abs(np.sum((t_idx[r:] - r) * lv[r:])) for r in range(n_post)))
    rows = []
    for m in grid:
        cv = _folded_normal_cv(m * K / se, alpha) if se > 0 else 0.0
        rows.append(
            dict(
                M=float(m),
                lb=theta_hat - cv * se,
                ub=theta_hat + cv * se,
                id_lb=theta_hat - m * K,
                id_ub=theta_hat + m * K,
                method="smoothness",
            )
        )
    q = abs(theta_hat) / se if se > 0 else np.inf
    if q <= stats.norm.ppf(1 - alpha / 2):
        breakdown = 0.0
    elif K == 0 or not np.isfinite(q):
        breakdown = np.inf
    else:
        # the interval reaches 0 when cv_alpha(b) = q, b = M K / se: solve
        # Phi(q - b) - Phi(-q - b) = 1 - alpha for b (decreasing in b >= 0)
        def g(bb: float) -> float:
            return stats.norm.cdf(q - bb) - stats.norm.cdf(-q - bb) - (1 - alpha)

        b_star = optimize.brentq(g, 0.0, q, xtol=1e-12)
        breakdown = float(b_star * se / K)
    desc = (
        "smoothness restriction (Rambachan & Roth 2023): fixed-length interval "
        "(Armstrong & Kolesar 2018) for the linear-extrapolation estimator"
    )
    out = pd.DataFrame(rows)
    out.attrs.update(K=K, se=se)
    return out, breakdown, theta_hat, desc


def honest_bounds(
    betahat: np.ndarray,
    sigma: np.ndarray | None,
    n_pre: int | None,
    n_post: int | None,
    *,
    method: str = "relative_magnitude",
    Mbar: np.ndarray | list[float] | None = None,
    M: np.ndarray | list[float] | None = None,
    l_vec: np.ndarray | list[float] | None = None,
    level: float = 0.95,
    kappa: float = 0.2,
    n_sim: int = 100_000,
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Robust confidence intervals from event-study coefficients (Rambachan & Roth 2023).

    The computation behind :func:`sroi.impact.did.honest_did` on arrays (see there and the
    module notes for the parameters and the returned table).

    Returns
    -------
    DataFrame
        One row per grid value, ``.attrs`` with the breakdown value and the original interval.
    """
    b, S, n_pre, n_post, lv = _checked(betahat, sigma, n_pre, n_post, l_vec)
    check_number(level, "level", minimum=0.0, maximum=1.0, exclusive=True)
    check_choice(method, ("relative_magnitude", "smoothness"), "method")
    rng = check_random_state(random_state)
    alpha = 1 - level
    a_post = np.concatenate([np.zeros(n_pre), lv])
    theta_post = float(a_post @ b)
    se_post = float(np.sqrt(a_post @ S @ a_post))
    z = stats.norm.ppf(1 - alpha / 2)
    original = (theta_post - z * se_post, theta_post + z * se_post)
    if method == "relative_magnitude":
        grid = np.arange(0, 2.0001, 0.25) if Mbar is None else np.asarray(Mbar, float)
        if (grid < 0).any():
            raise SroiInputError("Mbar values must be >= 0")
        if not 0 < kappa < 1:
            raise SroiInputError(f"kappa must be in (0, 1), got {kappa}")
        check_int(n_sim, "n_sim", minimum=1)
        out, breakdown, theta_hat, desc = _relative_magnitude(
            b, S, n_pre, lv, grid, alpha, kappa, int(n_sim), rng
        )
    else:
        se1 = float(np.sqrt(S[n_pre, n_pre]))
        grid = np.linspace(0, 2 * se1, 9) if M is None else np.asarray(M, float)
        if (grid < 0).any():
            raise SroiInputError("M values must be >= 0")
        out, breakdown, theta_hat, desc = _smoothness(b, S, n_pre, lv, grid, alpha)
    out.attrs.update(
        breakdown=breakdown, original=original, theta_hat=theta_hat, description=desc, level=level
    )
    return out
