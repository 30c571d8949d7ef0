"""Normal, t, chi-squared and F probabilities from :mod:`scipy.special`, without scipy.stats.

``scipy.stats`` takes most of a second to import (it loads every distribution and much of
SciPy), which a report pays before its first estimate. The functions sroi needs are one call
each into :mod:`scipy.special`, the same calls :mod:`scipy.stats` makes for these
distributions (``norm.ppf`` is ``ndtri``, ``t.ppf`` is ``stdtrit``, ``chi2.sf`` is
``chdtrc``, ``f.sf`` is ``fdtrc``), so the numbers are identical;
``tests/test_distributions.py`` compares them with :mod:`scipy.stats` on a grid.

Every function takes scalars or arrays and returns NumPy floats (NaN outside the domain).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

__all__ = [
    "chi2_sf",
    "f_sf",
    "norm_cdf",
    "norm_pdf",
    "norm_ppf",
    "norm_sf",
    "t_cdf",
    "t_ppf",
    "t_sf",
    "z_or_t_ppf",
    "z_or_t_sf",
]

_SQRT_2PI = np.sqrt(2 * np.pi)


def norm_ppf(q: ArrayLike) -> np.ndarray:
    """Standard normal quantile (``scipy.stats.norm.ppf``)."""
    return special.ndtri(q)


def norm_cdf(x: ArrayLike) -> np.ndarray:
    """Standard normal distribution function (``scipy.stats.norm.cdf``)."""
    return special.ndtr(x)


def norm_sf(x: ArrayLike) -> np.ndarray:
    """Standard normal upper tail ``1 - cdf`` (``scipy.stats.norm.sf``), accurate far out."""
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_pdf(x: ArrayLike) -> np.ndarray:
    """Standard normal density (``scipy.stats.norm.pdf``)."""
    x = np.asarray(x, dtype=float)
    return np.exp(-(x**2) / 2.0) / _SQRT_2PI


def t_ppf(q: ArrayLike, df: ArrayLike) -> np.ndarray:
    """Student t quantile with ``df`` degrees of freedom (``scipy.stats.t.ppf``).

    At ``q = 0`` and ``q = 1`` the ends of the support (-inf, inf), as scipy.stats gives.
    """
    q = np.asarray(q, dtype=float)
    out = np.asarray(special.stdtrit(df, q), dtype=float)
    ends = np.where(q == 0, -np.inf, np.inf)
    return np.where((q == 0) | (q == 1), ends, out)[()]


def t_cdf(x: ArrayLike, df: ArrayLike) -> np.ndarray:
    """Student t distribution function (``scipy.stats.t.cdf``)."""
    return special.stdtr(df, x)


def t_sf(x: ArrayLike, df: ArrayLike) -> np.ndarray:
    """Student t upper tail (``scipy.stats.t.sf``)."""
    return special.stdtr(df, -np.asarray(x, dtype=float))


def chi2_sf(x: ArrayLike, df: ArrayLike) -> np.ndarray:
    """Chi-squared upper tail (``scipy.stats.chi2.sf``)."""
    return special.chdtrc(df, x)


def f_sf(x: ArrayLike, dfn: ArrayLike, dfd: ArrayLike) -> np.ndarray:
    """F upper tail with ``dfn`` and ``dfd`` degrees of freedom (``scipy.stats.f.sf``)."""
    return special.fdtrc(dfn, dfd, x)


def z_or_t_ppf(q: ArrayLike, df: float | None) -> np.ndarray:
    """Normal quantile when ``df`` is None or infinite, else the t quantile."""
    if df is None or not np.isfinite(df):
        return norm_ppf(q)
    return t_ppf(q, df)


def z_or_t_sf(x: ArrayLike, df: float | None) -> np.ndarray:
    """Normal upper tail when ``df`` is None or infinite, else the t upper tail."""
    if df is None or not np.isfinite(df):
        return norm_sf(x)
    return t_sf(x, df)
