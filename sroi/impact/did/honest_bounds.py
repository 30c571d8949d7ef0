"""Honest DiD on arrays: validation, the grid of restriction sizes, breakdown values.

Event-study coefficients are ``beta = tau + delta``: the effect ``tau`` (zero before
treatment) plus a difference in trends ``delta``. Rambachan & Roth (2023) bound how far
``delta_post`` may stray given ``delta_pre`` and report confidence intervals for
``theta = l' tau_post`` valid for every ``delta`` in the restriction set. Notation as R
HonestDiD: ``betahat`` holds ``n_pre`` pre-period coefficients (earliest first, reference
period excluded) then ``n_post`` post-period ones.

Intervals per size: :mod:`.honest_ci` (``"FLCI"``, ``"conditional"``, ``"C-F"``, ``"C-LF"``)
and :mod:`.honest_bonferroni` (``"bonferroni"``). The *breakdown value* is the smallest ``M``
(``Mbar``) whose interval contains 0: the grid is scanned, then the switch is located by
bisection (the grid is extended by doubling when no grid value reaches 0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from sroi import _optimize as optimize
from sroi._checks import check_choice, check_int, check_number, check_random_state
from sroi._distributions import norm_ppf
from sroi.errors import SroiInputError
from sroi.impact.did.honest_bonferroni import bonferroni_relative_magnitude
from sroi.impact.did.honest_ci import (
    HonestProblem,
    relative_magnitude_interval,
    smoothness_interval,
)
from sroi.impact.did.honest_delta import (
    identified_set,
    relative_magnitude_constraints,
    smoothness_constraints,
)

__all__ = ["honest_bounds", "CI_METHODS", "DEFAULT_CI"]

#: Interval methods by restriction (names as R HonestDiD, plus sroi's Bonferroni bound).
CI_METHODS = {
    "smoothness": ("FLCI", "conditional", "C-F", "C-LF"),
    "relative_magnitude": ("C-LF", "conditional", "bonferroni"),
}
#: Defaults as R HonestDiD.
DEFAULT_CI = {"smoothness": "FLCI", "relative_magnitude": "C-LF"}

_DESCRIPTION = {
    "FLCI": "optimal fixed-length confidence interval (Armstrong & Kolesar 2018)",
    "conditional": "conditional moment-inequality test (Andrews, Roth & Pakes 2023)",
    "C-F": "conditional / FLCI hybrid test (Rambachan & Roth 2023)",
    "C-LF": "conditional / least-favourable hybrid test (Andrews, Roth & Pakes 2023)",
    "bonferroni": "Bonferroni bound (sup-t bound on the largest pre-period difference)",
}


def _checked(
    betahat: Any, sigma: Any, n_pre: Any, n_post: Any, l_vec: Any
) -> tuple[np.ndarray, np.ndarray, int, int, np.ndarray]:
    """Coefficients, covariance, ``n_pre``, ``n_post`` and ``l`` (default: first post period)."""
    b = np.asarray(betahat, dtype=float).ravel()
    if sigma is None or n_pre is None or n_post is None:
        raise SroiInputError("give betahat, sigma, n_pre and n_post (or an event-study result)")
    S = np.asarray(sigma, dtype=float)
    n_pre = check_int(n_pre, "n_pre", minimum=1)
    n_post = check_int(n_post, "n_post", minimum=1)
    if b.size != n_pre + n_post:
        raise SroiInputError(f"betahat has {b.size} entries but n_pre + n_post = {n_pre + n_post}")
    if S.shape != (b.size, b.size):
        raise SroiInputError(f"sigma must be {b.size} x {b.size}, got {S.shape}")
    if not (np.isfinite(b).all() and np.isfinite(S).all()):
        raise SroiInputError("betahat and sigma must be finite")
    scale = float(np.max(np.abs(S))) or 1.0
    if not np.allclose(S, S.T, rtol=0, atol=1e-10 * scale):
        raise SroiInputError("sigma must be symmetric (a covariance matrix)")
    if np.min(np.linalg.eigvalsh(S)) < -1e-10 * scale:
        raise SroiInputError(
            "sigma is not positive semi-definite (a negative eigenvalue); pass the "
            "covariance matrix of the event-study coefficients"
        )
    lv = np.zeros(n_post)
    if l_vec is None:
        lv[0] = 1.0
    else:
        lv = np.asarray(l_vec, dtype=float).ravel()
        if lv.size != n_post:
            raise SroiInputError(
                f"l_vec must have n_post = {n_post} entries (one per post period), got "
                f"{lv.size}; e.g. np.full({n_post}, 1 / {n_post}) for the average"
            )
        if not np.isfinite(lv).all() or not np.any(lv != 0):
            raise SroiInputError("l_vec must be finite and not all zero")
    return b, 0.5 * (S + S.T), n_pre, n_post, lv


def _grid(values: Any, default: np.ndarray, name: str) -> np.ndarray:
    grid = default if values is None else np.atleast_1d(np.asarray(values, dtype=float))
    if grid.size == 0 or not np.isfinite(grid).all() or (grid < 0).any():
        raise SroiInputError(f"{name} values must be finite and >= 0, got {values!r}")
    return grid


def breakdown_value(
    interval: Callable[[float], tuple[float, float]],
    grid: np.ndarray,
    ends: list[tuple[float, float]],
    rtol: float = 1e-6,
) -> float:
    """Smallest size whose interval contains 0: grid scan, then the crossing end's root.

    Parameters
    ----------
    interval
        The interval at a restriction size.
    grid, ends
        The sizes already computed and their intervals.
    rtol
        Relative precision.

    Returns
    -------
    float
        0 if the interval at size 0 already contains 0, ``inf`` if none up to ``2^12`` times
        the largest grid value does.
    """

    def covers(e: tuple[float, float]) -> bool:
        return bool(np.isfinite(e[0]) and e[0] <= 0 <= e[1])

    known = {float(m): e for m, e in zip(grid, ends, strict=True)}
    if 0.0 not in known:
        known[0.0] = interval(0.0)
    sizes = sorted(known)
    if covers(known[0.0]):
        return 0.0
    hits = [m for m in sizes if covers(known[m])]
    if hits:
        hi_val = hits[0]
        lo_val = max(m for m in sizes if m < hi_val)
    else:
        hi_val = max(sizes[-1], 1e-12)
        for _ in range(12):
            lo_val, hi_val = hi_val, 2 * hi_val
            known[hi_val] = interval(hi_val)
            if covers(known[hi_val]):
                break
        else:
            return float("inf")
    lo_e = known[lo_val]
    if np.isfinite(lo_e[0]):
        # the end nearer 0 crosses it: lb if the interval lies above 0, else ub
        side = 0 if lo_e[0] > 0 else 1

        def f(m: float) -> float:
            e = interval(m)
            if not np.isfinite(e[side]):
                return 1.0 if side == 0 else -1.0
            return float(e[side])

        return float(
            optimize.brentq(f, lo_val, hi_val, xtol=rtol * hi_val, rtol=4 * np.finfo(float).eps)
        )
    while hi_val - lo_val > rtol * hi_val:
        mid = 0.5 * (lo_val + hi_val)
        if covers(interval(mid)):
            hi_val = mid
        else:
            lo_val = mid
    return float(hi_val)


def _id_sets(
    b: np.ndarray, n_pre: int, lv: np.ndarray, method: str, grid: np.ndarray
) -> list[tuple[float, float]]:
    n_post = lv.size
    if method == "smoothness":
        return [
            identified_set(b, n_pre, lv, [smoothness_constraints(n_pre, n_post, m)]) for m in grid
        ]
    return [
        identified_set(
            b,
            n_pre,
            lv,
            [
                relative_magnitude_constraints(n_pre, n_post, m, s, sign)
                for s in range(n_pre)
                for sign in (1, -1)
            ],
        )
        for m in grid
    ]


def honest_bounds(
    betahat: np.ndarray,
    sigma: np.ndarray | None,
    n_pre: int | None,
    n_post: int | None,
    *,
    method: str = "relative_magnitude",
    ci: str | None = None,
    Mbar: np.ndarray | list[float] | None = None,
    M: np.ndarray | list[float] | None = None,
    l_vec: np.ndarray | list[float] | None = None,
    level: float = 0.95,
    kappa: float | None = None,
    n_sim: int = 10_000,
    random_state: int | np.random.Generator | None = 0,
) -> pd.DataFrame:
    """Robust confidence intervals from event-study coefficients (Rambachan & Roth 2023).

    The computation behind :func:`sroi.impact.did.honest_did` on arrays (see there for the
    parameters and the returned table).

    Returns
    -------
    DataFrame
        One row per grid value, ``.attrs`` with the breakdown value and the original interval.
    """
    b, S, n_pre, n_post, lv = _checked(betahat, sigma, n_pre, n_post, l_vec)
    check_number(level, "level", minimum=0.0, maximum=1.0, exclusive=True)
    check_choice(method, ("relative_magnitude", "smoothness"), "method")
    ci = DEFAULT_CI[method] if ci is None else ci
    check_choice(ci, CI_METHODS[method], f"ci (for method={method!r})")
    check_int(n_sim, "n_sim", minimum=100)
    rng = check_random_state(random_state)
    alpha = 1 - level
    share = (0.2 if ci == "bonferroni" else 0.1) if kappa is None else kappa
    check_number(share, "kappa", minimum=0.0, maximum=1.0, exclusive=True)
    a_post = np.concatenate([np.zeros(n_pre), lv])
    theta_post = float(a_post @ b)
    se_post = float(np.sqrt(a_post @ S @ a_post))
    z = norm_ppf(1 - alpha / 2)
    if method == "relative_magnitude":
        grid = _grid(Mbar, np.arange(0, 2.0001, 0.25), "Mbar")
    else:
        grid = _grid(M, np.linspace(0, 2 * float(np.sqrt(S[n_pre, n_pre])), 9), "M")
    col = "Mbar" if method == "relative_magnitude" else "M"
    if ci == "bonferroni":
        tab, breakdown, _, _ = bonferroni_relative_magnitude(
            b, S, n_pre, lv, grid, alpha, share, n_sim, rng
        )
        ends = list(zip(tab["lb"], tab["ub"], strict=True))
    else:
        w, U = np.linalg.eigh(S)
        draws = rng.standard_normal((n_sim, b.size)) @ (U * np.sqrt(np.clip(w, 0, None))).T
        prob = HonestProblem(b, S, n_pre, lv, alpha, draws, share * alpha)
        fn = relative_magnitude_interval if method == "relative_magnitude" else smoothness_interval

        def interval(m: float) -> tuple[float, float]:
            return fn(prob, float(m), ci)

        ends = [interval(m) for m in grid]
        breakdown = breakdown_value(interval, grid, ends)
    ids = _id_sets(b, n_pre, lv, method, grid)
    out = pd.DataFrame(
        {
            col: grid,
            "lb": [e[0] for e in ends],
            "ub": [e[1] for e in ends],
            "id_lb": [e[0] for e in ids],
            "id_ub": [e[1] for e in ids],
            "method": method,
            "ci": ci,
        }
    )
    restriction = "relative magnitudes" if method == "relative_magnitude" else "smoothness"
    out.attrs.update(
        breakdown=breakdown,
        original=(theta_post - z * se_post, theta_post + z * se_post),
        theta_hat=theta_post,
        level=level,
        ci=ci,
        description=f"{restriction} restriction (Rambachan & Roth 2023): {_DESCRIPTION[ci]}",
    )
    return out
