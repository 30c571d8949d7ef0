"""Event-time effects of a Callaway & Sant'Anna result and their covariance, for honest DiD.

The dynamic aggregation of :func:`sroi.staggered_did` (``aggregate("dynamic")``, as R
``did::aggte(type = "dynamic")``) gives ``theta(e) = sum_g w_g(e) ATT(g, g + e)``; each is
a linear combination of the group-time cells and the cohort-share indicators (the weight
influence function included), so their joint covariance is the influence-function
covariance of those combinations (clustered when the result is), as HonestDiD users compute
from ``did``'s ``inf.function$dynamic.inf.func.e``.

The reference period is ``e = -1 - anticipation`` by default. With ``base_period="universal"``
every pre-period estimate is relative to that period, which is what the restrictions of
Rambachan & Roth (2023) describe; with ``"varying"`` the pre-period estimates are one-period
changes and a warning says so. Another ``reference`` event time re-bases every estimate on
it (``theta(e) - theta(reference)``, its covariance transformed accordingly).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.staggered.result import StaggeredResultBase

__all__ = ["EventTimeEstimates", "staggered_event_study"]


@dataclass(frozen=True)
class EventTimeEstimates:
    """Event-time estimates ready for :func:`sroi.impact.did.honest_did`.

    Attributes
    ----------
    betahat
        Estimates before then after the reference period (the reference left out).
    sigma
        Their covariance.
    event_times
        Event time of each entry of ``betahat``.
    n_pre, n_post
        Entries before and after the reference period.
    reference
        The reference event time.
    """

    betahat: np.ndarray
    sigma: np.ndarray
    event_times: tuple[int, ...]
    n_pre: int
    n_post: int
    reference: int


def _dynamic_coefficients(
    result: StaggeredResultBase,
    min_e: float | None,
    max_e: float | None,
    balance_e: int | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Event times, estimates and basis coefficients of the dynamic aggregation."""
    agg = result.aggregator
    table = agg.aggregate("dynamic", min_e, max_e, balance_e).table
    assert table is not None
    c = agg.cells
    e_all = c.time - c.group
    include = np.ones(e_all.size, dtype=bool)
    if balance_e is not None:
        include = (agg.tmax - c.group) >= balance_e
    pg = agg.cell_shares()
    events = table["event_time"].to_numpy(dtype=float)
    ests, coefs = [], []
    for e in events:
        keep = np.flatnonzero((e_all == e) & include)
        est, coef = agg.combine(keep, pg[keep] / np.sum(pg[keep]), with_wif=True)
        ests.append(est)
        coefs.append(coef)
    est_arr = np.asarray(ests)
    if not np.allclose(est_arr, table["att"].to_numpy(dtype=float), rtol=1e-10, atol=1e-12):
        raise RuntimeError("event-time estimates differ from the dynamic aggregation's table")
    return events, est_arr, np.column_stack(coefs)


def staggered_event_study(
    result: StaggeredResultBase,
    *,
    reference: int | None = None,
    min_e: float | None = None,
    max_e: float | None = None,
    balance_e: int | None = None,
) -> EventTimeEstimates:
    """Event-time effects and their covariance from a Callaway & Sant'Anna result.

    Parameters
    ----------
    result
        A result of :func:`sroi.staggered_did` (or the matched design), preferably with
        ``base_period="universal"``.
    reference
        The reference event time (default ``-1 - anticipation``).
    min_e, max_e, balance_e
        As :meth:`~sroi.impact.staggered.result.StaggeredResultBase.aggregate`.

    Returns
    -------
    EventTimeEstimates

    Raises
    ------
    SroiInputError
        When the reference event time is not estimated, or there is no event time before
        or after it.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
    time periods. Journal of Econometrics 225(2), 200-230.
    Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. Review
    of Economic Studies 90(5), 2555-2591.
    """
    events, est, coef = _dynamic_coefficients(result, min_e, max_e, balance_e)
    V = result.aggregator.inference.vcov(coef)
    ref = -1 - int(result.anticipation) if reference is None else int(reference)
    if ref not in set(events.astype(int)):
        raise SroiInputError(
            f"reference event time {ref} is not among the estimated event times "
            f"{[int(e) for e in events]}; pick one of them or widen min_e/max_e"
        )
    if not result.aggregator.cells.reference.any():
        warnings.warn(
            "honest DiD on a Callaway-Sant'Anna result with base_period='varying': the "
            "pre-period estimates are one-period changes, not differences from a common "
            "reference period; re-estimate with base_period='universal' (as recommended for "
            "HonestDiD)",
            SroiWarning,
            stacklevel=2,
        )
    r = int(np.flatnonzero(events == ref)[0])
    T = np.eye(events.size)
    T[:, r] -= 1.0  # theta(e) - theta(reference)
    keep = np.flatnonzero(events != ref)
    T = T[keep]
    b, S = T @ est, T @ V @ T.T
    ev = events[keep]
    n_pre, n_post = int(np.sum(ev < ref)), int(np.sum(ev > ref))
    if n_pre == 0 or n_post == 0:
        raise SroiInputError(
            f"honest DiD needs event times before and after the reference {ref}; got "
            f"{[int(e) for e in ev]}"
        )
    return EventTimeEstimates(
        betahat=b,
        sigma=0.5 * (S + S.T),
        event_times=tuple(int(e) for e in ev),
        n_pre=n_pre,
        n_post=n_post,
        reference=ref,
    )
