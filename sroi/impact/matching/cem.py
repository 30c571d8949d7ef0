"""Coarsened exact matching (Iacus, King & Porro 2012), as R MatchIt's ``method = "cem"``.

Each numeric covariate is coarsened into bins (default: Sturges' rule,
``ceiling(log2(n) + 1)`` equal-width bins over its range, outer edges open, intervals closed
on the left, as MatchIt); categorical covariates are kept as they are. Units are grouped
into strata by their coarsened values and weighted as in :mod:`sroi.impact.matching.strata`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.impact.matching.output import MethodOutput
from sroi.impact.matching.strata import stratum_output
from sroi.impact.matching.validate import MatchSpec, Sample

__all__ = ["coarsen", "match_cem"]


def coarsen(x: pd.Series, bins: Any = "sturges") -> np.ndarray:
    """Bin codes of a numeric column.

    Parameters
    ----------
    x
        The column.
    bins
        ``"sturges"`` (Sturges' rule), a number of equal-width bins, ``"qK"`` (K quantile
        bins) or explicit cut points.

    Returns
    -------
    numpy.ndarray
        Integer bin code of every value.
    """
    v = x.to_numpy(float)
    if isinstance(bins, str):
        if bins == "sturges":
            nb = int(np.ceil(np.log2(len(v)) + 1))
            edges = np.linspace(v.min(), v.max(), nb + 1)
        elif bins.startswith("q") and bins[1:].isdigit():
            q = int(bins[1:])
            edges = np.r_[-np.inf, np.quantile(v, np.arange(1, q) / q), np.inf]
            return np.searchsorted(edges, v, side="right")
        else:
            raise SroiInputError(
                f"cutpoints for {x.name!r}: use 'sturges', 'qK', a number of bins or cut points"
            )
    elif np.ndim(bins) == 0:
        nb = int(bins)
        if nb < 1:
            raise SroiInputError(f"cutpoints for {x.name!r}: number of bins must be >= 1")
        edges = np.linspace(v.min(), v.max(), nb + 1)
    else:
        edges = np.r_[-np.inf, np.unique(np.asarray(bins, float)), np.inf]
        return np.searchsorted(edges, v, side="right")
    edges[0], edges[-1] = -np.inf, np.inf
    return np.searchsorted(edges, v, side="right")


def match_cem(sample: Sample, spec: MatchSpec) -> MethodOutput:
    """Coarsened exact matching for the ATT (Iacus, King & Porro 2012; MatchIt ``"cem"``).

    ``spec.options["cutpoints"]`` sets the coarsening: one rule for every numeric covariate
    (see :func:`coarsen`) or a mapping column -> rule (others use Sturges' rule).

    Parameters
    ----------
    sample
        Kept rows and treatment.
    spec
        The checked arguments of :func:`sroi.match`.

    Returns
    -------
    MethodOutput
    """
    if spec.estimand != "ATT":
        raise SroiInputError("coarsened exact matching here targets the ATT")
    covs = spec.covariates
    if isinstance(covs, str):
        raise SroiInputError("method='cem' needs covariates=[...] (a list of columns)")
    cutpoints = spec.options.get("cutpoints")
    cp = cutpoints if isinstance(cutpoints, Mapping) else {}
    default = cutpoints if isinstance(cutpoints, str | int) else "sturges"
    unknown = sorted(set(cp) - set(covs))
    if unknown:
        raise SroiInputError(f"cutpoints given for {unknown}, which are not covariates")
    codes = []
    for c in covs:
        s = sample.rows[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            codes.append(coarsen(s, cp.get(c, default)))
        else:
            codes.append(pd.factorize(s)[0])
    key = pd.MultiIndex.from_arrays(codes).factorize()[0]
    return stratum_output(
        key,
        sample.treat,
        label=f"coarsened exact matching ({default} bins unless set)",
        unmatched="no match in coarsened stratum",
        none_matched="coarsened exact matching matched no treated units: coarsen further "
        "(fewer bins) or match on fewer covariates",
    )
