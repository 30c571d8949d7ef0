"""Matched staggered difference-in-differences (the sample evaluation's design).

For each treatment cohort ``g`` separately:

1. build a cross-section of the cohort's treated units and the eligible comparison pool
   (never-treated units, optionally restricted by ``pool``) with their characteristics at
   the reference period ``r = g - 1 - anticipation`` and their outcome / marker history
   in periods ``r - history_periods + 1 .. r`` (columns ``<col>_lag1`` = period ``r``,
   ``<col>_lag2`` = period ``r - 1``, ...);
2. match treated to pool units on that cross-section with :func:`sroi.match` (or the
   ``matcher`` given), using only information up to period ``r``;
3. estimate ATT(g,t) for every period on the matched sample with the matching weights
   (a 2x2 DiD against base period ``r`` after treatment, consecutive periods before it,
   as Callaway & Sant'Anna 2021), by the panel estimators of Sant'Anna & Zhao (2020)
   (default ``"reg"``: regression adjustment on the matching covariates).

The cohort samples are stacked. A comparison unit can be matched for several cohorts,
so influence functions are summed within unit across the stacks before squaring: the
standard errors are clustered on unit id (or on ``cluster`` if given, e.g. school).
Aggregations (``group``, ``dynamic``, ``calendar``, ``simple``) are those of
:class:`sroi.impact.staggered.StaggeredResult`, with cohort shares taken from the matched
treated units. Inference is conditional on the matched samples (the uncertainty of the
matching step itself is not propagated).

Pre-period ATT(g,t) inside the matching window are close to zero by construction (the
groups were matched on those outcomes); pre-trends are informative only before it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.staggered import (
    _AggregationMixin,
    _Cells,
    _cells_frame,
    _check_options,
    _Inference,
    _maybe_int,
    compute_cells,
    make_basis,
    prepare_panel,
)

__all__ = ["matched_staggered_did", "MatchedStaggeredResult"]

_TREAT = "_treated"


@dataclass(eq=False)
class MatchedStaggeredResult(_AggregationMixin):
    """Result of :func:`matched_staggered_did`.

    Attributes
    ----------
    att_gt
        ATT(g,t) table as :attr:`StaggeredResult.att_gt`.
    matches
        Cohort -> match object (for balance tables: ``matches[g].balance()``).
    cohorts
        Per cohort: treated units, matched treated, matched comparison units (distinct),
        pool size, units dropped for missing matching data, and the matching variables.
    exclusions
        Units (and rows) left out of the panel, by reason.
    """

    att_gt: pd.DataFrame
    matches: dict[Any, Any]
    cohorts: pd.DataFrame
    outcome: str
    estimator: str
    anticipation: int
    history_periods: int
    n_units: int
    n_treated: int
    n_control: int
    exclusions: pd.DataFrame
    notes: tuple[str, ...]
    level: float
    cluster: str
    n_clusters: int
    n_treated_clusters: int
    _cells: _Cells = field(repr=False)
    _G: np.ndarray = field(repr=False)
    _w: np.ndarray = field(repr=False)
    _groups: np.ndarray = field(repr=False)
    _inference: _Inference = field(repr=False)
    _tmax: float = field(repr=False)
    _tmin: float = field(repr=False)

    @property
    def ci_type(self) -> str:
        return self._inference.table_ci_type()

    @property
    def influence_functions(self) -> np.ndarray:
        """Influence functions on the distinct units of the stacked samples."""
        return self._cells.inf

    def _method(self) -> str:
        return (
            f"matched staggered DiD (cohort-wise matching, {self.estimator}, stacked; "
            f"SE clustered on {self.cluster})"
        )

    def _effect_kwargs(self) -> dict[str, Any]:
        return {
            "n_control": self.n_control,
            "method": self._method(),
            "cluster": self.cluster,
            "n_clusters": self.n_clusters,
            "n_treated_clusters": self.n_treated_clusters,
            "notes": self.notes,
            "extra": {
                "anticipation": self.anticipation,
                "history_periods": self.history_periods,
                "cohorts": self.cohorts.drop(columns=["match_variables"]).to_dict(orient="records"),
                "exclusions": self.exclusions.to_dict(orient="records"),
            },
        }

    def summary(self) -> str:
        """Readable summary: matching per cohort, exclusions, group effect, pre-trend test."""
        lines = [
            f"Matched staggered DiD on {self.outcome}: {self._method()}",
            f"  distinct units {self.n_units}: matched treated {self.n_treated}, "
            f"comparison units {self.n_control}",
        ]
        for r in self.cohorts.itertuples():
            lines.append(
                f"  cohort {r.cohort}: {r.n_matched_treated}/{r.n_treated} treated matched to "
                f"{r.n_matched_control} of {r.n_pool} pool units"
                + (f"; {r.n_missing} dropped for missing matching data" if r.n_missing else "")
            )
        for r in self.exclusions.itertuples():
            lines.append(f"  excluded: {r.units} units ({r.rows} rows): {r.reason}")
        lines.extend(f"  note: {n}" for n in self.notes)
        eff = self.aggregate_effect("group")
        lines.append(
            f"  ATT (group aggregation) {eff.estimate:.4f} (SE {eff.std_error:.4f}, "
            f"{int(round(eff.level * 100))}% CI [{eff.ci_low:.4f}, {eff.ci_high:.4f}])"
        )
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                lines.append("  " + str(self.pretrend_test()))
            lines.extend(f"    warning: {w.message}" for w in caught)
        except SroiInputError as err:
            lines.append(f"  pre-trend test unavailable: {err}")
        return "\n".join(lines)

    def __str__(self) -> str:  # pragma: no cover - thin wrapper
        return self.summary()

    def __repr__(self) -> str:
        return (
            f"MatchedStaggeredResult(outcome={self.outcome!r}, estimator={self.estimator!r}, "
            f"cohorts={list(self.matches)}, cells={len(self.att_gt)}, units={self.n_units})"
        )


def _default_matcher() -> Callable[..., Any]:
    from sroi.impact.matching import match

    return match


def _match_weights(m: Any, cs: pd.DataFrame, unit: str) -> np.ndarray:
    """Weights per row of ``cs`` from a match object (0 for unmatched / unused rows)."""
    w = getattr(m, "weights", None)
    if isinstance(w, pd.Series) and w.index.equals(cs.index):
        return w.to_numpy(dtype=float)
    data = getattr(m, "data", None)
    if not isinstance(data, pd.DataFrame) or "weights" not in data.columns:
        raise SroiInputError("the matcher must return an object whose .data has a 'weights' column")
    if unit in data.columns:
        s = pd.Series(data["weights"].to_numpy(dtype=float), index=data[unit].to_numpy())
        return s.reindex(cs[unit].to_numpy()).fillna(0.0).to_numpy()
    return data["weights"].reindex(cs.index).fillna(0.0).to_numpy(dtype=float)


def _collinear_columns(X: np.ndarray) -> list[int]:
    """Columns to drop (greedy, left to right) so that ``[1, X]`` has full column rank."""
    keep = [np.ones(len(X))]
    drop = []
    for j in range(X.shape[1]):
        cand = np.column_stack([*keep, X[:, j]])
        if np.linalg.matrix_rank(cand) == cand.shape[1]:
            keep.append(X[:, j])
        else:
            drop.append(j)
    return drop


def _support_restriction(
    cs: pd.DataFrame, match_vars: list[str], ok: np.ndarray, history_names: list[str]
) -> tuple[np.ndarray, set[str], list[str]]:
    """Pool units outside the treated units' support on discrete characteristics.

    For each categorical or 0/1 characteristic (outcome history excluded), values that occur
    among pool units but among no treated unit mark those pool units as off support. Returns
    the off-support mask, the characteristics left constant afterwards and readable notes.
    """
    is_t = cs[_TREAT].to_numpy() == 1
    off = np.zeros(len(cs), dtype=bool)
    notes: list[str] = []
    discrete = []
    for v in match_vars:
        if v in history_names:
            continue
        col = cs[v]
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        if numeric and not col[ok].dropna().isin([0, 1]).all():
            continue
        discrete.append(v)
        treated_values = set(col[ok & is_t].dropna().tolist())
        outside = ok & ~is_t & ~col.isin(treated_values).to_numpy()
        if outside.any():
            vals = sorted({str(x) for x in col[outside].tolist()})
            notes.append(
                f"{int(outside.sum())} pool unit(s) with {v} = {', '.join(vals)} excluded: no "
                "treated unit of this cohort has that value (outside common support)"
            )
            off |= outside
    keep = ok & ~off
    dropped = {v for v in discrete if cs.loc[keep, v].nunique(dropna=True) <= 1}
    for v in sorted(dropped):
        notes.append(f"{v} is the same for every remaining unit, left out of the matching model")
    return off, dropped, notes


def _pool_mask(pool: Any, unit_frame: pd.DataFrame, unit: str) -> np.ndarray:
    if pool is None:
        return np.ones(len(unit_frame), dtype=bool)
    if isinstance(pool, str):
        if pool not in unit_frame.columns:
            raise SroiInputError(
                f"pool column {pool!r} is not in the panel; give a 0/1 column marking eligible "
                "comparison units, or a list of unit ids"
            )
        v = unit_frame[pool]
        if v.isna().any():
            raise SroiInputError(f"pool column {pool!r} has missing values")
        return v.astype(bool).to_numpy()
    if isinstance(pool, Iterable):
        ids = set(pool)
        return unit_frame[unit].isin(ids).to_numpy()
    raise SroiInputError("pool must be None, a 0/1 column name or a collection of unit ids")


def matched_staggered_did(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: list[str],
    history: list[str] | None = None,
    history_periods: int = 2,
    pool: str | Iterable[Any] | None = None,
    match_kwargs: Mapping[str, Any] | None = None,
    estimator: str = "reg",
    anticipation: int = 0,
    random_state: int = 0,
    matcher: Callable[..., Any] | None = None,
    cluster: str | None = None,
    level: float = 0.95,
    restrict_support: bool = True,
    n_boot: int = 0,
) -> MatchedStaggeredResult:
    """Cohort-wise matching on pre-period data, then stacked DiD on the matched samples.

    Parameters
    ----------
    panel
        Long panel (one row per unit and period) holding outcome, cohort, characteristics
        and history columns.
    outcome, unit, time, cohort
        Column names (``cohort``: first treated period, 0 = never treated).
    covariates
        Characteristics to match on, read at the cohort's reference period
        ``g - 1 - anticipation`` (categorical columns are passed to the matcher as they
        are; for the ``"reg"`` outcome regression they are expanded to indicators).
    history
        Time-varying columns whose recent values are matched on (default: ``[outcome]``);
        ``[]`` for none.
    history_periods
        Number of pre-periods of history (periods before the first one are skipped, with a
        note).
    pool
        Eligible comparison units among the never treated: ``None`` (all), the name of a
        0/1 column constant within unit (e.g. a column ``programme_school == 0``), or a
        collection of unit ids.
    match_kwargs
        Extra arguments for the matcher (``method``, ``distance``, ``ratio``, ``replace``,
        ``caliper``, ``exact``...). Columns named in ``exact`` are read at the reference
        period like ``covariates`` and passed to the matcher, without entering the
        propensity model unless they are also in ``covariates``.
    estimator
        2x2 estimator on the matched sample: ``"reg"`` (default; regression adjustment on
        ``covariates``), ``"unconditional"``, ``"dr"``, ``"ipw"`` or ``"dr_imp"``.
    anticipation
        Periods of anticipation before ``g``.
    random_state
        Passed to the matcher.
    matcher
        Callable with :func:`sroi.match`'s signature returning an object whose ``.data``
        has a ``weights`` column; default :func:`sroi.match`.
    cluster
        Column (constant within unit) to cluster on; default the unit id.
    level
        Confidence level.
    n_boot
        Multiplier-bootstrap draws for the standard errors and uniform bands, as
        :func:`~sroi.impact.staggered.staggered_did` (Rademacher multipliers on the unit, or
        cluster, sums of the stacked influence functions; seeded with ``random_state``).
        ``0`` (default) gives analytic pointwise intervals. The bootstrap is conditional on
        the matched samples: it does not repeat the matching.
    restrict_support
        Before matching cohort ``g``, drop pool units whose value of a categorical or 0/1
        matching characteristic (not outcome history) occurs in no cohort-``g`` treated unit
        (for example looked-after children when no enrolled pupil of that wave is looked
        after), and leave a characteristic that is then constant out of the matching model.
        Such units cannot be comparable to any treated unit, and keeping them makes the
        propensity model separate (no finite estimate). Each step is counted in the notes and
        in ``cohorts["n_pool_off_support"]``; a value that occurs only among treated units is
        still an error. Default ``True``; ``False`` passes the data to the matcher unchanged.

    Returns
    -------
    MatchedStaggeredResult
        With the aggregation interface of :class:`~sroi.impact.staggered.StaggeredResult`
        and the per-cohort match objects.
    """
    _check_options("never_treated", estimator, "varying", anticipation, n_boot, level)
    if not isinstance(covariates, (list, tuple)) or not covariates:
        raise SroiInputError("covariates: give a non-empty list of characteristics to match on")
    if (
        isinstance(history_periods, bool)
        or not isinstance(history_periods, (int, np.integer))
        or history_periods < 0
    ):
        raise SroiInputError(
            f"history_periods must be a whole number >= 0; got {history_periods!r}"
        )
    history = [outcome] if history is None else list(history)
    match_kwargs = dict(match_kwargs or {})
    for k in ("treatment", "covariates"):
        if k in match_kwargs:
            raise SroiInputError(f"match_kwargs must not set {k!r}: it is set per cohort")
    random_state = match_kwargs.pop("random_state", random_state)
    exact = match_kwargs.get("exact") or []
    exact = [exact] if isinstance(exact, str) else list(exact)
    exact_only = [c for c in exact if c not in covariates]
    matcher = _default_matcher() if matcher is None else matcher
    if not isinstance(panel, pd.DataFrame):
        raise SroiInputError(f"panel must be a pandas DataFrame; got {type(panel).__name__}")
    for c in [*covariates, *history, *exact_only] + ([pool] if isinstance(pool, str) else []):
        if c not in panel.columns:
            raise SroiInputError(f"column {c!r} (matching variable or pool) is not in the panel")

    prep = prepare_panel(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=None,
        cluster=cluster,
        weights=None,
        anticipation=int(anticipation),
    )
    times, G, Y = prep.times, prep.G, prep.Y
    n_all = len(G)
    notes = list(prep.notes)
    glist = np.unique(G[G > 0])
    if glist.size == 0:
        raise SroiInputError("no treated units remain; see the exclusions")
    if not np.any(G == 0):
        raise SroiInputError(
            "matched staggered DiD needs never-treated units for the comparison pool"
        )

    # unit-level and unit x period lookups for the kept units
    df = panel[panel[unit].isin(prep.units)]
    pos_of_unit = pd.Series(np.arange(n_all), index=prep.units)
    upos = pos_of_unit.reindex(df[unit].to_numpy()).to_numpy()
    tpos = np.searchsorted(times, df[time].to_numpy())
    first_rows = df.drop_duplicates(unit).set_index(unit).reindex(prep.units)
    unit_frame = first_rows.reset_index()
    eligible = _pool_mask(pool, unit_frame, unit) & (G == 0)
    if isinstance(pool, str):
        pser = df.groupby(unit)[pool].nunique()
        if (pser > 1).any():
            raise SroiInputError(f"pool column {pool!r} must be constant within each {unit}")

    def at_period(col: str, p_idx: int) -> pd.Series:
        rows = tpos == p_idx
        vals = df.loc[rows, col].to_numpy()
        s = pd.Series(vals, index=upos[rows])
        return s.reindex(np.arange(n_all))

    stacks_rows: list[np.ndarray] = []
    stack_G: list[np.ndarray] = []
    stack_w: list[np.ndarray] = []
    stack_X: list[np.ndarray | None] = []
    matches: dict[Any, Any] = {}
    cohort_rows = []
    for g in glist:
        gi = _maybe_int(np.array([g]))[0]
        ref = int(np.flatnonzero(times + anticipation < g)[-1])
        treated = np.flatnonzero(G == g)
        ctrl = np.flatnonzero(eligible)
        members = np.concatenate([treated, ctrl])
        cs = pd.DataFrame(
            {
                unit: prep.units[members],
                _TREAT: np.r_[np.ones(len(treated)), np.zeros(len(ctrl))].astype(int),
            }
        )
        for c in covariates:
            cs[c] = at_period(c, ref).to_numpy()[members]
        for c in exact_only:
            cs[c] = at_period(c, ref).to_numpy()[members]
        match_vars = list(covariates)
        for c in history:
            for k in range(1, history_periods + 1):
                p_idx = ref - k + 1
                if p_idx < 0:
                    notes.append(
                        f"cohort {gi}: history of {c} before the first "
                        f"period is not available (lag {k} skipped)"
                    )
                    continue
                name = f"{c}_lag{k}"
                cs[name] = at_period(c, p_idx).to_numpy()[members]
                match_vars.append(name)
        miss = cs[match_vars].isna().any(axis=1).to_numpy()
        n_missing = int(miss.sum())
        n_off_support = 0
        if restrict_support:
            off, dropped_vars, support_notes = _support_restriction(
                cs, match_vars, ~miss, history_names=match_vars[len(covariates) :]
            )
            notes.extend(f"cohort {gi}: {n}" for n in support_notes)
            n_off_support = int(off.sum())
            miss = miss | off
            match_vars = [v for v in match_vars if v not in dropped_vars]
        cs_ok = cs.loc[~miss].reset_index(drop=True)
        if cs_ok[_TREAT].sum() == 0 or (cs_ok[_TREAT] == 0).sum() == 0:
            raise SroiInputError(
                f"cohort {gi}: no treated or no pool units with complete matching data"
            )
        try:
            m = matcher(
                cs_ok,
                treatment=_TREAT,
                covariates=match_vars,
                random_state=random_state,
                **match_kwargs,
            )
        except SroiInputError as err:
            raise SroiInputError(f"matching cohort {gi}: {err}") from err
        w = _match_weights(m, cs_ok, unit)
        matches[gi] = m
        used = w > 0
        rows = members[~miss][used]
        is_t = cs_ok[_TREAT].to_numpy()[used] == 1
        n_mt, n_mc = int(is_t.sum()), int((~is_t).sum())
        if n_mt == 0 or n_mc == 0:
            raise SroiInputError(f"cohort {gi}: no matched treated or comparison units")
        stacks_rows.append(rows)
        stack_G.append(np.where(is_t, g, 0.0))
        stack_w.append(w[used])
        if estimator != "unconditional":
            Xg = pd.get_dummies(cs_ok.loc[used, list(covariates)], drop_first=True, dtype=float)
            const = _collinear_columns(Xg.to_numpy(dtype=float)[~is_t])
            if const:
                names = [str(Xg.columns[j]) for j in const]
                notes.append(
                    f"cohort {gi}: regression covariate(s) {', '.join(names)} constant or "
                    "collinear among the matched comparison units, left out of the outcome "
                    "regression"
                )
                Xg = Xg.drop(columns=Xg.columns[const])
            stack_X.append(Xg.to_numpy(dtype=float))
        else:
            stack_X.append(None)
        cohort_rows.append(
            {
                "cohort": gi,
                "reference_period": _maybe_int(np.array([times[ref]]))[0],
                "n_treated": int(len(treated)),
                "n_matched_treated": n_mt,
                "n_unmatched_treated": int(len(treated)) - n_mt - int(miss[: len(treated)].sum()),
                "n_pool": int(len(ctrl)),
                "n_matched_control": n_mc,
                "n_missing": n_missing,
                "n_pool_off_support": n_off_support,
                "match_variables": match_vars,
            }
        )
        dropped = int(len(treated)) - n_mt
        if dropped:
            notes.append(
                f"cohort {gi}: {dropped} of {len(treated)} treated units not matched "
                "(caliper, common support or missing data); the effect is for the matched treated"
            )

    # global index over distinct units used in any stack
    all_rows = np.unique(np.concatenate(stacks_rows))
    N = len(all_rows)
    to_global = pd.Series(np.arange(N), index=all_rows)
    G_glob = np.zeros(N)
    cell_list: list[_Cells] = []
    for g, rows, Gs, ws, Xs in zip(glist, stacks_rows, stack_G, stack_w, stack_X, strict=True):
        gidx = to_global.reindex(rows).to_numpy()
        G_glob[gidx[Gs > 0]] = g
        X3 = (
            None
            if Xs is None or Xs.shape[1] == 0
            else np.repeat(Xs[:, None, :], len(times), axis=1)
        )
        cells = compute_cells(
            Y[rows],
            Gs,
            times,
            np.array([g]),
            X=X3,
            x_time_invariant=True,
            w=ws,
            estimator=estimator,
            control_group="never_treated",
            anticipation=int(anticipation),
            base_period="varying",
            n_scale=N,
            unit_index=gidx,
        )
        cell_list.append(cells)
    cells = _Cells(
        group=np.concatenate([c.group for c in cell_list]),
        time=np.concatenate([c.time for c in cell_list]),
        att=np.concatenate([c.att for c in cell_list]),
        inf=np.column_stack([c.inf for c in cell_list]),
        n_treated=np.concatenate([c.n_treated for c in cell_list]),
        n_control=np.concatenate([c.n_control for c in cell_list]),
        base=np.concatenate([c.base for c in cell_list]),
        reference=np.concatenate([c.reference for c in cell_list]),
    )
    if cluster is not None and cluster != unit:
        codes, uniq = pd.factorize(pd.Series(prep.cluster_values[all_rows]), sort=True)
        n_cl = len(uniq)
        cl_name = cluster
    else:
        codes, n_cl, cl_name = None, N, unit
    n_tc = int(np.unique(codes[G_glob > 0]).size) if codes is not None else int(np.sum(G_glob > 0))
    basis, groups = make_basis(cells, G_glob, np.ones(N))
    inference = _Inference(
        basis, codes, None if codes is None else n_cl, int(n_boot), random_state, float(level)
    )
    n_ctrl = int(np.sum(G_glob == 0))
    if n_tc < 10 and codes is not None:
        warnings.warn(
            f"only {n_tc} clusters contain treated units: clustered standard errors are "
            "unreliable with so few treated clusters",
            SroiWarning,
            stacklevel=2,
        )
    return MatchedStaggeredResult(
        att_gt=_cells_frame(cells, inference, basis.shape[1]),
        matches=matches,
        cohorts=pd.DataFrame(cohort_rows),
        outcome=outcome,
        estimator=estimator,
        anticipation=int(anticipation),
        history_periods=int(history_periods),
        n_units=N,
        n_treated=int(np.sum(G_glob > 0)),
        n_control=n_ctrl,
        exclusions=prep.exclusions,
        notes=tuple(notes),
        level=float(level),
        cluster=cl_name,
        n_clusters=n_cl,
        n_treated_clusters=n_tc,
        _cells=cells,
        _G=G_glob,
        _w=np.ones(N),
        _groups=groups,
        _inference=inference,
        _tmax=float(times.max()),
        _tmin=float(times.min()),
    )
