"""Conditional and hybrid moment-inequality tests of Andrews, Roth & Pakes (2023) for honest DiD.

For a polyhedral restriction ``Delta = {delta: A delta <= d}`` and ``theta = l' tau_post``,
``theta`` is in the identified set iff some ``tau_post`` with ``l' tau_post = theta`` gives
``A (beta - (0, tau_post)) <= d``. Writing ``tau_post = w theta + N tau`` (``l'w = 1``, ``N``
a basis of ``l``'s orthogonal complement) this is ``E[Y(theta)] - X tau <= 0`` with
``Y(theta) = A betahat - d - a theta``, ``a = A_post w``, ``X = A_post N`` (Rambachan & Roth
2023, Section 5.3; only the rows that involve a post-period coefficient are used, as the
reference implementation's default).

The statistic is ``eta = min_{tau} max_j (Y_j - X_j tau) / sd_j``, by duality
``max_{g in F} g'Y`` over ``F = {g >= 0, X'g = 0, sd'g = 1}``, a polytope: ``eta`` is the
largest ``g'Y`` over its vertices, which are enumerated once (they do not depend on
``theta``), so the tests are evaluated for many ``theta`` at once, without an LP solver.

* **Conditional** (ARP Section 3): with ``g*`` the maximising vertex, ``sigma^2 = g*'V g*``,
  ``c = V g* / sigma^2`` and ``S = Y - c eta``, ``eta`` given ``S`` and ``g*`` is normal
  truncated to ``[V_lo, V_up]``: the set of ``t`` with ``g*'(S + c t) >= g'(S + c t)`` for all
  ``g``, i.e. ``V_lo = max_{g'c < 1} g'S / (1 - g'c)``, ``V_up = min_{g'c > 1} ...``. Reject
  when ``eta > max(0, q)``, ``q`` the ``1 - alpha`` quantile of ``N(0, sigma^2)`` truncated
  to ``[V_lo, V_up]`` (mean 0 is least favourable).
* **Conditional-least-favourable hybrid ``C-LF``** (ARP Section 4): reject when ``eta``
  exceeds the ``1 - kappa`` quantile ``c_LF`` of ``eta`` at ``Y ~ N(0, V)`` (simulated);
  otherwise the conditional test at level ``(alpha - kappa) / (1 - kappa)`` with ``V_up``
  replaced by ``min(V_up, c_LF)``.
* **Conditional-FLCI hybrid ``C-F``** (Rambachan & Roth 2023, Section 5.3): reject when
  ``theta`` is outside the ``1 - kappa`` optimal FLCI ``v'betahat -+ h``; otherwise the
  conditional test at level ``(alpha - kappa) / (1 - kappa)``, also conditioning on that
  event (which bounds ``t`` because ``v'betahat`` moves with ``t`` along ``Sigma A'g*``).

The confidence set is ``{theta: not rejected}``; :func:`arp_interval` returns its hull:
accept/reject on a grid over a region that contains the set, then bisection to the exact
outermost switch points.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from math import comb

import numpy as np
from scipy import special

from sroi.errors import SroiInputError

__all__ = [
    "Moments",
    "moments",
    "dual_vertices",
    "lf_critical_value",
    "arp_accept",
    "arp_interval",
    "eta_region",
    "eta_min",
]

#: Most basis candidates enumerated for the dual vertices (about 12 post periods).
MAX_BASES = 3_000_000
_CHUNK = 100_000
_TOL = 1e-10


@dataclass(frozen=True)
class Moments:
    """Moment inequalities ``E[y0 - a theta - X tau] <= 0`` of one polyhedron.

    Attributes
    ----------
    y0, a
        ``Y(theta) = y0 - a theta``.
    cov
        Covariance of ``Y`` (``A Sigma A'``).
    cov_beta
        ``Sigma A'``: covariance of ``betahat`` with ``Y`` (C-F hybrid).
    gammas
        Vertices of the dual feasible set, one per row.
    """

    y0: np.ndarray
    a: np.ndarray
    cov: np.ndarray
    cov_beta: np.ndarray
    gammas: np.ndarray


def _null_basis(lv: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the vectors orthogonal to ``lv`` (``n_post x (n_post - 1)``)."""
    _, _, vt = np.linalg.svd(lv[None, :])
    return vt[1:].T


def dual_vertices(X: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Vertices of ``{g >= 0: X'g = 0, sd'g = 1}`` (one per row), by basic solutions.

    Parameters
    ----------
    X
        ``k x p`` nuisance columns (full column rank after reduction here).
    sd
        Positive scales of the ``k`` moments.

    Returns
    -------
    ndarray
        ``V x k``.
    """
    k = sd.size
    if X.shape[1]:
        u, sv, _ = np.linalg.svd(X / sd[:, None], full_matrices=False)
        X = (u[:, sv > _TOL * max(sv.max(), 1.0)]) * sd[:, None]
    Mt = np.vstack([(X / sd[:, None]).T, np.ones(k)])  # scaled: g~ = g * sd
    p = Mt.shape[0]
    n_bases = comb(k, p)
    if n_bases > MAX_BASES:
        raise SroiInputError(
            f"honest DiD: {k} moments and {p - 1} nuisance directions give {n_bases} candidate "
            f"vertices (limit {MAX_BASES}); use fewer post periods (e.g. a shorter event "
            "window)"
        )
    rhs = np.zeros(p)
    rhs[-1] = 1.0
    found = []
    it = combinations(range(k), p)
    while True:
        subs = np.array(list(_take(it, _CHUNK)), dtype=int).reshape(-1, p)
        if subs.size == 0:
            break
        B = np.transpose(Mt[:, subs], (1, 0, 2))  # nsub x p x p
        scale = np.prod(np.linalg.norm(B, axis=1), axis=1)
        ok = np.abs(np.linalg.det(B)) > 1e-9 * scale
        B[~ok] = np.eye(p)
        x = np.linalg.solve(B, np.broadcast_to(rhs, (len(subs), p))[..., None])[..., 0]
        ok &= np.all(x >= -_TOL, axis=1)
        g = np.zeros((int(ok.sum()), k))
        np.put_along_axis(g, subs[ok], np.clip(x[ok], 0.0, None), axis=1)
        found.append(g)
    G = np.unique(np.round(np.vstack(found), 12), axis=0) if found else np.zeros((0, k))
    if G.shape[0] == 0:
        raise SroiInputError("honest DiD: the moment inequalities have no dual vertex")
    return G / sd[None, :]


def _take(it: object, n: int) -> list[tuple[int, ...]]:
    out = []
    for _ in range(n):
        try:
            out.append(next(it))  # type: ignore[call-overload]
        except StopIteration:
            break
    return out


def moments(
    b: np.ndarray, S: np.ndarray, n_pre: int, lv: np.ndarray, A: np.ndarray, d: np.ndarray
) -> Moments:
    """The moment inequalities of ``{A delta <= d}`` for ``theta = l' tau_post``.

    Parameters
    ----------
    b, S
        Event-study coefficients and covariance.
    n_pre
        Pre-period coefficients (the first ``n_pre`` of ``b``).
    lv
        Weights of ``theta`` on the post-period effects.
    A, d
        The rows to test (already restricted to the ones used).

    Returns
    -------
    Moments
    """
    A_post = A[:, n_pre:]
    w = lv / float(lv @ lv)
    X = A_post @ _null_basis(lv)
    cov = A @ S @ A.T
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if np.any(sd <= _TOL * max(1.0, float(np.max(sd)))):
        raise SroiInputError(
            "honest DiD: a restriction's moment has zero variance; sigma must give every "
            "event-study coefficient a positive variance"
        )
    return Moments(
        y0=A @ b - d, a=A_post @ w, cov=cov, cov_beta=S @ A.T, gammas=dual_vertices(X, sd)
    )


def lf_critical_value(m: Moments, draws: np.ndarray, kappa: float) -> float:
    """``1 - kappa`` quantile of ``eta`` at ``Y ~ N(0, A Sigma A')`` (least favourable).

    ``draws`` are mean-zero draws of the moments (``n_sim x k``).
    """
    eta = np.max(draws @ m.gammas.T, axis=1)
    return float(np.quantile(eta, 1.0 - kappa))


def truncated_normal_sf(z: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``P(Z > z | lo <= Z <= hi)`` for a standard normal ``Z`` (log scale, stable in tails)."""
    lz, lh, ll = special.log_ndtr(-z), special.log_ndtr(-hi), special.log_ndtr(-lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        num = lz + np.log1p(-np.exp(np.minimum(lh - lz, 0.0)))
        den = ll + np.log1p(-np.exp(np.minimum(lh - ll, 0.0)))
        return np.exp(num - den)


def arp_accept(
    m: Moments,
    theta: np.ndarray,
    alpha: float,
    *,
    hybrid: str = "conditional",
    kappa: float = 0.0,
    lf_cv: float = np.inf,
    flci: tuple[np.ndarray, float, np.ndarray] | None = None,
    lf_truncate: bool = True,
) -> np.ndarray:
    """Whether each ``theta`` is accepted by the conditional or hybrid test.

    Parameters
    ----------
    m
        The moment inequalities.
    theta
        Values to test.
    alpha
        Size.
    hybrid
        ``"conditional"``, ``"LF"`` (least-favourable first stage ``lf_cv``) or ``"FLCI"``
        (first stage ``flci = (v, half_length, betahat)``: reject when
        ``|v'betahat - theta| > half_length``).
    kappa
        First-stage size of the hybrids.
    lf_cv
        Least-favourable critical value (``"LF"``).
    flci
        The ``1 - kappa`` FLCI (``"FLCI"``).
    lf_truncate
        ``"LF"``: truncate the second stage at ``lf_cv`` (ARP's hybrid, conditioning on the
        first stage passing). ``False`` is the reference implementation's (R HonestDiD)
        code path for a single post period, which omits it (slightly wider); sroi follows
        the reference and uses it when there is one post period.

    Returns
    -------
    ndarray of bool
    """
    theta = np.atleast_1d(np.asarray(theta, dtype=float))
    Y = m.y0[None, :] - theta[:, None] * m.a[None, :]  # T x k
    vals = Y @ m.gammas.T  # T x V
    j = np.argmax(vals, axis=1)
    eta = vals[np.arange(theta.size), j]
    g = m.gammas[j]  # T x k
    Vg = g @ m.cov
    var = np.einsum("tk,tk->t", Vg, g)
    sig = np.sqrt(np.maximum(var, 1e-300))
    c = Vg / np.maximum(var, 1e-300)[:, None]
    S = Y - c * eta[:, None]
    den = 1.0 - c @ m.gammas.T
    num = S @ m.gammas.T
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = num / den
    vlo = np.max(np.where(den > 1e-9, ratio, -np.inf), axis=1)
    vup = np.min(np.where(den < -1e-9, ratio, np.inf), axis=1)
    size = alpha
    first = np.zeros(theta.size, dtype=bool)
    if hybrid == "LF":
        first = eta > lf_cv
        if lf_truncate:
            vup = np.minimum(vup, lf_cv)
        size = (alpha - kappa) / (1 - kappa)
    elif hybrid == "FLCI":
        assert flci is not None
        v, half, b = flci
        est = float(v @ b)
        first = np.abs(est - theta) > half
        r = (g @ m.cov_beta.T @ v) / np.maximum(var, 1e-300)  # d(v'betahat)/dt
        with np.errstate(divide="ignore", invalid="ignore"):
            t1 = eta + (theta - half - est) / r
            t2 = eta + (theta + half - est) / r
        pos, neg = r > 1e-12, r < -1e-12
        vlo = np.maximum(vlo, np.where(pos, t1, np.where(neg, t2, -np.inf)))
        vup = np.minimum(vup, np.where(pos, t2, np.where(neg, t1, np.inf)))
        size = (alpha - kappa) / (1 - kappa)
    lo, hi = vlo / sig, vup / sig
    z = eta / sig
    inside = (lo <= z + 1e-12) & (z <= hi + 1e-12)
    # reject when z > max(0, q_{1-size}) of the truncated normal, i.e. z > 0 and p < size
    with np.errstate(invalid="ignore"):
        p_value = truncated_normal_sf(z, lo, np.maximum(hi, z))
    reject = first | (inside & (z > 0) & (p_value < size))
    return ~reject


def eta_region(m: Moments, c: float) -> tuple[float, float]:
    """``{theta: eta(theta) <= c}`` (an interval; empty as ``(nan, nan)``)."""
    g0 = m.gammas @ m.y0
    ga = m.gammas @ m.a
    lo, hi = -np.inf, np.inf
    pos, neg, zero = ga > 1e-14, ga < -1e-14, np.abs(ga) <= 1e-14
    if np.any(g0[zero] > c):
        return np.nan, np.nan
    if pos.any():
        lo = float(np.max((g0[pos] - c) / ga[pos]))
    if neg.any():
        hi = float(np.min((g0[neg] - c) / ga[neg]))
    return (lo, hi) if lo <= hi else (np.nan, np.nan)


def eta_min(m: Moments) -> tuple[float, float]:
    """The ``theta`` minimising ``eta`` and the minimum (piecewise-linear convex in theta)."""
    g0 = m.gammas @ m.y0
    ga = m.gammas @ m.a
    # candidate kinks: intersections of pairs of lines g0 - ga theta
    i, j = np.triu_indices(ga.size, 1)
    dd = ga[i] - ga[j]
    ok = np.abs(dd) > 1e-14
    cand = (g0[i][ok] - g0[j][ok]) / dd[ok]
    if cand.size == 0:
        return 0.0, float(np.max(g0))
    etas = np.max(g0[None, :] - cand[:, None] * ga[None, :], axis=1)
    k = int(np.argmin(etas))
    return float(cand[k]), float(etas[k])


def arp_interval(
    m: Moments,
    alpha: float,
    region: tuple[float, float],
    n_grid: int = 101,
    **test: object,
) -> tuple[float, float]:
    """Hull of the accepted ``theta`` within ``region`` (``(nan, nan)`` if none).

    Parameters
    ----------
    m
        The moment inequalities.
    alpha
        Size.
    region
        A finite interval that contains every accepted value.
    n_grid
        Grid points to locate the accepted set before bisection.
    **test
        Passed to :func:`arp_accept` (``hybrid``, ``kappa``, ``lf_cv``, ``flci``).

    Returns
    -------
    tuple
        Lower and upper end.
    """
    lo, hi = region
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return np.nan, np.nan
    grid = np.linspace(lo, hi, n_grid)
    acc = arp_accept(m, grid, alpha, **test)  # type: ignore[arg-type]
    if not acc.any():
        return np.nan, np.nan
    idx = np.flatnonzero(acc)

    def edge(inside: float, outside: float) -> float:
        # the outermost switch from accepted to rejected, 31 points per round
        tol = 1e-11 * max(abs(hi - lo), abs(inside), 1e-300)
        while abs(outside - inside) > tol:
            pts = np.linspace(inside, outside, 33)[1:-1]
            ok = arp_accept(m, pts, alpha, **test)  # type: ignore[arg-type]
            k = int(np.flatnonzero(ok)[-1]) if ok.any() else -1
            inside, outside = (
                (pts[k] if k >= 0 else inside),
                (pts[k + 1] if k + 1 < pts.size else outside),
            )
        return inside

    a, z = int(idx[0]), int(idx[-1])
    lb = grid[0] if a == 0 else edge(grid[a], grid[a - 1])
    ub = grid[-1] if z == n_grid - 1 else edge(grid[z], grid[z + 1])
    return float(lb), float(ub)
