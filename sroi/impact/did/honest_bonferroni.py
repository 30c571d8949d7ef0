"""Bonferroni interval under relative magnitudes, ``Delta^RM(Mbar)`` (``ci="bonferroni"``).

A simple, conservative alternative to the conditional / hybrid tests of
:mod:`sroi.impact.did.honest_arp`. ``Delta^RM(Mbar)`` bounds every post-period first
difference by ``Mbar * D``, ``D = max_{s<=0} |Delta_s|`` the largest pre-period first
difference. For ``theta = l' tau_post`` the identified set is ``l' beta_post -+ Mbar D K_RM``
with ``K_RM = sum_s |sum_{t>=s} l_t|``. With ``alpha_1 = (1 - kappa) alpha`` a two-sided
interval for ``l' beta_post`` and ``alpha_2 = kappa alpha`` a one-sided sup-t upper bound
``D_u`` for ``D`` (simultaneous over the pre-period differences, critical value simulated
from their estimated covariance), the interval is
``[l'b_post - z_{1-alpha_1/2} se - Mbar D_u K_RM, l'b_post + z se + Mbar D_u K_RM]``, valid at
level ``1 - alpha`` by the union bound, and the breakdown value has a closed form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sroi._distributions import norm_ppf

__all__ = ["bonferroni_relative_magnitude"]


def _pre_differences(b: np.ndarray, n_pre: int) -> tuple[np.ndarray, np.ndarray]:
    """Pre-period first differences ``Delta_s`` (``delta_0 = 0``) and their contrast matrix."""
    pre_full = np.concatenate([b[:n_pre], [0.0]])
    Cdiff = np.zeros((n_pre, b.size))
    for i in range(n_pre):
        if i + 1 < n_pre:
            Cdiff[i, i + 1] = 1.0
        Cdiff[i, i] -= 1.0
    return np.diff(pre_full), Cdiff


def bonferroni_relative_magnitude(
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
    """Bonferroni intervals under ``Delta^RM(Mbar)``.

    Returns
    -------
    tuple
        Table (``Mbar, lb, ub``), breakdown value, ``l' beta_post`` and a description.
    """
    a_post = np.concatenate([np.zeros(n_pre), lv])
    theta_post = float(a_post @ b)
    se_post = float(np.sqrt(a_post @ S @ a_post))
    diffs, Cdiff = _pre_differences(b, n_pre)
    K = float(np.sum(np.abs(np.cumsum(lv[::-1])[::-1])))
    a1, a2 = (1 - kappa) * alpha, kappa * alpha
    z1 = norm_ppf(1 - a1 / 2)
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
