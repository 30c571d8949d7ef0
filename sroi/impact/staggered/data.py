"""The unit x period panel the staggered designs estimate on, built with a Panel.

By default (a balanced panel, as R ``did`` with ``allow_unbalanced_panel=FALSE``) units, never
single rows, are excluded, each counted under the first reason that applies, in this order:
missing cohort; treated in the first period plus anticipation (no untreated pre-period);
missing outcome, covariate, weight or cluster; not observed in every period (counted in
:attr:`CohortPanel.n_units_dropped_unbalanced`, with a warning); zero weight.

With ``allow_unbalanced=True`` (R ``did``'s ``allow_unbalanced_panel=TRUE``) a missing outcome or
covariate drops that row only, and units observed in only some periods are kept: the arrays
then hold ``NaN`` where a unit is not observed and :attr:`CohortPanel.observed` marks the
observed cells (``None`` when every unit is observed in every period, in which case the
balanced-panel estimators apply, as in R). Cohorts after the last period count as never
treated (as R ``did``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from sroi.data.panel import Panel
from sroi.errors import SroiInputError, SroiWarning

__all__ = ["CohortArrays", "CohortPanel", "cohort_arrays", "cohort_panel"]


@dataclass(frozen=True, kw_only=True)
class CohortArrays:
    """Unit x period arrays of a balanced panel (without the long rows they came from).

    Attributes
    ----------
    units
        Unit ids (sorted).
    times
        The periods.
    Y
        Outcomes, ``n x T``.
    G
        Cohort per unit (0 = never treated).
    X
        Covariates ``n x T x k``, or ``None``; when they are the same in every period, a
        read-only view of one value per unit repeated over the periods.
    x_time_invariant
        Whether the covariates are the same in every period.
    w
        Unit weights (ones without ``weights``).
    cluster_values
        Cluster of each unit, or ``None``.
    exclusions
        Units and rows excluded, by reason (``reason, column, n_rows, n_units``).
    notes
        Caveats, in words.
    observed
        ``n x T`` mask of the unit-periods observed, for an unbalanced panel kept with
        ``allow_unbalanced=True``; ``None`` for a balanced panel.
    n_units_dropped_unbalanced
        Units dropped because they were not observed in every period (0 with
        ``allow_unbalanced=True``).
    n_units_partial
        Units kept although observed in only some periods (``allow_unbalanced=True``).
    """

    units: np.ndarray
    times: np.ndarray
    Y: np.ndarray
    G: np.ndarray
    X: np.ndarray | None
    x_time_invariant: bool
    w: np.ndarray
    cluster_values: np.ndarray | None
    exclusions: pd.DataFrame
    notes: list[str]
    observed: np.ndarray | None = None
    n_units_dropped_unbalanced: int = 0
    n_units_partial: int = 0


@dataclass(frozen=True, kw_only=True)
class CohortPanel(CohortArrays):
    """:class:`CohortArrays` with the validated long panel they were built from.

    Attributes
    ----------
    panel
        The validated long panel (rows of the units kept), for designs that read more
        columns per unit (the matched design's pool and matching variables).
    """

    panel: Panel


def cohort_panel(
    frame: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] | str | None,
    cluster: str | None,
    weights: str | None,
    anticipation: int,
    extra: Sequence[str] | Mapping[str, str] = (),
    allow_unbalanced: bool = False,
) -> CohortPanel:
    """Validate a long panel and reshape it to unit x period arrays, keeping its rows.

    Parameters
    ----------
    frame
        Long panel, one row per unit and period.
    outcome, unit, time, cohort
        Column names (``cohort``: first treated period, 0 = never treated).
    covariates
        Numeric covariate columns (a single name is accepted).
    cluster
        Column constant within units, or ``None``.
    weights
        Column of unit weights (constant within units, >= 0), or ``None``.
    anticipation
        Periods of anticipation (units treated by the first period plus anticipation have
        no untreated pre-period).
    extra
        Further columns to keep in :attr:`CohortPanel.panel` (not checked).
    allow_unbalanced
        Keep units observed in only some periods (rows with a missing outcome or covariate
        are dropped one by one); default ``False`` drops them as whole units, counted.

    Returns
    -------
    CohortPanel
        The arrays, the validated long panel, the counted exclusions and notes.

    See Also
    --------
    cohort_arrays : The same arrays without the long panel (less memory).
    """
    p, covs, n_dropped = _validated(
        frame, outcome, unit, time, cohort, covariates, cluster, weights, anticipation,
        allow_unbalanced, extra,
    )  # fmt: skip
    arrays = _arrays(p, outcome, covs, n_dropped)
    return CohortPanel(panel=p, **{f.name: getattr(arrays, f.name) for f in fields(arrays)})


def cohort_arrays(
    frame: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] | str | None,
    cluster: str | None,
    weights: str | None,
    anticipation: int,
    allow_unbalanced: bool = False,
) -> CohortArrays:
    """Validate a long panel and reshape it to unit x period arrays, without keeping its rows.

    The checks, exclusions and arrays are those of :func:`cohort_panel` (same parameters,
    without ``extra``); the validated long panel is released once the arrays are built, so
    it does not stay in memory while the estimates are computed (nor with a result that
    keeps the arrays).

    Returns
    -------
    CohortArrays
        The arrays, the counted exclusions and notes.
    """
    p, covs, n_dropped = _validated(
        frame, outcome, unit, time, cohort, covariates, cluster, weights, anticipation,
        allow_unbalanced,
    )  # fmt: skip
    return _arrays(p, outcome, covs, n_dropped)


def _validated(
    frame: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] | str | None,
    cluster: str | None,
    weights: str | None,
    anticipation: int,
    allow_unbalanced: bool,
    extra: Sequence[str] | Mapping[str, str] = (),
) -> tuple[Panel, list[str], int]:
    """The checked panel with its exclusions applied, its covariates and units dropped for gaps.

    Shared by :func:`cohort_panel` and :func:`cohort_arrays`.
    """
    covs = [covariates] if isinstance(covariates, str) else list(covariates or [])
    p = Panel(
        frame,
        unit=unit,
        time=time,
        cohort=cohort,
        outcomes=[outcome],
        covariates=covs,
        clusters=[cluster] if cluster is not None else [],
        weights=weights,
        extra=extra,
    )
    _check(p, outcome, covs)
    return p, covs, _exclude(p, outcome, covs, anticipation, allow_unbalanced)


def _check(p: Panel, outcome: str, covs: list[str]) -> None:
    """The errors: keys, duplicates, constant cohorts, cohorts that are periods, weights."""
    assert p.cohort is not None and p.unit is not None
    p.require_complete(p.time, "Every row needs a period.")
    p.require_complete(p.unit, "Every row needs a unit id.", problem="missing unit ids")
    p.check_unique()
    p.check_constant(p.cohort)
    p.fill_cohort_within_units()
    p.to_numeric(outcome, "the outcome")
    for c in covs:
        p.to_numeric(c, "a covariate")
    if len(p.periods) < 2:
        raise SroiInputError(f"time column {p.time!r} has a single period; DiD needs at least two")
    p.recode_late_cohorts()
    p.check_cohorts_are_periods()
    if p.weights is not None:
        p.to_numeric(p.weights, "the weights")
        p.check_weights()
        p.check_constant(p.weights)
    for c in p.clusters:
        p.check_constant(c)


def _exclude(
    p: Panel, outcome: str, covs: list[str], anticipation: int, allow_unbalanced: bool
) -> int:
    """Unit exclusions, first applicable reason first; returns the units dropped for gaps."""
    assert p.cohort is not None
    n_periods = len(p.periods)
    row_level = {"whole_units": not allow_unbalanced, "finite": True}
    kept = "row dropped, unit kept: allow_unbalanced_panel" if allow_unbalanced else ""
    p.drop_incomplete(p.cohort, f"missing cohort ({p.cohort})", whole_units=True)
    p.drop_treated_from_start(
        "treated in the first period (plus anticipation): no untreated pre-period",
        first=int(p.periods[0]),
        anticipation=anticipation,
    )
    suffix = f"; {kept}" if kept else ""
    p.drop_incomplete(outcome, f"missing outcome ({outcome}){suffix}", **row_level)
    for c in covs:
        p.drop_incomplete(c, f"missing covariate ({c}){suffix}", **row_level)
    if p.weights is not None:
        p.drop_incomplete(p.weights, f"missing weight ({p.weights})", whole_units=True, finite=True)
    for c in p.clusters:
        p.drop_incomplete(c, f"missing cluster ({c})", whole_units=True)
    n_before = len(p.units)
    if not allow_unbalanced:
        p.drop_unbalanced_units(
            f"not observed in every period (gaps; balanced panel of {n_periods} periods "
            "required; allow_unbalanced_panel=True keeps them)"
        )
    n_dropped = n_before - len(p.units)
    if n_dropped:
        warnings.warn(
            f"{n_dropped} of {n_before} units are not observed in every period and were "
            "dropped to balance the panel (counted in the exclusions); pass "
            "allow_unbalanced_panel=True to keep them (repeated cross-section 2x2s, as R did)",
            SroiWarning,
            stacklevel=5,
        )
    if p.weights is not None:
        zero = p.data[p.weights].to_numpy(dtype=float) == 0
        p.drop_units(zero, "zero weight", p.weights)
    if p.data.empty:
        raise SroiInputError(
            "every unit was excluded: "
            + "; ".join(f"{r['reason']}: {r['n_units']}" for r in p.exclusions.records)
        )
    return n_dropped


def _arrays(p: Panel, outcome: str, covs: list[str], n_dropped: int) -> CohortArrays:
    """Reshape the kept rows to unit x period arrays (``NaN`` where not observed)."""
    assert p.cohort is not None
    Y = p.wide(outcome)
    X, x_inv = _covariates(p, covs) if covs else (None, True)
    units = p.units
    observed = np.isfinite(Y)
    n_partial = int(np.sum(~observed.all(axis=1)))
    if n_partial:
        p.notes.append(
            f"{n_partial} units are observed in only some periods and are kept "
            "(allow_unbalanced_panel=True): each ATT(g,t) uses every observation of its two "
            "periods (repeated cross-section estimators, as R did)"
        )
    return CohortArrays(
        units=units,
        times=p.periods,
        Y=Y,
        G=p.unit_values(p.cohort).astype(float),
        X=X,
        x_time_invariant=x_inv,
        w=np.ones(len(units)) if p.weights is None else p.unit_values(p.weights).astype(float),
        cluster_values=p.unit_values(p.clusters[0]) if p.clusters else None,
        exclusions=p.exclusions.table(),
        notes=list(p.notes),
        observed=observed if n_partial else None,
        n_units_dropped_unbalanced=n_dropped,
        n_units_partial=n_partial,
    )


def _covariates(p: Panel, covs: list[str]) -> tuple[np.ndarray, bool]:
    """Covariates ``n x T x k`` and whether they are the same in every period.

    Covariates that are the same in every period (the usual case) are stored once per unit
    and repeated over the periods as a read-only view (``np.broadcast_to``), not ``T``
    copies.
    """
    n, T = len(p.units), len(p.periods)
    first = np.empty((n, 1, len(covs)))
    for j, c in enumerate(covs):
        W = p.wide(c)
        if not np.all(W == W[:, :1]):
            return p.wide_stack(covs), False
        first[:, 0, j] = W[:, 0]
    return np.broadcast_to(first, (n, T, len(covs))), True
