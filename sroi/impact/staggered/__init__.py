"""Staggered difference-in-differences: Callaway & Sant'Anna (2021) and matched staggered DiD.

* :mod:`~sroi.impact.staggered.callaway_santanna` -- :func:`staggered_did`, the entry point.
* :mod:`~sroi.impact.staggered.matched` -- :func:`matched_staggered_did`: cohort-wise
  matching on pre-period data, then stacked DiD (the sample evaluation's design).
* :mod:`~sroi.impact.staggered.data` -- the balanced unit x period panel both estimate on
  (built with :class:`sroi.data.panel.Panel`; exclusions counted by reason).
* :mod:`~sroi.impact.staggered.cells` -- the group-time cells ATT(g,t) and their influence
  functions; :mod:`~sroi.impact.staggered.drdid` -- the 2x2 estimators of each cell
  (Sant'Anna & Zhao 2020).
* :mod:`~sroi.impact.staggered.cell_inference` -- analytic and multiplier-bootstrap
  inference for the cells; :mod:`~sroi.impact.staggered.aggregation` -- the ``group``,
  ``simple``, ``dynamic`` and ``calendar`` aggregations (:class:`Aggregation`).
* :mod:`~sroi.impact.staggered.result` -- the result base shared by plain and matched
  staggered DiD (aggregations, pre-trend test).
"""

from __future__ import annotations

from sroi.impact.pretrend import PretrendTest
from sroi.impact.staggered.aggregation import Aggregation
from sroi.impact.staggered.callaway_santanna import StaggeredResult, staggered_did
from sroi.impact.staggered.matched import MatchedStaggeredResult, matched_staggered_did

__all__ = [
    "Aggregation",
    "MatchedStaggeredResult",
    "PretrendTest",
    "StaggeredResult",
    "matched_staggered_did",
    "staggered_did",
]
