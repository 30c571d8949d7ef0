"""Minimum detectable effect size (MDES) for individual and clustered designs.

Bloom (1995): ``MDES = M * SE(estimate)`` with the multiplier
``M = t_{1 - alpha/2, df} + t_{power, df}`` (one-sided: ``t_{1 - alpha}``). In standard
deviation units:

* individual design: ``MDES = M sqrt((1 - R^2) / (P (1 - P) n))`` (Bloom 1995);
* clustered design with ``J`` clusters of ``n`` units, intraclass correlation ``rho`` and
  covariates explaining ``R_2^2`` of the cluster-level and ``R_1^2`` of the unit-level
  variance (Bloom, Richburg-Hayes & Black 2007):
  ``MDES = M_{J - g - 2} sqrt(rho (1 - R_2^2) / (P (1 - P) J)
  + (1 - rho)(1 - R_1^2) / (P (1 - P) J n))``, with ``g`` cluster-level covariates.

Multiply by the outcome SD (``sd=``) for outcome units.
"""

from __future__ import annotations

import numpy as np

from sroi._distributions import t_ppf
from sroi.errors import SroiInputError

__all__ = ["mdes"]


def mdes(
    n: int | None = None,
    *,
    n_clusters: int | None = None,
    cluster_size: float | None = None,
    icc: float = 0.0,
    r2: float = 0.0,
    r2_cluster: float = 0.0,
    p_treated: float = 0.5,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = True,
    n_covariates: int = 0,
    n_cluster_covariates: int = 0,
    sd: float | None = None,
) -> float:
    """Minimum detectable effect (SD units, or outcome units when ``sd`` is given).

    Give ``n`` for an individual design, or ``n_clusters`` and ``cluster_size`` (and
    ``icc``) for a clustered one (Bloom 1995; Bloom, Richburg-Hayes & Black 2007).

    Parameters
    ----------
    n
        Sample size of an individual design.
    n_clusters, cluster_size, icc
        Clusters, units per cluster and intraclass correlation of a clustered design.
    r2, r2_cluster
        Share of unit-level (cluster-level) outcome variance explained by covariates.
    p_treated
        Share of units (clusters) treated.
    alpha, power, two_sided
        Test size, power and sidedness.
    n_covariates, n_cluster_covariates
        Covariates (for the degrees of freedom).
    sd
        Outcome SD to express the result in outcome units.

    Returns
    -------
    float
        The minimum detectable effect.
    """
    for name, v in (("icc", icc), ("r2", r2), ("r2_cluster", r2_cluster)):
        if not 0 <= v < 1:
            raise SroiInputError(f"{name} must be in [0, 1), got {v}")
    if not 0 < p_treated < 1:
        raise SroiInputError(f"p_treated must be in (0, 1), got {p_treated}")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise SroiInputError("alpha and power must be in (0, 1)")
    pq = p_treated * (1 - p_treated)
    if n_clusters is None:
        if n is None or n <= n_covariates + 2:
            raise SroiInputError(
                "give n (> number of covariates + 2) or n_clusters and cluster_size"
            )
        df = n - n_covariates - 2
        se = np.sqrt((1 - r2) / (pq * n))
    else:
        if cluster_size is None or cluster_size < 1 or n_clusters <= n_cluster_covariates + 2:
            raise SroiInputError(
                "a clustered design needs n_clusters > n_cluster_covariates + 2 and cluster_size >= 1"
            )
        df = n_clusters - n_cluster_covariates - 2
        se = np.sqrt(
            icc * (1 - r2_cluster) / (pq * n_clusters)
            + (1 - icc) * (1 - r2) / (pq * n_clusters * cluster_size)
        )
    q = 1 - alpha / 2 if two_sided else 1 - alpha
    m = t_ppf(q, df) + t_ppf(power, df)
    out = float(m * se)
    return out * sd if sd is not None else out
