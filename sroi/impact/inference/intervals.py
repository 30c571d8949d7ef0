"""Wald intervals and p-values with Student t or normal critical values."""

from __future__ import annotations

import numpy as np
from scipy import stats

__all__ = ["t_interval"]


def t_interval(
    estimate: float, se: float, df: float | None, level: float
) -> tuple[float, float, float]:
    """Wald interval and two-sided p-value with Student t (``df``) or normal critical values.

    Parameters
    ----------
    estimate, se
        Estimate and its standard error.
    df
        Degrees of freedom (e.g. Bell-McCaffrey/Satterthwaite); ``None`` or infinite for the
        normal distribution.
    level
        Confidence level.

    Returns
    -------
    (low, high, p_value)
    """
    dist = stats.norm if df is None or not np.isfinite(df) else stats.t(df)
    crit = float(dist.ppf(0.5 + level / 2))
    p = float(2 * dist.sf(abs(estimate) / se)) if se > 0 else float("nan")
    return estimate - crit * se, estimate + crit * se, p
