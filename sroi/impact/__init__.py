"""Impact estimation: matching, balance, weighting, DiD, staggered DiD, inference, power.

Names are imported lazily from their modules on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    # matched comparison groups
    "match": "sroi.impact.matching",
    "MatchResult": "sroi.impact.matching",
    "balance_table": "sroi.impact.balance",
    "effective_sample_size": "sroi.impact.balance",
    "love_plot": "sroi.impact.balance",
    "overlap_plot": "sroi.impact.balance",
    "rosenbaum_bounds": "sroi.impact.sensitivity",
    "e_value": "sroi.impact.sensitivity",
    "mdes": "sroi.impact.power",
    # difference-in-differences (the function did() is sroi.did or sroi.impact.did.did:
    # sroi.impact.did is the subpackage)
    "event_study": "sroi.impact.did",
    "EventStudyResult": "sroi.impact.did",
    "honest_did": "sroi.impact.did",
    "bacon_decomposition": "sroi.impact.did",
    "twfe_vs_cs_warning": "sroi.impact.did",
    "pretrend_wald": "sroi.impact.did",
    "PretrendTest": "sroi.impact.pretrend",
    # staggered adoption
    "staggered_did": "sroi.impact.staggered",
    "StaggeredResult": "sroi.impact.staggered",
    "matched_staggered_did": "sroi.impact.staggered",
    "MatchedStaggeredResult": "sroi.impact.staggered",
    "Aggregation": "sroi.impact.staggered",
    "adjust_pvalues": "sroi.impact.inference.multiplicity",
    "adjust_secondary": "sroi.impact.inference.multiplicity",
    "mdes_panel": "sroi.impact.did",
    "PanelMDES": "sroi.impact.did",
    "estimate_error_covariance": "sroi.impact.did",
    # inference shared by both
    "vcov_hc": "sroi.impact.inference.sandwich",
    "vcov_cluster": "sroi.impact.inference.sandwich",
    "vcov_cr2": "sroi.impact.inference.cr2",
    "wild_cluster_bootstrap": "sroi.impact.inference.wild_bootstrap",
    "randomization_inference": "sroi.impact.inference.randomization",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        obj = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = obj
        return obj
    raise AttributeError(f"module 'sroi.impact' has no attribute {name!r}")
