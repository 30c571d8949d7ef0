"""Sandwich (heteroskedasticity- and cluster-robust) covariance matrices for linear models.

The small-sample adjustments follow R's ``sandwich`` package (Zeileis 2004, 2006;
Zeileis, Koell & Graham 2020) so that numbers agree with MatchIt's documented workflow
(``lm`` with weights, then ``vcovHC`` or ``vcovCL``):

* ``vcov_hc(type="HC0"..."HC3")``: White (1980) and MacKinnon & White (1985).
  For weighted least squares the score is ``w_i e_i x_i`` and the leverage is
  ``h_i = w_i x_i' (X'WX)^{-1} x_i``.
* ``vcov_cluster``: Liang & Zeger (1986) cluster-robust covariance,
  ``(X'WX)^{-1} (sum_g u_g u_g') (X'WX)^{-1}`` with ``u_g = sum_{i in g} w_i e_i x_i``,
  multiplied by ``G/(G-1)`` (``cadjust=TRUE``) and, for ``type="HC1"`` (R's default
  for ``lm``), by ``(n-1)/(n-k)``. Several cluster variables give the multiway estimator of
  Cameron, Gelbach & Miller (2011) by inclusion-exclusion, as ``vcovCL`` does.
"""

from __future__ import annotations

from itertools import combinations
from typing import Literal

import numpy as np
import pandas as pd

__all__ = ["wls_fit", "vcov_hc", "vcov_cluster", "group_codes"]


def group_codes(cluster: np.ndarray | pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes 0..G-1 for a cluster variable and the number of clusters G.

    Parameters
    ----------
    cluster
        One label per observation (no missing values).

    Returns
    -------
    (codes, G)
        Codes in sorted label order and the number of distinct labels.
    """
    codes, uniques = pd.factorize(np.asarray(cluster), sort=True)
    if (codes < 0).any():
        raise ValueError("cluster variable has missing values")
    return codes, len(uniques)


def wls_fit(
    X: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted least squares, ``b = (X'WX)^{-1} X'Wy``, as R ``lm(weights=)``.

    Parameters
    ----------
    X
        Design matrix (n x k).
    y
        Outcome (n).
    weights
        Observation weights; ``None`` for ordinary least squares.

    Returns
    -------
    (beta, resid, bread)
        Coefficients, residuals ``y - Xb`` and ``(X'WX)^{-1}``.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=float)
    Xw = X * w[:, None]
    xtwx = X.T @ Xw
    bread = np.linalg.inv(xtwx)
    beta = bread @ (Xw.T @ y)
    resid = y - X @ beta
    return beta, resid, bread


def vcov_hc(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    weights: np.ndarray | None = None,
    type: Literal["HC0", "HC1", "HC2", "HC3"] = "HC3",
) -> np.ndarray:
    """Heteroskedasticity-consistent covariance as R ``sandwich::vcovHC``.

    White (1980) HC0 and the MacKinnon & White (1985) small-sample versions HC1-HC3, for
    weighted least squares with score ``w_i e_i x_i`` and leverage
    ``h_i = w_i x_i' (X'WX)^{-1} x_i`` (Zeileis 2004). Observations with zero weight should
    be removed before calling, as R's ``lm`` does for the degrees of freedom.

    Parameters
    ----------
    X, resid, bread
        Design matrix, residuals and ``(X'WX)^{-1}`` from :func:`wls_fit`.
    weights
        Observation weights (``None`` for OLS).
    type
        ``"HC0"``, ``"HC1"`` (``n / (n - k)``), ``"HC2"`` or ``"HC3"`` (default).

    Returns
    -------
    numpy.ndarray
        The k x k covariance matrix.
    """
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    score_sq = (w * resid) ** 2
    if type in ("HC2", "HC3"):
        h = w * np.einsum("ij,jk,ik->i", X, bread, X)
        score_sq = score_sq / (1 - h) ** (1 if type == "HC2" else 2)
    meat = (X * score_sq[:, None]).T @ X
    v = bread @ meat @ bread
    if type == "HC1":
        v *= n / (n - k)
    elif type not in ("HC0", "HC2", "HC3"):
        raise ValueError(f"unknown HC type {type!r}")
    return v


def _cluster_meat(scores: np.ndarray, cluster: np.ndarray) -> tuple[np.ndarray, int]:
    codes, g = group_codes(cluster)
    # per-column bincount: the same row-order sums as np.add.at, several times faster
    sums = np.column_stack([np.bincount(codes, col, g) for col in scores.T])
    return sums.T @ sums, g


def vcov_cluster(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    cluster: np.ndarray | pd.Series | pd.DataFrame | list,
    weights: np.ndarray | None = None,
    type: Literal["HC0", "HC1"] = "HC1",
    cadjust: bool = True,
) -> np.ndarray:
    """Cluster-robust covariance as R ``sandwich::vcovCL`` (one or several cluster variables).

    Liang & Zeger (1986); multiway by inclusion-exclusion (Cameron, Gelbach & Miller 2011);
    small-sample factors as ``vcovCL`` (Zeileis, Koell & Graham 2020).

    Parameters
    ----------
    X, resid, bread
        Design matrix, residuals and ``(X'WX)^{-1}`` from :func:`wls_fit`.
    cluster
        One cluster variable (1-d) or several (a DataFrame or 2-d array, one column each)
        for multiway clustering (Cameron, Gelbach & Miller 2011).
    weights
        Observation weights (``None`` for OLS).
    type
        ``"HC1"`` (R's default for ``lm``) multiplies by ``(n-1)/(n-k)``; ``"HC0"`` does not.
    cadjust
        Multiply each component by ``G/(G-1)``.

    Returns
    -------
    numpy.ndarray
        The k x k covariance matrix.
    """
    X = np.asarray(X, dtype=float)
    n, k = X.shape
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    scores = X * (w * resid)[:, None]
    if isinstance(cluster, pd.DataFrame):
        cols = [cluster.iloc[:, j].to_numpy() for j in range(cluster.shape[1])]
    else:
        arr = np.asarray(cluster)
        cols = [arr] if arr.ndim == 1 else [arr[:, j] for j in range(arr.shape[1])]
    meat = np.zeros((k, k))
    for r in range(1, len(cols) + 1):
        sign = 1.0 if r % 2 == 1 else -1.0
        for combo in combinations(cols, r):
            if len(combo) == 1:
                key = combo[0]
            else:
                key = pd.MultiIndex.from_arrays(list(combo)).factorize()[0]
            m, g = _cluster_meat(scores, key)
            adj = g / (g - 1) if cadjust and g > 1 else 1.0
            meat += sign * adj * m
    v = bread @ meat @ bread
    if type == "HC1":
        v *= (n - 1) / (n - k)
    elif type != "HC0":
        raise ValueError(f"unknown cluster type {type!r}")
    return v
