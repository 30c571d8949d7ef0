"""Exact matching, ``sroi.match(method="exact")``, as R MatchIt's ``method = "exact"``.

Units are grouped into strata of identical covariate values (categorical covariates by
level); strata holding both treated and controls are kept and weighted as in
:mod:`sroi.impact.matching.strata` (Ho, Imai, King & Stuart 2007; MatchIt 4.x). This is
coarsened exact matching without coarsening, suited to a few discrete covariates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.impact.matching.output import MethodOutput, status_code
from sroi.impact.matching.strata import stratum_weights
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
    sw = stratum_weights(key, sample.treat)
    if not (sw.matched & (sample.treat == 1)).any():
        raise SroiInputError(
            "exact matching matched no treated units: no treated unit shares all covariate "
            "values with a control; use method='cem' to coarsen, or fewer covariates"
        )
    status = np.where(sw.matched, 0, status_code("no match in exact stratum")).astype(np.int8)
    return MethodOutput(
        weights=sw.weights,
        status=status,
        label=f"exact matching on {list(X.columns)}",
        estimand="ATT",
        subclass=sw.subclass,
        info={"n_strata": sw.n_strata},
    )
