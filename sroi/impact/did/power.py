"""Minimum detectable effect for panel difference-in-differences with serially correlated errors.

Burlig, Preonas & Woerman (2020, "Panel data and experimental design", J. Dev. Econ.) show
that power formulas ignoring serial correlation mis-state the minimum detectable effect (MDE)
of panel DiD designs, and give the serial-correlation-robust formula for ``J`` units, a
share ``P`` treated, ``m`` pre- and ``r`` post-periods, with unit and period fixed effects::

    MDE = (t_{1-kappa} + t_{alpha/2}) * sqrt( 1 / (P (1-P) J) *
            [ (m + r)/(m r) sigma^2 + (m-1)/m psi_B + (r-1)/r psi_A - 2 psi_X ] )

where ``sigma^2`` is the error variance and ``psi_B``, ``psi_A``, ``psi_X`` are the average
covariances between pairs of pre-periods, pairs of post-periods and pre/post pairs.
The bracket is ``Var(ybar_post - ybar_pre)`` for one unit; for a general ``T x T`` error
covariance ``Sigma`` it is ``a' Sigma a`` with ``a = (-1/m, ..., -1/m, 1/r, ..., 1/r)``,
which is what :func:`mdes_panel` computes (it equals the formula above when the variances
are equal). Because ``a`` sums to zero, a unit random effect (a constant added to every
entry of ``Sigma``) cancels: only the within-unit dynamics matter.

Use :func:`estimate_error_covariance` on historical (pre-programme) data to obtain
``Sigma``: the covariance of residuals after unit and period effects. Unit demeaning adds
terms of the form ``Sigma 1 1'`` and ``1 1'`` which vanish in ``a' Sigma a`` when the
historical window has the design's length ``m + r``; with a different window length the
estimate is only approximate (Burlig, Preonas & Woerman 2020, section 4 discuss the bias).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sroi._distributions import norm_ppf, t_ppf
from sroi.data.panel import Panel
from sroi.errors import SroiInputError

__all__ = ["mdes_panel", "PanelMDES", "estimate_error_covariance", "ar1_covariance"]


@dataclass(frozen=True)
class PanelMDES:
    """Result of :func:`mdes_panel`.

    ``mdes`` is in outcome units; ``se`` is the standard error of the DiD estimate the MDE
    is based on; ``var_unit`` is ``Var(ybar_post - ybar_pre)`` for one unit; the ``psi``
    values are the Burlig-Preonas-Woerman average covariances implied by ``Sigma``.
    """

    mdes: float
    se: float
    var_unit: float
    n_units: int
    n_pre: int
    n_post: int
    treated_share: float
    alpha: float
    power: float
    df: float | None
    sigma2: float
    psi_pre: float
    psi_post: float
    psi_cross: float
    naive_mdes: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-ready dictionary."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def ar1_covariance(n_periods: int, sigma2: float, rho: float) -> np.ndarray:
    """``Sigma_st = sigma2 * rho^|s-t|``: stationary AR(1) errors."""
    if not -1 < rho < 1:
        raise SroiInputError(f"rho must lie strictly between -1 and 1, got {rho}")
    if sigma2 <= 0:
        raise SroiInputError(f"sigma2 must be positive, got {sigma2}")
    idx = np.arange(n_periods)
    return sigma2 * rho ** np.abs(idx[:, None] - idx[None, :])


def mdes_panel(
    n_units: int,
    n_pre: int,
    n_post: int,
    treated_share: float = 0.5,
    *,
    sigma2: float | None = None,
    rho: float = 0.0,
    cov: np.ndarray | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    df: float | None = None,
    two_sided: bool = True,
) -> PanelMDES:
    """Serial-correlation-robust MDE of a panel DiD (Burlig, Preonas & Woerman 2020).

    Parameters
    ----------
    n_units
        Number of units ``J`` (treated plus comparison); with clustered assignment use the
        number of clusters and cluster-mean outcomes.
    n_pre, n_post
        Pre- and post-treatment periods ``m`` and ``r``.
    treated_share
        Share ``P`` of units treated.
    sigma2, rho
        Error variance and AR(1) autocorrelation, used when ``cov`` is not given.
    cov
        ``(m + r) x (m + r)`` error covariance (pre periods first), e.g. from
        :func:`estimate_error_covariance`.
    alpha, power
        Test size and target power.
    df
        Degrees of freedom for Student t critical values (``None``: normal; Burlig et al.
        use t with the number of units minus the estimated parameters).
    two_sided
        Two-sided test (``alpha/2`` in each tail).

    Returns
    -------
    PanelMDES
        Also reports ``naive_mdes``: the MDE that treats all ``J (m + r)`` observations as
        independent (``Sigma`` diagonal), to show how far serial correlation moves it.

    Raises
    ------
    SroiInputError
        For impossible sizes, shares, levels or covariances.

    References
    ----------
    Burlig, F., Preonas, L. and Woerman, M. (2020). Panel data and experimental design.
    Journal of Development Economics 144, 102458.
    """
    for name, v in (("n_units", n_units), ("n_pre", n_pre), ("n_post", n_post)):
        if int(v) != v or v < 1:
            raise SroiInputError(f"{name} must be a positive integer, got {v!r}")
    if n_units < 2:
        raise SroiInputError("n_units must be at least 2")
    if not 0 < treated_share < 1:
        raise SroiInputError(f"treated_share must be between 0 and 1, got {treated_share}")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise SroiInputError("alpha and power must be between 0 and 1")
    m, r = int(n_pre), int(n_post)
    S = _covariance(m + r, sigma2, rho, cov)
    a = np.concatenate([np.full(m, -1.0 / m), np.full(r, 1.0 / r)])
    var_unit = float(a @ S @ a)
    J, P = int(n_units), float(treated_share)
    se = np.sqrt(var_unit / (P * (1 - P) * J))

    def ppf(q: float) -> float:
        return float(norm_ppf(q) if df is None else t_ppf(q, df))

    crit = ppf(1 - alpha / 2) if two_sided else ppf(1 - alpha)
    mult = float(crit + ppf(power))
    sig2, psi_b, psi_a, psi_x = _bpw_components(S, m, r)
    naive_var = float(a @ np.diag(np.diag(S)) @ a)
    naive = mult * np.sqrt(naive_var / (P * (1 - P) * J))
    notes = []
    if not np.allclose(np.diag(S), sig2):
        notes.append("error variances differ across periods: the exact a'Sigma a is used")
    return PanelMDES(
        mdes=float(mult * se),
        se=float(se),
        var_unit=var_unit,
        n_units=J,
        n_pre=m,
        n_post=r,
        treated_share=P,
        alpha=alpha,
        power=power,
        df=df,
        sigma2=sig2,
        psi_pre=psi_b,
        psi_post=psi_a,
        psi_cross=psi_x,
        naive_mdes=float(naive),
        notes=tuple(notes),
    )


def _covariance(T: int, sigma2: float | None, rho: float, cov: np.ndarray | None) -> np.ndarray:
    """The ``T x T`` error covariance: ``cov`` as given (checked), or AR(1) from ``sigma2, rho``."""
    if cov is None:
        if sigma2 is None:
            raise SroiInputError("give either cov= (a T x T covariance) or sigma2= (and rho=)")
        return ar1_covariance(T, sigma2, rho)
    S = np.asarray(cov, dtype=float)
    if S.shape != (T, T):
        raise SroiInputError(f"cov must be {T} x {T} (n_pre + n_post), got {S.shape}")
    if not np.allclose(S, S.T) or np.linalg.eigvalsh((S + S.T) / 2).min() < -1e-10:
        raise SroiInputError("cov must be a symmetric positive semi-definite matrix")
    return S


def _bpw_components(S: np.ndarray, m: int, r: int) -> tuple[float, float, float, float]:
    """Burlig-Preonas-Woerman ``sigma^2, psi_B, psi_A, psi_X`` implied by ``S``."""
    T = m + r
    off = ~np.eye(T, dtype=bool)
    pre, post = slice(0, m), slice(m, T)
    sig2 = float(np.mean(np.diag(S)))
    psi_b = float(S[pre, pre][off[pre, pre]].mean()) if m > 1 else 0.0
    psi_a = float(S[post, post][off[post, post]].mean()) if r > 1 else 0.0
    psi_x = float(S[pre, post].mean())
    return sig2, psi_b, psi_a, psi_x


def estimate_error_covariance(
    panel: pd.DataFrame, *, outcome: str, unit: str, time: str
) -> np.ndarray:
    """``T x T`` covariance of residuals after unit and period effects (balanced panel).

    ``e_it = y_it - ybar_i. - ybar_.t + ybar_..``; returns ``E'E / (J - 1)`` with ``E`` the
    ``J x T`` residual matrix, periods in increasing order. Use historical data covering
    the design's ``n_pre + n_post`` periods (see module notes).

    Parameters
    ----------
    panel
        Long panel, one row per unit and (whole-number) period.
    outcome, unit, time
        Column names.

    Returns
    -------
    numpy.ndarray
        The ``T x T`` covariance, for :func:`mdes_panel`'s ``cov``.

    Raises
    ------
    SroiInputError
        For missing outcomes, duplicated unit x period rows, an unbalanced panel or fewer
        than 3 units.

    References
    ----------
    Burlig, F., Preonas, L. and Woerman, M. (2020). Panel data and experimental design.
    Journal of Development Economics 144, 102458.
    """
    p = Panel(panel, unit=unit, time=time, outcomes=[outcome])
    p.require_complete(time, "Every row needs a period.")
    p.require_complete(unit, "Every row needs a unit id.", problem="missing unit ids")
    miss = p.missing(outcome)
    if miss.any():
        raise SroiInputError(
            f"{int(miss.sum())} rows have missing {outcome!r}; drop those units for a balanced panel"
        )
    p.check_unique()
    p.to_numeric(outcome, "the outcome")
    bad = p.unbalanced_units()
    if len(bad):
        raise SroiInputError(
            f"panel is not balanced: {len(bad)} units miss periods (e.g. {bad[:5].tolist()})"
        )
    E = p.wide(outcome)
    E = E - E.mean(axis=1, keepdims=True)
    E = E - E.mean(axis=0, keepdims=True)
    J = E.shape[0]
    if J < 3:
        raise SroiInputError("need at least 3 units to estimate the covariance")
    return E.T @ E / (J - 1)
