"""Sun & Abraham (2021) interaction-weighted event-study estimator.

The regression has unit and period effects and a full set of cohort x relative-period
interactions ``d_{g,e}`` (reference ``e = ref`` excluded); then::

    b_e = sum_g w_{g,e} d_{g,e},   w_{g,e} = share of cohort g among the treated observations at e

with standard errors by the delta method holding the shares fixed (as fixest's ``sunab`` and
pyfixest's saturated event study do). With CR2 each aggregated contrast gets its own
Satterthwaite degrees of freedom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sroi.impact.did.within import WorkingModel
from sroi.impact.inference.cr2 import vcov_cr2

__all__ = ["cohort_cells", "interaction_weights", "satterthwaite_by_contrast"]


def cohort_cells(
    coh: np.ndarray, rel: np.ndarray, treated: np.ndarray, reference: int
) -> list[tuple[float, float]]:
    """The (cohort, event time) interactions of the regression, reference left out."""
    cells = pd.DataFrame({"g": coh[treated], "e": rel[treated]}).drop_duplicates()
    cells = cells[cells.e != reference].sort_values(["g", "e"])
    return list(zip(cells.g.to_numpy(), cells.e.to_numpy(), strict=True))


def interaction_weights(
    coh: np.ndarray,
    rel: np.ndarray,
    treated: np.ndarray,
    w: np.ndarray | None,
    ev: list[int],
    cols: list[tuple[float, float]],
) -> tuple[np.ndarray, pd.Series]:
    """Aggregation matrix ``R`` (event times x interactions) and the cohort shares ``w_{g,e}``."""
    ww = np.ones(len(coh)) if w is None else w
    share = pd.DataFrame({"g": coh[treated], "e": rel[treated], "w": ww[treated]})
    share = share.groupby(["e", "g"])["w"].sum()
    share = share / share.groupby(level="e").transform("sum")
    R = np.zeros((len(ev), len(cols)))
    for i, e in enumerate(ev):
        for j, (g, ee) in enumerate(cols):
            if ee == e:
                R[i, j] = share.loc[(e, g)]
    return R, share


def satterthwaite_by_contrast(
    R: np.ndarray,
    Xd: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    clusters: np.ndarray,
    w: np.ndarray | None,
    working: WorkingModel,
) -> np.ndarray:
    """CR2 Satterthwaite degrees of freedom of each aggregated contrast ``R[i] @ d``."""
    k = Xd.shape[1]
    out = np.empty(R.shape[0])
    for i in range(R.shape[0]):
        c = np.zeros(k)
        c[: R.shape[1]] = R[i]
        out[i] = vcov_cr2(Xd, resid, bread, clusters, weights=w, contrast=c, working=working)[1]
    return out
