"""Meta-analysis: pool one outcome's effect across places (evaluations).

:func:`meta_analysis` fits a fixed-effect or random-effects model (tau^2 by REML,
DerSimonian-Laird or Paule-Mandel) with z or Hartung-Knapp-Sidik-Jonkman inference, and
returns a read-only :class:`MetaResult` with heterogeneity statistics (Q, I^2, H^2), a
prediction interval for a new place, the fixed-effect result for comparison and
leave-one-out refits.

This layer only needs estimates and standard errors: it does not import the impact, value
or report layers.
"""

from __future__ import annotations

from sroi.meta.model import meta_analysis
from sroi.meta.result import MetaResult
from sroi.meta.tau2 import TAU2_METHODS, estimate_tau2

__all__ = ["TAU2_METHODS", "MetaResult", "estimate_tau2", "meta_analysis"]
