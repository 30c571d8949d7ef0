"""Multiplier bootstrap for estimators with a known influence function.

For an estimator with influence function ``psi_i`` (``theta_hat - theta ~ mean(psi_i)``)
the multiplier bootstrap draws ``theta*_b - theta_hat = (1/n) sum_i V_ib psi_i`` with
independent Rademacher multipliers ``V_ib in {-1, +1}`` (Mammen 1993; Kline & Santos
2012). With clusters, one multiplier is drawn per cluster and applied to the cluster's
sum of ``psi_i``. As in R ``did`` (Callaway & Sant'Anna 2021, Section 4.1):

* the standard error of each column is the interquartile range of the draws over
  ``qnorm(0.75) - qnorm(0.25)`` (~1.349), with quantiles of R type 1 (inverse CDF);
* the uniform (simultaneous) critical value is the ``level`` quantile of
  ``max_j |draw_bj| / se_j`` (sup-t band, Montiel Olea & Plagborg-Moller 2019).

The multipliers are drawn in chunks from a stored seed. :func:`sroi.staggered_did`
bootstraps a basis of influence functions once (the ATT(g,t) columns and the cohort
indicators that enter the weight-estimation term) and forms every aggregation's draws as
a linear combination of the basis draws, so all aggregations of one result share the same
multipliers.

Difference from R ``did``: with clustering R bootstraps cluster *means* of the influence
function; we use cluster *sums*, whose variance matches the analytic clustered variance
``sum_c S_c^2 / n^2`` for clusters of unequal size (the two agree for equal sizes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sroi._checks import check_seed
from sroi._distributions import norm_ppf
from sroi.errors import SroiInputError

__all__ = [
    "BootstrapResult",
    "multiplier_bootstrap",
    "cluster_sums",
    "rademacher_draws",
    "summarise_draws",
]

CHUNK_CELLS = 2**23
"""Largest number of multipliers (float64) held at once by :func:`rademacher_draws`."""

BLOCK_UNITS = 2**16
"""Rows of ``S`` multiplied at a time when there are more (:func:`rademacher_draws`)."""

GROUP_DRAWS = 64
"""Draws multiplied together when ``S`` has more than :data:`BLOCK_UNITS` rows."""

_IQR_NORM = float(norm_ppf(0.75) - norm_ppf(0.25))


@dataclass(frozen=True)
class BootstrapResult:
    """Draws of ``theta* - theta_hat`` (n_boot x k), bootstrap SEs and the sup-t critical value."""

    draws: np.ndarray
    std_error: np.ndarray
    crit_uniform: float
    n_boot: int


def cluster_sums(
    inf_func: np.ndarray, codes: np.ndarray | None, n_clusters: int | None
) -> np.ndarray:
    """Sum the influence function within clusters (rows = clusters); identity without clusters.

    Parameters
    ----------
    inf_func
        Influence functions, ``n`` units x ``k`` estimates (or one column).
    codes, n_clusters
        Cluster code 0..G-1 of every unit and G; ``codes=None`` for no clustering.

    Returns
    -------
    numpy.ndarray
        G x k cluster sums (the input itself without clusters).
    """
    inf_func = np.asarray(inf_func, dtype=float)
    if inf_func.ndim == 1:
        inf_func = inf_func[:, None]
    if codes is None:
        return inf_func
    if n_clusters is None:
        raise SroiInputError("cluster_sums: give n_clusters together with the cluster codes")
    out = np.empty((int(n_clusters), inf_func.shape[1]))
    for j in range(inf_func.shape[1]):  # bincount adds in row order, as np.add.at does
        out[:, j] = np.bincount(codes, inf_func[:, j], int(n_clusters))
    return out


def rademacher_draws(S: np.ndarray, n_boot: int, seed: int, n: int, chunk: int = 128) -> np.ndarray:
    """``(1/n) V S`` for Rademacher multipliers ``V`` (``n_boot x rows(S)``), drawn in chunks.

    ``S`` holds unit (or cluster) sums of the influence functions, one row per
    independent multiplier. The multipliers come from random bits (``V = 2 B - 1``), so
    the same ``seed`` and shape always give the same draws (Mammen 1993).

    Parameters
    ----------
    S
        Unit or cluster sums of the influence functions (rows x k).
    n_boot
        Number of draws.
    seed
        Whole number >= 0 seeding the multipliers.
    n
        Number of units (the divisor).
    chunk
        Draws generated at a time, at most; fewer when ``chunk x rows(S)`` multipliers
        would exceed :data:`CHUNK_CELLS` (bounds memory: 64 MB of multipliers at a time),
        so the draws for up to 65,536 rows are those of chunks of 128.

    Returns
    -------
    numpy.ndarray
        ``n_boot x k`` draws of ``theta* - theta_hat``.
    """
    S = np.asarray(S, dtype=float)
    if S.ndim == 1:
        S = S[:, None]
    rng = np.random.default_rng(check_seed(seed, "seed"))
    G = S.shape[0]
    colsum = S.sum(axis=0)
    draws = np.empty((n_boot, S.shape[1]))
    n_bytes = (G + 7) // 8
    chunk = max(1, min(chunk, CHUNK_CELLS // max(G, 1)))
    if G <= BLOCK_UNITS:
        buf = np.empty(min(chunk, n_boot) * G)  # the multipliers' bits as floats, reused
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            raw = rng.integers(0, 256, size=(b, n_bytes), dtype=np.uint8)
            bits = buf[: b * G].reshape(b, G)
            bits[...] = np.unpackbits(raw, axis=1, count=G)
            draws[start : start + b] = 2.0 * (bits @ S) - colsum
    else:
        _blocked_draws(S, rng, chunk, n_bytes, colsum, draws)
    draws /= n
    return draws


def _blocked_draws(
    S: np.ndarray,
    rng: np.random.Generator,
    chunk: int,
    n_bytes: int,
    colsum: np.ndarray,
    draws: np.ndarray,
) -> None:
    """:func:`rademacher_draws` for many rows: the same multipliers, ``S`` read fewer times.

    The random bytes are drawn ``chunk`` draws at a time exactly as for few rows (same
    stream, same multipliers), kept packed (one bit per row) for a group of draws, and
    multiplied with ``S`` one block of :data:`BLOCK_UNITS` rows at a time: ``S`` is read once
    per group rather than once per chunk, which bounds the memory traffic that dominates
    with a million rows. Sums are taken in a different order (last-digit differences).
    """
    G, n_boot = S.shape[0], draws.shape[0]
    group = chunk * max(1, GROUP_DRAWS // chunk)
    block = BLOCK_UNITS // 8  # bytes of bits per block of rows
    # the bits as floats, one buffer reused for every block: a fresh array of this size
    # (tens of MB) would be mapped, zeroed by the kernel and unmapped for every block
    buf = np.empty(min(group, n_boot) * min(G, BLOCK_UNITS))
    for start in range(0, n_boot, group):
        b = min(group, n_boot - start)
        raw = np.concatenate(
            [
                rng.integers(0, 256, size=(min(chunk, b - i), n_bytes), dtype=np.uint8)
                for i in range(0, b, chunk)
            ]
        )
        acc = np.zeros((b, S.shape[1]))
        for byte0 in range(0, n_bytes, block):
            rows = S[8 * byte0 : min(G, 8 * (byte0 + block))]
            bits = buf[: b * rows.shape[0]].reshape(b, rows.shape[0])
            bits[...] = np.unpackbits(raw[:, byte0 : byte0 + block], axis=1, count=rows.shape[0])
            acc += bits @ rows
        draws[start : start + b] = 2.0 * acc - colsum


def summarise_draws(draws: np.ndarray, level: float, n: int) -> tuple[np.ndarray, float]:
    """Bootstrap SEs (IQR / 1.349, R quantile type 1) and the sup-t critical value.

    As R ``did`` (Callaway & Sant'Anna 2021); the uniform band is the sup-t band of Montiel
    Olea & Plagborg-Moller (2019).

    Parameters
    ----------
    draws
        ``n_boot x k`` bootstrap draws.
    level
        Level of the uniform band.
    n
        Number of units (a standard error below ``~1e-7 / sqrt(n)`` counts as degenerate).

    Returns
    -------
    (std_error, crit_uniform)
        One standard error per column (``nan`` when degenerate) and the critical value.
    """
    draws = np.asarray(draws, dtype=float)
    if draws.ndim == 1:
        draws = draws[:, None]
    q75 = np.quantile(draws, 0.75, axis=0, method="inverted_cdf")
    q25 = np.quantile(draws, 0.25, axis=0, method="inverted_cdf")
    se = (q75 - q25) / _IQR_NORM
    tiny = np.sqrt(np.finfo(float).eps) * 10 / np.sqrt(n)
    se = np.where(se <= tiny, np.nan, se)
    ok = np.isfinite(se)
    if ok.any():
        tmax = np.max(np.abs(draws[:, ok]) / se[ok], axis=1)
        crit = float(np.quantile(tmax, level, method="inverted_cdf"))
    else:
        crit = float("nan")
    return se, crit


def multiplier_bootstrap(
    inf_func: np.ndarray,
    n_boot: int,
    seed: int,
    *,
    codes: np.ndarray | None = None,
    n_clusters: int | None = None,
    level: float = 0.95,
) -> BootstrapResult:
    """Rademacher multiplier bootstrap of one or several asymptotically linear estimators.

    Parameters
    ----------
    inf_func
        Influence functions, ``n`` units x ``k`` estimates.
    n_boot
        Number of bootstrap draws.
    seed
        Seed of the multiplier draws (the same seed gives the same multipliers).
    codes, n_clusters
        Cluster code 0..G-1 of every unit, for clustered multipliers.
    level
        Level of the uniform band.

    Returns
    -------
    BootstrapResult
        ``std_error = IQR / (qnorm(.75) - qnorm(.25))`` per column (``nan`` for a
        degenerate column) and ``crit_uniform``, the ``level`` quantile of
        ``max_j |draw_j| / se_j``.

    References
    ----------
    Mammen, E. (1993). Bootstrap and wild bootstrap for high dimensional linear models.
    Annals of Statistics 21(1). Kline, P. & Santos, A. (2012). A score based approach to wild
    bootstrap inference. Journal of Econometric Methods 1(1). Callaway, B. & Sant'Anna, P.
    H. C. (2021). Difference-in-differences with multiple time periods. Journal of
    Econometrics 225(2).
    """
    inf_func = np.asarray(inf_func, dtype=float)
    if inf_func.ndim == 1:
        inf_func = inf_func[:, None]
    n = inf_func.shape[0]
    S = cluster_sums(inf_func, codes, n_clusters)
    draws = rademacher_draws(S, n_boot, seed, n)
    se, crit = summarise_draws(draws, level, n)
    return BootstrapResult(draws=draws, std_error=se, crit_uniform=crit, n_boot=n_boot)
