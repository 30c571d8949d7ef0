"""Inference for group-time cells and their aggregations (Callaway & Sant'Anna 2021, Sec. 4).

Every estimate of the staggered designs (ATT(g,t), aggregations with their weight-estimation
terms) has an influence function ``basis @ coef``, where ``basis`` holds the ATT(g,t)
influence functions and the cohort indicator columns ``w_i 1{G_i = g}``. Analytic variances
use the unit (or cluster) sums of the basis, ``sqrt(sum_c (sum_{i in c} psi_i)^2) / n``; the
multiplier bootstrap (Rademacher multipliers, standard error from the interquartile range,
sup-t critical value for uniform bands) draws the basis once and combines the draws, so every
aggregation uses the same multipliers, as R ``did`` does.
"""

from __future__ import annotations

import math

import numpy as np

from sroi._distributions import norm_ppf, norm_sf, t_ppf, t_sf
from sroi._threads import single_blas_thread
from sroi.impact.inference.multiplier_bootstrap import (
    cluster_sums,
    rademacher_draws,
    summarise_draws,
)

__all__ = ["CellInference", "SE_TINY"]

SE_TINY = math.sqrt(np.finfo(float).eps) * 10
"""Standard errors at or below this are reported as missing (an exact zero variance)."""


class CellInference:
    """Standard errors and critical values for linear combinations of the basis.

    Parameters
    ----------
    basis
        ``n x m`` influence-function basis (cells, then cohort indicator columns).
    codes
        Cluster code of each unit (``None``: each unit is its own cluster).
    n_clusters
        Number of clusters (with ``codes``).
    n_boot
        Multiplier-bootstrap draws (0: analytic).
    seed
        Seed of the multipliers (with ``n_boot > 0``).
    level
        Confidence level.
    df
        Degrees of freedom of Student's t for the pointwise critical values and p-values
        (``None``: the normal); see
        :func:`sroi.impact.inference.few_clusters.small_sample_df`.
    """

    @single_blas_thread
    def __init__(
        self,
        basis: np.ndarray,
        codes: np.ndarray | None,
        n_clusters: int | None,
        n_boot: int,
        seed: int | None,
        level: float,
        df: float | None = None,
    ) -> None:
        self.n = basis.shape[0]
        self.codes = codes
        self.n_clusters = n_clusters
        self.n_boot = n_boot
        self.seed = seed
        self.level = level
        self.df = df
        q = 0.5 + level / 2
        self.z = float(norm_ppf(q) if df is None else t_ppf(q, df))
        self.S = cluster_sums(basis, codes, n_clusters)
        self.gram = self.S.T @ self.S
        self._draws: np.ndarray | None = None

    @property
    def bootstrap(self) -> bool:
        """Whether the multiplier bootstrap is used."""
        return self.n_boot > 0

    @single_blas_thread
    def basis_draws(self) -> np.ndarray:
        """Bootstrap draws of the basis (drawn once, then reused)."""
        if self._draws is None:
            assert self.seed is not None
            self._draws = rademacher_draws(self.S, self.n_boot, int(self.seed), self.n)
        return self._draws

    def vcov(self, coef: np.ndarray) -> np.ndarray:
        """Analytic covariance ``(S c)'(S c) / n^2`` (S: unit or cluster sums)."""
        return coef.T @ self.gram @ coef / self.n**2

    def se(self, coef: np.ndarray) -> tuple[np.ndarray, float, np.ndarray | None]:
        """Standard errors, uniform critical value (``z`` when analytic) and draws."""
        coef = np.asarray(coef, dtype=float)
        if coef.ndim == 1:
            coef = coef[:, None]
        if not self.bootstrap:
            var = np.einsum("ij,ik,kj->j", coef, self.gram, coef)
            se = np.sqrt(np.maximum(var, 0.0)) / self.n
            se = np.where(se <= SE_TINY, np.nan, se)
            return se, self.z, None
        draws = self.basis_draws() @ coef
        se, crit = summarise_draws(draws, self.level, self.n)
        crit = crit if np.isfinite(crit) else self.z
        return se, crit, draws

    def p_values(self, t_stat: np.ndarray) -> np.ndarray:
        """Two-sided p-values of t statistics (normal, or t with :attr:`df`)."""
        t_abs = np.abs(t_stat)
        return 2 * (norm_sf(t_abs) if self.df is None else t_sf(t_abs, self.df))

    def _dist_label(self) -> str:
        return "" if self.df is None else f", t({int(self.df)})"

    def table_ci_type(self) -> str:
        """Interval type of a table (uniform band with the bootstrap)."""
        if self.bootstrap:
            return "multiplier bootstrap, uniform (sup-t) band"
        return "analytic pointwise" + self._dist_label()

    def scalar_ci_type(self) -> str:
        """Interval type of a single estimate."""
        kind = "multiplier bootstrap SE, pointwise" if self.bootstrap else "analytic pointwise"
        return kind + self._dist_label()
