"""Cluster-robust inference for the regression DiD estimators (2x2, TWFE).

* ``"cluster"`` -- Liang-Zeger CR1 as R ``sandwich::vcovCL`` (``HC1``: multiplied by
  ``G/(G-1) (n-1)/(n-k)``, ``k`` the number of non-absorbed regressors), intervals with
  Student t on ``G-1`` degrees of freedom (``min G - 1`` for two-way clustering; Cameron,
  Gelbach & Miller 2011).
* ``"CR2"`` -- Bell & McCaffrey (2002) / Pustejovsky & Tipton (2018) with Satterthwaite
  degrees of freedom (R clubSandwich).
* ``"wild"`` -- wild cluster restricted bootstrap-t (Cameron, Gelbach & Miller 2008); the
  reported standard error is CR1, the p-value and interval come from the bootstrap.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.did.within import WorkingModel
from sroi.impact.inference.cr2 import vcov_cr2
from sroi.impact.inference.intervals import t_interval
from sroi.impact.inference.sandwich import vcov_cluster
from sroi.impact.inference.wild_bootstrap import wild_cluster_bootstrap

__all__ = [
    "FEW_TREATED_CLUSTERS",
    "BootWeights",
    "ClusterInference",
    "cluster_inference",
    "cluster_codes",
    "cr1_from_codes",
    "clusters_arg",
    "few_cluster_warning",
    "nested",
]

BootWeights = Literal["rademacher", "webb"]

FEW_TREATED_CLUSTERS = 10
"""Below this many treated clusters cluster-robust inference is flagged as unreliable."""


@dataclass(frozen=True)
class ClusterInference:
    """Standard error, interval and p-value of one coefficient."""

    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    df: float | None
    ci_type: str
    n_clusters: int
    n_boot: int | None = None


def clusters_arg(cluster: str | list[str] | None, unit: str | None) -> list[str]:
    """Cluster columns: ``cluster`` (one or two), default the unit (none without units)."""
    if cluster is None:
        return [unit] if unit is not None else []
    clusters = [cluster] if isinstance(cluster, str) else list(cluster)
    if not 1 <= len(clusters) <= 2:
        raise SroiInputError(f"cluster must be one column or a list of two, got {cluster!r}")
    return clusters


def nested(df: pd.DataFrame, inner: str, outer: str) -> bool:
    """Whether every ``inner`` group lies inside one ``outer`` group."""
    return bool((df.groupby(inner)[outer].nunique() <= 1).all())


def cluster_codes(
    df: pd.DataFrame, cluster: str, unit: str, unit_codes: np.ndarray
) -> tuple[np.ndarray, int]:
    """Integer codes ``0..G-1`` of one cluster column and ``G`` (the unit codes by unit)."""
    if cluster == unit:
        return unit_codes, int(unit_codes.max()) + 1
    codes, uniques = pd.factorize(df[cluster].to_numpy())
    return codes, len(uniques)


def few_cluster_warning(
    n_tc: int, vcov: str, clusters: list[str], stacklevel: int = 4
) -> str | None:
    """Warn (and return the message) below :data:`FEW_TREATED_CLUSTERS` treated clusters."""
    if n_tc < FEW_TREATED_CLUSTERS:
        msg = (
            f"only {n_tc} treated clusters ({'+'.join(clusters)}): cluster-robust inference is "
            "unreliable below 10 treated clusters"
        )
        if vcov == "cluster":
            msg += "; use vcov='CR2' (Bell-McCaffrey) or vcov='wild' (wild cluster bootstrap)"
        warnings.warn(msg, SroiWarning, stacklevel=stacklevel)
        return msg
    return None


def cr1_from_codes(
    X: np.ndarray,
    resid: np.ndarray,
    bread: np.ndarray,
    w: np.ndarray | None,
    codes: np.ndarray,
    k: int,
) -> tuple[np.ndarray, int]:
    """CR1 covariance (``sandwich::vcovCL``, HC1) from integer cluster codes, and ``G``.

    ``k`` is the number of regressors in the small-sample factor ``(n-1)/(n-k)``, which may
    exceed ``X``'s columns when ``X`` is a block of a larger regression (Frisch-Waugh-Lovell:
    the block of the covariance is the same).
    """
    n = X.shape[0]
    G = int(codes.max()) + 1
    score = resid if w is None else w * resid
    sums = np.empty((G, X.shape[1]))
    for j in range(X.shape[1]):  # per-column bincount: the same row-order sums as np.add.at
        sums[:, j] = np.bincount(codes, X[:, j] * score, G)
    V = bread @ (sums.T @ sums) @ bread
    return V * (G / (G - 1) * (n - 1) / (n - k)), G


def cluster_inference(
    *,
    X: np.ndarray,
    y: np.ndarray,
    beta: np.ndarray,
    bread: np.ndarray,
    w: np.ndarray | None,
    clusters: pd.DataFrame,
    coef: int,
    vcov: str,
    n_boot: int,
    random_state: Any,
    level: float,
    boot_weights: BootWeights,
    working: WorkingModel = "identity",
    k: int | None = None,
    codes: np.ndarray | None = None,
) -> ClusterInference:
    """Inference on coefficient ``coef`` of the (weighted) least-squares fit ``y ~ X``.

    Parameters
    ----------
    X, y, beta, bread
        Design, outcome, coefficients and ``(X'WX)^{-1}`` of the fit.
    w
        Observation weights or ``None``.
    clusters
        One or two cluster columns, one row per observation.
    coef
        Index of the coefficient.
    vcov
        ``"cluster"`` (CR1), ``"CR2"`` or ``"wild"`` (one cluster column only for the last
        two).
    n_boot, random_state, boot_weights
        Wild bootstrap draws, seed and weight type.
    level
        Confidence level.
    working
        CR2 working model (see :func:`sroi.impact.did.within.cr2_working_model`).
    k
        CR1 only: the regressors counted in ``(n-1)/(n-k)`` when ``X`` holds only some of
        them (the block of the fixed-effects regression left after projecting out the
        period dummies, :class:`sroi.impact.did.within.TwoWay`); default ``X``'s columns.
    codes
        CR1 with one cluster column: its integer codes ``0..G-1`` when the caller has them
        (the unit codes when clustering by unit), so they are not computed again.

    Returns
    -------
    ClusterInference
    """
    b = float(beta[coef])
    if vcov == "cluster" and codes is not None and clusters.shape[1] == 1:
        V, G = cr1_from_codes(X, y - X @ beta, bread, w, codes, X.shape[1] if k is None else k)
        se = float(np.sqrt(V[coef, coef]))
        lo, hi, p = t_interval(b, se, G - 1.0, level)
        return ClusterInference(se, lo, hi, p, G - 1.0, f"cluster-robust CR1, t({G - 1})", G)
    n_cl = [int(clusters[c].nunique()) for c in clusters.columns]
    if vcov == "cluster":
        g = clusters if clusters.shape[1] > 1 else clusters.iloc[:, 0].to_numpy()
        V = vcov_cluster(X, y - X @ beta, bread, g, weights=w, type="HC1")
        if k is not None:  # vcov_cluster's (n-1)/(n-k) counted only X's columns
            n = X.shape[0]
            V = V * ((n - X.shape[1]) / (n - k))
        se = float(np.sqrt(V[coef, coef]))
        dfree = float(min(n_cl) - 1)
        lo, hi, p = t_interval(b, se, dfree, level)
        ci = f"cluster-robust CR1, t({int(dfree)})"
        return ClusterInference(se, lo, hi, p, dfree, ci, min(n_cl))
    if clusters.shape[1] > 1:
        raise SroiInputError(
            f"vcov={vcov!r} supports one cluster variable; got {list(clusters.columns)}"
        )
    g = clusters.iloc[:, 0].to_numpy()
    if vcov == "CR2":
        V, df_cr2 = vcov_cr2(X, y - X @ beta, bread, g, weights=w, contrast=coef, working=working)
        se = float(np.sqrt(V[coef, coef]))
        lo, hi, p = t_interval(b, se, float(df_cr2), level)
        ci = f"CR2 Bell-McCaffrey, Satterthwaite t({float(df_cr2):.1f})"
        return ClusterInference(se, lo, hi, p, float(df_cr2), ci, n_cl[0])
    if vcov == "wild":
        res = wild_cluster_bootstrap(
            X,
            y,
            g,
            coef,
            weights=w,
            n_boot=n_boot,
            level=level,
            weight_type=boot_weights,
            random_state=random_state,
        )
        ci = f"wild cluster restricted bootstrap ({boot_weights}, {res.n_boot} draws)"
        return ClusterInference(
            res.std_error, res.ci_low, res.ci_high, res.p_value, None, ci, n_cl[0], res.n_boot
        )
    raise SroiInputError(f"vcov must be 'cluster', 'CR2' or 'wild', got {vcov!r}")
