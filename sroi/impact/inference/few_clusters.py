"""Inference with few treated clusters: the t(G_treated - 1) rule and a wild score bootstrap.

With clustered standard errors the reference distribution of the t statistic is not the
normal when the clusters are few, and what matters in a difference-in-differences is the
number of clusters that contain treated units (MacKinnon & Webb 2017, 2018): with 7
programme schools the clustered variance rests on 7 treated cluster sums. Two remedies are
provided here:

* :func:`small_sample_df` -- Student's t with ``G_treated - 1`` degrees of freedom for the
  Wald interval of a clustered estimate (the ``G - 1`` rule of Cameron, Gelbach & Miller
  2008, Section IV, applied to the treated clusters, which bind with few of them);
* :func:`wild_score_bootstrap` -- a cluster wild bootstrap-t of an estimate with a known
  influence function (the score bootstrap of Kline & Santos 2012) with Webb's six-point
  weights (Webb 2023), which suit few clusters better than Rademacher weights.

References
----------
Cameron, A. C., Gelbach, J. B. and Miller, D. L. (2008). Bootstrap-based improvements for
inference with clustered errors. Review of Economics and Statistics 90(3), 414-427.
MacKinnon, J. G. and Webb, M. D. (2017). Wild bootstrap inference for wildly different
cluster sizes. Journal of Applied Econometrics 32(2), 233-254.
MacKinnon, J. G. and Webb, M. D. (2018). The wild bootstrap for few (treated) clusters.
Econometrics Journal 21(2), 114-135.
Kline, P. and Santos, A. (2012). A score based approach to wild bootstrap inference.
Journal of Econometric Methods 1(1), 23-41.
Webb, M. D. (2023). Reworking wild bootstrap-based inference for clustered errors.
Canadian Journal of Economics 56(3), 839-858.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sroi._checks import check_choice, check_int, check_seed

__all__ = [
    "FEW_TREATED_CLUSTERS",
    "SMALL_SAMPLE_CHOICES",
    "WildScoreResult",
    "small_sample_df",
    "wild_score_bootstrap",
]

FEW_TREATED_CLUSTERS = 10
"""Below this many treated clusters ``small_sample="auto"`` uses t(G_treated - 1)."""

SMALL_SAMPLE_CHOICES = ("auto", "t", "normal")

_WEBB = np.sqrt(np.array([0.5, 1.0, 1.5]))
_WEBB = np.concatenate([-_WEBB[::-1], _WEBB])


def small_sample_df(
    small_sample: str, clustered: bool, n_treated_clusters: int | None
) -> tuple[float | None, str]:
    """Degrees of freedom of the Wald intervals and the reason, in words.

    Parameters
    ----------
    small_sample
        ``"auto"``: t with ``G_treated - 1`` degrees of freedom when the standard errors are
        clustered on a variable coarser than the unit and fewer than
        :data:`FEW_TREATED_CLUSTERS` clusters contain treated units, otherwise the normal;
        ``"t"``: t(``G_treated - 1``) whenever clustered (the normal otherwise);
        ``"normal"``: always the normal (R ``did``).
    clustered
        Whether the standard errors are clustered on a variable coarser than the unit.
    n_treated_clusters
        Clusters containing treated units.

    Returns
    -------
    (df, reason)
        ``None`` for the normal, else the degrees of freedom; and one sentence saying why.
    """
    check_choice(small_sample, SMALL_SAMPLE_CHOICES, "small_sample")
    if small_sample == "normal":
        return None, "normal critical values (small_sample='normal')"
    if not clustered or n_treated_clusters is None:
        return None, "normal critical values (standard errors not clustered above the unit)"
    if n_treated_clusters < 2:
        return None, "normal critical values (a single treated cluster: no t reference)"
    df = float(n_treated_clusters - 1)
    if small_sample == "t":
        return df, f"t critical values with {n_treated_clusters} - 1 treated clusters as df"
    if n_treated_clusters < FEW_TREATED_CLUSTERS:
        return df, (
            f"t critical values with {int(df)} degrees of freedom because only "
            f"{n_treated_clusters} clusters contain treated units (fewer than "
            f"{FEW_TREATED_CLUSTERS}; Cameron, Gelbach & Miller 2008)"
        )
    return None, (
        f"normal critical values ({n_treated_clusters} treated clusters, at least "
        f"{FEW_TREATED_CLUSTERS})"
    )


@dataclass(frozen=True)
class WildScoreResult:
    """Result of :func:`wild_score_bootstrap`.

    Attributes
    ----------
    estimate, std_error
        The estimate and its clustered (analytic) standard error.
    ci_low, ci_high
        Bootstrap-t interval ``estimate -/+ q * std_error`` with ``q`` the ``level``
        quantile of ``|t*|``.
    p_value
        Share of ``|t*|`` at least ``|t|``: ``(1 + #{|t*_b| >= |t|}) / (1 + B)``.
    critical_value
        ``q``.
    n_boot, n_clusters
        Bootstrap draws and clusters.
    weights
        Multiplier distribution (``"webb"`` or ``"rademacher"``).
    """

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    critical_value: float
    n_boot: int
    n_clusters: int
    weights: str


def wild_score_bootstrap(
    estimate: float,
    cluster_scores: np.ndarray,
    cluster_sizes: np.ndarray,
    *,
    level: float = 0.95,
    n_boot: int = 9999,
    weights: str = "webb",
    random_state: int | np.random.Generator = 0,
) -> WildScoreResult:
    """Cluster wild bootstrap-t of an estimate from its influence function.

    With ``S_c`` the cluster sums of the influence function (so that
    ``estimate - theta ~ sum_c S_c / n``), the analytic clustered standard error is
    ``se = sqrt(sum_c S_c^2) / n``. Each draw multiplies the cluster sums by independent
    weights ``v_c``, ``S*_c = v_c S_c``, re-centres them as a re-estimation would
    (``S*_c - (n_c / n) sum_d S*_d``), and forms ``t* = sum_c S*_c / sqrt(sum_c
    (S*_c - (n_c/n) sum_d S*_d)^2)``. The interval is ``estimate -/+ q se`` with ``q`` the
    ``level`` quantile of ``|t*|`` (symmetric bootstrap-t; Cameron, Gelbach & Miller 2008;
    Kline & Santos 2012).

    Parameters
    ----------
    estimate
        The point estimate.
    cluster_scores
        ``S_c``: influence-function sums by cluster (length G), scaled so that
        ``sqrt(sum S_c^2) / n`` is the standard error.
    cluster_sizes
        Units per cluster ``n_c`` (length G).
    level
        Confidence level.
    n_boot
        Bootstrap draws.
    weights
        ``"webb"`` (six-point, default) or ``"rademacher"``.
    random_state
        Seed (a whole number >= 0 or a Generator).

    Returns
    -------
    WildScoreResult
        Interval, p-value and critical value.

    References
    ----------
    Kline, P. and Santos, A. (2012). A score based approach to wild bootstrap inference.
    Journal of Econometric Methods 1(1). Webb, M. D. (2023). Reworking wild bootstrap-based
    inference for clustered errors. Canadian Journal of Economics 56(3).
    MacKinnon, J. G. and Webb, M. D. (2018). The wild bootstrap for few (treated) clusters.
    Econometrics Journal 21(2).
    """
    check_choice(weights, ("webb", "rademacher"), "weights")
    check_int(n_boot, "n_boot", minimum=99)
    rng = np.random.default_rng(check_seed(random_state))
    S = np.asarray(cluster_scores, dtype=float)
    sizes = np.asarray(cluster_sizes, dtype=float)
    n = float(sizes.sum())
    share = sizes / n
    se = float(np.sqrt(np.sum(S**2)) / n)
    t_obs = estimate / se if se > 0 else np.nan
    support = _WEBB if weights == "webb" else np.array([-1.0, 1.0])
    tstar = np.empty(n_boot)
    for start in range(0, n_boot, 512):
        b = min(512, n_boot - start)
        V = rng.choice(support, size=(b, S.size))
        Sstar = V * S
        total = Sstar.sum(axis=1)
        resid = Sstar - np.outer(total, share)
        denom = np.sqrt(np.sum(resid**2, axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            tstar[start : start + b] = total / denom
    tstar = np.abs(tstar[np.isfinite(tstar)])
    q = float(np.quantile(tstar, level)) if tstar.size else np.nan
    p = float((1 + np.sum(tstar >= abs(t_obs))) / (1 + tstar.size)) if se > 0 else np.nan
    return WildScoreResult(
        estimate=float(estimate),
        std_error=se,
        ci_low=float(estimate - q * se),
        ci_high=float(estimate + q * se),
        p_value=p,
        critical_value=q,
        n_boot=int(n_boot),
        n_clusters=int(S.size),
        weights=weights,
    )
