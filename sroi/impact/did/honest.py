"""Sensitivity of event-study effects to violations of parallel trends (Rambachan & Roth 2023).

:func:`honest_did` is the entry point; the restrictions, intervals and breakdown values are
computed in :mod:`sroi.impact.did.honest_bounds` (see its notes for the exact statements).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from sroi.impact.did.event_study import EventStudyResult
from sroi.impact.did.honest_bounds import honest_bounds

__all__ = ["honest_did"]


def honest_did(
    betahat: np.ndarray | EventStudyResult,
    sigma: np.ndarray | None = None,
    n_pre: int | None = None,
    n_post: int | None = None,
    *,
    method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
    Mbar: np.ndarray | list[float] | None = None,
    M: np.ndarray | list[float] | None = None,
    l_vec: np.ndarray | list[float] | None = None,
    level: float = 0.95,
    kappa: float = 0.2,
    n_sim: int = 100_000,
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Robust confidence intervals under bounded violations of parallel trends.

    Parameters
    ----------
    betahat
        Event-study coefficients (``n_pre`` pre then ``n_post`` post, reference excluded),
        or an :class:`~sroi.impact.did.event_study.EventStudyResult` (then ``sigma``, ``n_pre``
        and ``n_post`` are taken from it; use a Sun-Abraham result).
    sigma
        Their covariance matrix.
    n_pre, n_post
        Number of pre- and post-period coefficients.
    method
        ``"relative_magnitude"`` (grid ``Mbar``, default 0, 0.25, ..., 2) or
        ``"smoothness"`` (grid ``M``, default 0 .. 2 x the SE of the first post coefficient).
    Mbar, M
        Grids of the restriction's size for the two methods.
    l_vec
        Weights defining ``theta = l' tau_post`` (default: the first post period, as
        HonestDiD). ``np.full(n_post, 1/n_post)`` gives the average post effect.
    level
        Confidence level.
    kappa
        Relative magnitudes only: share of ``1 - level`` spent on the bound for the pre-period
        differences (Bonferroni split, see :mod:`sroi.impact.did.honest_bounds`).
    n_sim, random_state
        Simulation draws for the sup-t critical value (relative magnitudes) and their seed
        (a whole number >= 0, a numpy Generator or ``None``).

    Returns
    -------
    DataFrame
        One row per grid value: ``Mbar`` or ``M``, ``lb``, ``ub`` (robust interval),
        ``id_lb``, ``id_ub`` (identified set at the point estimates), ``method``.
        ``.attrs`` holds ``breakdown`` (smallest grid-free value whose interval contains 0;
        ``inf`` if none, 0 if the original interval already contains 0), ``original``
        (the usual interval for ``l' beta_post``), ``theta_hat`` and a ``description``.

    Raises
    ------
    SroiInputError
        For inconsistent inputs or a bad ``random_state``.

    References
    ----------
    Rambachan, A. and Roth, J. (2023). A more credible approach to parallel trends. Review
    of Economic Studies 90(5), 2555-2591.
    Armstrong, T. B. and Kolesar, M. (2018). Optimal inference in a class of regression
    models. Econometrica 86(2), 655-683.
    """
    kwargs = dict(
        method=method,
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
    return honest_bounds(np.asarray(betahat), sigma, n_pre, n_post, **kwargs)  # type: ignore[arg-type]
