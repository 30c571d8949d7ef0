"""Matched and weighted comparison groups, in the shape of R MatchIt (+ cobalt for balance).

* :mod:`~sroi.impact.matching.api` -- :func:`match`, the entry point: checks, distance,
  dispatch to one module per method, result.
* :mod:`~sroi.impact.matching.validate` -- argument and data checks.
* :mod:`~sroi.impact.matching.distance` -- propensity score, Mahalanobis transforms.
* methods: :mod:`~sroi.impact.matching.nearest` (with the greedy algorithms in
  :mod:`~sroi.impact.matching.greedy`), :mod:`~sroi.impact.matching.cem`,
  :mod:`~sroi.impact.matching.exact` (both weighted by :mod:`~sroi.impact.matching.strata`),
  :mod:`~sroi.impact.matching.weighting` (inverse probability weights, entropy balancing);
  each returns a :class:`~sroi.impact.matching.output.MethodOutput`.
* :mod:`~sroi.impact.matching.assemble` -- method output -> :class:`MatchResult`.
* :mod:`~sroi.impact.matching.matched_data` and :mod:`~sroi.impact.matching.result` --
  the read-only result.
* :mod:`~sroi.impact.matching.effects` -- effect estimates after matching.

Balance diagnostics are in :mod:`sroi.impact.balance`, sensitivity analysis in
:mod:`sroi.impact.sensitivity`.
"""

from __future__ import annotations

from sroi.impact.matching.api import match
from sroi.impact.matching.result import MatchResult

__all__ = ["MatchResult", "match"]
