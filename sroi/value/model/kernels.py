"""The array pieces of the value formula: persistence profiles, cost kernels, cohort matrices.

See :mod:`sroi.value.model` for the formula these implement.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cohort_matrix", "persistence_profile", "pupil_kernel"]


def persistence_profile(
    horizon: int,
    *,
    lag: int,
    observed_years: int,
    weights: np.ndarray,
    total: bool,
    deadweight: np.ndarray,
    drop_off: np.ndarray,
) -> np.ndarray:
    """Persistence profile ``p(k)`` of an effect in participant years ``k = 0..horizon-1``.

    ``p(k) = w(k) [k >= L] (1 - d) (1 - delta)^max(0, k - L - max(m, 1) + 1)``
    with lag ``L``, observed years ``m`` (drop-off starts after them), deadweight ``d`` (every
    year valued; zero for an effect estimated against a comparison group, which is already net
    of it) and drop-off ``delta`` (Social Value UK SROI guide, 2012: deadweight and drop-off).
    A ``total`` effect happens once, in year ``L``.

    Parameters
    ----------
    horizon
        Number of participant years.
    lag, observed_years
        ``L`` and ``m`` above.
    weights
        Benefit-period weights ``w(k)``, shape ``(horizon,)``.
    total
        Whether the effect is a one-off total (no persistence).
    deadweight, drop_off
        One value per draw, shape ``(n,)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, horizon)``, or ``(1, horizon)`` when deadweight and drop-off are the same
        in every draw (the profile is then computed once).
    """
    k = np.arange(horizon)
    if total:
        return ((k == lag).astype(float) * weights)[None, :]
    dw, dropoff = deadweight, drop_off
    if (dw == dw[0]).all() and (dropoff == dropoff[0]).all():
        dw, dropoff = dw[:1], dropoff[:1]
    after = k >= lag  # deadweight applies in every year valued
    # drop-off applies each year after the observed period (after the first year when
    # nothing was observed, e.g. an assumed effect)
    expo = np.maximum(0, k - lag - max(observed_years, 1) + 1)
    active = (k >= lag) * weights
    n = max(dw.shape[0], dropoff.shape[0])
    q = np.broadcast_to(1.0 - dropoff, (n,))
    prof = np.empty((n, horizon), order="F")  # column-major: one contiguous column per year
    cur = np.ones(n)
    for j in range(horizon):  # a loop over appraisal years (<= 400), vectorised over draws
        if expo[j] > 0:
            cur = cur * q
        np.multiply(cur, active[j], out=prof[:, j])
    if after.any() and (dw != 0).any():
        prof[:, after] *= np.broadcast_to(1.0 - dw, (n,))[:, None]
    return prof


def pupil_kernel(
    horizon: int,
    basis: str,
    duration: float,
    weights: np.ndarray,
    shares: np.ndarray,
    school_years: np.ndarray | None,
) -> np.ndarray:
    """Cost in participant year ``j`` of the events of participant year ``k``.

    ``K[k, j] = sum_i p_i W_i(k) K_i(k, j)``, averaged over participant types ``i`` with
    shares ``p_i``. ``W_i(k) = clip(B_i - k, 0, 1)`` is the benefit-period weight (``B_i``
    capped at type ``i``'s remaining school years ``R_i``); ``K_i`` is the identity for one-off
    costs, ``clip(D - (j - k), 0, 1)`` for ``j >= k`` for costs lasting ``D`` years, and
    ``clip(R_i - j, 0, 1)`` for ``j >= k`` for costs lasting the remaining school years.
    Averaging the product (not the factors) keeps the per-pupil cap exact.

    Parameters
    ----------
    horizon
        Number of participant years ``H``.
    basis
        ``one_off`` or ``per_annum``.
    duration
        Years a ``per_annum`` cost lasts (``inf``: the remaining school years).
    weights
        ``W``, shape ``(m, H)``.
    shares
        ``p``, shape ``(m,)``.
    school_years
        ``R``, shape ``(m,)``; needed when ``duration`` is infinite.

    Returns
    -------
    numpy.ndarray
        ``K``, shape ``(H, H)``.
    """
    k = np.arange(horizon)[:, None]
    j = np.arange(horizon)[None, :]
    wbar = shares @ weights  # (H,)
    if basis == "one_off":
        return np.diag(wbar)
    if np.isinf(duration):
        if school_years is None:  # pragma: no cover - the compiler checks this first
            raise ValueError("a cost lasting the remaining school years needs school_years")
        C = np.clip(school_years[:, None] - np.arange(horizon)[None, :], 0.0, 1.0)  # (m, H)
        return np.where(j >= k, (weights * shares[:, None]).T @ C, 0.0)
    return wbar[:, None] * np.where(j >= k, np.clip(float(duration) - (j - k), 0.0, 1.0), 0.0)


def cohort_matrix(kernel: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``M[k, t] = sum_s n_s K[k, t - s]``: participants starting in appraisal year ``s``.

    Parameters
    ----------
    kernel
        ``K``, shape ``(H, H)`` (see :func:`pupil_kernel`).
    starts
        ``n_s``, participants starting in each appraisal year, shape ``(H,)``.

    Returns
    -------
    numpy.ndarray
        ``M``, shape ``(H, H)``: participant year by appraisal year.
    """
    H = kernel.shape[0]
    M = np.zeros_like(kernel)
    for s in np.flatnonzero(starts):  # a handful of start years, not rows of data
        M[:, s:] += starts[s] * kernel[:, : H - s]
    return M
