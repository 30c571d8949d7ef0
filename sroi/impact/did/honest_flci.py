"""Optimal fixed-length confidence interval (FLCI) under smoothness, ``Delta^SD(M)``.

Armstrong & Kolesar (2018), as used by Rambachan & Roth (2023, Section 4.1): among affine
estimators ``v'betahat`` with ``v_post = l`` (so the estimator's bias does not depend on the
unrestricted ``tau_post``) choose ``v_pre`` to minimise the half-length
``chi(v) = sd(v) cv_alpha(bias(v) / sd(v))``, ``cv_alpha(b)`` the ``1 - alpha`` quantile of
``|N(b, 1)|``, where ``bias(v) = max_{delta in Delta^SD(M)} v'delta`` is the worst-case bias.

Worst-case bias in closed form: the path ``delta`` (with ``delta_0 = 0``) is determined by its
second differences ``u`` and its first post-period value, ``delta = T^{-1} (u, delta_1)``
(``T`` stacks the second-difference rows and the row picking ``delta_1``), so
``v'delta = c'u + c_t delta_1`` with ``(c, c_t) = T^{-T} v``. The bias is finite iff
``c_t = 0``, i.e. ``v`` is orthogonal to a linear trend (``sum_t t v_t = 0``), and then equals
``M ||c||_1``. ``chi`` is convex in ``v_pre`` (``sd`` and ``||c||_1`` are convex and
``s cv(b/s)`` is a perspective of the convex, increasing ``cv``), so the optimum is found by a
smooth convex program (SLSQP on ``(v_pre, |c|)`` with linear constraints).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from sroi import _optimize as optimize
from sroi.impact.did.honest_delta import second_differences

__all__ = ["FLCI", "folded_normal_quantile", "optimal_flci", "bias_matrix"]


@dataclass(frozen=True)
class FLCI:
    """An optimal FLCI: estimate ``v'betahat``, half-length, weights ``v`` and their terms."""

    estimate: float
    half_length: float
    v: np.ndarray
    sd: float
    max_bias: float

    @property
    def lb(self) -> float:
        """Lower end."""
        return self.estimate - self.half_length

    @property
    def ub(self) -> float:
        """Upper end."""
        return self.estimate + self.half_length


def folded_normal_quantile(bias: float, alpha: float) -> tuple[float, float]:
    """``1 - alpha`` quantile ``q`` of ``|N(bias, 1)|`` and its derivative in ``bias``."""
    b = abs(float(bias))
    if b > 40:  # the lower tail is negligible
        q = b - float(special.ndtri(alpha))
    elif b == 0:
        q = -float(special.ndtri(alpha / 2))
    else:

        def f(x: float) -> float:
            return float(special.ndtr(b - x) + special.ndtr(-x - b)) - alpha

        q = optimize.brentq(f, 0.0, b - float(special.ndtri(alpha)) + 1.0, xtol=1e-14)
    p1, p2 = np.exp(-0.5 * (q - b) ** 2), np.exp(-0.5 * (q + b) ** 2)
    return float(q), float((p1 - p2) / (p1 + p2))


def bias_matrix(n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray]:
    """``K`` with ``c = K'v`` (second-difference weights) and the trend ``t`` (``v't = 0``)."""
    n = n_pre + n_post
    T = np.vstack([second_differences(n_pre, n_post), np.eye(n)[n_pre]])
    Tinv = np.linalg.inv(T)
    t = np.concatenate([np.arange(-n_pre, 0), np.arange(1, n_post + 1)]).astype(float)
    return Tinv[:, : n - 1], t


def optimal_flci(
    b: np.ndarray, S: np.ndarray, n_pre: int, lv: np.ndarray, M: float, alpha: float
) -> FLCI:
    """The optimal FLCI for ``theta = l' tau_post`` under ``Delta^SD(M)``.

    Parameters
    ----------
    b, S
        Event-study coefficients (``n_pre`` pre, then post) and covariance.
    n_pre
        Pre-period coefficients.
    lv
        Weights of ``theta``.
    M
        Bound on the second differences (``>= 0``).
    alpha
        One minus the coverage.

    Returns
    -------
    FLCI
    """
    n_post = lv.size
    K, t = bias_matrix(n_pre, n_post)
    scale = float(np.sqrt(np.mean(np.diag(S))))
    Ss, Ms = S / scale**2, M / scale
    tp = t[:n_pre]
    v0 = -tp * float(t[n_pre:] @ lv) / float(tp @ tp)  # sum_t t v_t = 0
    N = np.linalg.svd(tp[None, :])[2][1:].T  # n_pre x (n_pre - 1)
    nz = N.shape[1]
    Kp, Kq = K[:n_pre], K[n_pre:]
    c0 = Kp.T @ v0 + Kq.T @ lv
    Cz = Kp.T @ N
    nu = c0.size

    def parts(x: np.ndarray) -> tuple[np.ndarray, float]:
        v = np.concatenate([v0 + N @ x[:nz], lv])
        return v, float(np.sqrt(max(v @ Ss @ v, 1e-300)))

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        v, sd = parts(x)
        bias = Ms * float(np.sum(x[nz:]))
        q, dq = folded_normal_quantile(bias / sd, alpha)
        dsd = N.T @ (Ss @ v)[:n_pre] / sd
        grad = np.concatenate([(q - bias / sd * dq) * dsd, np.full(nu, Ms * dq)])
        return sd * q, grad

    x0 = np.concatenate([np.zeros(nz), np.abs(c0) + 1e-3])
    lin = np.hstack([Cz, np.zeros((nu, nu))])
    eye = np.hstack([np.zeros((nu, nz)), np.eye(nu)])
    cons = [
        {"type": "ineq", "fun": lambda x: eye @ x - (c0 + lin @ x), "jac": lambda x: eye - lin},
        {"type": "ineq", "fun": lambda x: eye @ x + (c0 + lin @ x), "jac": lambda x: eye + lin},
    ]
    res = optimize.minimize(
        objective,
        x0,
        jac=True,
        method="SLSQP",
        constraints=cons,
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    v, sd = parts(res.x)
    bias = Ms * float(np.sum(np.abs(c0 + Cz @ res.x[:nz])))
    q, _ = folded_normal_quantile(bias / sd, alpha)
    return FLCI(
        estimate=float(v @ b),
        half_length=float(sd * q * scale),
        v=v,
        sd=sd * scale,
        max_bias=bias * scale,
    )
