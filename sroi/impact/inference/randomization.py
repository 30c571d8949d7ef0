"""Randomisation (permutation) inference over clusters (Fisher 1935).

Re-assign treatment across clusters (permute which clusters are treated) and compare the
estimate with its permutation distribution (for clustered designs see e.g. MacKinnon &
Webb 2020).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sroi._checks import check_random_state
from sroi.errors import SroiInputError
from sroi.impact.inference._design import check_design, check_weights, cluster_blocks

__all__ = ["RandomizationResult", "randomization_inference"]


@dataclass(frozen=True)
class RandomizationResult:
    """Result of :func:`randomization_inference`.

    The observed estimate, the permutation distribution and the two-sided p-value
    ``(1 + #{|b_perm| >= |b|}) / (1 + n_perm)``.
    """

    estimate: float
    p_value: float
    n_perm: int
    n_clusters: int
    draws: np.ndarray = field(repr=False)


def randomization_inference(
    X: np.ndarray,
    y: np.ndarray,
    cluster: np.ndarray | pd.Series,
    coef_index: int,
    assignment: np.ndarray | pd.Series,
    make_treatment: Callable[[np.ndarray], np.ndarray] | None = None,
    weights: np.ndarray | None = None,
    *,
    n_perm: int = 999,
    random_state: int | np.random.Generator | None = None,
) -> RandomizationResult:
    """Randomisation (permutation) inference over clusters.

    The cluster-level ``assignment`` (for example treated 0/1, or the first treated period)
    is permuted across clusters; ``make_treatment`` turns a row-level assignment into the
    treatment column ``X[:, coef_index]`` (default: the assignment itself). For each
    permutation the coefficient is re-estimated by Frisch-Waugh-Lovell,
    ``b = (d~' W y) / (d~' W d~)`` with ``d~`` the new column residualised on the other
    columns, and the two-sided p-value is ``(1 + #{|b_perm| >= |b_obs|}) / (1 + n_perm)``.
    This tests the sharp null of no effect for any unit (Fisher 1935).

    If ``X`` has absorbed fixed effects, ``make_treatment`` must return the column after the
    same within-transformation.

    Parameters
    ----------
    X, y
        Design (n x k) and outcome.
    cluster
        One cluster label per row.
    coef_index
        Column of ``X`` holding the treatment.
    assignment
        Row-level assignment, constant within clusters.
    make_treatment
        Maps a permuted row-level assignment to the treatment column.
    weights
        Observation weights.
    n_perm
        Number of permutations (at least 99).
    random_state
        Seed (whole number >= 0) or ``numpy.random.Generator`` for the permutations.

    Returns
    -------
    RandomizationResult

    References
    ----------
    Fisher, R. A. (1935). The Design of Experiments. MacKinnon, J. G. & Webb, M. D. (2020).
    Randomization inference for difference-in-differences with few treated clusters.
    Journal of Econometrics 218(2).
    """
    y = np.asarray(y, dtype=float)
    n = y.shape[0]
    X = check_design(X, n)
    k = X.shape[1]
    if not 0 <= coef_index < k:
        raise SroiInputError(f"coef_index {coef_index} is out of range for {k} columns")
    if n_perm < 99:
        raise SroiInputError(f"n_perm must be at least 99, got {n_perm}")
    w = check_weights(weights, n)
    codes, g, _ = cluster_blocks(cluster, n)
    cl_assign = _cluster_assignment(codes, np.asarray(assignment), n)
    make = make_treatment if make_treatment is not None else (lambda a: np.asarray(a, float))
    coef = _fwl_coefficient(X, y, w, coef_index)
    est = float(coef(X[:, [coef_index]])[0])
    rng = check_random_state(random_state)
    draws = np.empty(n_perm)
    chunk = max(1, min(n_perm, int(2e7 // max(n, 1))))
    done = 0
    while done < n_perm:
        m = min(chunk, n_perm - done)
        cols = np.empty((n, m))
        for i in range(m):
            perm = rng.permutation(cl_assign)
            cols[:, i] = make(perm[codes])
        draws[done : done + m] = coef(cols)
        done += m
    p = (1 + np.sum(np.abs(draws) >= abs(est) - 1e-12)) / (1 + n_perm)
    return RandomizationResult(
        estimate=est, p_value=float(p), n_perm=n_perm, n_clusters=g, draws=draws
    )


def _cluster_assignment(codes: np.ndarray, assign: np.ndarray, n: int) -> np.ndarray:
    """The assignment of each cluster (it must be constant within clusters)."""
    if assign.shape != (n,):
        raise SroiInputError(f"assignment must have one value per row ({n})")
    frame = pd.DataFrame({"c": codes, "a": assign})
    nun = frame.groupby("c")["a"].nunique()
    if (nun > 1).any():
        bad = nun.index[nun > 1]
        raise SroiInputError(
            "assignment must be constant within each cluster for cluster randomisation "
            f"inference; it varies in cluster codes {list(bad[:5])}"
        )
    return frame.groupby("c")["a"].first().to_numpy()


def _fwl_coefficient(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, coef_index: int
) -> Callable[[np.ndarray], np.ndarray]:
    """Coefficient of each column of ``d`` (n x m) in place of ``X[:, coef_index]``.

    By Frisch-Waugh-Lovell: ``b = (d~' W y) / (d~' W d~)`` with ``d~`` residualised on the
    other columns of ``X``.
    """
    others = [j for j in range(X.shape[1]) if j != coef_index]
    Xr = X[:, others]
    Xrw = Xr * w[:, None]
    Mr = np.linalg.pinv(Xr.T @ Xrw)

    def coef(d: np.ndarray) -> np.ndarray:
        dt = d - Xr @ (Mr @ (Xrw.T @ d))
        return ((dt * w[:, None]).T @ y) / np.einsum("ij,ij->j", dt * w[:, None], dt)

    return coef
