"""Sensitivity of event-study effects to violations of parallel trends (Rambachan & Roth 2023).

:func:`honest_did` is the entry point. It takes event-study coefficients and their
covariance, a Sun & Abraham / TWFE :class:`~sroi.impact.did.event_study.EventStudyResult`, a
Callaway & Sant'Anna result of :func:`sroi.staggered_did` (its dynamic aggregation) or the
:class:`~sroi.impact.did.honest_cs.EventTimeEstimates` of :func:`staggered_event_study`
(another reference period, event-time limits). The computations live in
:mod:`.honest_bounds` (grid, breakdown values), :mod:`.honest_ci` (one interval),
:mod:`.honest_flci`, :mod:`.honest_arp`, :mod:`.honest_delta` and :mod:`.honest_bonferroni`.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from sroi.impact.did.event_study import EventStudyResult
from sroi.impact.did.honest_bounds import honest_bounds
from sroi.impact.did.honest_cs import EventTimeEstimates, staggered_event_study
from sroi.impact.staggered.result import StaggeredResultBase

__all__ = ["honest_did", "staggered_event_study", "EventTimeEstimates"]


def honest_did(
    betahat: np.ndarray | EventStudyResult | StaggeredResultBase | EventTimeEstimates,
    sigma: np.ndarray | None = None,
    n_pre: int | None = None,
    n_post: int | None = None,
    *,
    method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
    ci: str | None = None,
    Mbar: np.ndarray | list[float] | None = None,
    M: np.ndarray | list[float] | None = None,
    l_vec: np.ndarray | list[float] | None = None,
    level: float = 0.95,
    kappa: float | None = None,
    n_sim: int = 10_000,
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Robust confidence intervals under bounded violations of parallel trends.

    Parameters
    ----------
    betahat
        Event-study coefficients (``n_pre`` pre then ``n_post`` post, reference excluded),
        or an :class:`~sroi.impact.did.event_study.EventStudyResult` (use Sun-Abraham), a
        Callaway-Sant'Anna result of :func:`sroi.staggered_did` (dynamic aggregation,
        reference ``e = -1 - anticipation``; estimate it with ``base_period="universal"``) or
        the :class:`EventTimeEstimates` of :func:`staggered_event_study`; then ``sigma``,
        ``n_pre`` and ``n_post`` come from it.
    sigma
        Covariance of ``betahat`` (symmetric, positive semi-definite).
    n_pre, n_post
        Number of pre- and post-period coefficients.
    method
        ``"relative_magnitude"`` (``Delta^RM(Mbar)``: post-period changes in the trend
        difference at most ``Mbar`` times the largest pre-period one) or ``"smoothness"``
        (``Delta^SD(M)``: the slope of the trend difference changes by at most ``M`` per
        period).
    ci
        The interval, names as R HonestDiD: smoothness ``"FLCI"`` (default; optimal
        fixed-length interval), ``"conditional"``, ``"C-F"`` (conditional / FLCI hybrid),
        ``"C-LF"`` (conditional / least-favourable hybrid); relative magnitudes ``"C-LF"``
        (default), ``"conditional"``, or ``"bonferroni"`` (sroi's conservative closed form:
        a sup-t bound on the largest pre-period change, see
        :mod:`~sroi.impact.did.honest_bonferroni`).
    Mbar, M
        Grids of the restriction's size (defaults ``0, 0.25, ..., 2`` and nine values from 0
        to twice the standard error of the first post-period coefficient).
    l_vec
        Weights defining ``theta = l' tau_post`` (default: the first post period, as
        HonestDiD); ``np.full(n_post, 1 / n_post)`` gives the average post-period effect.
    level
        Confidence level.
    kappa
        First-stage size of the hybrids as a share of ``1 - level`` (default 0.1, i.e.
        ``alpha / 10`` as HonestDiD); for ``"bonferroni"`` the share spent on the pre-period
        bound (default 0.2).
    n_sim, random_state
        Simulation draws for the least-favourable critical value of ``"C-LF"`` (and the sup-t
        critical value of ``"bonferroni"``) and their seed.

    Returns
    -------
    DataFrame
        One row per grid value: ``Mbar`` or ``M``, ``lb``, ``ub`` (robust interval; ``NaN``
        when every value is rejected, i.e. the data contradict the restriction), ``id_lb``,
        ``id_ub`` (identified set at the point estimates), ``method``, ``ci``. ``.attrs``:
        ``breakdown`` (smallest ``Mbar``/``M`` whose interval contains 0, found beyond the
        grid; ``0`` if the interval at 0 already does, ``inf`` if none does), ``original``
        (the usual interval for ``l' beta_post``), ``theta_hat`` (``l' beta_post``),
        ``level``, ``ci`` and a ``description``.

    Raises
    ------
    SroiInputError
        For an unknown ``ci`` for the method, ``l_vec`` of the wrong length, a ``sigma`` that
        is not a symmetric positive semi-definite matrix of the right size, or a bad
        ``random_state``.

    References
    ----------
    Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. Review
    of Economic Studies 90(5), 2555-2591.
    Andrews, I., Roth, J. and Pakes, A. (2023). Inference for linear conditional moment
    inequalities. Review of Economic Studies 90(6), 2763-2791.
    Armstrong, T. B. and Kolesar, M. (2018). Optimal inference in a class of regression
    models. Econometrica 86(2), 655-683.
    """
    kwargs: dict[str, Any] = dict(
        method=method,
        ci=ci,
        Mbar=Mbar,
        M=M,
        l_vec=l_vec,
        level=level,
        kappa=kappa,
        n_sim=n_sim,
        random_state=random_state,
    )
    if isinstance(betahat, EventStudyResult) and sigma is None:
        return betahat.honest_did(**kwargs)
    if isinstance(betahat, StaggeredResultBase) and sigma is None:
        betahat = staggered_event_study(betahat)
    if isinstance(betahat, EventTimeEstimates) and sigma is None:
        out = honest_bounds(betahat.betahat, betahat.sigma, betahat.n_pre, betahat.n_post, **kwargs)
        out.attrs["event_times"] = betahat.event_times
        out.attrs["reference"] = betahat.reference
        return out
    return honest_bounds(np.asarray(betahat), sigma, n_pre, n_post, **kwargs)
