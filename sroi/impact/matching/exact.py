"""Exact matching, ``sroi.match(method="exact")``, as R MatchIt's ``method = "exact"``.

Units are grouped into strata of identical covariate values (categorical covariates by
level); strata holding both treated and controls are kept and weighted as in
:mod:`sroi.impact.matching.strata` (Ho, Imai, King & Stuart 2007; MatchIt 4.x). This is
coarsened exact matching without coarsening, suited to a few discrete covariates.
"""

from __future__ import annotations

import pandas as pd

from sroi.errors import SroiInputError
from sroi.impact.matching.output import MethodOutput
from sroi.impact.matching.strata import stratum_output
from sroi.impact.matching.validate import MatchSpec, Sample

__all__ = ["match_exact"]


def match_exact(sample: Sample, spec: MatchSpec) -> MethodOutput:
    """Exact matching for the ATT on the covariates' values (MatchIt ``"exact"``).

    Parameters
    ----------
    sample
        Kept rows, treatment and the covariate matrix (categories expanded to indicators).
    spec
        The checked arguments of :func:`sroi.match`.

    Returns
    -------
    MethodOutput
    """
    if spec.estimand != "ATT":
        raise SroiInputError("exact matching here targets the ATT")
    X = sample.covariates
    key = pd.MultiIndex.from_frame(X).factorize()[0]
    return stratum_output(
        key,
        sample.treat,
        label=f"exact matching on {list(X.columns)}",
        unmatched="no match in exact stratum",
        none_matched="exact matching matched no treated units: no treated unit shares all "
        "covariate values with a control; use method='cem' to coarsen, or fewer covariates",
    )
