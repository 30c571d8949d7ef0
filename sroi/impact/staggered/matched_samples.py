"""Per-cohort matched samples for matched staggered DiD.

For cohort ``g`` with reference period ``r = g - 1 - anticipation``: a cross-section of the
cohort's treated units and the eligible never-treated pool with their characteristics at
``r`` and outcome history ``<col>_lag1`` (period ``r``), ``<col>_lag2`` (``r - 1``), ...;
pool units outside the treated units' support on discrete characteristics are left out;
with school-relative history (``within_school``), the propensity score is fitted on the
characteristics and raw history and the units are matched, within its caliper, on the
Mahalanobis distance of the raw and school-relative history (MatchIt's ``mahvars``); the
matcher (:func:`sroi.impact.matching.match` by default) gives the matching weights.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sroi.errors import SroiInputError
from sroi.impact.staggered.cells import maybe_int
from sroi.impact.staggered.sample_cache import SampleCache, content_key

__all__ = [
    "TREATED",
    "CohortSample",
    "MatchingDesign",
    "UnitLookup",
    "collinear_columns",
    "match_cohort",
    "match_weights",
    "pool_mask",
    "support_restriction",
]

TREATED = "_treated"
"""Name of the 0/1 treatment column of the cross-sections handed to the matcher."""


@dataclass(frozen=True)
class MatchingDesign:
    """What every cohort's matching uses (see :func:`sroi.impact.staggered.matched_staggered_did`)."""

    outcome: str
    unit: str
    covariates: list[str]
    exact_only: list[str]
    history: list[str]
    history_periods: int
    anticipation: int
    restrict_support: bool
    matcher: Callable[..., Any]
    match_kwargs: Mapping[str, Any]
    random_state: Any
    estimator: str
    #: history columns also matched on relative to the school (``<c>_vs_school`` in the panel):
    #: their raw and relative lags are the Mahalanobis variables within the score's caliper
    within_school: tuple[str, ...] = ()
    #: the outcome regression of the cells after treatment adjusts for the matched history too
    adjust_for_history: bool = False


@dataclass(frozen=True)
class UnitLookup:
    """Unit-level arrays and the long rows of the units kept, for reading values by period."""

    units: np.ndarray
    times: np.ndarray
    G: np.ndarray
    eligible: np.ndarray
    rows: pd.DataFrame
    unit_pos: np.ndarray
    period_pos: np.ndarray
    #: row positions of each period, columns as arrays and values read so far (every cohort
    #: reads the same ones)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    def at_period(self, column: str, p_idx: int) -> np.ndarray:
        """Value of ``column`` in period ``times[p_idx]`` for every unit (``NaN`` if unobserved)."""
        key = (column, p_idx)
        if key not in self._memo:
            if p_idx not in self._memo:
                self._memo[p_idx] = np.flatnonzero(self.period_pos == p_idx)
            rows = self._memo[p_idx]
            if column not in self._memo:  # converted once (e.g. Arrow-backed strings)
                self._memo[column] = self.rows[column].to_numpy()
            s = pd.Series(self._memo[column][rows], index=self.unit_pos[rows])
            self._memo[key] = s.reindex(np.arange(len(self.units))).to_numpy()
        return self._memo[key]

    def content_key(self, columns: list[str]) -> str:
        """A hash of the units, their cohorts, the pool, the periods and ``columns``' values."""
        key = ("content key", tuple(columns))
        if key not in self._memo:
            self._memo[key] = content_key(
                self.units,
                self.times,
                self.G,
                self.eligible,
                self.unit_pos,
                self.period_pos,
                self.rows[columns],
            )
        return str(self._memo[key])


@dataclass
class CohortSample:
    """The matched sample of one cohort.

    Attributes
    ----------
    rows
        Positions (in the unit arrays) of the units with positive matching weight.
    G
        Their cohort (``g`` for treated, 0 for comparison units).
    w
        Their matching weights.
    X
        Regression covariates of the outcome regression (``None`` for ``"unconditional"``).
    X_post
        Those of the cells after treatment (base period the reference period), with the
        matched history lags added (``adjust_for_history``); ``None``: ``X`` for every cell.
    match
        The matcher's result.
    summary
        One row of the result's ``cohorts`` table.
    notes
        Caveats of this cohort, in words.
    """

    rows: np.ndarray
    G: np.ndarray
    w: np.ndarray
    X: np.ndarray | None
    match: Any
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    X_post: np.ndarray | None = None


def match_weights(m: Any, cs: pd.DataFrame, unit: str) -> np.ndarray:
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


def collinear_columns(X: np.ndarray) -> list[int]:
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


def support_restriction(
    cs: pd.DataFrame, match_vars: list[str], ok: np.ndarray, history_names: list[str]
) -> tuple[np.ndarray, set[str], list[str]]:
    """Pool units outside the treated units' support on discrete characteristics.

    For each categorical or 0/1 characteristic (outcome history excluded), values that occur
    among pool units but among no treated unit mark those pool units as off support. Returns
    the off-support mask, the characteristics left constant afterwards and readable notes.
    """
    is_t = cs[TREATED].to_numpy() == 1
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


def pool_mask(pool: Any, unit_frame: pd.DataFrame, unit: str) -> np.ndarray:
    """Eligible comparison units: all, a 0/1 column, or a collection of unit ids."""
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


def _cross_section(
    g: float, ref: int, design: MatchingDesign, lookup: UnitLookup, notes: list[str]
) -> tuple[pd.DataFrame, np.ndarray, int, list[str], list[str]]:
    """Treated units of cohort ``g`` and the pool with characteristics and history at ``ref``.

    Returns the cross-section, the positions of its units, the number treated, the
    propensity model's variables and the Mahalanobis variables (school-relative history).
    """
    gi = maybe_int(np.array([g]))[0]
    treated = np.flatnonzero(lookup.G == g)
    ctrl = np.flatnonzero(lookup.eligible)
    members = np.concatenate([treated, ctrl])
    cs = pd.DataFrame(
        {
            design.unit: lookup.units[members],
            TREATED: np.r_[np.ones(len(treated)), np.zeros(len(ctrl))].astype(int),
        }
    )
    for c in [*design.covariates, *design.exact_only]:
        cs[c] = lookup.at_period(c, ref)[members]
    match_vars = list(design.covariates)
    mahal_vars: list[str] = []
    relative = [f"{c}_vs_school" for c in design.within_school]
    for c in [*design.history, *relative]:
        for k in range(1, design.history_periods + 1):
            p_idx = ref - k + 1
            if p_idx < 0:
                if c not in relative:
                    notes.append(
                        f"cohort {gi}: history of {c} before the first "
                        f"period is not available (lag {k} skipped)"
                    )
                continue
            cs[f"{c}_lag{k}"] = lookup.at_period(c, p_idx)[members]
            if c in relative:
                mahal_vars.append(f"{c}_lag{k}")
            else:
                match_vars.append(f"{c}_lag{k}")
                if c in design.within_school:
                    mahal_vars.append(f"{c}_lag{k}")
    return cs, members, len(treated), match_vars, mahal_vars


def _regression_covariates(
    cs_used: pd.DataFrame, columns: list[str], is_t: np.ndarray, gi: Any, notes: list[str]
) -> np.ndarray:
    """Covariates of the outcome regression: indicators for categories, collinear ones left out."""
    Xg = pd.get_dummies(cs_used[columns], drop_first=True, dtype=float)
    const = collinear_columns(Xg.to_numpy(dtype=float)[~is_t])
    if const:
        names = [str(Xg.columns[j]) for j in const]
        notes.append(
            f"cohort {gi}: regression covariate(s) {', '.join(names)} constant or "
            "collinear among the matched comparison units, left out of the outcome "
            "regression"
        )
        Xg = Xg.drop(columns=Xg.columns[const])
    return Xg.to_numpy(dtype=float)


@dataclass(frozen=True)
class _MatchingData:
    """A cohort's cross-section as the matcher receives it, with its counts and notes."""

    gi: Any
    ref: int
    cs: pd.DataFrame
    members: np.ndarray
    n_treated: int
    n_treated_left_out: int
    n_pool: int
    n_missing: int
    n_off_support: int
    match_vars: list[str]
    mahal_vars: list[str]
    notes: tuple[str, ...]


def _matching_data(g: float, design: MatchingDesign, lookup: UnitLookup) -> _MatchingData:
    """The cross-section of cohort ``g`` without units missing matching data or off support."""
    gi = maybe_int(np.array([g]))[0]
    notes: list[str] = []
    ref = int(np.flatnonzero(lookup.times + design.anticipation < g)[-1])
    cs, members, n_treated, match_vars, mahal_vars = _cross_section(g, ref, design, lookup, notes)
    miss = cs[match_vars + mahal_vars].isna().any(axis=1).to_numpy()
    n_missing = int(miss.sum())
    n_off_support = 0
    if design.restrict_support:
        off, dropped_vars, support_notes = support_restriction(
            cs, match_vars, ~miss, history_names=match_vars[len(design.covariates) :]
        )
        notes.extend(f"cohort {gi}: {n}" for n in support_notes)
        n_off_support = int(off.sum())
        miss = miss | off
        match_vars = [v for v in match_vars if v not in dropped_vars]
    cs_ok = cs.loc[~miss].reset_index(drop=True)
    if cs_ok[TREATED].sum() == 0 or (cs_ok[TREATED] == 0).sum() == 0:
        group = "participant" if cs_ok[TREATED].sum() == 0 else "comparison-pool"
        raise SroiInputError(
            f"cohort {gi}: no {group} unit left for matching ({n_missing} with missing "
            f"matching data, {n_off_support} off common support); check that no matching "
            "covariate separates participants from the pool (for example the column that "
            "defines design.comparison_pool)"
        )
    return _MatchingData(
        gi=gi,
        ref=ref,
        cs=cs_ok,
        members=members[~miss],
        n_treated=n_treated,
        n_treated_left_out=int(miss[:n_treated].sum()),
        n_pool=int(len(members) - n_treated),
        n_missing=n_missing,
        n_off_support=n_off_support,
        match_vars=match_vars,
        mahal_vars=mahal_vars,
        notes=tuple(notes),
    )


def _outcome_covariates(
    data: _MatchingData, used: np.ndarray, design: MatchingDesign
) -> tuple[np.ndarray | None, np.ndarray | None, tuple[str, ...]]:
    """The outcome regression's covariates of the matched units (``X``, ``X_post``), notes."""
    if design.estimator == "unconditional":
        return None, None, ()
    notes: list[str] = []
    cs_used = data.cs.loc[used]
    is_t = cs_used[TREATED].to_numpy() == 1
    X = _regression_covariates(cs_used, list(design.covariates), is_t, data.gi, notes)
    X_post = None
    lags = [
        v for v in dict.fromkeys(data.match_vars + data.mahal_vars) if v not in design.covariates
    ]
    if design.adjust_for_history and lags:
        columns = [*design.covariates, *lags]
        X_post = _regression_covariates(cs_used, columns, is_t, data.gi, notes)
    return X, X_post, tuple(notes)


def match_cohort(
    g: float, design: MatchingDesign, lookup: UnitLookup, cache: SampleCache | None = None
) -> CohortSample:
    """Match cohort ``g``'s treated units to the pool on information up to its reference period.

    With ``cache``, the cross-section and the regression covariates of the matched units are
    kept there under the content of what they are built from (the design's matching options
    and the lookup's units and matching columns, not the outcome) and reused by a later call
    with the same content; the matcher is called every time.
    """
    key = None
    if cache is None:
        data = _matching_data(g, design, lookup)
    else:
        key = content_key(
            "cohort matching data",
            float(g),
            design.unit,
            design.covariates,
            design.exact_only,
            design.history,
            design.history_periods,
            design.anticipation,
            design.restrict_support,
            list(design.within_school),
            lookup.content_key(_lookup_columns(design)),
        )
        data = cache.get(key, lambda: _matching_data(g, design, lookup))
    extra = {"mahvars": data.mahal_vars} if data.mahal_vars else {}
    try:
        m = design.matcher(
            data.cs,
            treatment=TREATED,
            covariates=data.match_vars,
            random_state=design.random_state,
            **design.match_kwargs,
            **extra,
        )
    except SroiInputError as err:
        raise SroiInputError(f"matching cohort {data.gi}: {err}") from err
    w = match_weights(m, data.cs, design.unit)
    used = w > 0
    is_t = data.cs[TREATED].to_numpy()[used] == 1
    n_mt, n_mc = int(is_t.sum()), int((~is_t).sum())
    if n_mt == 0 or n_mc == 0:
        raise SroiInputError(f"cohort {data.gi}: no matched treated or comparison units")
    if cache is None:
        X, X_post, covariate_notes = _outcome_covariates(data, used, design)
    else:
        options = (design.estimator, design.adjust_for_history)
        X, X_post, covariate_notes = cache.get(
            content_key("outcome covariates", key, used, *options),
            lambda: _outcome_covariates(data, used, design),
        )
    notes = [*data.notes, *covariate_notes]
    n_treated = data.n_treated
    summary = {
        "cohort": data.gi,
        "reference_period": maybe_int(np.array([lookup.times[data.ref]]))[0],
        "n_treated": n_treated,
        "n_matched_treated": n_mt,
        "n_unmatched_treated": n_treated - n_mt - data.n_treated_left_out,
        "n_pool": data.n_pool,
        "n_matched_control": n_mc,
        "n_missing": data.n_missing,
        "n_pool_off_support": data.n_off_support,
        "match_variables": list(data.match_vars),
        "mahalanobis_variables": list(data.mahal_vars),
    }
    if n_treated - n_mt:
        notes.append(
            f"cohort {data.gi}: {n_treated - n_mt} of {n_treated} treated units not matched "
            "(caliper, common support or missing data); the effect is for the matched treated"
        )
    return CohortSample(
        rows=data.members[used],
        G=np.where(is_t, g, 0.0),
        w=w[used],
        X=X,
        match=m,
        summary=summary,
        notes=notes,
        X_post=X_post,
    )


def _lookup_columns(design: MatchingDesign) -> list[str]:
    """The columns a cohort's cross-section reads from the lookup."""
    relative = [f"{c}_vs_school" for c in design.within_school]
    return list(dict.fromkeys([*design.covariates, *design.exact_only, *design.history, *relative]))
