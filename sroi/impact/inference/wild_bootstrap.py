"""Wild cluster restricted bootstrap-t (Cameron, Gelbach & Miller 2008) for one coefficient.

One of the few-cluster remedies (with :mod:`sroi.impact.inference.cr2` and
:mod:`sroi.impact.inference.randomization`): Rademacher or Webb (2014) weights, p-value and
a confidence interval by test inversion. Absorbed fixed effects nested within the clusters
give the same bootstrap as the full dummy-variable regression.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from sroi import _optimize as optimize
from sroi._checks import check_random_state
from sroi.errors import SroiInputError
from sroi.impact.inference._design import check_design, check_weights, cluster_blocks

__all__ = ["WildBootstrapResult", "wild_cluster_bootstrap"]


@dataclass(frozen=True)
class WildBootstrapResult:
    """Result of :func:`wild_cluster_bootstrap`.

    ``std_error`` is the CR1 standard error of the original estimate; ``p_value`` and the
    interval come from the bootstrap-t distribution of the restricted (null-imposed) wild
    cluster bootstrap; the interval inverts the test over the null value.
    """

    estimate: float
    std_error: float
    t_stat: float
    p_value: float
    ci_low: float
    ci_high: float
    level: float
    n_boot: int
    n_clusters: int
    weight_type: str
    null: float
    t_draws: np.ndarray = field(repr=False)


def _boot_weights(
    n_boot: int, g: int, weight_type: str, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    if weight_type == "rademacher":
        if 2**g <= n_boot:
            # enumerate every sign pattern: the exact wild bootstrap distribution
            grid = ((np.arange(2**g)[:, None] >> np.arange(g)[None, :]) & 1) * 2.0 - 1.0
            return grid, grid.shape[0]
        return rng.choice(np.array([-1.0, 1.0]), size=(n_boot, g)), n_boot
    if weight_type == "webb":
        vals = np.array([-np.sqrt(1.5), -1.0, -np.sqrt(0.5), np.sqrt(0.5), 1.0, np.sqrt(1.5)])
        return rng.choice(vals, size=(n_boot, g)), n_boot
    raise SroiInputError(f"weight_type must be 'rademacher' or 'webb', got {weight_type!r}")


def wild_cluster_bootstrap(
    X: np.ndarray,
    y: np.ndarray,
    cluster: np.ndarray | pd.Series,
    coef_index: int,
    weights: np.ndarray | None = None,
    *,
    null: float = 0.0,
    n_boot: int = 999,
    weight_type: Literal["rademacher", "webb"] = "rademacher",
    level: float = 0.95,
    small_sample: bool = True,
    ci: bool = True,
    random_state: int | np.random.Generator | None = None,
) -> WildBootstrapResult:
    """Wild cluster restricted bootstrap-t (WCR; Cameron, Gelbach & Miller 2008).

    For a null ``b_k = b0`` the restricted model (``X`` without column ``k``, outcome
    ``y - b0 x_k``) gives fitted values ``y_r`` and residuals ``u_r``. Each draw multiplies
    every cluster's restricted residuals by one weight ``v_g`` (Rademacher +-1, or the
    six-point distribution of Webb 2014), ``y* = y_r + b0 x_k + v_g u_r``, re-fits the
    unrestricted model and forms ``t* = (b*_k - b0) / se*_k`` with the CR1 standard error.
    The p-value is ``mean(|t*| >= |t|)``. Because ``b*`` and the cluster scores are linear
    in ``v``, all draws are computed at once from a G x G matrix (as in Roodman, MacKinnon,
    Nielsen & Webb 2019). With Rademacher weights and ``2^G <= n_boot`` all ``2^G`` sign
    patterns are enumerated. The interval collects every ``b0`` not rejected at
    ``1 - level`` (test inversion, same draws for every ``b0``).

    Parameters
    ----------
    X, y
        Design (n x k, fixed effects may be absorbed if nested in clusters) and outcome.
    cluster
        One cluster label per row.
    coef_index
        Column of ``X`` under test.
    weights
        Observation weights.
    null
        Null value ``b0`` for the p-value.
    n_boot
        Number of draws (ignored when all Rademacher patterns are enumerated).
    small_sample
        Multiply the CR1 variance by ``G/(G-1) (n-1)/(n-k)`` (cancels in the bootstrap-t
        p-value but matters for the reported standard error).
    weight_type
        ``"rademacher"`` or ``"webb"``.
    level
        Confidence level of the interval.
    ci
        Compute the interval by test inversion.
    random_state
        Seed (whole number >= 0) or ``numpy.random.Generator`` for the weights.

    Returns
    -------
    WildBootstrapResult

    References
    ----------
    Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2008). Bootstrap-based improvements for
    inference with clustered errors. Review of Economics and Statistics 90(3). Roodman, D.,
    MacKinnon, J. G., Nielsen, M. O. & Webb, M. D. (2019). Fast and wild: bootstrap inference
    in Stata using boottest. Stata Journal 19(1).
    """
    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    X = check_design(X, n)
    _check_options(X.shape[1], coef_index, n_boot, level)
    w = check_weights(weights, n)
    codes, g, _ = cluster_blocks(cluster, n)
    if g < 2:
        raise SroiInputError("the wild cluster bootstrap needs at least 2 clusters")
    rng = check_random_state(random_state)
    V, B = _boot_weights(n_boot, g, weight_type, rng)
    M, est, se, adj = _cr1_fit(X, y, w, codes, g, coef_index, small_sample)
    boot = _BootstrapT.build(X, y, w, codes, g, coef_index, M, V, adj)

    def pval(b0: float) -> float:
        t_obs = (est - b0) / se
        td = boot.t_draws(b0)
        return float(np.mean(np.abs(td) >= abs(t_obs) - 1e-12))

    td_null = boot.t_draws(null)
    t_stat = (est - null) / se
    p = float(np.mean(np.abs(td_null) >= abs(t_stat) - 1e-12))
    lo, hi = _invert_test(pval, est, se, 1 - level) if ci else (np.nan, np.nan)
    return WildBootstrapResult(
        estimate=est,
        std_error=se,
        t_stat=float(t_stat),
        p_value=p,
        ci_low=lo,
        ci_high=hi,
        level=level,
        n_boot=B,
        n_clusters=g,
        weight_type=weight_type,
        null=null,
        t_draws=td_null,
    )


def _check_options(k: int, coef_index: int, n_boot: int, level: float) -> None:
    if not 0 <= coef_index < k:
        raise SroiInputError(f"coef_index {coef_index} is out of range for {k} columns")
    if n_boot < 99:
        raise SroiInputError(f"n_boot must be at least 99, got {n_boot}")
    if not 0 < level < 1:
        raise SroiInputError(f"level must be between 0 and 1, got {level}")


def _cr1_fit(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    codes: np.ndarray,
    g: int,
    coef_index: int,
    small_sample: bool,
) -> tuple[np.ndarray, float, float, float]:
    """Bread ``M``, estimate, CR1 standard error and small-sample factor of the full model."""
    n, k = X.shape
    Xw = X * w[:, None]
    M = np.linalg.pinv(X.T @ Xw)
    beta = M @ (Xw.T @ y)
    resid = y - X @ beta
    adj = (g / (g - 1)) * ((n - 1) / (n - k)) if small_sample else 1.0
    s_obs = np.zeros((g, k))
    np.add.at(s_obs, codes, Xw * resid[:, None])
    se = float(np.sqrt(adj * np.sum((s_obs @ M[coef_index]) ** 2)))
    return M, float(beta[coef_index]), se, adj


def _restricted_residuals(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, coef_index: int
) -> tuple[np.ndarray, np.ndarray]:
    """Residuals of the model without column ``k``, linear in the null: ``u_r = u0 - b0 u1``."""
    others = [j for j in range(X.shape[1]) if j != coef_index]
    Xr = X[:, others]
    Xrw = Xr * w[:, None]
    Mr = np.linalg.pinv(Xr.T @ Xrw)
    xk = X[:, coef_index]
    u0 = y - Xr @ (Mr @ (Xrw.T @ y))
    u1 = xk - Xr @ (Mr @ (Xrw.T @ xk))
    return u0, u1


@dataclass(frozen=True)
class _BootstrapT:
    """Bootstrap-t draws for any null value ``b0`` from sums computed once.

    For draw v the coefficient's cluster scores are ``s_g = v_g q_g - R_g . (S' v)``, with
    ``q = q0 - b0 q1`` and ``S = S0 - b0 S1``. Expanding ``sum_g s_g^2`` makes every null
    value cost O(B k^2) after one O(B G k) pass (no B x G x G work, bounded memory).
    """

    Vq0: np.ndarray
    Vq1: np.ndarray
    VS0: np.ndarray
    VS1: np.ndarray
    Q00: np.ndarray
    Q01: np.ndarray
    Q11: np.ndarray
    VqR0: np.ndarray
    VqR1: np.ndarray
    RtR: np.ndarray
    adj: float

    @classmethod
    def build(
        cls,
        X: np.ndarray,
        y: np.ndarray,
        w: np.ndarray,
        codes: np.ndarray,
        g: int,
        coef_index: int,
        M: np.ndarray,
        V: np.ndarray,
        adj: float,
    ) -> _BootstrapT:
        """Precompute the draw-level sums from the weights ``V`` (B x G)."""
        k = X.shape[1]
        Xw = X * w[:, None]
        a_row = M[coef_index]  # bread row for the coefficient
        u0, u1 = _restricted_residuals(X, y, w, coef_index)
        # R_g = a' X_g' W_g X_g M (g x k), from row contributions (x_i . a) w_i x_i
        xa = (X @ a_row) * w
        r = np.zeros((g, k))
        np.add.at(r, codes, X * xa[:, None])
        R = r @ M

        def cluster_sums(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            S = np.zeros((g, k))
            np.add.at(S, codes, Xw * u[:, None])
            return S @ a_row, S  # q: contribution of each cluster to b*; S: score sums

        q0, S0 = cluster_sums(u0)
        q1, S1 = cluster_sums(u1)
        V2 = V**2
        return cls(
            Vq0=V @ q0,
            Vq1=V @ q1,
            VS0=V @ S0,
            VS1=V @ S1,
            Q00=V2 @ (q0 * q0),
            Q01=V2 @ (q0 * q1),
            Q11=V2 @ (q1 * q1),
            VqR0=V @ (q0[:, None] * R),
            VqR1=V @ (q1[:, None] * R),
            RtR=R.T @ R,
            adj=adj,
        )

    def t_draws(self, b0: float) -> np.ndarray:
        """The B bootstrap t statistics under the null ``b_k = b0``."""
        num = self.Vq0 - b0 * self.Vq1  # b* - b0 (the restricted fit has b_k = b0)
        VS = self.VS0 - b0 * self.VS1
        VqR_0 = self.VqR0 - b0 * self.VqR1  # V @ (q[:, None] * R)
        t1 = self.Q00 - 2 * b0 * self.Q01 + b0**2 * self.Q11
        # cross term: sum_g v_g q_g (R_g . VS_b)
        t2 = np.einsum("bk,bk->b", VqR_0, VS)
        t3 = np.einsum("bk,kl,bl->b", VS, self.RtR, VS)
        ss = np.clip(t1 - 2 * t2 + t3, 0.0, None)
        den = np.sqrt(self.adj * ss)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(den > 1e-300, num / den, 0.0)


def _invert_test(
    pval: Callable[[float], float], est: float, se: float, alpha: float
) -> tuple[float, float]:
    """Interval of null values not rejected at ``alpha``: bracket, then bisect on the step."""

    def f(b0: float) -> float:
        return pval(b0) - alpha

    def bound(direction: int) -> float:
        inner = est
        step = max(se, 1e-12)
        outer = est + direction * step
        for _ in range(60):
            if f(outer) <= 0:
                break
            inner, outer = outer, outer + direction * step
            step *= 2
        else:
            return direction * np.inf
        try:
            return float(optimize.bisect(f, inner, outer, xtol=se * 1e-6, maxiter=200))
        except ValueError:
            return float(outer)

    return bound(-1), bound(+1)
