"""Restriction sets for honest DiD as linear inequalities ``A delta <= d``.

``delta`` holds the ``n_pre`` pre-period then ``n_post`` post-period differences in trends,
the reference period (``delta_0 = 0``) left out, as the event-study coefficients. With the
reference put back, ``D_r`` are the first differences of the path (``r < n_pre``: before
treatment, the last one ``delta_0 - delta_{-1}``; ``r >= n_pre``: after) and the second
differences are taken at every period with a neighbour on each side.

* Smoothness, ``Delta^SD(M)`` (Rambachan & Roth 2023, Section 2.4.1): every second
  difference is at most ``M`` in absolute value.
* Relative magnitudes, ``Delta^RM(Mbar)`` (Section 2.4.2): every post-period first difference
  is at most ``Mbar`` times the largest pre-period first difference in absolute value. It is
  the union over ``s`` (which pre-period difference is the largest) and its sign of the
  polyhedra ``Delta^RM_{s,+-}``: ``|D_r| <= +-D_s`` before and ``|D_r| <= Mbar (+-D_s)``
  after treatment.
"""

from __future__ import annotations

import numpy as np

from sroi import _optimize as optimize

__all__ = [
    "first_differences",
    "second_differences",
    "smoothness_constraints",
    "relative_magnitude_constraints",
    "post_rows",
    "identified_set",
]


def _with_reference(n_pre: int, n_post: int) -> np.ndarray:
    """Matrix putting ``delta_0 = 0`` back: ``(n + 1) x n``."""
    n = n_pre + n_post
    P = np.zeros((n + 1, n))
    P[:n_pre, :n_pre] = np.eye(n_pre)
    P[n_pre + 1 :, n_pre:] = np.eye(n_post)
    return P


def first_differences(n_pre: int, n_post: int) -> np.ndarray:
    """First differences of the path as functions of ``delta``: ``n x n`` (row ``r``: ``D_r``)."""
    return np.diff(_with_reference(n_pre, n_post), axis=0)


def second_differences(n_pre: int, n_post: int) -> np.ndarray:
    """Second differences of the path as functions of ``delta``: ``(n - 1) x n``."""
    return np.diff(_with_reference(n_pre, n_post), n=2, axis=0)


def smoothness_constraints(n_pre: int, n_post: int, M: float) -> tuple[np.ndarray, np.ndarray]:
    """``Delta^SD(M)`` as ``A delta <= d``: ``|second differences| <= M``."""
    D2 = second_differences(n_pre, n_post)
    return np.vstack([D2, -D2]), np.full(2 * D2.shape[0], float(M))


def relative_magnitude_constraints(
    n_pre: int, n_post: int, Mbar: float, s: int, sign: int
) -> tuple[np.ndarray, np.ndarray]:
    """``Delta^RM_{s,sign}(Mbar)`` as ``A delta <= 0``.

    Parameters
    ----------
    n_pre, n_post
        Pre- and post-period coefficients.
    Mbar
        The relative bound.
    s
        Which pre-period first difference (``0 .. n_pre - 1``) is the largest.
    sign
        ``+1`` or ``-1``: its sign.

    Returns
    -------
    A, d
        Constraint rows (``|D_r| <= sign D_s`` for the other pre-period differences,
        ``sign D_s >= 0``, ``|D_r| <= Mbar sign D_s`` after treatment) and zeros.
    """
    D1 = first_differences(n_pre, n_post)
    top = sign * D1[s]
    others = np.delete(D1[:n_pre], s, axis=0)
    post = D1[n_pre:]
    A = np.vstack(
        [others - top, -others - top, -top[None, :], post - Mbar * top, -post - Mbar * top]
    )
    return A, np.zeros(A.shape[0])


def post_rows(A: np.ndarray, n_pre: int) -> np.ndarray:
    """Rows that involve a post-period coefficient (as HonestDiD's ``postPeriodMomentsOnly``)."""
    return np.flatnonzero(np.any(A[:, n_pre:] != 0, axis=1))


def identified_set(
    b: np.ndarray, n_pre: int, lv: np.ndarray, polyhedra: list[tuple[np.ndarray, np.ndarray]]
) -> tuple[float, float]:
    """Identified set of ``theta = l' tau_post`` at the point estimates ``b``.

    ``theta = l' b_post - l' delta_post`` with ``delta`` in the union of the polyhedra
    ``A delta <= d`` and ``delta_pre = b_pre`` (two LPs per polyhedron; ``(nan, nan)`` when
    no polyhedron is compatible with ``b_pre``).
    """
    n = b.size
    c = np.concatenate([np.zeros(n_pre), lv])
    A_eq = np.eye(n)[:n_pre]
    lows, highs = [], []
    for A, d in polyhedra:
        ends = []
        for sign in (1.0, -1.0):
            r = optimize.linprog(
                sign * c,
                A_ub=A,
                b_ub=d,
                A_eq=A_eq,
                b_eq=b[:n_pre],
                bounds=[(None, None)] * n,
                method="highs",
            )
            ends.append(
                sign * r.fun if r.status == 0 else (np.nan if r.status == 2 else -sign * np.inf)
            )
        lows.append(float(c @ b) - ends[1])
        highs.append(float(c @ b) - ends[0])
    lo, hi = np.array(lows), np.array(highs)
    if np.all(np.isnan(lo)):
        return np.nan, np.nan
    return float(np.nanmin(lo)), float(np.nanmax(hi))
