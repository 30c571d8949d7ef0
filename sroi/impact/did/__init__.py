"""Difference-in-differences: 2x2, two-way fixed effects, event studies and diagnostics.

* :mod:`~sroi.impact.did.api` -- :func:`did`, the entry point (``design="twfe"`` or
  ``"2x2"``); :mod:`~sroi.impact.did.twfe` and :mod:`~sroi.impact.did.two_by_two` are the
  two estimators, :mod:`~sroi.impact.did.clustered` their cluster-robust inference (CR1,
  CR2, wild cluster bootstrap) and :mod:`~sroi.impact.did.within` the within-unit demeaning
  they share.
* :mod:`~sroi.impact.did.data` -- the validated long panel they use
  (:class:`sroi.data.panel.Panel`, exclusions counted by reason).
* :mod:`~sroi.impact.did.event_study` -- :func:`event_study` (TWFE or Sun & Abraham 2021,
  :mod:`~sroi.impact.did.sun_abraham`) and its pre-trend test
  (:func:`pretrend_wald`, :class:`~sroi.impact.pretrend.PretrendTest`).
* :mod:`~sroi.impact.did.bacon` -- :func:`bacon_decomposition` (Goodman-Bacon 2021) and
  :func:`twfe_vs_cs_warning`.
* :mod:`~sroi.impact.did.honest` -- :func:`honest_did` (Rambachan & Roth 2023; computations
  in :mod:`~sroi.impact.did.honest_bounds`).
* :mod:`~sroi.impact.did.power` -- :func:`mdes_panel`, :class:`PanelMDES`,
  :func:`estimate_error_covariance` (Burlig, Preonas & Woerman 2020).

Staggered adoption with heterogeneous effects: use :mod:`sroi.impact.staggered`.
"""

from __future__ import annotations

from sroi.impact.did.api import did
from sroi.impact.did.bacon import bacon_decomposition, twfe_vs_cs_warning
from sroi.impact.did.event_study import EventStudyResult, event_study
from sroi.impact.did.honest import honest_did
from sroi.impact.did.power import PanelMDES, estimate_error_covariance, mdes_panel
from sroi.impact.did.within import within_demean
from sroi.impact.pretrend import pretrend_wald

__all__ = [
    "EventStudyResult",
    "PanelMDES",
    "bacon_decomposition",
    "did",
    "estimate_error_covariance",
    "event_study",
    "honest_did",
    "mdes_panel",
    "pretrend_wald",
    "twfe_vs_cs_warning",
    "within_demean",
]
