"""The joint pre-trend test shared by event studies and staggered DiD.

Parallel trends has a testable implication before treatment: the pre-period estimates
(event-study leads, or pre-period ATT(g,t) of Callaway & Sant'Anna 2021) should be zero.
:func:`pretrend_wald` tests them jointly with a Wald statistic ``W = b' V^{-1} b``, and every
pre-trend test in sroi returns the one result type :class:`PretrendTest`.

A large p-value is not evidence of parallel trends: such tests have low power against
plausible violations (Roth 2022), so pair them with sensitivity analysis
(:func:`sroi.impact.did.honest_did`, Rambachan & Roth 2023).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sroi._distributions import chi2_sf, f_sf
from sroi.errors import SroiInputError

__all__ = ["PretrendTest", "pretrend_wald"]


@dataclass(frozen=True)
class PretrendTest:
    """Joint Wald test that all pre-period estimates are zero.

    Attributes
    ----------
    statistic
        ``W = b' V^{-1} b`` over the pre-period estimates ``b`` with covariance ``V``.
    df
        Number of restrictions tested (the rank of ``V``).
    p_value
        ``W/df ~ F(df, df2)`` when ``df2`` is finite (clustered covariance with ``G`` clusters:
        ``df2 = G - 1``), otherwise ``W ~ chi2(df)``.
    method
        What was tested, in words (e.g. ``"sun_abraham"`` leads, or pre-period ATT(g,t)).
    estimates
        The estimates tested: their keys (``event_time``, or ``cohort`` and ``time``) and
        ``estimate``.
    df2
        Denominator degrees of freedom of the F reference (``inf``: chi-squared).
    p_value_chi2
        The large-sample ``chi2(df)`` p-value (equal to ``p_value`` when ``df2`` is ``inf``).
    message
        A caveat attached to the test (e.g. contaminated TWFE leads), empty if none.
    """

    statistic: float
    df: int
    p_value: float
    method: str
    estimates: pd.DataFrame = field(repr=False)
    df2: float = math.inf
    p_value_chi2: float = math.nan
    message: str = ""

    @property
    def event_times(self) -> tuple[int, ...]:
        """Event times of the estimates tested (empty when they are ATT(g,t) cells)."""
        if "event_time" not in self.estimates.columns:
            return ()
        return tuple(int(e) for e in self.estimates["event_time"])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (numbers as floats, ``None`` for non-finite values)."""

        def clean(v: float) -> float | None:
            return float(v) if np.isfinite(v) else None

        return {
            "statistic": clean(self.statistic),
            "df": int(self.df),
            "df2": clean(self.df2),
            "p_value": clean(self.p_value),
            "method": self.method,
            "event_times": list(self.event_times),
        }

    def __str__(self) -> str:
        if math.isinf(self.df2):
            return (
                f"Pre-trend Wald test: chi2({self.df}) = {self.statistic:.3f}, "
                f"p = {self.p_value:.4g}"
            )
        return (
            f"Pre-trend Wald test: W = {self.statistic:.3f} on {self.df} restrictions, "
            f"p = {self.p_value:.4g} (W/{self.df} ~ F({self.df}, {self.df2:g}))"
        )


def pretrend_wald(
    estimates: np.ndarray | pd.Series,
    vcov: np.ndarray,
    *,
    n_clusters: int | None = None,
    method: str = "",
    event_times: tuple[int, ...] = (),
    keys: pd.DataFrame | None = None,
) -> PretrendTest:
    """Joint Wald test of ``H0: b_pre = 0`` from pre-period estimates and their covariance.

    Works for any pre-period estimates: Sun & Abraham (2021) event-study leads, or
    Callaway & Sant'Anna (2021) pre-period ATT(g,t) or event-time estimates with their
    covariance (from the influence function or the bootstrap).

    Parameters
    ----------
    estimates
        The ``q`` pre-period estimates ``b``.
    vcov
        Their ``q x q`` covariance ``V``.
    n_clusters
        Number of clusters behind a clustered ``V``: the p-value then uses
        ``W/r ~ F(r, n_clusters - 1)`` (``r`` the rank of ``V``), else ``W ~ chi2(r)``.
    method
        Description stored on the result.
    event_times
        Event times of the estimates (stored with them).
    keys
        Key columns of the estimates (e.g. ``cohort`` and ``time``), one row per estimate;
        used instead of ``event_times``.

    Returns
    -------
    PretrendTest
        ``W = b' V^+ b`` (pseudo-inverse), with ``df`` the rank of ``V``.

    Raises
    ------
    SroiInputError
        If there are no estimates, ``vcov`` has the wrong shape or anything is not finite.

    References
    ----------
    Roth, J. (2022). Pretest with caution: event-study estimates after testing for parallel
    trends. American Economic Review: Insights 4(3), 305-322.
    """
    b = np.asarray(estimates, dtype=float).ravel()
    V = np.asarray(vcov, dtype=float)
    q = b.size
    if q == 0:
        raise SroiInputError("no pre-period estimates to test: widen the window to include leads")
    if V.shape != (q, q):
        raise SroiInputError(f"vcov must be {q} x {q} for {q} estimates, got {V.shape}")
    if not (np.isfinite(b).all() and np.isfinite(V).all()):
        raise SroiInputError("pre-period estimates or their covariance contain NaN")
    W = float(b @ np.linalg.pinv(V) @ b)
    rank = int(np.linalg.matrix_rank(V))
    p_chi = float(chi2_sf(W, rank))
    if n_clusters is not None and n_clusters > 1:
        df2 = float(n_clusters - 1)
        p = float(f_sf(W / rank, rank, df2))
    else:
        df2, p = math.inf, p_chi
    if keys is None:
        keys = pd.DataFrame({"event_time": [int(e) for e in event_times]} if event_times else {})
    table = keys.reset_index(drop=True).assign(estimate=b)
    return PretrendTest(
        statistic=W,
        df=rank,
        p_value=p,
        method=method,
        estimates=table,
        df2=df2,
        p_value_chi2=p_chi,
    )
