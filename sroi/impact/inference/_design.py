"""Checks shared by the linear-model inference routines: design matrix, weights, clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.impact.inference.sandwich import group_codes

__all__ = ["check_design", "check_weights", "cluster_blocks"]


def check_design(X: np.ndarray, n: int | None = None, name: str = "X") -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    if X.ndim != 2:
        raise SroiInputError(f"{name} must be a 2-d design matrix, got {X.ndim} dimensions")
    if n is not None and X.shape[0] != n:
        raise SroiInputError(f"{name} has {X.shape[0]} rows but {n} were expected")
    if not np.isfinite(X).all():
        raise SroiInputError(f"{name} has missing or infinite values; drop or impute them first")
    return X


def check_weights(weights: np.ndarray | None, n: int) -> np.ndarray:
    if weights is None:
        return np.ones(n)
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise SroiInputError(f"weights must have one value per row ({n}), got shape {w.shape}")
    if not np.isfinite(w).all() or (w <= 0).any():
        raise SroiInputError(
            "weights must be finite and positive; remove zero-weight rows before fitting"
        )
    return w


def cluster_blocks(cluster: np.ndarray | pd.Series, n: int) -> tuple[np.ndarray, int, list]:
    arr = np.asarray(cluster)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise SroiInputError(
            f"cluster must be one value per row ({n} rows); multiway clustering is not "
            "supported for CR2 or the wild bootstrap"
        )
    if pd.isna(arr).any():
        raise SroiInputError("cluster variable has missing values; fill or drop those rows")
    codes, g = group_codes(arr)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(g + 1))
    blocks = [order[bounds[j] : bounds[j + 1]] for j in range(g)]
    return codes, g, blocks
