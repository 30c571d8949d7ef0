"""Group-time cells ATT(g,t) on an unbalanced panel (R ``did``'s ``allow_unbalanced_panel``).

When units are observed in only some periods, each 2x2 of Callaway & Sant'Anna (2021) uses
every observation of its two periods (period ``t`` and the base period), from units of
cohort ``g`` and from its comparison units, as two repeated cross-sections
(:func:`sroi.impact.staggered.drdid_rc.rc_did`). Covariates are each observation's own
values (R ``did``'s repeated cross-section path). The per-observation influence function,
scaled by ``n / n_obs`` (``n`` units in the panel, ``n_obs`` observations in the cell), is
summed within unit, so standard errors, clustering, aggregations and the bootstrap treat
the unit (or its cluster) as the independent draw, as R ``did`` does.

This assumes the observations present in each period are as good as a random sample of
their group (attrition unrelated to the outcome's trend given the covariates), the repeated
cross-section analogue of parallel trends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sroi.errors import SroiInputError
from sroi.impact.staggered.cells import GroupTimeCells, cell_periods, maybe_int
from sroi.impact.staggered.drdid_rc import rc_did

__all__ = ["LongRows", "compute_cells_rc", "long_rows"]


@dataclass(frozen=True)
class LongRows:
    """The observed unit-periods of a panel, one row each.

    Attributes
    ----------
    unit
        Position of the row's unit in the influence-function matrix.
    period
        Index of the row's period.
    y
        Outcome.
    G
        Cohort of the row's unit (0 = never treated).
    X
        Covariates of the row (its own period's values), ``n_rows x k``, or ``None``.
    w
        Weight of the row's unit, or ``None``.
    """

    unit: np.ndarray
    period: np.ndarray
    y: np.ndarray
    G: np.ndarray
    X: np.ndarray | None
    w: np.ndarray | None


def long_rows(
    Y: np.ndarray,
    G: np.ndarray,
    X: np.ndarray | None,
    w: np.ndarray | None,
    unit_index: np.ndarray | None = None,
) -> LongRows:
    """Long rows of the observed (finite-outcome) cells of unit x period arrays.

    Parameters
    ----------
    Y
        Outcomes ``n x T`` (``NaN`` where not observed).
    G
        Cohort of each unit.
    X
        Covariates ``n x T x k`` or ``None``.
    w
        Unit weights or ``None``.
    unit_index
        Position of each unit in the influence-function matrix (default: its row).
    """
    ui, ti = np.nonzero(np.isfinite(Y))
    pos = np.arange(Y.shape[0]) if unit_index is None else np.asarray(unit_index)
    return LongRows(
        unit=pos[ui],
        period=ti,
        y=Y[ui, ti],
        G=G[ui],
        X=None if X is None else X[ui, ti, :],
        w=None if w is None else w[ui],
    )


def compute_cells_rc(
    rows: LongRows,
    times: np.ndarray,
    glist: np.ndarray,
    *,
    n_scale: int,
    estimator: str,
    control_group: str,
    anticipation: int,
    base_period: str,
) -> GroupTimeCells:
    """ATT(g,t) with unit-level influence functions from repeated cross-section 2x2s.

    Parameters
    ----------
    rows
        The observations (:func:`long_rows`).
    times
        The periods.
    glist
        Cohorts to estimate.
    n_scale
        Units in the influence-function matrix (``n``).
    estimator, control_group, anticipation, base_period
        As :func:`sroi.impact.staggered.staggered_did` (``estimator`` one of
        ``"unconditional"``, ``"reg"``, ``"ipw"``, ``"dr"``).

    Returns
    -------
    GroupTimeCells
        One cell per cohort and period; ``n_treated`` and ``n_control`` count the distinct
        units with an observation in the cell.

    Raises
    ------
    SroiInputError
        When a cell has no treated or no comparison observation in one of its periods, or
        its 2x2 cannot be estimated (naming the cell).
    """
    method = estimator if rows.X is not None else "unconditional"
    universal = base_period == "universal"
    out: list[tuple] = []
    infs: list[np.ndarray] = []
    for g in glist:
        is_g = rows.G == g
        for tn, pret in cell_periods(g, times, anticipation, universal):
            if universal and pret == tn:
                n_g = int(np.unique(rows.unit[is_g]).size)
                out.append((g, times[tn], 0.0, n_g, 0, times[pret], True))
                infs.append(np.zeros(n_scale))
                continue
            if control_group == "never_treated":
                ctrl = rows.G == 0
            else:
                limit = max(times[tn], times[pret]) + anticipation
                ctrl = (rows.G == 0) | ((rows.G > limit) & ~is_g)
            sel = np.flatnonzero((is_g | ctrl) & ((rows.period == tn) | (rows.period == pret)))
            gt = maybe_int(np.array([g, times[tn]], dtype=float))
            try:
                res = rc_did(
                    rows.y[sel],
                    (rows.period[sel] == tn).astype(float),
                    is_g[sel].astype(float),
                    None if rows.X is None else rows.X[sel],
                    None if rows.w is None else rows.w[sel],
                    method=method,
                )
            except SroiInputError as err:
                raise SroiInputError(
                    f"ATT(g={gt[0]}, t={gt[1]}) on the unbalanced panel: {err}"
                ) from err
            full = np.bincount(
                rows.unit[sel], weights=(n_scale / sel.size) * res.inf_func, minlength=n_scale
            )
            units = rows.unit[sel]
            n_t = int(np.unique(units[is_g[sel]]).size)
            n_c = int(np.unique(units[~is_g[sel]]).size)
            out.append((g, times[tn], res.att, n_t, n_c, times[pret], False))
            infs.append(full)
    if not out:
        raise SroiInputError("no ATT(g,t) could be computed: no cohort has a pre-treatment period")
    g_, t_, att, n_t_, n_c_, base, ref = (list(c) for c in zip(*out, strict=True))
    return GroupTimeCells(
        group=np.asarray(g_, dtype=float),
        time=np.asarray(t_, dtype=float),
        att=np.asarray(att, dtype=float),
        inf=np.column_stack(infs),
        n_treated=np.asarray(n_t_),
        n_control=np.asarray(n_c_),
        base=np.asarray(base, dtype=float),
        reference=np.asarray(ref, dtype=bool),
    )
