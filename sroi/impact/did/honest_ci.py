"""Robust confidence intervals for one restriction size (Rambachan & Roth 2023).

* Smoothness ``Delta^SD(M)``: ``"FLCI"`` (:mod:`.honest_flci`), or the ARP tests
  ``"conditional"``, ``"C-F"``, ``"C-LF"`` (:mod:`.honest_arp`) on the second-difference
  moments (those involving a post-period coefficient when there are several post periods,
  all of them with one, as R HonestDiD).
* Relative magnitudes ``Delta^RM(Mbar)``: ``"conditional"`` or ``"C-LF"`` on each polyhedron
  ``Delta^RM_{s,+-}`` (post-period moments), the interval being the hull of their union.

With a single post period the reference implementation's C-LF omits the truncation of the
second stage at the least-favourable critical value (its path for several post periods, and
ARP's hybrid, include it); sroi truncates in both cases, so its one-post-period C-LF intervals
are slightly shorter than the reference's (tests/impact/test_honest_parity.py).

The hybrids spend ``kappa`` (default ``alpha / 10``, as the reference implementation) on the
first stage.
Least-favourable critical values use the same simulated draws for every polyhedron and
restriction size (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sroi.impact.did.honest_arp import (
    Moments,
    arp_interval,
    eta_min,
    eta_region,
    lf_critical_value,
    moments,
)
from sroi.impact.did.honest_delta import (
    post_rows,
    relative_magnitude_constraints,
    smoothness_constraints,
)
from sroi.impact.did.honest_flci import optimal_flci

__all__ = ["HonestProblem", "smoothness_interval", "relative_magnitude_interval"]

#: Conditional test: search for accepted values where eta is at most this much above its
#: minimum (eta is in units of at least one standard deviation of the tested combination).
ETA_SPAN = 20.0


@dataclass(frozen=True)
class HonestProblem:
    """Coefficients, covariance, target and simulation draws shared by every interval."""

    b: np.ndarray
    S: np.ndarray
    n_pre: int
    lv: np.ndarray
    alpha: float
    draws: np.ndarray  # n_sim x n, mean-zero draws with covariance S
    kappa: float  # first-stage size of the hybrids (alpha / 10 by default)


def _region(m: Moments, hybrid: str, lf_cv: float) -> tuple[float, float]:
    if hybrid == "LF":
        return eta_region(m, lf_cv)
    _, emin = eta_min(m)
    return eta_region(m, max(emin, 0.0) + ETA_SPAN)


def _arp(
    p: HonestProblem, A: np.ndarray, d: np.ndarray, hybrid: str, M: float = 0.0
) -> tuple[float, float]:
    """ARP interval for one polyhedron ``A delta <= d`` (rows already selected)."""
    m = moments(p.b, p.S, p.n_pre, p.lv, A, d)
    if hybrid == "LF":
        cv = lf_critical_value(m, p.draws @ A.T, p.kappa)
        # as R HonestDiD: with one post period (no nuisance parameters) the second stage is
        # not truncated at the least-favourable value; with several it is (ARP's hybrid)
        truncate = p.b.size - p.n_pre > 1
        return arp_interval(
            m,
            p.alpha,
            _region(m, "LF", cv),
            hybrid="LF",
            kappa=p.kappa,
            lf_cv=cv,
            lf_truncate=truncate,
        )
    if hybrid == "FLCI":
        f = optimal_flci(p.b, p.S, p.n_pre, p.lv, M, p.kappa)
        return arp_interval(
            m,
            p.alpha,
            (f.lb, f.ub),
            hybrid="FLCI",
            kappa=p.kappa,
            flci=(f.v, f.half_length, p.b),
        )
    return arp_interval(m, p.alpha, _region(m, "conditional", np.inf))


_HYBRID = {"conditional": "conditional", "C-LF": "LF", "C-F": "FLCI"}


def smoothness_interval(p: HonestProblem, M: float, ci: str) -> tuple[float, float]:
    """Robust interval under ``Delta^SD(M)`` with method ``ci``."""
    if ci == "FLCI":
        f = optimal_flci(p.b, p.S, p.n_pre, p.lv, M, p.alpha)
        return f.lb, f.ub
    A, d = smoothness_constraints(p.n_pre, p.lv.size, M)
    if p.lv.size > 1:
        keep = post_rows(A, p.n_pre)
        A, d = A[keep], d[keep]
    return _arp(p, A, d, _HYBRID[ci], M)


def relative_magnitude_interval(p: HonestProblem, Mbar: float, ci: str) -> tuple[float, float]:
    """Robust interval under ``Delta^RM(Mbar)``: hull of the union over ``s`` and sign."""
    los, his = [], []
    for s in range(p.n_pre):
        for sign in (1, -1):
            A, d = relative_magnitude_constraints(p.n_pre, p.lv.size, Mbar, s, sign)
            keep = post_rows(A, p.n_pre)
            lo, hi = _arp(p, A[keep], d[keep], _HYBRID[ci])
            los.append(lo)
            his.append(hi)
    lo_a, hi_a = np.array(los), np.array(his)
    if np.all(np.isnan(lo_a)):
        return np.nan, np.nan
    return float(np.nanmin(lo_a)), float(np.nanmax(hi_a))
