"""Inference shared by the matching and DiD estimators.

* :mod:`~sroi.impact.inference.sandwich` -- weighted least squares and the sandwich
  covariances of R ``sandwich`` (HC0-HC3, one- and multiway cluster-robust CR1).
* :mod:`~sroi.impact.inference.cr2` -- CR2 / Bell-McCaffrey covariance with Satterthwaite
  degrees of freedom (R ``clubSandwich``).
* :mod:`~sroi.impact.inference.wild_bootstrap` -- wild cluster restricted bootstrap-t.
* :mod:`~sroi.impact.inference.randomization` -- randomisation inference over clusters.
* :mod:`~sroi.impact.inference.intervals` -- t / normal Wald intervals.
* :mod:`~sroi.impact.inference.multiplier_bootstrap` -- multiplier bootstrap of influence
  functions (R ``did``).
* :mod:`~sroi.impact.inference.few_clusters` -- t(G_treated - 1) rule and a cluster wild
  score bootstrap-t for few treated clusters.
* :mod:`~sroi.impact.inference.multiplicity` -- Holm / Benjamini-Hochberg adjusted
  p-values for secondary outcomes (R ``p.adjust``).
"""

from __future__ import annotations

from sroi.impact.inference.cr2 import satterthwaite_df, vcov_cr2
from sroi.impact.inference.few_clusters import (
    WildScoreResult,
    small_sample_df,
    wild_score_bootstrap,
)
from sroi.impact.inference.intervals import t_interval
from sroi.impact.inference.multiplicity import adjust_pvalues, adjust_secondary
from sroi.impact.inference.multiplier_bootstrap import (
    BootstrapResult,
    cluster_sums,
    multiplier_bootstrap,
    rademacher_draws,
    summarise_draws,
)
from sroi.impact.inference.randomization import RandomizationResult, randomization_inference
from sroi.impact.inference.sandwich import group_codes, vcov_cluster, vcov_hc, wls_fit
from sroi.impact.inference.wild_bootstrap import WildBootstrapResult, wild_cluster_bootstrap

__all__ = [
    "BootstrapResult",
    "RandomizationResult",
    "WildBootstrapResult",
    "WildScoreResult",
    "adjust_pvalues",
    "adjust_secondary",
    "cluster_sums",
    "group_codes",
    "multiplier_bootstrap",
    "rademacher_draws",
    "randomization_inference",
    "satterthwaite_df",
    "small_sample_df",
    "summarise_draws",
    "t_interval",
    "vcov_cluster",
    "vcov_cr2",
    "vcov_hc",
    "wild_cluster_bootstrap",
    "wild_score_bootstrap",
    "wls_fit",
]
