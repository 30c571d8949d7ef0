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
:class:`sroi.impact.staggered.StaggeredResult` (the shared
:class:`~sroi.impact.staggered.result.StaggeredResultBase`), with cohort shares taken from the
matched treated units. Inference is conditional on the matched samples (the uncertainty of the
matching step itself is not propagated).

Pre-period ATT(g,t) inside the matching window are close to zero by construction (the
groups were matched on those outcomes); pre-trends are informative only before it.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from sroi._checks import check_choice, check_int, check_seed
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.inference.few_clusters import SMALL_SAMPLE_CHOICES, small_sample_df
from sroi.impact.matching import match
from sroi.impact.staggered.aggregation import CellAggregator
from sroi.impact.staggered.cell_inference import CellInference
from sroi.impact.staggered.cells import GroupTimeCells, cells_frame, compute_cells, make_basis
from sroi.impact.staggered.cells_rc import compute_cells_rc, long_rows
from sroi.impact.staggered.data import CohortPanel, cohort_panel
from sroi.impact.staggered.matched_samples import (
    CohortSample,
    MatchingDesign,
    UnitLookup,
    match_cohort,
    pool_mask,
)
from sroi.impact.staggered.options import (
    check_covariate_timing,
    check_options,
    check_unbalanced_options,
    cluster_reason,
)
from sroi.impact.staggered.randomization import Reassignment
from sroi.impact.staggered.result import StaggeredResultBase
from sroi.impact.staggered.sample_cache import SampleCache
from sroi.impact.staggered.school_history import with_school_relative_history

__all__ = ["MatchedStaggeredResult", "matched_staggered_did"]


@dataclass(eq=False)
class MatchedStaggeredResult(StaggeredResultBase):
    """Result of :func:`matched_staggered_did`.

    Attributes
    ----------
    matches
        Cohort -> match object (for balance tables: ``matches[g].balance()``).
    cohorts
        Per cohort: treated units, matched treated, matched comparison units (distinct),
        pool size, units dropped for missing matching data, and the matching variables.
    history_periods
        Pre-periods of outcome history matched on.
    n_control
        Distinct comparison units in the stacked matched samples.

    ``att_gt``, :meth:`aggregate`, :meth:`aggregate_effect`, :meth:`pretrend_test` and the
    other fields are those of :class:`~sroi.impact.staggered.result.StaggeredResultBase`;
    ``influence_functions`` are on the distinct units of the stacked samples.
    """

    matches: dict[Any, Any]
    cohorts: pd.DataFrame
    history_periods: int
    n_control: int

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
                "n_units_dropped_unbalanced": self.n_units_dropped_unbalanced,
                "n_units_partial": self.n_units_partial,
                "cohorts": self.cohorts.drop(
                    columns=["match_variables", "mahalanobis_variables"]
                ).to_dict(orient="records"),
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
        return "\n".join(lines + self._summary_tail())

    def __repr__(self) -> str:
        return (
            f"MatchedStaggeredResult(outcome={self.outcome!r}, estimator={self.estimator!r}, "
            f"cohorts={list(self.matches)}, cells={len(self.att_gt)}, units={self.n_units})"
        )


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
    random_state: int | np.random.Generator = 0,
    matcher: Callable[..., Any] | None = None,
    cluster: str | None = None,
    level: float = 0.95,
    restrict_support: bool = True,
    n_boot: int = 0,
    small_sample: Literal["auto", "t", "normal"] = "auto",
    allow_unbalanced_panel: bool = False,
    history_within_school: list[str] | None = None,
    school_panel: pd.DataFrame | None = None,
    adjust_for_history: bool = True,
    sample_cache: SampleCache | None = None,
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
        Passed to the matcher, and the seed of the bootstrap multipliers (a whole number
        >= 0 or a numpy Generator).
    matcher
        Callable with :func:`sroi.match`'s signature returning an object whose ``.data``
        has a ``weights`` column; default :func:`sroi.match`.
    cluster
        Column (constant within unit) to cluster on; default the unit id.
    level
        Confidence level.
    restrict_support
        Before matching cohort ``g``, drop pool units whose value of a categorical or 0/1
        matching characteristic (not outcome history) occurs in no cohort-``g`` treated unit
        (for example looked-after children when no enrolled pupil of that wave is looked
        after), and leave a characteristic that is then constant out of the matching model.
        Such units cannot be comparable to any treated unit, and keeping them makes the
        propensity model separate (no finite estimate). Each step is counted in the notes and
        in ``cohorts["n_pool_off_support"]``; a value that occurs only among treated units is
        still an error. Default ``True``; ``False`` passes the data to the matcher unchanged.
    n_boot
        Multiplier-bootstrap draws for the standard errors and uniform bands, as
        :func:`~sroi.impact.staggered.staggered_did` (Rademacher multipliers on the unit, or
        cluster, sums of the stacked influence functions; seeded with ``random_state``).
        ``0`` (default) gives analytic pointwise intervals. The bootstrap is conditional on
        the matched samples: it does not repeat the matching.
    small_sample
        Critical values: ``"auto"`` (default) t with ``G_treated - 1`` degrees of freedom
        when ``cluster`` is coarser than the unit and fewer than 10 clusters contain treated
        units, else the normal; ``"t"`` or ``"normal"`` to force one (see
        :func:`~sroi.impact.staggered.staggered_did`; the result's ``wild_bootstrap`` and
        ``randomization_test`` are the other few-cluster options).
    allow_unbalanced_panel
        ``False`` (default): units not observed in every period are dropped before matching,
        counted (``exclusions``, ``n_units_dropped_unbalanced``). ``True``: kept, as R
        ``did``'s option of that name: a unit enters a cohort's matching when its matching
        data are observed at the reference period (else ``cohorts["n_missing"]``), and each
        ATT(g,t) uses every observation of its two periods (repeated cross-section
        estimators, :mod:`sroi.impact.staggered.cells_rc`; influence functions summed by unit).
    history_within_school
        History columns (each in ``history``) also matched on relative to the school
        (``cluster``) in the same period (``<c>_vs_school``,
        :func:`~sroi.impact.staggered.school_history.add_school_level`): within the
        score's caliper, units are matched on the Mahalanobis distance of their raw and
        relative lags (MatchIt ``mahvars``; needs ``method="nearest"`` with a propensity
        distance). The school's level stays out of the score model (with one programme
        school in a wave it would separate that school from the pool); docs/simulation.md.
    school_panel
        Panel the school levels are measured on (default ``panel``): every pupil of every
        school, when ``panel`` holds only participants and the pool.
    adjust_for_history
        ``True`` (default): the regression of every cell after treatment adjusts for the
        matched history lags as well as ``covariates`` (bias-corrected matching, Abadie &
        Imbens 2011), under the assumption the matching makes; without it the clustered
        standard error counts the matched terms' noise twice (docs/simulation.md). Cells
        before treatment keep ``covariates``.
    sample_cache
        A :class:`~sroi.impact.staggered.sample_cache.SampleCache` shared by one evaluation's
        calls (one per outcome): the school levels and each cohort's cross-section and
        regression covariates are built once for the same data and matching options (the
        matcher is called every time); the results and warnings are those without it.

    Returns
    -------
    MatchedStaggeredResult
        With the aggregation interface of :class:`~sroi.impact.staggered.StaggeredResult`
        and the per-cohort match objects.

    Raises
    ------
    SroiInputError
        For bad options or data, a bad ``random_state``, or a cohort that cannot be matched.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
    time periods. Journal of Econometrics 225(2), 200-230.
    Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
    estimators. Journal of Econometrics 219(1), 101-122.
    Abadie, A. and Imbens, G. W. (2011). Bias-corrected matching estimators for average
    treatment effects. Journal of Business & Economic Statistics 29(1), 1-11.
    """
    check_options("never_treated", estimator, "varying", anticipation, n_boot, level)
    check_choice(small_sample, SMALL_SAMPLE_CHOICES, "small_sample")
    check_unbalanced_options(allow_unbalanced_panel)
    panel = _school_relative(
        panel,
        history_within_school,
        school_panel,
        outcome,
        history,
        unit,
        time,
        cohort,
        cluster,
        anticipation,
        match_kwargs,
        sample_cache,
    )
    design = _design(
        panel,
        outcome,
        unit,
        covariates,
        history,
        history_periods,
        pool,
        match_kwargs,
        estimator,
        anticipation,
        random_state,
        matcher,
        restrict_support,
        history_within_school,
        adjust_for_history,
    )
    seed = check_seed(design.random_state)
    prep = cohort_panel(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=None,
        cluster=cluster,
        weights=None,
        anticipation=int(anticipation),
        extra=_extra_columns(design, pool),
        allow_unbalanced=bool(allow_unbalanced_panel),
    )
    check_covariate_timing("base", None, prep.observed is not None, estimator)
    glist = np.unique(prep.G[prep.G > 0])
    if glist.size == 0:
        raise SroiInputError("no treated units remain; see the exclusions")
    if not np.any(prep.G == 0):
        raise SroiInputError(
            "matched staggered DiD needs never-treated units for the comparison pool"
        )
    lookup = _lookup(prep, pool, unit)
    fit = _Fit(prep, design, cluster, float(level), small_sample, _pool_values(prep, pool, unit))
    return fit.run(lookup, int(n_boot), seed, sample_cache)


def _school_relative(
    panel: pd.DataFrame,
    columns: list[str] | None,
    school_panel: pd.DataFrame | None,
    outcome: str,
    history: list[str] | None,
    unit: str,
    time: str,
    cohort: str,
    cluster: str | None,
    anticipation: int,
    match_kwargs: Mapping[str, Any] | None,
    cache: SampleCache | None,
) -> pd.DataFrame:
    """``panel`` with the school-relative history of ``history_within_school`` (if any)."""
    if cache is not None and not isinstance(cache, SampleCache):
        raise SroiInputError(
            f"sample_cache must be a SampleCache or None; got {type(cache).__name__}"
        )
    if not columns:
        if school_panel is not None:
            raise SroiInputError("school_panel is used only with history_within_school")
        return panel
    return with_school_relative_history(
        panel,
        list(columns),
        history=[outcome] if history is None else list(history),
        unit=unit,
        time=time,
        cohort=cohort,
        school=cluster,
        anticipation=anticipation,
        match_kwargs=match_kwargs,
        school_panel=school_panel,
        cache=cache,
    )


class _Fit:
    """Matching and estimation on a prepared panel; re-run with a permuted assignment."""

    def __init__(
        self,
        prep: CohortPanel,
        design: MatchingDesign,
        cluster: str | None,
        level: float,
        small_sample: str,
        pool_ok: np.ndarray,
    ) -> None:
        self.prep = prep
        self.design = design
        self.cluster = cluster
        self.level = level
        self.small_sample = small_sample
        self.pool_ok = pool_ok
        if cluster is not None and cluster != design.unit and prep.cluster_values is not None:
            self.codes = pd.factorize(pd.Series(prep.cluster_values), sort=True)[0]
        else:
            self.codes = np.arange(len(prep.G))

    def run(
        self, lookup: UnitLookup, n_boot: int, seed: int, cache: SampleCache | None = None
    ) -> MatchedStaggeredResult:
        """Match every cohort of ``lookup.G`` and estimate (``cache``: see ``sample_cache``)."""
        glist = np.unique(lookup.G[lookup.G > 0])
        samples = [match_cohort(g, self.design, lookup, cache) for g in glist]
        prep = replace(self.prep, G=lookup.G)
        res = _estimate(
            prep,
            samples,
            glist,
            self.design,
            self.cluster,
            n_boot,
            seed,
            self.level,
            self.small_sample,
        )
        res.reassignment = Reassignment(
            G=lookup.G, codes=self.codes, refit=self._refit_from(lookup, seed)
        )
        return res

    def _refit_from(
        self, lookup: UnitLookup, seed: int
    ) -> Callable[[np.ndarray, np.ndarray], MatchedStaggeredResult]:
        def refit(G_new: np.ndarray, perm: np.ndarray) -> MatchedStaggeredResult:
            pool = self._permuted_pool(perm)
            new = replace(lookup, G=G_new, eligible=pool & (G_new == 0))
            return self.run(new, 0, seed)

        return refit

    def _permuted_pool(self, perm: np.ndarray) -> np.ndarray:
        """Pool eligibility moved with the schools when it is constant within school."""
        codes, ok = self.codes, self.pool_ok
        n_cl = int(codes.max()) + 1
        lo = np.ones(n_cl, dtype=bool)
        hi = np.zeros(n_cl, dtype=bool)
        np.logical_and.at(lo, codes, ok)
        np.logical_or.at(hi, codes, ok)
        if not np.array_equal(lo, hi):
            return ok
        new_cl = np.empty(n_cl, dtype=bool)
        new_cl[perm] = lo
        return new_cl[codes]


def _design(
    panel: Any,
    outcome: str,
    unit: str,
    covariates: Any,
    history: list[str] | None,
    history_periods: Any,
    pool: Any,
    match_kwargs: Mapping[str, Any] | None,
    estimator: str,
    anticipation: Any,
    random_state: Any,
    matcher: Callable[..., Any] | None,
    restrict_support: bool,
    history_within_school: list[str] | None,
    adjust_for_history: Any,
) -> MatchingDesign:
    """Check the matching options and collect them."""
    if not isinstance(adjust_for_history, bool):
        raise SroiInputError(
            f"adjust_for_history must be True or False; got {adjust_for_history!r}"
        )
    if not isinstance(covariates, list | tuple) or not covariates:
        raise SroiInputError("covariates: give a non-empty list of characteristics to match on")
    check_int(history_periods, "history_periods", minimum=0)
    kwargs = dict(match_kwargs or {})
    for k in ("treatment", "covariates"):
        if k in kwargs:
            raise SroiInputError(f"match_kwargs must not set {k!r}: it is set per cohort")
    random_state = kwargs.pop("random_state", random_state)
    exact = kwargs.get("exact") or []
    exact = [exact] if isinstance(exact, str) else list(exact)
    if not isinstance(panel, pd.DataFrame):
        raise SroiInputError(f"panel must be a pandas DataFrame; got {type(panel).__name__}")
    return MatchingDesign(
        outcome=outcome,
        unit=unit,
        covariates=list(covariates),
        exact_only=[c for c in exact if c not in covariates],
        history=[outcome] if history is None else list(history),
        history_periods=int(history_periods),
        anticipation=int(anticipation),
        restrict_support=bool(restrict_support),
        matcher=match if matcher is None else matcher,
        match_kwargs=kwargs,
        random_state=random_state,
        estimator=estimator,
        within_school=tuple(history_within_school or ()),
        adjust_for_history=adjust_for_history,
    )


def _extra_columns(design: MatchingDesign, pool: Any) -> dict[str, str]:
    """Role -> column of the matching variables and the pool column (kept in the panel)."""
    relative = [f"{c}_vs_school" for c in design.within_school]
    extra = {
        f"matching variable or pool {c}": c
        for c in [*design.covariates, *design.history, *relative, *design.exact_only]
    }
    if isinstance(pool, str):
        extra[f"matching variable or pool {pool}"] = pool
    return extra


def _pool_values(prep: CohortPanel, pool: Any, unit: str) -> np.ndarray:
    """The pool rule for every unit, treated or not (``True``: could be a comparison)."""
    rows = prep.panel.data
    unit_frame = rows.drop_duplicates(unit).set_index(unit).reindex(prep.units).reset_index()
    return pool_mask(pool, unit_frame, unit)


def _lookup(prep: CohortPanel, pool: Any, unit: str) -> UnitLookup:
    """Per-unit arrays, the eligible pool and period positions of the rows kept."""
    p = prep.panel
    if isinstance(pool, str):
        p.check_constant(pool, f"pool column {pool!r} must be constant within each {unit}")
    rows = p.data
    unit_pos, _ = p.unit_codes()
    unit_frame = rows.drop_duplicates(unit).set_index(unit).reindex(prep.units).reset_index()
    return UnitLookup(
        units=prep.units,
        times=prep.times,
        G=prep.G,
        eligible=pool_mask(pool, unit_frame, unit) & (prep.G == 0),
        rows=rows,
        unit_pos=unit_pos,
        period_pos=p.period_codes(),
    )


def _estimate(
    prep: CohortPanel,
    samples: list[CohortSample],
    glist: np.ndarray,
    design: MatchingDesign,
    cluster: str | None,
    n_boot: int,
    seed: int,
    level: float,
    small_sample: str,
) -> MatchedStaggeredResult:
    """ATT(g,t) on the stacked matched samples, with unit- (or cluster-) clustered inference."""
    all_rows = np.unique(np.concatenate([s.rows for s in samples]))
    N = len(all_rows)
    to_global = pd.Series(np.arange(N), index=all_rows)
    G_glob = np.zeros(N)
    parts = []
    for g, s in zip(glist, samples, strict=True):
        gidx = to_global.reindex(s.rows).to_numpy()
        G_glob[gidx[s.G > 0]] = g
        parts.append(_cohort_cells(prep, s, g, gidx, N, design))
    cells = GroupTimeCells.stack(parts)
    codes, n_cl, cl_name, n_tc = _clustering(prep, all_rows, G_glob, cluster, design.unit)
    basis, groups = make_basis(cells, G_glob, np.ones(N))
    df, crit_reason = small_sample_df(small_sample, codes is not None, n_tc)
    inference = CellInference(
        basis, codes, None if codes is None else n_cl, n_boot, seed, level, df=df
    )
    return MatchedStaggeredResult(
        att_gt=cells_frame(cells, inference, basis.shape[1]),
        outcome=design.outcome,
        estimator=design.estimator,
        anticipation=design.anticipation,
        n_units=N,
        n_treated=int(np.sum(G_glob > 0)),
        exclusions=prep.exclusions,
        notes=tuple([*prep.notes, *(n for s in samples for n in s.notes)]),
        level=level,
        cluster=cl_name,
        n_clusters=n_cl,
        n_treated_clusters=n_tc,
        aggregator=CellAggregator(
            cells,
            G_glob,
            np.ones(N),
            groups,
            inference,
            float(prep.times.min()),
            float(prep.times.max()),
        ),
        matches={s.summary["cohort"]: s.match for s in samples},
        cohorts=pd.DataFrame([s.summary for s in samples]),
        history_periods=design.history_periods,
        n_control=int(np.sum(G_glob == 0)),
        cluster_reason=_cluster_reason(prep, codes is not None, cl_name, design.unit),
        critical_reason=crit_reason,
        n_units_dropped_unbalanced=prep.n_units_dropped_unbalanced,
        n_units_partial=prep.n_units_partial,
    )


def _cohort_cells(
    prep: CohortPanel,
    s: CohortSample,
    g: float,
    gidx: np.ndarray,
    N: int,
    design: MatchingDesign,
) -> GroupTimeCells:
    """ATT(g,t) of one cohort's matched sample (repeated cross-section 2x2s if unbalanced).

    With ``s.X_post`` (history adjustment), the cells after treatment (base period the
    cohort's reference period) use it and the cells before treatment use ``s.X``: a
    pre-period cell inside the matching window is a difference of two matched lags, which
    the lags would fit exactly.
    """
    cells = _cells_with(prep, s, s.X, g, gidx, N, design)
    if s.X_post is None:
        return cells
    post = _cells_with(prep, s, s.X_post, g, gidx, N, design)
    ref = prep.times[np.flatnonzero(prep.times + design.anticipation < g)[-1]]
    is_post = post.base == ref
    return GroupTimeCells.stack([cells.select(~is_post), post.select(is_post)])


def _cells_with(
    prep: CohortPanel,
    s: CohortSample,
    X: np.ndarray | None,
    g: float,
    gidx: np.ndarray,
    N: int,
    design: MatchingDesign,
) -> GroupTimeCells:
    """ATT(g,t) of one cohort's matched sample with regression covariates ``X``."""
    X3 = None if X is None or X.shape[1] == 0 else np.repeat(X[:, None, :], len(prep.times), axis=1)
    if prep.observed is not None:
        return compute_cells_rc(
            long_rows(prep.Y[s.rows], s.G, X3, s.w, unit_index=gidx),
            prep.times,
            np.array([g]),
            n_scale=N,
            estimator=design.estimator,
            control_group="never_treated",
            anticipation=design.anticipation,
            base_period="varying",
        )
    return compute_cells(
        prep.Y[s.rows],
        s.G,
        prep.times,
        np.array([g]),
        X=X3,
        x_time_invariant=True,
        w=s.w,
        estimator=design.estimator,
        control_group="never_treated",
        anticipation=design.anticipation,
        base_period="varying",
        n_scale=N,
        unit_index=gidx,
    )


def _cluster_reason(prep: CohortPanel, clustered: bool, name: str, unit: str) -> str:
    """Why the clustering level, judged on every unit of the panel (not only the matched)."""
    if not clustered or prep.cluster_values is None:
        return cluster_reason(prep.G, None, name, unit)
    codes = pd.factorize(pd.Series(prep.cluster_values), sort=True)[0]
    return cluster_reason(prep.G, codes, name, unit)


def _clustering(
    prep: CohortPanel, all_rows: np.ndarray, G: np.ndarray, cluster: str | None, unit: str
) -> tuple[np.ndarray | None, int, str, int]:
    """Cluster codes (``None``: by unit), number of clusters, name and treated clusters."""
    if cluster is not None and cluster != unit:
        assert prep.cluster_values is not None
        codes, uniq = pd.factorize(pd.Series(prep.cluster_values[all_rows]), sort=True)
        n_tc = int(np.unique(codes[G > 0]).size)
        if n_tc < 10:
            warnings.warn(
                f"only {n_tc} clusters contain treated units: clustered standard errors are "
                "unreliable with so few treated clusters",
                SroiWarning,
                stacklevel=4,
            )
        return codes, len(uniq), cluster, n_tc
    return None, len(all_rows), unit, int(np.sum(G > 0))
