"""Staggered difference-in-differences: Callaway & Sant'Anna (2021) group-time ATTs.

With staggered adoption, units start treatment in different periods ("cohorts" ``g``).
Two-way fixed effects then compares late with early adopters and is biased when effects
change over time (Goodman-Bacon 2021). Callaway & Sant'Anna (2021) instead estimate one
2x2 difference-in-differences per cohort ``g`` and period ``t``:

``ATT(g,t) = E[Y_t - Y_b | G = g] - E[Y_t - Y_b | C]``  (no covariates),

where ``b`` is the base period (``g - 1 - anticipation`` for post-treatment periods) and
``C`` the comparison units: never treated, or not yet treated by ``max(t, b) +
anticipation``. With covariates each 2x2 uses the outcome-regression, inverse-probability
weighting or doubly robust panel estimators of Sant'Anna & Zhao (2020)
(:mod:`sroi.impact.staggered.drdid`), with covariates taken from the earlier of the two periods
(``covariate_timing="base"``, R ``did``) or also their change over the 2x2
(``covariate_timing="change"`` or ``"both"``; :mod:`sroi.impact.staggered.cells`). With an
unbalanced panel and ``allow_unbalanced_panel=True`` each 2x2 uses the repeated
cross-section estimators instead (:mod:`sroi.impact.staggered.cells_rc`), as R ``did``.

Every ATT(g,t) carries its influence function, so standard errors, the pre-trend Wald
test, the aggregations (:mod:`sroi.impact.staggered.aggregation`: ``group``, ``simple``,
``dynamic``, ``calendar``, with the cohort-share estimation term of R ``did``'s ``wif``) and
the multiplier bootstrap follow R ``did`` (Callaway & Sant'Anna 2021, Section 4).

Standard errors: analytic ``sqrt(sum_i psi_i^2) / n`` (``n`` units; with ``cluster=``,
``sqrt(sum_c (sum_{i in c} psi_i)^2) / n``), with pointwise normal intervals, labelled
``"analytic pointwise"``. R ``did`` defaults to the multiplier bootstrap with uniform
bands; here ``n_boot > 0`` gives that (Rademacher multipliers, SE from the interquartile
range, sup-t critical value for uniform bands over the estimates of one table).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from sroi._checks import check_choice
from sroi.errors import SroiInputError, SroiWarning
from sroi.impact.inference.few_clusters import (
    FEW_TREATED_CLUSTERS,
    SMALL_SAMPLE_CHOICES,
    small_sample_df,
)
from sroi.impact.staggered.aggregation import CellAggregator
from sroi.impact.staggered.cell_inference import CellInference
from sroi.impact.staggered.cells import (
    GroupTimeCells,
    cells_frame,
    compute_cells,
    make_basis,
    maybe_int,
)
from sroi.impact.staggered.cells_rc import compute_cells_rc, long_rows
from sroi.impact.staggered.data import CohortArrays, cohort_arrays
from sroi.impact.staggered.options import (
    COVARIATE_TIMINGS,
    bootstrap_seed,
    check_covariate_timing,
    check_options,
    check_unbalanced_options,
    cluster_reason,
)
from sroi.impact.staggered.randomization import Reassignment
from sroi.impact.staggered.result import StaggeredResultBase

__all__ = ["StaggeredResult", "staggered_did"]


@dataclass(eq=False)
class StaggeredResult(StaggeredResultBase):
    """Result of :func:`staggered_did`.

    Attributes
    ----------
    control_group, base_period
        The comparison units and base-period rule used.
    n_never_treated
        Never-treated units used.
    cohort_sizes
        Treated units per cohort used.
    n_boot, seed
        Multiplier-bootstrap draws and their seed (``None`` without bootstrap).

    See :class:`~sroi.impact.staggered.result.StaggeredResultBase` for ``att_gt``,
    :meth:`aggregate`, :meth:`aggregate_effect`, :meth:`pretrend_test` and the other fields.
    """

    control_group: str
    base_period: str
    n_never_treated: int
    cohort_sizes: pd.Series
    n_boot: int
    seed: int | None
    covariate_timing: str = "base"
    allow_unbalanced_panel: bool = False

    def _method(self) -> str:
        ctrl = "never-treated" if self.control_group == "never_treated" else "not-yet-treated"
        return f"Callaway-Sant'Anna ({self.estimator}, {ctrl} comparison)"

    def _effect_kwargs(self) -> dict[str, Any]:
        notes = self.notes
        if self.control_group == "not_yet_treated":
            notes = (
                *notes,
                f"n_control counts the {self.n_never_treated} never-treated units; units of "
                "later cohorts also serve as comparisons before they are treated",
            )
        return {
            "n_control": self.n_never_treated,
            "method": self._method(),
            "cluster": self.cluster,
            "n_clusters": self.n_clusters,
            "n_treated_clusters": self.n_treated_clusters,
            "notes": notes,
            "extra": {
                "anticipation": self.anticipation,
                "base_period": self.base_period,
                "control_group": self.control_group,
                "n_boot": self.n_boot,
                "covariate_timing": self.covariate_timing,
                "allow_unbalanced_panel": self.allow_unbalanced_panel,
                "n_units_dropped_unbalanced": self.n_units_dropped_unbalanced,
                "n_units_partial": self.n_units_partial,
                "exclusions": self.exclusions.to_dict(orient="records"),
            },
        }

    def summary(self) -> str:
        """Readable summary: design, exclusions, the group aggregation and the pre-trend test."""
        lines = [
            f"Staggered DiD on {self.outcome}: {self._method()}",
            f"  units {self.n_units} (treated {self.n_treated}, never treated "
            f"{self.n_never_treated}); cohorts "
            + ", ".join(f"{g}: {n}" for g, n in self.cohort_sizes.items()),
            f"  base period {self.base_period}; anticipation {self.anticipation}; "
            f"intervals {self.ci_type}",
        ]
        if self.cluster:
            lines.append(
                f"  clustered by {self.cluster}: {self.n_clusters} clusters "
                f"({self.n_treated_clusters} with treated units)"
            )
        return "\n".join(lines + self._summary_tail())

    def __repr__(self) -> str:
        return (
            f"StaggeredResult(outcome={self.outcome!r}, estimator={self.estimator!r}, "
            f"control_group={self.control_group!r}, cells={len(self.att_gt)}, "
            f"units={self.n_units}, ci_type={self.ci_type!r})"
        )


def staggered_did(
    panel: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
    estimator: Literal["dr", "ipw", "reg", "unconditional", "dr_imp"] = "dr",
    covariates: list[str] | None = None,
    anticipation: int = 0,
    base_period: Literal["varying", "universal"] = "varying",
    n_boot: int = 0,
    random_state: int | np.random.Generator | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    level: float = 0.95,
    small_sample: Literal["auto", "t", "normal"] = "auto",
    allow_unbalanced_panel: bool = False,
    covariate_timing: Literal["base", "change", "both"] = "base",
) -> StaggeredResult:
    """Callaway & Sant'Anna (2021) group-time average treatment effects.

    Parameters
    ----------
    panel
        Long panel, one row per unit and period.
    outcome, unit, time, cohort
        Column names. ``time`` holds integer periods; ``cohort`` the first treated
        period (0 = never treated; values after the last period count as never treated,
        as in R ``did``). The cohort must be constant within a unit (treatment does not
        switch off).
    control_group
        ``"never_treated"`` (default) or ``"not_yet_treated"`` (never treated plus units
        first treated after ``max(t, base) + anticipation``). With no never-treated units
        and ``"not_yet_treated"``, the periods from the last cohort's start (minus
        anticipation) are dropped and the last cohort serves only as comparison, as R
        ``did`` does.
    estimator
        ``"dr"`` (default; Sant'Anna & Zhao 2020 doubly robust, as R ``did``),
        ``"ipw"`` (normalised IPW, Abadie 2005), ``"reg"`` (outcome regression, Heckman,
        Ichimura & Todd 1997), ``"dr_imp"`` (improved, locally efficient DR) or
        ``"unconditional"``. Without covariates all reduce to the difference of mean
        changes. Propensity scores are trimmed at 0.995 as in R ``DRDID``.
    covariates
        Numeric columns; which values enter each 2x2 is set by ``covariate_timing``.
    anticipation
        Periods before ``g`` in which units may already react; the base period becomes
        ``g - 1 - anticipation``.
    base_period
        ``"varying"`` (pre-period cells compare consecutive periods; R's default) or
        ``"universal"`` (all cells against ``g - 1 - anticipation``; that reference cell
        is reported as 0 with no SE).
    n_boot
        0 (default): analytic influence-function SEs with pointwise intervals
        (``ci_type="analytic pointwise"``). ``> 0``: multiplier bootstrap with that many
        Rademacher draws, SE = IQR / (qnorm(.75) - qnorm(.25)), uniform sup-t bands for
        the tables (R ``did``'s default inference).
    random_state
        Seed of the bootstrap multipliers (a whole number >= 0, a numpy Generator or
        ``None``).
    cluster
        Column constant within units (e.g. ``school_id``) for clustered SEs / multipliers.
    weights
        Column of unit weights (constant within unit).
    level
        Confidence level.
    small_sample
        Critical values of the Wald intervals and p-values: ``"auto"`` (default) uses
        Student's t with ``G_treated - 1`` degrees of freedom when ``cluster`` is coarser
        than the unit and fewer than 10 clusters contain treated units (Cameron, Gelbach &
        Miller 2008; MacKinnon & Webb 2018), the normal otherwise; ``"t"`` always uses
        t(``G_treated - 1``) when clustered; ``"normal"`` never (R ``did``). The rule applied
        is recorded in ``critical_reason`` and ``Effect.extra["critical_reason"]``; the
        bootstrap's uniform bands keep their sup-t critical value.
    allow_unbalanced_panel
        ``False`` (default, as R ``did``): units not observed in every period are dropped
        to balance the panel, with a warning; they are counted in ``exclusions`` and
        ``n_units_dropped_unbalanced``. ``True``: units observed in only some periods are
        kept and each ATT(g,t) uses every observation of its two periods through the
        repeated cross-section estimators of Sant'Anna & Zhao (2020) (each observation's
        own covariates), the influence function summed within unit (R ``did``'s
        ``allow_unbalanced_panel=TRUE``; :mod:`sroi.impact.staggered.cells_rc`). A row
        with a missing outcome or covariate is then dropped alone (counted). On a panel
        that turns out balanced, the panel estimators are used, as in R. Valid when whether
        a unit is observed in a period is unrelated to its outcome's trend (given the
        covariates). ``estimator="dr_imp"`` and ``covariate_timing`` other than ``"base"``
        need a balanced panel.
    covariate_timing
        Which covariate values condition each 2x2 (with time-varying covariates):
        ``"base"`` (default, R ``did``): the values of the earlier period of the 2x2 (the
        base period ``g - 1 - anticipation`` for post-treatment cells); right when the
        covariates could be affected by the programme (a post-treatment value would be a
        bad control). ``"change"``: the change of each time-varying covariate between the
        base period and ``t`` (time-invariant covariates by their level); right when the
        outcome's trend depends on how the covariates evolve and they are not affected by
        the programme. ``"both"``: the base-period levels and the change. ``"change"`` and
        ``"both"`` were proposed in R ``did``'s issue 96 (time-varying covariates).

    Returns
    -------
    StaggeredResult
        ``att_gt`` table, :meth:`~StaggeredResult.aggregate`,
        :meth:`~StaggeredResult.aggregate_effect`, :meth:`~StaggeredResult.pretrend_test`,
        :meth:`~StaggeredResult.summary` and the counted ``exclusions``.

    Raises
    ------
    SroiInputError
        For bad options or data (naming the column, rows and fix), a bad ``random_state``,
        or a design with nothing to estimate.

    Notes
    -----
    Differences from R ``did`` on purpose: the default inference is analytic (pass
    ``n_boot=999`` for R's bootstrap with uniform bands); with ``cluster`` the analytic
    SE sums influence functions within clusters (R forces the bootstrap); the clustered
    bootstrap draws one multiplier per cluster applied to cluster sums (R uses cluster
    means); a covariate that makes one 2x2 singular raises an error naming the cell
    rather than returning ``NA``.

    References
    ----------
    Callaway, B. and Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple
    time periods. Journal of Econometrics 225(2), 200-230.
    Sant'Anna, P. H. C. and Zhao, J. (2020). Doubly robust difference-in-differences
    estimators. Journal of Econometrics 219(1), 101-122.
    """
    cg = check_options(control_group, estimator, base_period, anticipation, n_boot, level)
    check_choice(small_sample, SMALL_SAMPLE_CHOICES, "small_sample")
    check_choice(covariate_timing, COVARIATE_TIMINGS, "covariate_timing")
    check_unbalanced_options(allow_unbalanced_panel)
    seed = bootstrap_seed(random_state, int(n_boot))
    prep = cohort_arrays(
        panel,
        outcome=outcome,
        unit=unit,
        time=time,
        cohort=cohort,
        covariates=covariates,
        cluster=cluster,
        weights=weights,
        anticipation=int(anticipation),
        allow_unbalanced=bool(allow_unbalanced_panel),
    )
    check_covariate_timing(covariate_timing, prep.X, prep.observed is not None, estimator)
    opts = _FitOptions(
        outcome=outcome,
        unit=unit,
        cohort=cohort,
        control_group=cg,
        estimator=estimator,
        anticipation=int(anticipation),
        base_period=base_period,
        cluster=cluster,
        weighted=weights is not None,
        level=float(level),
        small_sample=small_sample,
        covariate_timing=covariate_timing,
        allow_unbalanced_panel=bool(allow_unbalanced_panel),
    )
    return _fit(prep, opts, int(n_boot), seed)


@dataclass(frozen=True)
class _FitOptions:
    """The checked options of one :func:`staggered_did` call (re-used by its refits)."""

    outcome: str
    unit: str
    cohort: str
    control_group: str
    estimator: str
    anticipation: int
    base_period: str
    cluster: str | None
    weighted: bool
    level: float
    small_sample: str
    covariate_timing: str = "base"
    allow_unbalanced_panel: bool = False


def _fit(prep: CohortArrays, o: _FitOptions, n_boot: int, seed: int | None) -> StaggeredResult:
    """Estimate on a prepared panel (its ``G`` may be a permuted assignment)."""
    times, Y, X, glist, notes = _estimation_window(prep, o.cohort, o.control_group, o.anticipation)
    G = prep.G
    sizes = _cohort_sizes(G, glist)
    cells = _cells(prep, o, Y, X, times, glist)
    codes, n_cl, n_treated_cl = _clusters(prep, G, glist, o.cluster, o.unit)
    df, crit_reason = small_sample_df(o.small_sample, codes is not None, n_treated_cl)
    w_share = prep.w / np.mean(prep.w)
    basis, groups = make_basis(cells, G, w_share)
    inference = CellInference(basis, codes, n_cl, n_boot, seed, o.level, df=df)
    ri_codes = np.arange(len(G)) if codes is None else codes
    return StaggeredResult(
        att_gt=cells_frame(cells, inference, basis.shape[1]),
        outcome=o.outcome,
        estimator=o.estimator,
        control_group=o.control_group,
        base_period=o.base_period,
        anticipation=o.anticipation,
        n_units=len(G),
        n_treated=int(np.sum(np.isin(G, glist))),
        n_never_treated=int(np.sum(G == 0)),
        cohort_sizes=sizes,
        exclusions=prep.exclusions,
        notes=tuple(notes),
        level=o.level,
        n_boot=n_boot,
        cluster=o.cluster if codes is not None else None,
        n_clusters=n_cl,
        n_treated_clusters=n_treated_cl,
        seed=seed,
        aggregator=CellAggregator(
            cells, G, w_share, groups, inference, float(times.min()), float(times.max())
        ),
        cluster_reason=cluster_reason(G, codes, o.cluster, o.unit),
        critical_reason=crit_reason,
        n_units_dropped_unbalanced=prep.n_units_dropped_unbalanced,
        n_units_partial=prep.n_units_partial,
        covariate_timing=o.covariate_timing,
        allow_unbalanced_panel=o.allow_unbalanced_panel,
        reassignment=Reassignment(
            G=G,
            codes=ri_codes,
            refit=lambda G_new, _perm: _fit(replace(prep, G=G_new), o, 0, None),
        ),
    )


def _cells(
    prep: CohortArrays,
    o: _FitOptions,
    Y: np.ndarray,
    X: np.ndarray | None,
    times: np.ndarray,
    glist: np.ndarray,
) -> GroupTimeCells:
    """The ATT(g,t): panel 2x2s, or repeated cross-section 2x2s on an unbalanced panel."""
    w = prep.w if o.weighted else None
    if prep.observed is not None:
        return compute_cells_rc(
            long_rows(Y, prep.G, X, w),
            times,
            glist,
            n_scale=len(prep.G),
            estimator=o.estimator,
            control_group=o.control_group,
            anticipation=o.anticipation,
            base_period=o.base_period,
        )
    return compute_cells(
        Y,
        prep.G,
        times,
        glist,
        X=X,
        x_time_invariant=prep.x_time_invariant,
        w=w,
        estimator=o.estimator,
        control_group=o.control_group,
        anticipation=o.anticipation,
        base_period=o.base_period,
        covariate_timing=o.covariate_timing,
        reserve_cohort_columns=True,
    )


def _estimation_window(
    prep: CohortArrays, cohort: str, control_group: str, anticipation: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray, list[str]]:
    """Periods, outcomes, covariates and cohorts to estimate.

    With no never-treated units (``not_yet_treated`` only), the periods from the last
    cohort's start (minus anticipation) are dropped and that cohort is only a comparison.
    """
    times, G, Y, X = prep.times, prep.G, prep.Y, prep.X
    notes = list(prep.notes)
    glist = np.unique(G[G > 0])
    if glist.size == 0:
        raise SroiInputError(
            f"no treated units remain (cohort column {cohort!r} is 0 for every unit kept); "
            "see the exclusions"
        )
    if np.any(G == 0):
        return times, Y, X, glist, notes
    if control_group == "never_treated":
        raise SroiInputError(
            "control_group='never_treated' but no unit is never treated (cohort 0); use "
            "control_group='not_yet_treated' or add never-treated units"
        )
    gmax = glist.max()
    keep_t = times < gmax - anticipation
    notes.append(
        f"no never-treated units: periods from {gmax - anticipation} on are dropped and "
        f"cohort {int(gmax)} serves only as a not-yet-treated comparison (as R did)"
    )
    times, Y = times[keep_t], Y[:, keep_t]
    X = None if X is None else X[:, keep_t, :]
    glist = glist[glist < gmax]
    if glist.size == 0 or times.size < 2:
        raise SroiInputError(
            "with no never-treated units there is nothing left to estimate: need at least "
            "two cohorts and two periods before the last cohort starts"
        )
    return times, Y, X, glist, notes


def _cohort_sizes(G: np.ndarray, glist: np.ndarray) -> pd.Series:
    """Treated units per cohort; warns about cohorts of a single unit."""
    sizes = pd.Series(
        {maybe_int(np.array([g]))[0]: int(np.sum(G == g)) for g in glist}, name="n_treated"
    )
    sizes.index.name = "cohort"
    single = sizes[sizes == 1]
    if len(single):
        warnings.warn(
            f"cohort(s) {', '.join(map(str, single.index))} have a single treated unit; "
            "their ATT(g,t) rest on one unit and their standard errors are unreliable",
            SroiWarning,
            stacklevel=3,
        )
    return sizes


def _clusters(
    prep: CohortArrays, G: np.ndarray, glist: np.ndarray, cluster: str | None, unit: str
) -> tuple[np.ndarray | None, int | None, int | None]:
    """Cluster codes, number of clusters and clusters with treated units (``None``: by unit)."""
    if cluster is None or cluster == unit:
        return None, None, None
    codes, uniq = pd.factorize(pd.Series(prep.cluster_values), sort=True)
    n_cl = len(uniq)
    n_treated_cl = int(np.unique(codes[np.isin(G, glist)]).size)
    if n_cl < 2:
        raise SroiInputError(f"cluster column {cluster!r} has a single cluster")
    if n_treated_cl < FEW_TREATED_CLUSTERS:
        warnings.warn(
            f"only {n_treated_cl} clusters of {cluster!r} contain treated units: clustered "
            "standard errors (analytic or multiplier bootstrap) are unreliable with fewer "
            "than 10 treated clusters; see sroi.impact.inference",
            SroiWarning,
            stacklevel=3,
        )
    return codes, n_cl, n_treated_cl
