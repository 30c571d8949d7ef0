"""Demeaning shared by the TWFE estimators (static, event study, Sun-Abraham, Bacon).

Unit fixed effects are absorbed by subtracting (weighted) unit means from the outcome and
every regressor (the within transformation; Wooldridge 2010, ch. 10). Period effects are
dummies for every period but the first; :class:`TwoWay` projects them out exactly without
building them (Frisch-Waugh-Lovell: the coefficients, residuals and the cluster-robust
covariance block of the other regressors are those of the full dummy-variable regression).
The Gram matrix of the unit-demeaned period dummies is ``diag(W_t) - C' diag(1/W_i) C``
(``C`` the unit x period weight sums), ``T x T``; for a balanced unweighted panel the
projection is the closed form ``z - zbar_i - zbar_t + zbar``.

With unit effects nested in the clusters, the CR2 adjustment of the demeaned design is
exact for the dummy-variable model under the working model returned by
:func:`cr2_working_model` (Pustejovsky & Tipton 2018).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import linalg, sparse

from sroi.data.panel import Panel
from sroi.errors import SroiInputError
from sroi.impact.inference.sandwich import wls_fit

__all__ = [
    "TwoWay",
    "WithinFit",
    "WorkingModel",
    "column_rank",
    "cr2_working_model",
    "panel_codes",
    "unit_scale",
    "within_demean",
]

WorkingModel = Literal["identity", "inverse_weights"]

_KEEP = 1e-8
"""A column is kept when demeaning leaves more than this share of its norm."""


def _demean_codes(
    arrays: np.ndarray, codes: np.ndarray, g: int, w: np.ndarray | None, wsum: np.ndarray
) -> np.ndarray:
    """Subtract group means column by column on a column-major float64 copy."""
    # contiguous 1-d bincount sums and gathers, no n x k temporaries; bincount adds in row
    # order, as np.add.at does
    out = np.array(arrays if arrays.ndim == 2 else arrays[:, None], dtype=float, order="F")
    for j in range(out.shape[1]):
        col = out[:, j]
        sums = np.bincount(codes, col if w is None else col * w, g)
        col -= (sums / wsum)[codes]
    return out if arrays.ndim == 2 else out[:, 0]


def within_demean(
    arrays: np.ndarray, groups: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Subtract (weighted) group means column by column: ``z - sum_g(w z)/sum_g(w)``.

    Parameters
    ----------
    arrays
        One column (1-d) or several (2-d, rows = observations).
    groups
        Group (unit) of each row.
    weights
        Observation weights (default: equal).

    Returns
    -------
    numpy.ndarray
        The demeaned array, same shape as ``arrays``.
    """
    codes, uniq = pd.factorize(groups)
    g = len(uniq)
    w = None if weights is None else np.asarray(weights, float)
    wsum = np.bincount(codes, minlength=g) if w is None else np.bincount(codes, w, g)
    return _demean_codes(np.asarray(arrays, dtype=float), codes, g, w, wsum)


def panel_codes(p: Panel) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit codes, period codes ``0..T-1`` and the periods present in the panel's rows."""
    ucode = p.unit_codes()[0]
    tcode = p.period_codes()
    present = np.bincount(tcode, minlength=len(p.periods)) > 0
    if not present.all():
        tcode = (np.cumsum(present) - 1)[tcode]
    return ucode, tcode, p.periods[present]


def unit_scale(raw: np.ndarray, demeaned: np.ndarray) -> np.ndarray:
    """Share of each column's norm left after demeaning (0 = absorbed by the effects)."""
    num = np.sqrt(np.einsum("ij,ij->j", demeaned, demeaned))
    return num / np.sqrt(np.maximum(np.einsum("ij,ij->j", raw, raw), 1e-300))


def _period_gram(
    ucode: np.ndarray,
    tcode: np.ndarray,
    n_units: int,
    n_periods: int,
    w: np.ndarray | None,
    unit_w: np.ndarray,
) -> np.ndarray:
    """``T x T`` weighted Gram matrix of the unit-demeaned period dummies."""
    vals = np.ones(len(ucode)) if w is None else w
    C = sparse.csr_matrix((vals, (ucode, tcode)), shape=(n_units, n_periods))
    period_w = np.bincount(tcode, vals, n_periods)
    cross = (C.T @ sparse.diags(1.0 / unit_w) @ C).toarray()
    return np.diag(period_w) - cross


@dataclass(frozen=True)
class TwoWay:
    """Unit effects (absorbed) and period dummies (projected out) of a long panel.

    Build with :meth:`from_codes`. :meth:`demean_units` is the within transformation;
    :meth:`period_fit` and :meth:`remove_periods` project unit-demeaned columns on the
    unit-demeaned dummies of the periods in :attr:`kept` (all but the first; a dummy that
    does not vary within units is left out, as a dropped regressor).
    """

    ucode: np.ndarray
    tcode: np.ndarray
    n_units: int
    n_periods: int
    w: np.ndarray | None
    unit_w: np.ndarray
    balanced: bool
    """Every unit observed once in every period (the row layout, whatever the weights)."""
    kept: np.ndarray
    chol: np.ndarray

    @classmethod
    def from_codes(
        cls,
        ucode: np.ndarray,
        tcode: np.ndarray,
        w: np.ndarray | None = None,
    ) -> TwoWay:
        """Unit codes ``0..N-1`` and period codes ``0..T-1`` (ordered periods) of each row.

        Raises
        ------
        SroiInputError
            When the period effects are not identified with the unit effects (periods
            that no unit links, so that the period dummies are collinear).
        """
        ucode = np.asarray(ucode, dtype=np.intp)
        tcode = np.asarray(tcode, dtype=np.intp)
        n_units, n_periods = int(ucode.max()) + 1, int(tcode.max()) + 1
        counts = np.bincount(ucode, minlength=n_units)
        unit_w = counts.astype(float) if w is None else np.bincount(ucode, w, n_units)
        balanced = len(ucode) == n_units * n_periods and bool((counts == n_periods).all())
        if balanced and w is None:
            gram = n_units * (np.eye(n_periods) - 1.0 / n_periods)
        else:
            gram = _period_gram(ucode, tcode, n_units, n_periods, w, unit_w)
        diag = np.diag(gram)
        period_w = np.bincount(tcode, None if w is None else w, n_periods)
        kept = np.flatnonzero(diag > _KEEP**2 * period_w)
        kept = kept[kept > 0]
        try:
            chol = linalg.cholesky(gram[np.ix_(kept, kept)], lower=True)
        except linalg.LinAlgError:
            raise SroiInputError(
                "the period effects are not identified with the unit effects: groups of "
                "units share no period with the others (a disconnected panel); estimate "
                "each connected group separately"
            ) from None
        return cls(ucode, tcode, n_units, n_periods, w, unit_w, balanced, kept, chol)

    @property
    def simple(self) -> bool:
        """Balanced and unweighted: the closed-form two-way demeaning applies."""
        return self.balanced and self.w is None

    def demean_units(self, Z: np.ndarray) -> np.ndarray:
        """Within-unit demeaned column-major float64 copy of ``Z`` (n x p)."""
        return _demean_codes(Z, self.ucode, self.n_units, self.w, self.unit_w)

    def period_fit(self, Zd: np.ndarray) -> np.ndarray:
        """Coefficients (kept periods x p) of unit-demeaned columns on the period dummies."""
        rhs = np.empty((len(self.kept), Zd.shape[1]))
        for j in range(Zd.shape[1]):
            col = Zd[:, j] if self.w is None else Zd[:, j] * self.w
            rhs[:, j] = np.bincount(self.tcode, col, self.n_periods)[self.kept]
        return linalg.cho_solve((self.chol, True), rhs)

    def period_values(self, coef: np.ndarray) -> np.ndarray:
        """Unit-demeaned period-dummy fit ``Tdd @ coef`` of one coefficient vector (n)."""
        full = np.zeros(self.n_periods)
        full[self.kept] = coef
        v = full[self.tcode]
        if self.simple:
            return v - full.mean()
        sums = np.bincount(self.ucode, v if self.w is None else v * self.w, self.n_units)
        return v - (sums / self.unit_w)[self.ucode]

    def remove_periods(self, Zd: np.ndarray, coef: np.ndarray) -> None:
        """In place: ``Zd - Tdd @ coef`` (the two-way demeaned columns)."""
        for j in range(Zd.shape[1]):
            Zd[:, j] -= self.period_values(coef[:, j])

    def project(self, Zd: np.ndarray) -> np.ndarray:
        """Two-way demean unit-demeaned columns in place; returns their period coefficients."""
        coef = self.period_fit(Zd)
        self.remove_periods(Zd, coef)
        return coef

    def solve(self, Zd: np.ndarray, coef: np.ndarray) -> WithinFit:
        """Least squares of ``Zd[:, 0]`` on ``Zd[:, 1:]`` and the period dummies (FWL).

        ``Zd`` is two-way demeaned (outcome then regressors) and ``coef`` its period
        coefficients, both from :meth:`project`.
        """
        X = Zd[:, 1:]
        beta, resid, bread = wls_fit(X, Zd[:, 0], self.w)
        periods = coef[:, 0] - coef[:, 1:] @ beta
        return WithinFit(beta, resid, bread, X, Zd[:, 0], periods, X.shape[1] + len(self.kept))

    def fit(self, Zd: np.ndarray) -> WithinFit:
        """:meth:`project` then :meth:`solve` (``Zd``: unit-demeaned outcome then regressors)."""
        return self.solve(Zd, self.project(Zd))

    def period_dummies(self) -> np.ndarray:
        """The kept period dummies as a dense n x (kept periods) array (not demeaned)."""
        return (self.tcode[:, None] == self.kept[None, :]).astype(float)


@dataclass(frozen=True)
class WithinFit:
    """Two-way fixed effects least squares, regressors of interest only (FWL).

    ``beta``, ``resid`` and ``bread`` (``(X'WX)^{-1}`` of the two-way demeaned regressors
    ``X``; ``y`` the two-way demeaned outcome) give the cluster-robust covariance block of these regressors in the full
    dummy-variable model; ``periods`` are the coefficients of the kept period dummies and
    ``k`` counts the non-absorbed regressors (these and the period dummies).
    """

    beta: np.ndarray
    resid: np.ndarray
    bread: np.ndarray
    X: np.ndarray
    y: np.ndarray
    periods: np.ndarray
    k: int


def column_rank(X: np.ndarray, chunk: int = 65536) -> int:
    """Numerical column rank of a tall matrix, as ``numpy.linalg.matrix_rank``.

    The singular values are those of ``R`` from a QR factorisation computed in row blocks
    (tall-skinny QR: ``X = QR`` has the singular values of ``X``), with matrix_rank's
    tolerance ``s_max * max(n, k) * eps``; cheaper than the SVD of the whole matrix.

    Parameters
    ----------
    X
        The n x k matrix (n >= k).
    chunk
        Rows per block.

    Returns
    -------
    int
        The number of singular values above the tolerance.
    """
    n, k = X.shape
    blocks = [np.linalg.qr(X[i : i + chunk], mode="r") for i in range(0, n, chunk)]
    s = np.linalg.svd(np.linalg.qr(np.vstack(blocks), mode="r"), compute_uv=False)
    return int((s > s.max(initial=0.0) * max(n, k) * np.finfo(float).eps).sum())


def cr2_working_model(w: np.ndarray | None, units: np.ndarray) -> WorkingModel:
    """CR2 working model with absorbed unit effects.

    ``"identity"`` (clubSandwich's default, exact for the dummy-variable model) when weights
    are constant within units, otherwise ``"inverse_weights"`` (exact for the dummy-variable
    model under ``Phi = W^{-1}``).
    """
    if w is None:
        return "identity"
    s = pd.Series(w).groupby(units)
    return "identity" if bool(((s.max() - s.min()) <= 1e-12 * s.max()).all()) else "inverse_weights"
