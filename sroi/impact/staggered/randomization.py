"""Randomisation inference over the clusters' (schools') programme assignment.

The programme is assigned to schools, so the randomisation distribution moves whole
schools: each permutation hands the assignment of every programme school (its pupils'
cohorts) to another school drawn at random, re-estimates the aggregated ATT with the same
estimator, and compares the observed estimate with the permutation distribution (Fisher
1935; for clustered and few-treated-cluster designs Young 2019, MacKinnon & Webb 2020).

* When the cohort is constant within school (whole schools adopt) the permuted school
  takes that cohort for all its units: an exact test of the sharp null of no effect for any
  unit under random assignment of schools.
* When only some pupils of a programme school are enrolled, the receiving school gets the
  same number of enrolled pupils per cohort (at most its size), drawn at random among its
  pupils. The reference distribution then also treats the within-school choice of pupils as
  random; it remains a robustness check of the sharp null, not a design-based exact test.

With clusters equal to units (no coarser clustering) the units are permuted.

References
----------
Fisher, R. A. (1935). The Design of Experiments. Oliver & Boyd.
Young, A. (2019). Channeling Fisher: randomization tests and the statistical
insignificance of seemingly significant experimental results. Quarterly Journal of
Economics 134(2), 557-598.
MacKinnon, J. G. and Webb, M. D. (2020). Randomization inference for
difference-in-differences with few treated clusters. Journal of Econometrics 218(2),
435-450.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sroi._checks import check_int, check_random_state
from sroi.errors import SroiInputError, SroiWarning

__all__ = [
    "RandomizationTest",
    "Reassignment",
    "permute_assignment",
    "run_randomization",
]


@dataclass(frozen=True)
class Reassignment:
    """What a randomisation test needs: assignment, clusters and a re-estimation.

    Attributes
    ----------
    G
        Cohort of each unit of the estimation panel (0 = never treated).
    codes
        Cluster code of each unit (``0..n_clusters-1``).
    refit
        ``refit(G_new, perm)`` returns a result (with ``aggregate_effect``) for the new
        cohorts; ``perm[c]`` is the cluster that received cluster ``c``'s assignment.
    """

    G: np.ndarray
    codes: np.ndarray
    refit: Callable[[np.ndarray, np.ndarray], object] = field(repr=False)


@dataclass(frozen=True)
class RandomizationTest:
    """Randomisation p-value of an aggregated ATT.

    Attributes
    ----------
    estimate
        Observed aggregated ATT.
    p_value
        ``(1 + #{|theta_perm| >= |theta_obs|}) / (1 + n_perm)`` over the permutations that
        could be estimated.
    n_perm
        Permutations estimated (``n_failed`` could not be, e.g. a matching failure).
    n_failed
        Permutations skipped.
    kind
        Aggregation.
    level
        ``"school"``-type cluster name the assignment was permuted over.
    draws
        Permutation estimates.
    """

    estimate: float
    p_value: float
    n_perm: int
    n_failed: int
    kind: str
    level: str
    draws: np.ndarray = field(repr=False)

    def __str__(self) -> str:
        return (
            f"Randomisation inference over {self.level}: p = {self.p_value:.3f} "
            f"({self.n_perm} permutations of the programme assignment)"
        )


def permute_assignment(
    G: np.ndarray, codes: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Move each cluster's assignment to a random cluster (see the module notes).

    Parameters
    ----------
    G
        Cohort of each unit (0 = never treated).
    codes
        Cluster code of each unit.
    rng
        Random generator.

    Returns
    -------
    (G_new, perm)
        New cohorts, and ``perm[c]``: the cluster receiving cluster ``c``'s assignment.
    """
    return _permute(G, codes, _members(codes), rng)


def _members(codes: np.ndarray) -> list[np.ndarray]:
    """Positions of each cluster's units (``codes`` are ``0..n_clusters-1``)."""
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(int(codes.max()) + 2))
    return [order[bounds[c] : bounds[c + 1]] for c in range(len(bounds) - 1)]


def _permute(
    G: np.ndarray, codes: np.ndarray, members: list[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`permute_assignment` with the clusters' members computed once."""
    perm = rng.permutation(len(members))
    G_new = np.zeros_like(G)
    for c in np.unique(codes[G > 0]):
        src = members[c]
        dst = members[perm[c]]
        g_src = G[src]
        if np.all(g_src == g_src[0]):
            G_new[dst] = g_src[0]
            continue
        order = rng.permutation(dst)
        pos = 0
        for g in np.unique(g_src[g_src > 0]):
            k = min(int(np.sum(g_src == g)), order.size - pos)
            G_new[order[pos : pos + k]] = g
            pos += k
    return G_new, perm


def run_randomization(
    design: Reassignment,
    estimate: float,
    kind: str,
    level_name: str,
    n_perm: int,
    random_state: int | np.random.Generator | None,
) -> RandomizationTest:
    """Permute the assignment ``n_perm`` times and re-estimate the aggregation ``kind``."""
    check_int(n_perm, "n_perm", minimum=19)
    rng = check_random_state(random_state)
    draws: list[float] = []
    failed = 0
    members = _members(design.codes)
    for _ in range(int(n_perm)):
        G_new, perm = _permute(design.G, design.codes, members, rng)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SroiWarning)
                res = design.refit(G_new, perm)
                draws.append(float(res.aggregate_effect(kind).estimate))  # type: ignore[attr-defined]
        except SroiInputError:
            failed += 1
    arr = np.asarray(draws)
    if arr.size == 0:
        raise SroiInputError("randomisation inference: no permutation could be estimated")
    p = float((1 + np.sum(np.abs(arr) >= abs(estimate) - 1e-12)) / (1 + arr.size))
    return RandomizationTest(
        estimate=float(estimate),
        p_value=p,
        n_perm=int(arr.size),
        n_failed=failed,
        kind=kind,
        level=level_name,
        draws=arr,
    )
