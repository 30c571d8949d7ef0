"""Stratum weights shared by coarsened exact and exact matching (MatchIt's ATT convention).

Units are grouped into strata; strata holding both treated and controls are kept, the rest
are unmatched. ATT weights: treated 1; a control in stratum ``s`` gets ``n_t(s) / n_c(s)``,
then control weights are scaled to sum to the number of matched controls (Iacus, King &
Porro 2012; MatchIt 4.x). The kept strata are the subclasses, numbered by first appearance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.impact.matching.output import MethodOutput, status_code

__all__ = ["StratumWeights", "stratum_weights"]


@dataclass(frozen=True)
class StratumWeights:
    """Weights, subclass (0 = none), matched mask and number of kept strata."""

    weights: np.ndarray
    subclass: np.ndarray
    matched: np.ndarray
    n_strata: int


def stratum_weights(key: np.ndarray, treat: np.ndarray) -> StratumWeights:
    """ATT weights of units grouped into strata.

    Parameters
    ----------
    key
        Stratum code 0..S-1 of every unit.
    treat
        0/1 treatment of every unit.

    Returns
    -------
    StratumWeights
    """
    tt = np.asarray(treat).astype(bool)
    n_t = np.bincount(key[tt], minlength=key.max() + 1)
    n_c = np.bincount(key[~tt], minlength=key.max() + 1)
    ok = (n_t > 0) & (n_c > 0)
    matched = ok[key]
    w = np.zeros(len(tt))
    w[tt & matched] = 1.0
    cm = ~tt & matched
    w[cm] = n_t[key[cm]] / n_c[key[cm]]
    if cm.any():
        w[cm] *= cm.sum() / w[cm].sum()
    sc = np.zeros(len(tt), dtype=np.int64)
    order = pd.unique(key[matched])
    num = np.zeros(key.max() + 1, dtype=np.int64)
    num[order] = np.arange(1, len(order) + 1)
    sc[matched] = num[key[matched]]
    return StratumWeights(weights=w, subclass=sc, matched=matched, n_strata=int(ok.sum()))


def stratum_output(
    key: np.ndarray, treat: np.ndarray, *, label: str, unmatched: str, none_matched: str
) -> MethodOutput:
    """Weights and status of a stratum method (exact, CEM) from each unit's stratum ``key``.

    Parameters
    ----------
    key, treat
        Stratum code and 0/1 treatment of each unit.
    label
        The method's description.
    unmatched
        The status reason of units in a stratum without the other group.
    none_matched
        The message raised when no treated unit is matched (what to do instead).
    """
    sw = stratum_weights(key, treat)
    if not (sw.matched & (treat == 1)).any():
        raise SroiInputError(none_matched)
    status = np.where(sw.matched, 0, status_code(unmatched)).astype(np.int8)
    return MethodOutput(
        weights=sw.weights,
        status=status,
        label=label,
        estimand="ATT",
        subclass=sw.subclass,
        info={"n_strata": sw.n_strata},
    )
