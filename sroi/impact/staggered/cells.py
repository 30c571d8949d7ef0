"""Group-time cells ATT(g,t) of Callaway & Sant'Anna (2021) with their influence functions.

Each ATT(g,t) is a 2x2 difference-in-differences between the units first treated in period
``g`` (cohort ``g``) and their comparison units, over a base period ``b`` and period ``t``:

``ATT(g,t) = E[Y_t - Y_b | G = g] - E[Y_t - Y_b | C]``  (no covariates),

where ``b = g - 1 - anticipation`` for post-treatment periods (and for every period with
``base_period="universal"``), the previous period for pre-treatment periods with
``base_period="varying"``, and ``C`` the never-treated units or, with
``control_group="not_yet_treated"``, also the units first treated after
``max(t, b) + anticipation``. Each 2x2 uses the panel estimators of Sant'Anna & Zhao (2020)
(:mod:`sroi.impact.staggered.drdid`) with covariates from the earlier of its two periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.impact.staggered.cell_inference import CellInference
from sroi.impact.staggered.drdid import cells_from_changes, fit_pscore

__all__ = ["GroupTimeCells", "cells_frame", "compute_cells", "make_basis", "maybe_int"]


@dataclass
class GroupTimeCells:
    """Group-time cells with their influence functions (``n`` units x ``K`` cells).

    Attributes
    ----------
    group, time
        Cohort and period of each cell.
    att
        ATT(g,t) estimates.
    inf
        Influence functions, one column per cell.
    n_treated, n_control
        Units in each group of the cell's 2x2.
    base
        Base period of each cell.
    reference
        Universal-base reference cells (ATT fixed at 0, no standard error).
    """

    group: np.ndarray
    time: np.ndarray
    att: np.ndarray
    inf: np.ndarray
    n_treated: np.ndarray
    n_control: np.ndarray
    base: np.ndarray
    reference: np.ndarray

    @classmethod
    def stack(cls, parts: list[GroupTimeCells]) -> GroupTimeCells:
        """Cells of several estimations side by side (influence functions on the same rows)."""
        return cls(
            group=np.concatenate([c.group for c in parts]),
            time=np.concatenate([c.time for c in parts]),
            att=np.concatenate([c.att for c in parts]),
            inf=np.column_stack([c.inf for c in parts]),
            n_treated=np.concatenate([c.n_treated for c in parts]),
            n_control=np.concatenate([c.n_control for c in parts]),
            base=np.concatenate([c.base for c in parts]),
            reference=np.concatenate([c.reference for c in parts]),
        )

    def select(self, mask: np.ndarray) -> GroupTimeCells:
        """The cells where ``mask`` is true (influence functions on the same rows)."""
        m = np.asarray(mask, dtype=bool)
        return GroupTimeCells(
            group=self.group[m],
            time=self.time[m],
            att=self.att[m],
            inf=self.inf[:, m],
            n_treated=self.n_treated[m],
            n_control=self.n_control[m],
            base=self.base[m],
            reference=self.reference[m],
        )


def maybe_int(a: np.ndarray) -> np.ndarray:
    """Whole-number floats as ``int64`` (cohorts and periods read better as integers)."""
    a = np.asarray(a, dtype=float)
    if np.all(np.isfinite(a)) and np.all(a == np.round(a)):
        return a.astype(np.int64)
    return a


def last_pre_index(g: float, times: np.ndarray, anticipation: int) -> int | None:
    """Index of cohort ``g``'s last untreated period ``g - 1 - anticipation`` (or ``None``)."""
    idx = np.flatnonzero(times + anticipation < g)
    return int(idx[-1]) if idx.size else None


def cell_periods(
    g: float, times: np.ndarray, anticipation: int, universal: bool
) -> list[tuple[int, int]]:
    """``(period, base period)`` index pairs of cohort ``g``'s cells, in period order.

    The base period is ``g - 1 - anticipation`` for post-treatment periods ``t >= g`` (and
    every period with a universal base), the previous period otherwise, including the
    anticipation periods ``g - anticipation <= t < g`` (R ``did``'s ``base_period``).
    """
    pre_g = last_pre_index(g, times, anticipation)
    if pre_g is None:
        return []
    out = []
    for t_i in range(len(times) - (0 if universal else 1)):
        tn = t_i + (0 if universal else 1)
        pret = pre_g if universal or g <= times[tn] else t_i
        out.append((tn, pret))
    return out


class _CellEstimator:
    """Computes the ATT(g,t) of one design, reusing comparison sets and propensity fits."""

    def __init__(
        self,
        Y: np.ndarray,
        G: np.ndarray,
        times: np.ndarray,
        *,
        X: np.ndarray | None,
        x_time_invariant: bool,
        w: np.ndarray | None,
        estimator: str,
        control_group: str,
        anticipation: int,
        base_period: str,
        n_scale: int | None,
        unit_index: np.ndarray | None,
        glist: np.ndarray,
        covariate_timing: str = "base",
        reserve_cohort_columns: bool = False,
    ) -> None:
        self.Y, self.G, self.times, self.X, self.w = Y, G, times, X, w
        self.timing = "base" if x_time_invariant else covariate_timing
        self.varying = (
            np.zeros(0, dtype=bool) if X is None else np.any(X != X[:, :1, :], axis=(0, 1))
        )
        n_rows = Y.shape[0]
        self.n_scale = n_rows if n_scale is None else n_scale
        self.pos = np.arange(n_rows) if unit_index is None else unit_index
        self.x_time_invariant = x_time_invariant
        self.method = estimator if X is not None else "unconditional"
        self.control_group = control_group
        self.anticipation = anticipation
        self.universal = base_period == "universal"
        self.rows: list[tuple[Any, ...]] = []
        self._designs: dict[Any, np.ndarray] = {}
        per_cohort = [len(cell_periods(g, times, anticipation, self.universal)) for g in glist]
        self.n_cells = int(sum(per_cohort))
        spare = sum(k > 0 for k in per_cohort) if reserve_cohort_columns else 0
        # influence functions are written straight into their (column-contiguous) matrix
        self.inf = np.empty((self.n_scale, self.n_cells + spare), order="F")

    def design_key(self, tn: int, pret: int) -> Any:
        """Which design matrix a 2x2 of periods ``tn`` and ``pret`` uses."""
        if self.timing == "base":
            return -1 if self.x_time_invariant else min(tn, pret)
        return (tn, pret)

    def design(self, key: Any) -> np.ndarray:
        """The 2x2's design matrix (:func:`compute_cells`' ``covariate_timing``).

        ``"base"``: ``[1, X_early]``, the covariates of the earlier period of the 2x2.
        ``"change"``: ``[1, X_early (time-invariant columns), X_t - X_base (time-varying)]``.
        ``"both"``: ``[1, X_early, X_t - X_base (time-varying columns)]``.
        """
        if key not in self._designs:
            assert self.X is not None
            ones = np.ones(self.Y.shape[0])
            if self.timing == "base":
                self._designs[key] = np.column_stack([ones, self.X[:, max(key, 0), :]])
            else:
                tn, pret = key
                level = self.X[:, min(tn, pret), :]
                if self.timing == "change":
                    level = level[:, ~self.varying]
                change = self.X[:, tn, self.varying] - self.X[:, pret, self.varying]
                self._designs[key] = np.column_stack([ones, level, change])
        return self._designs[key]

    def cohort(self, g: float) -> None:
        """Add the cells of cohort ``g`` for every period."""
        pre_g = last_pre_index(g, self.times, self.anticipation)
        if pre_g is None:  # pragma: no cover - such units are excluded upstream
            return
        is_g = self.G == g
        comparison: dict[Any, np.ndarray] = {}
        subsets: dict[Any, tuple[Any, ...]] = {}
        pscores: dict[Any, np.ndarray | None] = {}
        batch: list[tuple[int, int]] = []  # cells sharing one 2x2 setup, estimated together
        bkey: Any = None
        for tn, pret in cell_periods(g, self.times, self.anticipation, self.universal):
            if self.universal and pret == tn:
                if batch:
                    self._cells(g, batch, comparison[bkey[0]], subsets[bkey], pscores.get(bkey))
                    batch = []
                self.inf[:, len(self.rows)] = 0.0
                self.rows.append(
                    (g, self.times[tn], 0.0, int(np.sum(is_g)), 0, self.times[pret], True)
                )
                continue
            if self.control_group == "never_treated":
                ckey: Any = "never"
            else:
                ckey = max(self.times[tn], self.times[pret]) + self.anticipation
            if ckey not in comparison:
                comparison[ckey] = self._comparison(g, tn, is_g, ckey)
            idx = comparison[ckey]
            dkey = self.design_key(tn, pret)
            pkey = (ckey, dkey)
            if batch and pkey != bkey:
                self._cells(g, batch, comparison[bkey[0]], subsets[bkey], pscores.get(bkey))
                batch = []
            if pkey not in subsets:
                subsets.clear()
                subsets[pkey] = (
                    is_g[idx].astype(float),
                    None if self.X is None else self.design(dkey)[idx],
                    None if self.w is None else self.w[idx],
                )
            if self.method in ("ipw", "dr", "dr_imp") and pkey not in pscores:
                d, Zc, wc = subsets[pkey]
                pscores[pkey] = fit_pscore(d, Zc, wc, self.method)  # type: ignore[arg-type]
            bkey = pkey
            batch.append((tn, pret))
        if batch:
            self._cells(g, batch, comparison[bkey[0]], subsets[bkey], pscores.get(bkey))

    def _comparison(self, g: float, tn: int, is_g: np.ndarray, ckey: Any) -> np.ndarray:
        """Rows of cohort ``g`` and its comparison units for comparison set ``ckey``."""
        G = self.G
        ctrl = (G == 0) if ckey == "never" else (G == 0) | ((G > ckey) & ~is_g)
        if not ctrl.any():
            gt = maybe_int(np.array([g, self.times[tn]], dtype=float))
            raise SroiInputError(
                f"no comparison units for cohort {gt[0]} in period {gt[1]} "
                f"(control_group={self.control_group!r})"
            )
        return np.flatnonzero(is_g | ctrl)

    def _cells(
        self,
        g: float,
        cells: list[tuple[int, int]],
        idx: np.ndarray,
        subset: tuple[Any, ...],
        pscore: np.ndarray | None,
    ) -> None:
        """ATT(g,t) of ``cells`` (period, base) on rows ``idx``: one vectorised call."""
        d, Zc, wc = subset
        tn, base = np.array(cells, dtype=np.intp).T
        dy = self.Y[np.ix_(idx, tn)]
        dy -= self.Y[np.ix_(idx, base)]
        try:
            res = cells_from_changes(
                dy,
                d,
                Zc,
                wc,
                method=self.method,  # type: ignore[arg-type]
                pscore=pscore,
            )
        except SroiInputError as err:
            gt = maybe_int(np.array([g, self.times[tn[0]]], dtype=float))
            raise SroiInputError(f"ATT(g={gt[0]}, t={gt[1]}): {err}") from err
        rows = self.pos[idx]
        scale = self.n_scale / len(idx)
        for k, (t_k, b_k) in enumerate(cells):
            full = self.inf[:, len(self.rows)]
            full[:] = 0.0
            full[rows] = scale * res.inf[:, k]
            t_val, b_val = self.times[t_k], self.times[b_k]
            self.rows.append((g, t_val, res.att[k], res.n_treated, res.n_control, b_val, False))

    def result(self) -> GroupTimeCells:
        """The cells computed so far."""
        if not self.rows:
            raise SroiInputError(
                "no ATT(g,t) could be computed: no cohort has a pre-treatment period"
            )
        assert len(self.rows) == self.n_cells
        g, t, att, n_t, n_c, base, ref = (list(col) for col in zip(*self.rows, strict=True))
        return GroupTimeCells(
            group=np.asarray(g, dtype=float),
            time=np.asarray(t, dtype=float),
            att=np.asarray(att, dtype=float),
            inf=self.inf[:, : self.n_cells],
            n_treated=np.asarray(n_t),
            n_control=np.asarray(n_c),
            base=np.asarray(base, dtype=float),
            reference=np.asarray(ref, dtype=bool),
        )


def compute_cells(
    Y: np.ndarray,
    G: np.ndarray,
    times: np.ndarray,
    glist: np.ndarray,
    *,
    X: np.ndarray | None,
    x_time_invariant: bool,
    w: np.ndarray | None,
    estimator: str,
    control_group: str,
    anticipation: int,
    base_period: str,
    n_scale: int | None = None,
    unit_index: np.ndarray | None = None,
    covariate_timing: str = "base",
    reserve_cohort_columns: bool = False,
) -> GroupTimeCells:
    """ATT(g,t) and influence functions for every cohort in ``glist`` and period.

    Parameters
    ----------
    Y
        Outcomes, ``n_rows x T``.
    G
        Cohort of each row (0 = never treated).
    times
        The ``T`` periods.
    glist
        Cohorts to estimate.
    X
        Covariates ``n_rows x T x k`` or ``None``.
    x_time_invariant
        The covariates are the same in every period (one design matrix serves all cells).
    w
        Unit weights or ``None``.
    estimator, control_group, anticipation, base_period
        As :func:`sroi.impact.staggered.staggered_did`.
    n_scale, unit_index
        ``unit_index`` maps the rows of ``Y`` to positions in an influence-function matrix of
        ``n_scale`` rows (used by the stacked matched design); by default rows map to
        themselves and ``n_scale = len(Y)``.
    covariate_timing
        ``"base"`` (default; R ``did``): covariates of the earlier period of each 2x2;
        ``"change"``: their change between the base period and ``t`` for covariates that vary
        over time (time-invariant ones by level); ``"both"``: the earlier period's levels
        and the change. With time-invariant covariates all three are the same.
    reserve_cohort_columns
        Leave one free column per cohort after the influence functions, in the matrix that
        ``inf`` is a view of, so that :func:`make_basis` fills the cohort indicators there
        instead of copying the influence functions (less memory on a large panel).

    Returns
    -------
    GroupTimeCells
        One cell per cohort and period, in cohort then period order.
    """
    est = _CellEstimator(
        Y,
        G,
        times,
        X=X,
        x_time_invariant=x_time_invariant,
        w=w,
        estimator=estimator,
        control_group=control_group,
        anticipation=anticipation,
        base_period=base_period,
        n_scale=n_scale,
        unit_index=unit_index,
        glist=glist,
        covariate_timing=covariate_timing,
        reserve_cohort_columns=reserve_cohort_columns,
    )
    for g in glist:
        est.cohort(g)
    return est.result()


def make_basis(
    cells: GroupTimeCells, G: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Basis of influence functions for the cells and the cohort shares.

    The ATT(g,t) columns, then ``w_i 1{G_i = g}`` for each cohort ``g`` of the cells (in the
    order of the returned cohort array). ``cells.inf`` is re-pointed into the basis (shared
    memory). When the cells come from :func:`compute_cells` with
    ``reserve_cohort_columns=True``, the basis is the matrix ``cells.inf`` already is the
    first columns of (no copy of the influence functions).
    """
    groups = np.unique(cells.group)
    n, K = cells.inf.shape
    basis = _reserved(cells.inf, K + len(groups))
    if basis is None:
        basis = np.empty((n, K + len(groups)), order="F")
        basis[:, :K] = cells.inf
    for j, g in enumerate(groups):
        basis[:, K + j] = (G == g) * w
    cells.inf = basis[:, :K]
    return basis, groups


def _reserved(inf: np.ndarray, width: int) -> np.ndarray | None:
    """The column-major matrix of ``width`` columns whose first columns ``inf`` is, if any."""
    full = inf.base
    if (
        isinstance(full, np.ndarray)
        and full.shape == (inf.shape[0], width)
        and full.flags.f_contiguous
        and inf.strides == full.strides
        and inf.ctypes.data == full.ctypes.data
    ):
        return full
    return None


def cells_frame(cells: GroupTimeCells, inference: CellInference, n_basis: int) -> pd.DataFrame:
    """The ``att_gt`` table: one row per cell with standard errors and intervals."""
    K = len(cells.att)
    coef = np.zeros((n_basis, K))
    coef[np.arange(K), np.arange(K)] = 1.0
    se, crit, _ = inference.se(coef)
    se = np.where(cells.reference, np.nan, se)
    out = pd.DataFrame(
        {
            "cohort": maybe_int(cells.group),
            "time": maybe_int(cells.time),
            "att": cells.att,
            "std_error": se,
            "ci_low": cells.att - crit * se,
            "ci_high": cells.att + crit * se,
            "event_time": maybe_int(cells.time - cells.group),
            "n_treated": cells.n_treated,
            "n_control": cells.n_control,
            "base_period": maybe_int(cells.base),
            "post": cells.time >= cells.group,
        }
    )
    out.attrs["ci_type"] = inference.table_ci_type()
    out.attrs["critical_value"] = crit
    return out
