"""Staggered difference-in-differences: Callaway & Sant'Anna (2021) and matched staggered DiD.

* :mod:`~sroi.impact.staggered.callaway_santanna` -- :func:`staggered_did`, the entry point.
* :mod:`~sroi.impact.staggered.matched` -- :func:`matched_staggered_did`: cohort-wise
  matching on pre-period data, then stacked DiD (the sample evaluation's design).
* :mod:`~sroi.impact.staggered.data` -- the balanced unit x period panel both estimate on
  (built with :class:`sroi.data.panel.Panel`; exclusions counted by reason).
* :mod:`~sroi.impact.staggered.cells` -- the group-time cells ATT(g,t) and their influence
  functions; :mod:`~sroi.impact.staggered.drdid` -- the 2x2 estimators of each cell
  (Sant'Anna & Zhao 2020).
* :mod:`~sroi.impact.staggered.cells_rc` and :mod:`~sroi.impact.staggered.drdid_rc` -- the
  same cells on an unbalanced panel (``allow_unbalanced_panel=True``): repeated
  cross-section 2x2 estimators, influence functions summed within unit, as R did.
* :mod:`~sroi.impact.staggered.cell_inference` -- analytic and multiplier-bootstrap
  inference for the cells; :mod:`~sroi.impact.staggered.aggregation` -- the ``group``,
  ``simple``, ``dynamic`` and ``calendar`` aggregations (:class:`Aggregation`).
* :mod:`~sroi.impact.staggered.result` -- the result base shared by plain and matched
  staggered DiD (aggregations, pre-trend test, wild bootstrap, randomisation test).
* :mod:`~sroi.impact.staggered.randomization` -- randomisation inference over the programme
  schools' assignment (:class:`RandomizationTest`).
* :mod:`~sroi.impact.staggered.school_history` -- school-level pre-period history as a
  covariate (:func:`add_school_history`) and a school pre-trend diagnostic
  (:func:`school_pretrend`).
"""

from __future__ import annotations

from sroi.impact.pretrend import PretrendTest
from sroi.impact.staggered.aggregation import Aggregation
from sroi.impact.staggered.callaway_santanna import StaggeredResult, staggered_did
from sroi.impact.staggered.matched import MatchedStaggeredResult, matched_staggered_did
from sroi.impact.staggered.randomization import RandomizationTest
from sroi.impact.staggered.school_history import (
    SchoolPretrend,
    add_school_history,
    school_history,
    school_pretrend,
)

__all__ = [
    "Aggregation",
    "MatchedStaggeredResult",
    "PretrendTest",
    "RandomizationTest",
    "SchoolPretrend",
    "StaggeredResult",
    "add_school_history",
    "matched_staggered_did",
    "school_history",
    "school_pretrend",
    "staggered_did",
]
