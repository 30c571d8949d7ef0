"""Wald intervals and p-values with Student t or normal critical values."""

from __future__ import annotations

from sroi._distributions import z_or_t_ppf, z_or_t_sf

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
    crit = float(z_or_t_ppf(0.5 + level / 2, df))
    p = float(2 * z_or_t_sf(abs(estimate) / se, df)) if se > 0 else float("nan")
    return estimate - crit * se, estimate + crit * se, p
