"""Within-unit demeaning shared by the TWFE estimators (static, event study, Bacon).

Unit fixed effects are absorbed by subtracting (weighted) unit means from the outcome and
every regressor (the within transformation; Wooldridge 2010, ch. 10); period effects stay as
explicit dummies. With unit effects nested in the clusters, the CR2 adjustment of the
demeaned design is exact for the dummy-variable model under the working model returned by
:func:`cr2_working_model` (Pustejovsky & Tipton 2018).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["WorkingModel", "column_rank", "cr2_working_model", "within_demean"]

WorkingModel = Literal["identity", "inverse_weights"]


def within_demean(
    arrays: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Subtract (weighted) group means column by column: ``z - sum_g(w z)/sum_g(w)``.

    Parameters
    ----------
    arrays
        One column (1-d) or several (2-d, rows = observations).
    groups
        Group (unit) of each row.
    weights
        Observation weights (default: equal).

    Returns
    -------
    numpy.ndarray
        The demeaned array, same shape as ``arrays``.
    """
    arrays = np.asarray(arrays, dtype=float)
    codes, uniq = pd.factorize(groups)
    g = len(uniq)
    w = None if weights is None else np.asarray(weights, float)
    # one column at a time on a column-major copy: contiguous 1-d bincount sums and
    # gathers, no n x k temporaries; bincount adds in row order, as np.add.at does
    out = np.array(arrays if arrays.ndim == 2 else arrays[:, None], dtype=float, order="F")
    wsum = np.bincount(codes, minlength=g) if w is None else np.bincount(codes, w, g)
    for j in range(out.shape[1]):
        col = out[:, j]
        sums = np.bincount(codes, col if w is None else col * w, g)
        col -= (sums / wsum)[codes]
    return out if arrays.ndim == 2 else out[:, 0]


def column_rank(X: np.ndarray, chunk: int = 65536) -> int:
    """Numerical column rank of a tall matrix, as ``numpy.linalg.matrix_rank``.

    The singular values are those of ``R`` from a QR factorisation computed in row blocks
    (tall-skinny QR: ``X = QR`` has the singular values of ``X``), with matrix_rank's
    tolerance ``s_max * max(n, k) * eps``; cheaper than the SVD of the whole matrix.

    Parameters
    ----------
    X
        The n x k matrix (n >= k).
    chunk
        Rows per block.

    Returns
    -------
    int
        The number of singular values above the tolerance.
    """
    n, k = X.shape
    blocks = [np.linalg.qr(X[i : i + chunk], mode="r") for i in range(0, n, chunk)]
    s = np.linalg.svd(np.linalg.qr(np.vstack(blocks), mode="r"), compute_uv=False)
    return int((s > s.max(initial=0.0) * max(n, k) * np.finfo(float).eps).sum())


def cr2_working_model(w: np.ndarray | None, units: np.ndarray) -> WorkingModel:
    """CR2 working model with absorbed unit effects.

    ``"identity"`` (clubSandwich's default, exact for the dummy-variable model) when weights
    are constant within units, otherwise ``"inverse_weights"`` (exact for the dummy-variable
    model under ``Phi = W^{-1}``).
    """
    if w is None:
        return "identity"
    s = pd.Series(w).groupby(units)
    return "identity" if bool(((s.max() - s.min()) <= 1e-12 * s.max()).all()) else "inverse_weights"
